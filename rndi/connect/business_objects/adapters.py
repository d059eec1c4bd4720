"""Readers and fluent builders over Connect requests, assets and tier configurations."""

from datetime import datetime
from typing import Any, Dict, List, Optional, Union, cast

from rndi.connect.business_objects.contracts import (
    AssetBuilder,
    AssetSource,
    RequestBuilder,
    RequestSource,
    TierConfigurationBuilder,
    TierConfigurationSource,
)
from rndi.connect.business_objects.exceptions import MissingItemError, MissingItemParameterError
from rndi.connect.business_objects.helpers import (  # noqa: F401 - make_param as published
    find_by_id,
    make_param,
    make_tier,
    merge,
    request_model,
)
from rndi.connect.business_objects.mixin import (
    HasConfiguration,
    HasConnection,
    HasContract,
    HasEvents,
    HasMarketplace,
    HasParameters,
    HasProduct,
    HasReadWriteOperations,
    field_of,
    list_member,
    param_fields,
    upsert_param,
)

Account = Union[str, Dict[str, Any]]
RANDOM = "random"


def _account(current: Any, account: Account, tier_type: str) -> Dict[str, Any]:
    """The account a tier builder sets: ``"random"`` is a placeholder account, another
    string an account with that id alone (replacing the old one), a dict is merged in."""
    if isinstance(account, str):
        return make_tier(tier_type) if account == RANDOM else {"id": account}
    if not isinstance(account, dict):
        raise ValueError(f"An account is an id, 'random' or a dict, got {type(account).__name__}.")
    return merge(current if isinstance(current, dict) else {}, account)


def _iso(value: Optional[str]) -> Optional[datetime]:
    return None if value is None else datetime.fromisoformat(value)


class Asset(HasConfiguration, HasConnection, HasContract, HasMarketplace, HasParameters,
            HasProduct, HasReadWriteOperations, AssetSource, AssetBuilder):
    """An asset (subscription): params, items, tiers, product, connection, marketplace."""

    _repr_keyword = "asset"

    def __init__(self, asset: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(asset)

    def id(self) -> Optional[str]:
        return self._data.get("id")

    def with_id(self, asset_id: str) -> "Asset":
        return self._scalar("id", asset_id)

    def status(self) -> Optional[str]:
        return self._data.get("status")

    def with_status(self, asset_status: str) -> "Asset":
        return self._scalar("status", asset_status)

    def external_id(self) -> Optional[str]:
        return self._data.get("external_id")

    def with_external_id(self, asset_external_id: str) -> "Asset":
        return self._scalar("external_id", asset_external_id)

    def external_uid(self) -> Optional[str]:
        return self._data.get("external_uid")

    def with_external_uid(self, asset_external_uid: str) -> "Asset":
        return self._scalar("external_uid", asset_external_uid)

    # tiers -------------------------------------------------------------------------------

    def tier(self, tier_name: str, key: Optional[str] = None, default: Any = None) -> Any:
        """A tier account (``customer``, ``tier1``, ``tier2``; ``None`` when absent), or its
        field ``key``."""
        tiers = self._data.get("tiers")
        return field_of(tiers.get(tier_name) if isinstance(tiers, dict) else None, key, default)

    def with_tier(self, tier_name: str, tier: Account) -> "Asset":
        """Set a tier: ``"random"`` for a placeholder account, an id for an account with
        that id alone, or a dict merged into the current account."""
        data = self._writable()
        if not isinstance(data.get("tiers"), dict):
            data["tiers"] = {}
        tier_type = "customer" if tier_name == "customer" else "reseller"
        data["tiers"][tier_name] = _account(data["tiers"].get(tier_name), tier, tier_type)
        return self

    def tier_customer(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("customer", key, default)

    def with_tier_customer(self, customer: Account) -> "Asset":
        return self.with_tier("customer", customer)

    def tier_tier1(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("tier1", key, default)

    def with_tier_tier1(self, tier1: Account) -> "Asset":
        return self.with_tier("tier1", tier1)

    def tier_tier2(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("tier2", key, default)

    def with_tier_tier2(self, tier2: Account) -> "Asset":
        return self.with_tier("tier2", tier2)

    # items -------------------------------------------------------------------------------

    def items(self) -> List[Dict[str, Any]]:
        return list_member(self._data, "items")

    def item(self, item_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        """An item, or its field ``key``.

        Raises:
            MissingItemError: the asset has no item ``item_id``.
        """
        item = find_by_id(self.items(), item_id)
        if item is None:
            raise MissingItemError(f"Missing item {item_id} in {self._named()}.", item_id)
        return item if key is None else item.get(key, default)

    def with_items(self, items: List[Dict[str, Any]]) -> "Asset":
        """Apply ``with_item(**i)`` for each ``i`` (``{"item_id": ..., "item_mpn": ...}``)."""
        for item in items:
            self.with_item(**item)
        return self

    def with_item(self, item_id: str, item_mpn: str, quantity: str = "1",
                  old_quantity: Optional[str] = None, item_type: Optional[str] = None,
                  period: Optional[str] = None, unit: Optional[str] = None,
                  display_name: Optional[str] = None, global_id: Optional[str] = None,
                  params: Optional[List[Dict[str, Any]]] = None) -> "Asset":
        """Add an item or update it. Its parameters become ``params`` (none if not given)."""
        data = self._writable()
        items = self.items()
        data["items"] = items
        item = find_by_id(items, item_id)
        if item is None:
            item = {"id": item_id}
            items.append(item)
        given: Dict[str, Any] = {
            "global_id": global_id, "display_name": display_name, "mpn": item_mpn,
            "quantity": quantity, "old_quantity": old_quantity, "params": [],
            "item_type": item_type, "period": period, "type": unit}
        item.update({k: v for k, v in given.items() if v is not None})
        return self.with_item_params(item_id, params or [])

    def item_params(self, item_id: str) -> List[Dict[str, Any]]:
        """The item's parameters.

        Raises:
            MissingItemError: the asset has no item ``item_id``.
        """
        params = self.item(item_id, "params", [])
        return params if isinstance(params, list) else []

    def item_param(self, item_id: str, param_id: str, key: Optional[str] = None,
                   default: Any = None) -> Any:
        """An item's parameter, or its field ``key``.

        Raises:
            MissingItemError: no such item, or no such parameter on it (then the error is
                also a ``MissingParameterError``).
        """
        param = find_by_id(self.item_params(item_id), param_id)
        if param is None:
            raise MissingItemParameterError(
                f"Missing parameter {param_id} in item {item_id} of {self._named()}.",
                item_id, param_id)
        return param if key is None else param.get(key, default)

    def with_item_params(self, item_id: str, params: List[Dict[str, Any]]) -> "Asset":
        for param in params:
            self.with_item_param(item_id=item_id, **param)
        return self

    def with_item_param(self, item_id: str, param_id: str, value: Any = None,
                        value_type: Optional[str] = None, title: Optional[str] = None,
                        description: Optional[str] = None, scope: Optional[str] = None,
                        phase: Optional[str] = None) -> "Asset":
        """Set an item parameter (a new one has scope ``item``, phase ``configuration``).

        Raises:
            MissingItemError: the asset has no item ``item_id``.
        """
        item = self.item(item_id)
        params = list_member(item, "params")
        item["params"] = params
        given, full = param_fields(param_id, value, None, value_type, title, description,
                                   scope, phase)
        full["scope"] = scope or "item"
        full["phase"] = phase or "configuration"
        upsert_param(params, param_id, given, full)
        return self


class TierConfiguration(HasConfiguration, HasConnection, HasMarketplace, HasParameters,
                        HasProduct, HasReadWriteOperations, TierConfigurationSource,
                        TierConfigurationBuilder):
    """A tier configuration: its account, tier level, product, params."""

    _repr_keyword = "tier_config"

    def __init__(self, tier_config: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(tier_config)

    def id(self) -> Optional[str]:
        return self._data.get("id")

    def with_id(self, tier_configuration_id: str) -> "TierConfiguration":
        return self._scalar("id", tier_configuration_id)

    def status(self) -> Optional[str]:
        return self._data.get("status")

    def with_status(self, tier_configuration_status: str) -> "TierConfiguration":
        return self._scalar("status", tier_configuration_status)

    def account(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("account", key, default)

    def with_account(self, account: Account = RANDOM) -> "TierConfiguration":
        """Set the tier account: ``"random"`` (the default) for a placeholder account, an
        id for an account with that id alone, or a dict merged into the current one."""
        return self._scalar("account", _account(self._data.get("account"), account,
                                                "reseller"))

    def tier_level(self) -> Optional[int]:
        return self._data.get("tier_level")

    def with_tier_level(self, level: int) -> "TierConfiguration":
        return self._scalar("tier_level", level)


def _member_data(member: Any, view: type, builder: str) -> Dict[str, Any]:
    """The dict a ``with_*`` builder stores: the view's data, or the dict given."""
    if isinstance(member, view):
        data: Dict[str, Any] = cast(Any, member).raw()  # the view's type is a variable
        return data
    if isinstance(member, dict):
        return member
    raise TypeError(f"{builder}() takes a {view.__name__} or a dict, "
                    f"got a {type(member).__name__}.")

class Request(HasContract, HasEvents, HasMarketplace, HasParameters, HasReadWriteOperations,
              RequestSource, RequestBuilder):
    """A fulfillment request: an asset request or a tier-config request."""

    _repr_keyword = "request"

    def __init__(self, request: Union[Dict[str, Any], "Request", None] = None) -> None:
        # another Request is a view of the same dict, as the facades take either form
        super().__init__(request.raw() if isinstance(request, Request) else request)

    def request_model(self) -> str:
        """``'asset'``, ``'tier-config'`` or ``'undefined'``."""
        return request_model(self._data)

    def is_asset_request(self) -> bool:
        return self.request_model() == "asset"

    def is_tier_config_request(self) -> bool:
        return self.request_model() == "tier-config"

    def id(self) -> Optional[str]:
        return self._data.get("id")

    def with_id(self, request_id: str) -> "Request":
        return self._scalar("id", request_id)

    def type(self) -> Optional[str]:
        return self._data.get("type")

    def with_type(self, request_type: str) -> "Request":
        return self._scalar("type", request_type)

    def status(self) -> Optional[str]:
        return self._data.get("status")

    def with_status(self, request_status: str) -> "Request":
        return self._scalar("status", request_status)

    def created(self) -> Optional[datetime]:
        return _iso(self._data.get("created"))

    def with_created(self, created: datetime) -> "Request":
        return self._scalar("created", created.isoformat())

    def updated(self) -> Optional[datetime]:
        return _iso(self._data.get("updated"))

    def with_updated(self, updated: datetime) -> "Request":
        return self._scalar("updated", updated.isoformat())

    def note(self) -> Optional[str]:
        return self._data.get("note")

    def with_note(self, note: str) -> "Request":
        return self._scalar("note", note)

    def reason(self) -> Optional[str]:
        return self._data.get("reason")

    def with_reason(self, reason: str) -> "Request":
        return self._scalar("reason", reason)

    def assignee(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("assignee", key, default)

    def with_assignee(self, assignee_id: str, assignee_name: str,
                      assignee_email: str) -> "Request":
        return self._merge_member("assignee", {"id": assignee_id, "name": assignee_name,
                                               "email": assignee_email})

    def asset(self) -> Asset:
        """The request's asset, as a live view (builders on it change this request)."""
        return Asset.member_of(self._data, "asset")

    def with_asset(self, asset: Union[Asset, Dict[str, Any]]) -> "Request":
        """Set the request's asset, from an ``Asset`` or its dict.

        Raises:
            TypeError: ``asset`` is neither.
        """
        return self._scalar("asset", _member_data(asset, Asset, "with_asset"))

    def tier_configuration(self) -> TierConfiguration:
        """The request's tier configuration, as a live view."""
        return TierConfiguration.member_of(self._data, "configuration")

    def with_tier_configuration(
            self, configuration: Union[TierConfiguration, Dict[str, Any]]) -> "Request":
        """Set the request's tier configuration, from a ``TierConfiguration`` or its dict.

        Raises:
            TypeError: ``configuration`` is neither.
        """
        return self._scalar("configuration", _member_data(
            configuration, TierConfiguration, "with_tier_configuration"))
