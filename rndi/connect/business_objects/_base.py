"""What every business object shares: the wrapped dict, members, parameters."""

import copy
import secrets
from typing import Any, Dict, List, Optional, TypeVar

from rndi.connect.business_objects.exceptions import MissingParameterError
from rndi.connect.business_objects.helpers import find_by_id, make_param

Self = TypeVar("Self", bound="BusinessObject")



def random_id(prefix: str, groups: int = 3, digits: int = 4) -> str:
    """A Connect-shaped id (``PR-1234-5678-9012``) for callers who ask for placeholders."""
    return "-".join([prefix] + [
        "".join(secrets.choice("0123456789") for _ in range(digits)) for _ in range(groups)])


def set_param(params: List[Dict[str, Any]], param_id: str, value: Any, value_error: Any,
              value_type: str, create: bool, owner: str) -> None:
    """Update (or append) one parameter in a Connect ``params`` list."""
    found = find_by_id(params, param_id)
    if found is None:
        if not create:
            raise MissingParameterError(
                f"{owner} has no parameter {param_id!r}; pass create=True to add it.", param_id)
        params.append(make_param(param_id, value, value_error, value_type))
        return
    update = make_param(param_id, value, value_error, value_type)
    for key in ("value", "structured_value", "value_error"):
        if key in update:
            found[key] = update[key]


def pick(found: Optional[Dict[str, Any]], key: Optional[str], default: Any) -> Any:
    """``found`` itself, or its member ``key``; ``default`` when either is missing."""
    if found is None:
        return default
    return found if key is None else found.get(key, default)


def reference(object_id: str, name: Optional[str] = None, **members: Any) -> Dict[str, Any]:
    """A ``{"id": ..., "name": ...}`` reference to a related Connect object."""
    built: Dict[str, Any] = {"id": object_id, **members}
    if name is not None:
        built["name"] = name
    return built


class BusinessObject:
    """A thin, mutable view over a Connect JSON object.

    Args:
        data: the dict to wrap (kept, not copied: builders change it in place).

    Raises:
        ValueError: ``data`` is not a dict.
    """

    _params_key = "params"

    def __init__(self, data: Optional[Dict[str, Any]] = None) -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ValueError(f"{type(self).__name__} wraps a dict, got {type(data).__name__}: "
                             f"{data!r}.")
        self._data = data

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._data.get('id')!r})"

    def raw(self, deep_copy: bool = False) -> Dict[str, Any]:
        """The wrapped dict (a deep copy when asked)."""
        return copy.deepcopy(self._data) if deep_copy else self._data

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level member."""
        return self._data.get(key, default)

    def with_member(self: Self, key: str, value: Any) -> Self:
        self._data[key] = value
        return self

    def without_member(self: Self, key: str) -> Self:
        self._data.pop(key, None)
        return self

    def _object(self, key: str) -> Dict[str, Any]:
        member = self._data.get(key)
        return member if isinstance(member, dict) else {}

    # identity and status ----------------------------------------------------------------

    def id(self) -> Optional[str]:
        return self._data.get("id")

    def with_id(self: Self, object_id: str) -> Self:
        return self.with_member("id", object_id)

    def status(self) -> Optional[str]:
        return self._data.get("status")

    def with_status(self: Self, status: str) -> Self:
        return self.with_member("status", status)

    def events(self) -> Dict[str, Any]:
        return self._object("events")

    def with_events(self: Self, events: Dict[str, Any]) -> Self:
        return self.with_member("events", events)

    # parameters ---------------------------------------------------------------------------

    def params(self) -> List[Dict[str, Any]]:
        params = self._data.get(self._params_key)
        return params if isinstance(params, list) else []

    def param(self, param_id: str, key: Optional[str] = None, default: Any = None) -> Any:
        """A parameter dict, or one of its members with ``key``; ``default`` when absent."""
        return pick(find_by_id(self.params(), param_id), key, default)

    def with_params(self: Self, params: List[Dict[str, Any]]) -> Self:
        return self.with_member(self._params_key, params)

    def with_param(self: Self, param_id: str, value: Any = None, value_error: Any = None,
                   value_type: str = "text", create: bool = True) -> Self:
        """Set a parameter's value (dicts and lists go to ``structured_value``).

        Raises:
            MissingParameterError: the parameter is absent and ``create`` is false.
        """
        params = self._data.setdefault(self._params_key, [])
        set_param(params, param_id, value, value_error, value_type, create, repr(self))
        return self

    def without_param(self: Self, param_id: str) -> Self:
        self._data[self._params_key] = [p for p in self.params() if p.get("id") != param_id]
        return self

    # related objects shared by assets and tier configurations ----------------------------

    def product(self) -> Dict[str, Any]:
        return self._object("product")

    def with_product(self: Self, product_id: str, status: str = "published",
                     name: Optional[str] = None) -> Self:
        return self.with_member("product", reference(product_id, name, status=status))

    def connection(self) -> Dict[str, Any]:
        return self._object("connection")

    def with_connection(self: Self, connection_id: str, connection_type: str = "test",
                        provider: Optional[Dict[str, Any]] = None,
                        vendor: Optional[Dict[str, Any]] = None,
                        hub: Optional[Dict[str, Any]] = None) -> Self:
        connection: Dict[str, Any] = {"id": connection_id, "type": connection_type}
        for key, value in (("provider", provider), ("vendor", vendor), ("hub", hub)):
            if value is not None:
                connection[key] = value
        return self.with_member("connection", connection)

    def marketplace(self) -> Dict[str, Any]:
        return self._object("marketplace")

    def with_marketplace(self: Self, marketplace_id: str, name: Optional[str] = None) -> Self:
        return self.with_member("marketplace", reference(marketplace_id, name))

    def contract(self) -> Dict[str, Any]:
        return self._object("contract")

    def with_contract(self: Self, contract_id: str, name: Optional[str] = None) -> Self:
        return self.with_member("contract", reference(contract_id, name))

    def configuration_params(self) -> List[Dict[str, Any]]:
        params = self._object("configuration").get("params")
        return params if isinstance(params, list) else []

    def configuration_param(self, param_id: str, key: Optional[str] = None,
                            default: Any = None) -> Any:
        """A configuration (marketplace-level) parameter, or one of its members."""
        return pick(find_by_id(self.configuration_params(), param_id), key, default)

    def with_configuration_param(self: Self, param_id: str, value: Any = None,
                                 value_error: Any = None, value_type: str = "text",
                                 create: bool = True) -> Self:
        configuration = self._data.setdefault("configuration", {})
        params = configuration.setdefault("params", [])
        set_param(params, param_id, value, value_error, value_type, create, repr(self))
        return self
