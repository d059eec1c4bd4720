"""Operations on assets and asset requests (``assets/{id}``, ``requests/{id}``).

Each operation takes the request as a ``Request`` or its dict, and answers with the
``Request`` as Connect now has it (new status, reason or asset parameters), through the
optional ``on_success``; a ``ClientError`` goes to the optional ``on_error``.
"""

from typing import Any, Dict, List, Optional

from rndi.connect.api_facades._calls import (
    RequestLike,
    as_request,
    call,
    change_status,
    object_id,
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
    """Asset request operations over ``self.client`` (a ``connect.client.ConnectClient``)."""

    client: Any

    def find_asset(self, asset_id: str) -> Asset:
        """``GET assets/{id}``."""
        return Asset(self.client.assets[object_id(asset_id, "asset")].get())

    def find_asset_request(self, request_id: str) -> Request:
        """``GET requests/{id}``."""
        return Request(self.client.requests[object_id(request_id, "request")].get())

    def approve_asset_request(
        self,
        request: RequestLike,
        template_id: Optional[str],
        activation_tile: Optional[str] = None,
        effective_date: Optional[str] = None,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
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

    def fail_asset_request(
        self,
        request: RequestLike,
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST requests/{id}/fail`` with the reason shown to the customer."""
        request = as_request(request).with_reason(reason)
        return change_status(
            self.client.requests, request, "fail", {"reason": reason}, on_error, on_success
        )

    def inquire_asset_request(
        self,
        request: RequestLike,
        template_id: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST requests/{id}/inquire`` with the inquiring template."""
        return change_status(
            self.client.requests,
            request,
            "inquire",
            {"template_id": template_id},
            on_error,
            on_success,
        )

    def update_asset_request_parameters(
        self,
        request: RequestLike,
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``PUT requests/{id}`` with ``{"asset": {"params": parameters}}``; the request
        takes the asset Connect answers with."""
        request = as_request(request)
        resource = self.client.requests[request.id()]

        def update() -> Request:
            answer = resource.update(payload={"asset": {"params": parameters}})
            # an answer without the asset (a partial one) leaves the request's asset as is
            return request.with_asset(answer["asset"]) if "asset" in answer else request

        return call(update, on_error, on_success)
