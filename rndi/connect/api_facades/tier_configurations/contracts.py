"""The contract of the tier-configuration facade."""

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rndi.connect.api_facades._calls import RequestLike
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.business_objects.adapters import Request, TierConfiguration


class TierConfigurationManagementService(ABC):
    """The operations every implementation offers."""

    @abstractmethod
    def find_tier_configuration(self, tier_id: str) -> TierConfiguration: ...

    @abstractmethod
    def find_tier_configuration_request(self, request_id: str) -> Request: ...

    @abstractmethod
    def update_tier_configuration_request_parameters(
        self,
        request: RequestLike,
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def approve_tier_configuration_request(
        self,
        request: RequestLike,
        template_id: str,
        effective_date: Optional[str] = None,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def fail_tier_configuration_request(
        self,
        request: RequestLike,
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def inquire_tier_configuration_request(
        self,
        request: RequestLike,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
        *,
        template_id: Optional[str] = None,
    ) -> Any: ...
