"""Operations on tier configurations and their requests.

Paths as ``connect-openapi-client`` builds them: ``tier/configs/{id}`` and
``tier/config-requests/{id}`` (the published facade read requests from ``tier/configs``).
"""

from typing import Any, Dict, List, Optional, Union

from rndi.connect.api_facades._calls import object_id, post_action, put
from rndi.connect.api_facades.contracts import OnError, OnSuccess


class WithTierConfigurationFacade:
    """Tier-config request operations over ``self.client``."""

    client: Any

    def _tier_config_request(self, request: Union[dict, str]) -> Any:
        return self.client("tier").config_requests[object_id(request, "tier config request")]

    def find_tier_configuration(self, tier_configuration_id: str) -> Dict[str, Any]:
        """``GET tier/configs/{id}``."""
        identifier = object_id(tier_configuration_id, "tier configuration")
        return self.client("tier").configs[identifier].get()

    def find_tier_configuration_request(self, request_id: str) -> Dict[str, Any]:
        """``GET tier/config-requests/{id}``."""
        return self._tier_config_request(request_id).get()

    def approve_tier_configuration_request(
        self,
        request: Union[dict, str],
        template_id: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST tier/config-requests/{id}/approve`` with the activation template."""
        return post_action(self._tier_config_request(request), "approve",
                           {"template": {"id": template_id}}, on_error, on_success)

    def fail_tier_configuration_request(
        self,
        request: Union[dict, str],
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST tier/config-requests/{id}/fail`` with the reason."""
        return post_action(self._tier_config_request(request), "fail", {"reason": reason},
                           on_error, on_success)

    def inquire_tier_configuration_request(
        self,
        request: Union[dict, str],
        template_id: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``POST tier/config-requests/{id}/inquire`` with the inquiring template."""
        return post_action(self._tier_config_request(request), "inquire",
                           {"template": {"id": template_id}}, on_error, on_success)

    def update_tier_configuration_request_parameters(
        self,
        request: Union[dict, str],
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any:
        """``PUT tier/config-requests/{id}`` with ``{"params": parameters}``."""
        return put(self._tier_config_request(request), {"params": parameters},
                   on_error, on_success)
