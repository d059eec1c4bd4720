"""Small functions over Connect JSON: find by id, deep merge, build a parameter."""

import copy
from typing import Any, Dict, List, Optional

ASSET_REQUEST_TYPES = frozenset({"adjustment", "purchase", "change", "suspend", "resume", "cancel"})
TIER_CONFIG_REQUEST_TYPES = frozenset({"setup", "update", "adjustment"})


def find_by_id(elements: Optional[List[Dict[str, Any]]], element_id: str,
               default: Any = None) -> Any:
    """The first dict of ``elements`` whose ``id`` is ``element_id``, else ``default``."""
    for element in elements or ():
        if isinstance(element, dict) and element.get("id") == element_id:
            return element
    return default


def merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    """A deep merge of ``override`` into a copy of ``base``: nested dicts merge, the rest
    (lists included) is replaced."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def make_param(param_id: str, value: Any = None, value_error: Optional[str] = None,
               value_type: str = "text") -> Dict[str, Any]:
    """A Connect parameter dict; dict and list values go to ``structured_value``."""
    param: Dict[str, Any] = {"id": param_id, "name": param_id, "type": value_type}
    if isinstance(value, (dict, list)):
        param["structured_value"] = value
    elif value is not None:
        param["value"] = value
    if value_error is not None:
        param["value_error"] = value_error
    return param


def request_model(request: Dict[str, Any]) -> str:
    """``'asset'``, ``'tier-config'`` or ``'undefined'``.

    An ``adjustment`` exists for both models: the object the request carries decides.
    """
    request_type = request.get("type")
    if request_type == "adjustment":
        if "asset" in request:
            return "asset"
        if "configuration" in request:
            return "tier-config"
        return "undefined"
    if request_type in ASSET_REQUEST_TYPES:
        return "asset"
    if request_type in TIER_CONFIG_REQUEST_TYPES:
        return "tier-config"
    return "undefined"
