"""Operations on assets and asset requests (``assets/{id}``, ``requests/{id}``)."""

from typing import Any, Dict, List, Optional, Union

from rndi.connect.api_facades._calls import object_id, post_action, put
from rndi.connect.api_facades.contracts import OnError, OnSuccess


class WithAssetFacade:
    """Asset request operations over ``self.client`` (a ``connect.client.ConnectClient``)."""

    client: Any

    def _request(self, request: Union[dict, str]) -> Any:
        return self.client.requests[object_id(request, "request")]

    def find_asset(self, asset_id: str) -> Dict[str, Any]:
        """``GET assets/{id}``."""
        return self.client.assets[object_id(asset_id, "asset")].get()

    def find_asset_request(self, request_id: str) -> Dict[str, Any]:
        """``GET requests/{id}``."""
        return self._request(request_id).get()

    def approve_asset_request(
        self,
        request: Union[dict, str],
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
        payload: Dict[str, Any] = {}
        if template_id:
            payload["template_id"] = template_id
        if activation_tile:
            payload["activation_tile"] = activation_tile
        if effective_date:
            payload["effective_date"] = effective_date
        return post_action(self._request(request), "approve", payload, on_error, on_success)

    def fail_asset_request(
        self,
        request: Union[dict, str],
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST requests/{id}/fail`` with the reason shown to the customer."""
        return post_action(self._request(request), "fail", {"reason": reason},
                           on_error, on_success)

    def inquire_asset_request(
        self,
        request: Union[dict, str],
        template_id: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST requests/{id}/inquire`` with the inquiring template."""
        return post_action(self._request(request), "inquire", {"template_id": template_id},
                           on_error, on_success)

    def update_asset_request_parameters(
        self,
        request: Union[dict, str],
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``PUT requests/{id}`` with ``{"asset": {"params": parameters}}``."""
        return put(self._request(request), {"asset": {"params": parameters}},
                   on_error, on_success)
