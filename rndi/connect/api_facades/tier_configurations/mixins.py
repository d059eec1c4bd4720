"""Operations on tier configurations and their requests.

Paths as Connect serves them: ``tier/configs/{id}`` and ``tier/config-requests/{id}``
(the published facade read them from ``tiers/{id}`` and ``requests/{id}``). Each operation
takes the request as a ``Request`` or its dict and answers with the ``Request`` as Connect
now has it, through the optional ``on_success``; a ``ClientError`` goes to ``on_error``.
Each has an awaitable twin, named with an ``a`` prefix, for an ``AsyncConnectClient``.
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
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.api_facades.tier_configurations.contracts import (
    TierConfigurationManagementService,
)
from rndi.connect.business_objects.adapters import Request, TierConfiguration

# the namespace, actions and payload members, as the published module names them
ID = "id"
TIER = "tier"
APPROVE = "approve"
TEMPLATE = "template"
FAIL = "fail"
INQUIRE = "inquire"


class WithTierConfigurationFacade(TierConfigurationManagementService):
    """Tier-config request operations over ``self.client``."""

    client: Any

    def _config_requests(self) -> Any:
        return self.client.ns("tier").config_requests

    @operation
    def find_tier_configuration(self, tier_id: str) -> Call:
        """``GET tier/configs/{id}``, answered as a ``TierConfiguration``."""
        identifier = object_id(tier_id, "tier configuration")
        return Call(self.client.ns("tier").configs[identifier].get, TierConfiguration)

    @operation
    def find_tier_configuration_request(self, request_id: str) -> Call:
        """``GET tier/config-requests/{id}``, answered as a ``Request``."""
        identifier = object_id(request_id, "tier config request")
        return Call(self._config_requests()[identifier].get, Request)

    @operation
    def approve_tier_configuration_request(
        self,
        request: RequestLike,
        template_id: str,
        effective_date: Optional[str] = None,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``POST tier/config-requests/{id}/approve`` with the activation template."""
        template = without_none({"id": template_id, "effective_date": effective_date})
        return change_status(
            self._config_requests(),
            request,
            "approve",
            {"template": template},
            on_error,
            on_success,
        )

    @operation
    def fail_tier_configuration_request(
        self,
        request: RequestLike,
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``POST tier/config-requests/{id}/fail`` with the reason."""
        request = as_request(request).with_reason(reason)
        return change_status(
            self._config_requests(), request, "fail", {"reason": reason}, on_error, on_success
        )

    @operation
    def inquire_tier_configuration_request(
        self,
        request: RequestLike,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
        *,
        template_id: Optional[str] = None,
    ) -> Call:
        """``POST tier/config-requests/{id}/inquire``, with an inquiring template if given."""
        payload = {"template": {"id": template_id}} if template_id else {}
        return change_status(
            self._config_requests(), request, "inquire", payload, on_error, on_success
        )

    @operation
    def update_tier_configuration_request_parameters(
        self,
        request: RequestLike,
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Call:
        """``PUT tier/config-requests/{id}`` with ``{"params": parameters}``; the request
        takes the params and tier configuration Connect answers with."""
        request = as_request(request)
        resource = self._config_requests()[request.id()]

        def take_members(answer: Dict[str, Any]) -> Request:
            # the members the answer has replace the request's (a partial answer keeps them)
            for member in ("params", "configuration"):
                if member in answer:
                    request.with_member(member, answer[member])
            return request

        return Call(lambda: resource.update(payload={"params": parameters}),
                    take_members, on_error, on_success)

    afind_tier_configuration = find_tier_configuration.awaitable
    afind_tier_configuration_request = find_tier_configuration_request.awaitable
    aapprove_tier_configuration_request = approve_tier_configuration_request.awaitable
    afail_tier_configuration_request = fail_tier_configuration_request.awaitable
    ainquire_tier_configuration_request = inquire_tier_configuration_request.awaitable
    aupdate_tier_configuration_request_parameters = (
        update_tier_configuration_request_parameters.awaitable)
