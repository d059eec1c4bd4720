"""The abstract reader ("source") and builder contracts of the business objects.

``Request``, ``Asset`` and ``TierConfiguration`` implement them; a class of your own that
declares one must implement all of its methods to be instantiated.
"""

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Dict, List, Optional, TypeVar, Union

# the builder types, as the published contracts name them
TConfigurationBuilder = TypeVar("TConfigurationBuilder", bound="ConfigurationBuilder")
TConnectionBuilder = TypeVar("TConnectionBuilder", bound="ConnectionBuilder")
TContractBuilder = TypeVar("TContractBuilder", bound="ContractBuilder")
TEventsBuilder = TypeVar("TEventsBuilder", bound="EventsBuilder")
TMarketPlaceBuilder = TypeVar("TMarketPlaceBuilder", bound="MarketPlaceBuilder")
TParametersBuilder = TypeVar("TParametersBuilder", bound="ParametersBuilder")
TProductBuilder = TypeVar("TProductBuilder", bound="ProductBuilder")
TRequestBuilder = TypeVar("TRequestBuilder", bound="RequestBuilder")
TAssetBuilder = TypeVar("TAssetBuilder", bound="AssetBuilder")
TTierConfigurationBuilder = TypeVar("TTierConfigurationBuilder",
                                    bound="TierConfigurationBuilder")


class ConfigurationSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def configuration_params(self) -> List[Dict[str, Any]]: ...

    @abstractmethod
    def configuration_param(
        self, param_id: str, key: Optional[str] = None, default: Any = None
    ) -> Any: ...


class ConfigurationBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_configuration_params(self, params: List[Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_configuration_param(
        self,
        param_id: str,
        value: Union[str, Dict[str, Any], List[Any], None] = None,
        value_error: Optional[str] = None,
        value_type: Optional[str] = None,
        title: Optional[str] = None,
        description: Optional[str] = None,
    ) -> Any: ...


class ConnectionSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def connection(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def connection_provider(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def connection_vendor(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def connection_hub(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class ConnectionBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_connection(
        self,
        connection_id: str,
        connection_type: str,
        provider: Optional[Dict[str, Any]] = None,
        vendor: Optional[Dict[str, Any]] = None,
        hub: Optional[Dict[str, Any]] = None,
    ) -> Any: ...

    @abstractmethod
    def with_connection_provider(
        self, provider_id: str, provider_name: Optional[str] = None
    ) -> Any: ...

    @abstractmethod
    def with_connection_vendor(self, vendor_id: str, vendor_name: Optional[str] = None) -> Any: ...

    @abstractmethod
    def with_connection_hub(self, hub_id: str, hub_name: Optional[str] = None) -> Any: ...


class ContractSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def contract(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class ContractBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_contract(self, contract_id: str, contract_name: Optional[str] = None) -> Any: ...


class EventsSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def events(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class EventsBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_events(self, created: datetime, updated: datetime) -> Any: ...


class MarketplaceSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def marketplace(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class MarketPlaceBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_marketplace(
        self, marketplace_id: str, marketplace_name: Optional[str] = None
    ) -> Any: ...


class ParametersSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def params(self) -> List[Dict[str, Any]]: ...

    @abstractmethod
    def param(self, param_id: str, key: Optional[str] = None, default: Any = None) -> Any: ...


class ParametersBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_params(self, params: List[Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_param(
        self,
        param_id: str,
        value: Union[str, Dict[str, Any], List[Any], None] = None,
        value_error: Optional[str] = None,
        value_type: Optional[str] = None,
        create: bool = True,
    ) -> Any: ...


class ProductSource(ABC):
    """The readers of this part."""

    @abstractmethod
    def product(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class ProductBuilder(ABC):
    """The builders of this part."""

    @abstractmethod
    def with_product(self, product_id: str, product_status: str = "published") -> Any: ...


class RequestSource(ContractSource, EventsSource, MarketplaceSource, ParametersSource):
    """The readers of this part."""

    @abstractmethod
    def request_model(self) -> str: ...

    @abstractmethod
    def is_tier_config_request(self) -> bool: ...

    @abstractmethod
    def is_asset_request(self) -> bool: ...

    @abstractmethod
    def id(self) -> Optional[str]: ...

    @abstractmethod
    def type(self) -> Optional[str]: ...

    @abstractmethod
    def status(self) -> Optional[str]: ...

    @abstractmethod
    def created(self) -> Optional[datetime]: ...

    @abstractmethod
    def updated(self) -> Optional[datetime]: ...

    @abstractmethod
    def note(self) -> Optional[str]: ...

    @abstractmethod
    def reason(self) -> Optional[str]: ...

    @abstractmethod
    def assignee(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def asset(self) -> "AssetSource": ...

    @abstractmethod
    def tier_configuration(self) -> "TierConfigurationSource": ...


class RequestBuilder(ContractBuilder, EventsBuilder, MarketPlaceBuilder, ParametersBuilder):
    """The builders of this part."""

    @abstractmethod
    def with_id(self, request_id: str) -> Any: ...

    @abstractmethod
    def with_type(self, request_type: str) -> Any: ...

    @abstractmethod
    def with_status(self, request_status: str) -> Any: ...

    @abstractmethod
    def with_created(self, created: datetime) -> Any: ...

    @abstractmethod
    def with_updated(self, updated: datetime) -> Any: ...

    @abstractmethod
    def with_note(self, note: str) -> Any: ...

    @abstractmethod
    def with_reason(self, reason: str) -> Any: ...

    @abstractmethod
    def with_assignee(self, assignee_id: str, assignee_name: str, assignee_email: str) -> Any: ...

    @abstractmethod
    def with_asset(self, asset: Any) -> Any: ...

    @abstractmethod
    def with_tier_configuration(self, configuration: Any) -> Any: ...


class AssetSource(
    ConfigurationSource,
    ConnectionSource,
    ContractSource,
    MarketplaceSource,
    ParametersSource,
    ProductSource,
):
    """The readers of this part."""

    @abstractmethod
    def id(self) -> Optional[str]: ...

    @abstractmethod
    def status(self) -> Optional[str]: ...

    @abstractmethod
    def external_id(self) -> Optional[str]: ...

    @abstractmethod
    def external_uid(self) -> Optional[str]: ...

    @abstractmethod
    def tier(self, tier_name: str, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def tier_customer(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def tier_tier1(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def tier_tier2(self, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def items(self) -> List[Dict[str, Any]]: ...

    @abstractmethod
    def item(self, item_id: str, key: Optional[str] = None, default: Any = None) -> Any: ...

    @abstractmethod
    def item_params(self, item_id: str) -> List[Dict[str, Any]]: ...

    @abstractmethod
    def item_param(
        self, item_id: str, param_id: str, key: Optional[str] = None, default: Any = None
    ) -> Any: ...


class AssetBuilder(
    ConfigurationBuilder,
    ConnectionBuilder,
    ContractBuilder,
    MarketPlaceBuilder,
    ParametersBuilder,
    ProductBuilder,
):
    """The builders of this part."""

    @abstractmethod
    def with_id(self, asset_id: str) -> Any: ...

    @abstractmethod
    def with_external_id(self, asset_external_id: str) -> Any: ...

    @abstractmethod
    def with_external_uid(self, asset_external_uid: str) -> Any: ...

    @abstractmethod
    def with_status(self, asset_status: str) -> Any: ...

    @abstractmethod
    def with_tier(self, tier_name: str, tier: Union[str, Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_tier_customer(self, customer: Union[str, Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_tier_tier1(self, tier1: Union[str, Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_tier_tier2(self, tier2: Union[str, Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_items(self, items: List[Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_item(
        self,
        item_id: str,
        item_mpn: str,
        quantity: str = "1",
        old_quantity: Optional[str] = None,
        item_type: Optional[str] = None,
        period: Optional[str] = None,
        unit: Optional[str] = None,
        display_name: Optional[str] = None,
        global_id: Optional[str] = None,
        params: Optional[List[Dict[str, Any]]] = None,
    ) -> Any: ...

    @abstractmethod
    def with_item_params(self, item_id: str, params: List[Dict[str, Any]]) -> Any: ...

    @abstractmethod
    def with_item_param(
        self,
        item_id: str,
        param_id: str,
        value: Any = None,
        value_type: Optional[str] = None,
        title: Optional[str] = None,
        description: Optional[str] = None,
        scope: Optional[str] = None,
        phase: Optional[str] = None,
    ) -> Any: ...


class TierConfigurationSource(
    ConfigurationSource, ConnectionSource, MarketplaceSource, ParametersSource, ProductSource
):
    """The readers of this part."""

    @abstractmethod
    def id(self) -> Optional[str]: ...

    @abstractmethod
    def status(self) -> Optional[str]: ...

    @abstractmethod
    def tier_level(self) -> Optional[int]: ...

    @abstractmethod
    def account(self, key: Optional[str] = None, default: Any = None) -> Any: ...


class TierConfigurationBuilder(
    ConfigurationBuilder, ConnectionBuilder, MarketPlaceBuilder, ParametersBuilder, ProductBuilder
):
    """The builders of this part."""

    @abstractmethod
    def with_id(self, tier_configuration_id: str) -> Any: ...

    @abstractmethod
    def with_status(self, tier_configuration_status: str) -> Any: ...

    @abstractmethod
    def with_tier_level(self, level: int) -> Any: ...

    @abstractmethod
    def with_account(self, account: Union[str, Dict[str, Any]] = "random") -> Any: ...
