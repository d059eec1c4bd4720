"""Readers and fluent builders over Connect requests, assets and tier configurations."""

from typing import Any, Dict, List, Optional, Union

from rndi.connect.business_objects._base import BusinessObject, pick, random_id, set_param
from rndi.connect.business_objects.exceptions import MissingItemError
from rndi.connect.business_objects.helpers import find_by_id
from rndi.connect.business_objects.helpers import request_model as _request_model

TIERS = ("customer", "tier1", "tier2")


def _unwrap(obj: Union[BusinessObject, Dict[str, Any]]) -> Dict[str, Any]:
    return obj.raw() if isinstance(obj, BusinessObject) else obj


class Asset(BusinessObject):
    """An asset (subscription): params, items, tiers, product, connection, marketplace."""

    def external_id(self) -> Optional[str]:
        return self._data.get("external_id")

    def with_external_id(self, external_id: str) -> "Asset":
        return self.with_member("external_id", external_id)

    def external_uid(self) -> Optional[str]:
        return self._data.get("external_uid")

    def with_external_uid(self, external_uid: str) -> "Asset":
        return self.with_member("external_uid", external_uid)

    # tiers -------------------------------------------------------------------------------

    def tiers(self) -> Dict[str, Any]:
        return self._object("tiers")

    def tier(self, tier_name: str, key: Optional[str] = None, default: Any = None) -> Any:
        """A tier account (``customer``, ``tier1``, ``tier2``), or one of its members."""
        tier = self.tiers().get(tier_name)
        if not isinstance(tier, dict) or not tier:
            return default if key is not None else {}
        return tier if key is None else tier.get(key, default)

    def tier_customer(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("customer", key, default)

    def tier_tier1(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("tier1", key, default)

    def tier_tier2(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.tier("tier2", key, default)

    def with_tier(self, tier_name: str, tier: Union[str, Dict[str, Any]]) -> "Asset":
        """Set a tier from an account dict, or from an id alone."""
        if tier_name not in TIERS:
            raise ValueError(f"Unknown tier {tier_name!r}; expected one of {TIERS}.")
        account = {"id": tier} if isinstance(tier, str) else tier
        self._data.setdefault("tiers", {})[tier_name] = account
        return self

    def with_tier_customer(self, customer: Union[str, Dict[str, Any], None] = None) -> "Asset":
        """Set the customer tier; with no argument, a placeholder account with a random id."""
        return self.with_tier("customer", customer or {"id": random_id("TA"),
                                                       "type": "customer"})

    def with_tier_tier1(self, tier1: Union[str, Dict[str, Any], None] = None) -> "Asset":
        return self.with_tier("tier1", tier1 or {"id": random_id("TA"), "type": "reseller"})

    def with_tier_tier2(self, tier2: Union[str, Dict[str, Any], None] = None) -> "Asset":
        return self.with_tier("tier2", tier2 or {"id": random_id("TA"), "type": "reseller"})

    # items -------------------------------------------------------------------------------

    def items(self) -> List[Dict[str, Any]]:
        items = self._data.get("items")
        return items if isinstance(items, list) else []

    def item(self, item_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        """An item found by ``id`` (or ``global_id``/``mpn``), or one of its members."""
        found = find_by_id(self.items(), item_id) or next(
            (i for i in self.items() if item_id in (i.get("global_id"), i.get("mpn"))), None)
        return pick(found, key, default)

    def with_items(self, items: List[Dict[str, Any]]) -> "Asset":
        return self.with_member("items", items)

    def with_item(self, item_id: str, mpn: Optional[str] = None, quantity: Any = "1",
                  old_quantity: Any = "0", item_type: str = "Reservation",
                  period: str = "Monthly", **members: Any) -> "Asset":
        """Add or replace an item."""
        item = {"id": item_id, "global_id": item_id, "mpn": mpn or item_id,
                "quantity": str(quantity), "old_quantity": str(old_quantity),
                "item_type": item_type, "period": period, **members}
        items = [i for i in self.items() if i.get("id") != item_id]
        items.append(item)
        return self.with_items(items)

    def _require_item(self, item_id: str) -> Dict[str, Any]:
        found = self.item(item_id)
        if found is None:
            raise MissingItemError(f"{self!r} has no item {item_id!r}.", item_id)
        return found

    def item_params(self, item_id: str) -> List[Dict[str, Any]]:
        item = self.item(item_id) or {}
        params = item.get("params")
        return params if isinstance(params, list) else []

    def item_param(self, item_id: str, param_id: str, key: Optional[str] = None,
                   default: Any = None) -> Any:
        return pick(find_by_id(self.item_params(item_id), param_id), key, default)

    def with_item_param(self, item_id: str, param_id: str, value: Any = None,
                        value_error: Any = None, value_type: str = "text",
                        create: bool = True) -> "Asset":
        """Set an item parameter.

        Raises:
            MissingItemError: the asset has no such item.
            MissingParameterError: the parameter is absent and ``create`` is false.
        """
        params = self._require_item(item_id).setdefault("params", [])
        set_param(params, param_id, value, value_error, value_type, create,
                  f"item {item_id!r} of {self!r}")
        return self


class TierConfiguration(BusinessObject):
    """A tier configuration: its account, tier level, product, params."""

    def account(self) -> Dict[str, Any]:
        return self._object("account")

    def with_account(self, account: Union[str, Dict[str, Any], None] = None) -> "TierConfiguration":
        """Set the tier account; with no argument, a placeholder with a random id."""
        if account is None:
            account = {"id": random_id("TA"), "type": "reseller"}
        return self.with_member("account", {"id": account} if isinstance(account, str)
                                else account)

    def tier_level(self) -> Optional[int]:
        return self._data.get("tier_level")

    def with_tier_level(self, level: int) -> "TierConfiguration":
        return self.with_member("tier_level", level)


class Request(BusinessObject):
    """A fulfillment request: an asset request or a tier-config request."""

    def type(self) -> Optional[str]:
        return self._data.get("type")

    def with_type(self, request_type: str) -> "Request":
        return self.with_member("type", request_type)

    def request_model(self) -> str:
        """``'asset'``, ``'tier-config'`` or ``'undefined'``."""
        return _request_model(self._data)

    def is_asset_request(self) -> bool:
        return self.request_model() == "asset"

    def is_tier_config_request(self) -> bool:
        return self.request_model() == "tier-config"

    def reason(self) -> Optional[str]:
        return self._data.get("reason")

    def with_reason(self, reason: str) -> "Request":
        return self.with_member("reason", reason)

    def note(self) -> Optional[str]:
        return self._data.get("note")

    def with_note(self, note: str) -> "Request":
        return self.with_member("note", note)

    def assignee(self) -> Any:
        return self._data.get("assignee")

    def with_assignee(self, assignee: Any) -> "Request":
        return self.with_member("assignee", assignee)

    def asset(self) -> Asset:
        """The request's asset, as a live view: builders on it change this request."""
        return Asset(self._data.setdefault("asset", {}))

    def with_asset(self, asset: Union[Asset, Dict[str, Any]]) -> "Request":
        return self.with_member("asset", _unwrap(asset))

    def tier_configuration(self) -> TierConfiguration:
        """The request's tier configuration, as a live view."""
        return TierConfiguration(self._data.setdefault("configuration", {}))

    def with_tier_configuration(
            self, configuration: Union[TierConfiguration, Dict[str, Any]]) -> "Request":
        return self.with_member("configuration", _unwrap(configuration))

    def marketplace(self) -> Dict[str, Any]:
        """The request's marketplace, else its asset's or tier configuration's."""
        return (self._object("marketplace") or self._object("asset").get("marketplace")
                or self._object("configuration").get("marketplace") or {})

    def product(self) -> Dict[str, Any]:
        return (self._object("asset").get("product")
                or self._object("configuration").get("product") or {})

    def connection(self) -> Dict[str, Any]:
        return (self._object("asset").get("connection")
                or self._object("configuration").get("connection") or {})

    def contract(self) -> Dict[str, Any]:
        return self._object("contract") or self._object("asset").get("contract") or {}

    def _subject(self) -> BusinessObject:
        """The object that holds product and connection: the tier configuration of a
        tier-config request, the asset otherwise."""
        return self.tier_configuration() if self.is_tier_config_request() else self.asset()

    def with_product(self, product_id: str, status: str = "published",
                     name: Optional[str] = None) -> "Request":
        """Set the product where Connect keeps it: on the asset or tier configuration."""
        self._subject().with_product(product_id, status, name)
        return self

    def with_connection(self, connection_id: str, connection_type: str = "test",
                        provider: Optional[Dict[str, Any]] = None,
                        vendor: Optional[Dict[str, Any]] = None,
                        hub: Optional[Dict[str, Any]] = None) -> "Request":
        """Set the connection on the asset or tier configuration."""
        self._subject().with_connection(connection_id, connection_type, provider, vendor, hub)
        return self

    def tier_customer(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self.asset().tier_customer(key, default)

    def with_tier_customer(self, customer: Union[str, Dict[str, Any], None] = None) -> "Request":
        """Set the asset's customer tier (a placeholder account when not given)."""
        self.asset().with_tier_customer(customer)
        return self

    def with_items(self, items: List[Dict[str, Any]]) -> "Request":
        """Set the asset's items."""
        self.asset().with_items(items)
        return self

    def with_item(self, item_id: str, **members: Any) -> "Request":
        """Add or replace one of the asset's items (see ``Asset.with_item``)."""
        self.asset().with_item(item_id, **members)
        return self

    def items(self) -> List[Dict[str, Any]]:
        return self.asset().items()

    def item(self, item_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        return self.asset().item(item_id, key, default)

    def item_params(self, item_id: str) -> List[Dict[str, Any]]:
        return self.asset().item_params(item_id)

    def configuration_params(self) -> List[Dict[str, Any]]:
        owner = self.asset() if self.is_asset_request() else self.tier_configuration()
        return owner.configuration_params()

    def asset_param(self, param_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        """A parameter of the request's asset (where asset requests keep theirs)."""
        return self.asset().param(param_id, key, default)

    def with_asset_param(self, param_id: str, value: Any = None, value_error: Any = None,
                         value_type: str = "text", create: bool = True) -> "Request":
        self.asset().with_param(param_id, value, value_error, value_type, create)
        return self
