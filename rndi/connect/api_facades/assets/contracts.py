"""The contract of the asset facade."""

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rndi.connect.api_facades._calls import RequestLike
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.business_objects.adapters import Asset, Request


class AssetManagementService(ABC):
    """The operations every implementation offers."""

    @abstractmethod
    def find_asset(self, asset_id: str) -> Asset: ...

    @abstractmethod
    def find_asset_request(self, request_id: str) -> Request: ...

    @abstractmethod
    def approve_asset_request(
        self,
        request: RequestLike,
        template_id: Optional[str],
        activation_tile: Optional[str] = None,
        effective_date: Optional[str] = None,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def fail_asset_request(
        self,
        request: RequestLike,
        reason: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def inquire_asset_request(
        self,
        request: RequestLike,
        template_id: str,
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...

    @abstractmethod
    def update_asset_request_parameters(
        self,
        request: RequestLike,
        parameters: List[Dict[str, Any]],
        on_error: Optional[OnError] = None,
        on_success: Optional[OnSuccess] = None,
    ) -> Any: ...
