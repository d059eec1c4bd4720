"""Operations on assets and asset requests (``assets/{id}``, ``requests/{id}``).

Each operation takes the request as a ``Request`` or its dict, and answers with the
``Request`` as Connect now has it (new status, reason or asset parameters), through the
optional ``on_success``; a ``ClientError`` goes to the optional ``on_error``. Each has an
awaitable twin, named with an ``a`` prefix, for the ``AsyncConnectClient`` the runner gives
``async def`` handlers (``await self.aapprove_asset_request(...)``).
"""

from typing import Any, Dict, List, Optional

from rndi.connect.api_facades._calls import (
    Call,
    RequestLike,
    as_request,
    change_status,
    object_id,
    operation,
    without_none,
)
from rndi.connect.api_facades.assets.contracts import AssetManagementService
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.business_objects.adapters import Asset, Request

# the actions, statuses and payload members, as the published module names them
APPROVE = "approve"
INQUIRE = "inquire"
FAIL = "fail"
APPROVED = "approved"
INQUIRING = "inquiring"
FAILED = "failed"
TEMPLATE_ID = "template_id"
ACTIVATION_TILE = "activation_tile"
EFFECTIVE_DATE = "effective_date"
REASON = "reason"


class WithAssetFacade(AssetManagementService):
    """Asset request operations over ``self.client`` (a ``connect.client.ConnectClient``,
    or an ``AsyncConnectClient`` for the ``a``-prefixed twins)."""

    client: Any

    @operation
    def find_asset(self, asset_id: str) -> Call:
        """``GET assets/{id}``, answered as an ``Asset``."""
        resource = self.client.assets[object_id(asset_id, "asset")]
        return Call(resource.get, Asset)

    @operation
    def find_asset_request(self, request_id: str) -> Call:
        """``GET requests/{id}``, answered as a ``Request``."""
        resource = self.client.requests[object_id(request_id, "request")]
        return Call(resource.get, Request)

    @operation
    def approve_asset_request(
        self,
        request: RequestLike,
        template_id: Optional[str],
        activation_tile: Optional[str] = None,
        effective_date: Optional[str] = None,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``POST requests/{id}/approve`` with the activation template (or a tile).

        Raises:
            ValueError: neither a template id nor an activation tile is given.
        """
        if not template_id and not activation_tile:
            raise ValueError("Approving a request needs a template_id or an activation_tile.")
        payload = without_none(
            {
                "template_id": template_id,
                "activation_tile": activation_tile,
                "effective_date": effective_date,
            }
        )
        return change_status(
            self.client.requests, request, "approve", payload, on_error, on_success
        )

    @operation
    def fail_asset_request(
        self,
        request: RequestLike,
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``POST requests/{id}/fail`` with the reason shown to the customer."""
        request = as_request(request).with_reason(reason)
        return change_status(
            self.client.requests, request, "fail", {"reason": reason}, on_error, on_success
        )

    @operation
    def inquire_asset_request(
        self,
        request: RequestLike,
        template_id: Optional[str],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``POST requests/{id}/inquire`` with the inquiring template (none sent for
        ``None``)."""
        return change_status(
            self.client.requests,
            request,
            "inquire",
            without_none({"template_id": template_id}),
            on_error,
            on_success,
        )

    @operation
    def update_asset_request_parameters(
        self,
        request: RequestLike,
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``PUT requests/{id}`` with ``{"asset": {"params": parameters}}``; the request
        takes the asset Connect answers with."""
        request = as_request(request)
        resource = self.client.requests[request.id()]

        def take_asset(answer: Dict[str, Any]) -> Request:
            # an answer without the asset (a partial one) leaves the request's asset as is
            return request.with_asset(answer["asset"]) if "asset" in answer else request

        return Call(lambda: resource.update(payload={"asset": {"params": parameters}}),
                    take_asset, on_error, on_success)

    afind_asset = find_asset.awaitable
    afind_asset_request = find_asset_request.awaitable
    aapprove_asset_request = approve_asset_request.awaitable
    afail_asset_request = fail_asset_request.awaitable
    ainquire_asset_request = inquire_asset_request.awaitable
    aupdate_asset_request_parameters = update_asset_request_parameters.awaitable
