"""The parts business objects share, one mixin each: members, parameters, product,
connection, marketplace, contract, events and configuration parameters."""

import copy
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple, Type, TypeVar, Union

from rndi.connect.business_objects.exceptions import MissingParameterError
from rndi.connect.business_objects.helpers import find_by_id, make_param, merge

Self = TypeVar("Self", bound="BusinessObject")
SelfParams = TypeVar("SelfParams", bound="HasParameters")
# the mixin types, as the published module names them
THasConfiguration = TypeVar("THasConfiguration", bound="HasConfiguration")
THasConnection = TypeVar("THasConnection", bound="HasConnection")
THasContract = TypeVar("THasContract", bound="HasContract")
THasEvents = TypeVar("THasEvents", bound="HasEvents")
THasMarketplace = TypeVar("THasMarketplace", bound="HasMarketplace")
THasParameters = TypeVar("THasParameters", bound="HasParameters")
THasProduct = TypeVar("THasProduct", bound="HasProduct")
THasReadWriteOperations = TypeVar("THasReadWriteOperations", bound="HasReadWriteOperations")
Value = Union[str, Dict[str, Any], List[Any], None]


def field_of(value: Any, key: Optional[str], default: Any) -> Any:
    """``value`` itself (``None`` stays ``None``), or its field ``key``: ``default`` when
    the field is absent or ``value`` is not a dict."""
    if value is None or key is None:
        return value
    return value.get(key, default) if isinstance(value, dict) else default


class BusinessObject:
    """A view over one Connect JSON object. The dict is kept, not copied: builders change
    it in place, and readers never change it.

    Raises:
        ValueError: ``data`` is not a dict.
    """

    def __init__(self, data: Optional[Dict[str, Any]] = None) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ValueError(f"{type(self).__name__} must be a dictionary (the Connect JSON "
                             f"object), got {type(data).__name__}.")
        self._data = data
        # where a detached view joins on its first write: (owner dict, member key)
        self._owner: Optional[Tuple[Dict[str, Any], str]] = None

    @classmethod
    def member_of(cls: Type[Self], owner: Dict[str, Any], key: str) -> Self:
        """A view of ``owner[key]``. When the member is absent the view starts empty and
        joins ``owner`` on its first write, so reading never adds members."""
        member = owner.get(key)
        if isinstance(member, dict):
            return cls(member)
        view = cls({})
        if member is None:
            view._owner = (owner, key)
        return view

    def _writable(self) -> Dict[str, Any]:
        """The dict to write to, attached to its owner first if it was detached."""
        if self._owner is not None:
            owner, key = self._owner
            self._owner = None
            if owner.get(key) is None:
                owner[key] = self._data
        return self._data

    def _read(self, member: str, key: Optional[str], default: Any) -> Any:
        """A member (``None`` when absent), or its field ``key`` (``default`` when absent)."""
        return field_of(self._data.get(member), key, default)

    def _merge_member(self: Self, member: str, values: Dict[str, Any]) -> Self:
        """Merge ``values`` into the dict member ``member`` in place (created if absent)."""
        data = self._writable()
        current = data.get(member)
        merged = merge(current if isinstance(current, dict) else {}, values)
        if isinstance(current, dict):
            current.clear()
            current.update(merged)
        else:
            data[member] = merged
        return self

    def _scalar(self: Self, member: str, value: Any) -> Self:
        self._writable()[member] = value
        return self

    # the constructor's parameter name, shown in repr() as the published objects show it
    _repr_keyword = "data"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._repr_keyword}={self._data!r})"

    def _named(self) -> str:
        """The object as error messages name it: its type and id, never its data (a
        parameter's value may be a password)."""
        object_id = self._data.get("id")
        shown = object_id if isinstance(object_id, str) and object_id.isprintable() else None
        return f"{type(self).__name__} {shown}" if shown else f"{type(self).__name__} without id"

    def __str__(self) -> str:
        return str(self._data)


def upsert_param(params: List[Dict[str, Any]], param_id: str, given: Dict[str, Any],
                 defaults: Dict[str, Any]) -> Dict[str, Any]:
    """Update the parameter ``param_id`` with the non-``None`` members of ``given``, or
    append it, filled with ``defaults`` too. An existing parameter keeps what the caller
    did not give (its title, description and type stay Connect's own)."""
    param = find_by_id(params, param_id)
    if param is None:
        param = {"id": param_id, **{k: v for k, v in defaults.items() if v is not None}}
        params.append(param)
    param.update({k: v for k, v in given.items() if v is not None})
    return param


def param_fields(param_id: str, value: Value = None, value_error: Optional[str] = None,
                 value_type: Optional[str] = None, title: Optional[str] = None,
                 description: Optional[str] = None, scope: Optional[str] = None,
                 phase: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """What a builder gave for a parameter, and the full parameter for a new one."""
    full = make_param(param_id, value, value_error, value_type, title, description, scope,
                      phase)
    value_key = "structured_value" if "structured_value" in full else "value"
    given = {value_key: value, "value_error": value_error, "type": value_type,
             "title": title, "description": description, "scope": scope, "phase": phase}
    return given, full


def list_member(data: Dict[str, Any], key: str) -> List[Dict[str, Any]]:
    value = data.get(key)
    return value if isinstance(value, list) else []


class HasReadWriteOperations(BusinessObject):
    def get(self, key: Optional[str] = None, default: Any = None) -> Any:
        """A top-level member, ``default`` when absent."""
        return self._data.get(key, default)  # type: ignore[arg-type]

    def with_member(self: Self, key: str, value: Any) -> Self:
        return self._scalar(key, value)

    def without_member(self: Self, key: str) -> Self:
        self._data.pop(key, None)
        return self

    def raw(self, deep_copy: bool = False) -> Dict[str, Any]:
        """The wrapped dict itself, or a deep copy of it."""
        return copy.deepcopy(self._data) if deep_copy else self._data


class HasParameters(BusinessObject):
    def params(self) -> List[Dict[str, Any]]:
        return list_member(self._data, "params")

    def param(self, param_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        """A parameter, or its field ``key`` (``default`` when the field is absent).

        Raises:
            MissingParameterError: there is no parameter ``param_id``.
        """
        return _field(self.params(), param_id, key, default, self._named())

    def with_params(self: Self, params: List[Dict[str, Any]]) -> Self:
        """Apply ``with_param(**p)`` for each ``p`` (``{"param_id": ..., "value": ...}``)."""
        for param in params:
            self.with_param(**param)  # type: ignore[attr-defined]
        return self

    def with_param(self: SelfParams, param_id: str, value: Value = None,
                   value_error: Optional[str] = None, value_type: Optional[str] = None,
                   create: bool = True) -> SelfParams:
        """Set a parameter's value (dicts and lists are its ``structured_value``).

        Raises:
            MissingParameterError: the parameter is absent and ``create`` is false.
        """
        params = self.params()
        if not create and find_by_id(params, param_id) is None:
            raise MissingParameterError(
                f"Missing parameter {param_id} in {self._named()}; pass create=True to add "
                "it.", param_id)
        data = self._writable()
        data["params"] = params
        upsert_param(params, param_id, *param_fields(param_id, value, value_error, value_type))
        return self


def _field(params: List[Dict[str, Any]], param_id: str, key: Optional[str], default: Any,
           owner: str) -> Any:
    param = find_by_id(params, param_id)
    if param is None:
        raise MissingParameterError(f"Missing parameter {param_id} in {owner}.", param_id)
    return param if key is None else param.get(key, default)


class HasConfiguration(BusinessObject):
    """Configuration (marketplace-level) parameters, under ``configuration.params``."""

    def configuration_params(self) -> List[Dict[str, Any]]:
        configuration = self._data.get("configuration")
        return list_member(configuration, "params") if isinstance(configuration, dict) else []

    def configuration_param(self, param_id: str, key: Optional[str] = None,
                            default: Any = None) -> Any:
        """A configuration parameter, or its field ``key``.

        Raises:
            MissingParameterError: there is no configuration parameter ``param_id``.
        """
        return _field(self.configuration_params(), param_id, key, default,
                      f"the configuration of {self._named()}")

    def with_configuration_params(self: Self, params: List[Dict[str, Any]]) -> Self:
        for param in params:
            self.with_configuration_param(**param)  # type: ignore[attr-defined]
        return self

    def with_configuration_param(self: Self, param_id: str, value: Value = None,
                                 value_error: Optional[str] = None,
                                 value_type: Optional[str] = None, title: Optional[str] = None,
                                 description: Optional[str] = None) -> Self:
        data = self._writable()
        if not isinstance(data.get("configuration"), dict):
            data["configuration"] = {}
        configuration = data["configuration"]
        params = list_member(configuration, "params")
        configuration["params"] = params
        upsert_param(params, param_id, *param_fields(
            param_id, value, value_error, value_type, title, description))
        return self


class HasConnection(BusinessObject):
    def connection(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("connection", key, default)

    def _connection_part(self, part: str, key: Optional[str], default: Any) -> Any:
        return field_of(self.connection(part), key, default)

    def connection_provider(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._connection_part("provider", key, default)

    def connection_vendor(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._connection_part("vendor", key, default)

    def connection_hub(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._connection_part("hub", key, default)

    def with_connection(self: Self, connection_id: str, connection_type: str,
                        provider: Optional[Dict[str, Any]] = None,
                        vendor: Optional[Dict[str, Any]] = None,
                        hub: Optional[Dict[str, Any]] = None) -> Self:
        """Set the connection's id and type, and the provider, vendor and hub given as
        ``{"id": ..., "name": ...}``."""
        values: Dict[str, Any] = {"id": connection_id, "type": connection_type}
        for part, given in (("provider", provider), ("vendor", vendor), ("hub", hub)):
            if given is not None:
                values[part] = {"id": given.get("id"), "name": given.get("name")}
        return self._merge_member("connection", values)

    def with_connection_provider(self: Self, provider_id: str,
                                 provider_name: Optional[str] = None) -> Self:
        return self._merge_member("connection", {"provider": {"id": provider_id,
                                                              "name": provider_name}})

    def with_connection_vendor(self: Self, vendor_id: str,
                               vendor_name: Optional[str] = None) -> Self:
        return self._merge_member("connection", {"vendor": {"id": vendor_id,
                                                            "name": vendor_name}})

    def with_connection_hub(self: Self, hub_id: str, hub_name: Optional[str] = None) -> Self:
        return self._merge_member("connection", {"hub": {"id": hub_id, "name": hub_name}})


class HasContract(BusinessObject):
    def contract(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("contract", key, default)

    def with_contract(self: Self, contract_id: str, contract_name: Optional[str] = None) -> Self:
        return self._merge_member("contract", {"id": contract_id, "name": contract_name})


class HasEvents(BusinessObject):
    def events(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("events", key, default)

    def with_events(self: Self, created: datetime, updated: datetime) -> Self:
        return self._merge_member("events", {"created": {"at": created.isoformat()},
                                             "updated": {"at": updated.isoformat()}})


class HasMarketplace(BusinessObject):
    def marketplace(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("marketplace", key, default)

    def with_marketplace(self: Self, marketplace_id: str,
                         marketplace_name: Optional[str] = None) -> Self:
        return self._merge_member("marketplace", {"id": marketplace_id,
                                                  "name": marketplace_name})


class HasProduct(BusinessObject):
    def product(self, key: Optional[str] = None, default: Any = None) -> Any:
        return self._read("product", key, default)

    def with_product(self: Self, product_id: str, product_status: str = "published") -> Self:
        return self._merge_member("product", {"id": product_id, "status": product_status})
