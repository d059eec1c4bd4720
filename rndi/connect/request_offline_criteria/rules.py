"""Offline-mode rules: each tells whether a request belongs to a subscription that lives
outside the vendor system (typically during a migration).

The offline list is read from the ``offline_mode`` parameter (of the request or its
asset) and from the ``offline_mode_list`` asset configuration parameter (set per
marketplace). A list is a ``structured_value`` list, or text with the ids separated by
commas, semicolons, spaces or new lines.
"""

import re
from typing import Any, Dict, List, Optional, Set

from rndi.connect.business_objects.helpers import find_by_id

PARAM_OFFLINE_MODE = "offline_mode"
PARAM_OFFLINE_MODE_LIST = "offline_mode_list"

OFFLINE_REQUEST_TYPES = frozenset({"cancel", "suspend"})

_SEPARATORS = re.compile(r"[\s,;]+")


def _ids(param: Optional[Dict[str, Any]]) -> Set[str]:
    if not param:
        return set()
    structured = param.get("structured_value")
    if isinstance(structured, (list, tuple)):
        return {str(item).strip() for item in structured if item}
    if isinstance(structured, dict):  # {"AS-...": true} checkbox-like lists
        return {str(key).strip() for key, on in structured.items() if on}
    value = param.get("value")
    if isinstance(value, str):
        return {item for item in _SEPARATORS.split(value) if item}
    return set()


def _asset(request: dict) -> Dict[str, Any]:
    asset = request.get("asset")
    return asset if isinstance(asset, dict) else {}


def _params(owner: Dict[str, Any]) -> List[Dict[str, Any]]:
    params = owner.get("params")
    return params if isinstance(params, list) else []


def match_request_type(request: dict) -> bool:
    """The request is a cancel or a suspend: the only ones handled offline."""
    return request.get("type") in OFFLINE_REQUEST_TYPES


def match_offline_asset_parameter(request: dict) -> bool:
    """The asset id is listed in the ``offline_mode`` param of the request or its asset."""
    asset = _asset(request)
    asset_id = asset.get("id")
    if not asset_id:
        return False
    listed = _ids(find_by_id(_params(request), PARAM_OFFLINE_MODE)) | _ids(
        find_by_id(_params(asset), PARAM_OFFLINE_MODE))
    return asset_id in listed


def match_offline_marketplace_parameter(request: dict) -> bool:
    """The asset id is in the ``offline_mode_list`` asset configuration parameter."""
    asset = _asset(request)
    asset_id = asset.get("id")
    configuration = asset.get("configuration")
    if not asset_id or not isinstance(configuration, dict):
        return False
    return asset_id in _ids(find_by_id(_params(configuration), PARAM_OFFLINE_MODE_LIST))


def composited_match_offline_asset_and_marketplace_parameter(request: dict) -> bool:
    """Either the asset parameter or the marketplace configuration list lists the asset."""
    return match_offline_asset_parameter(request) or match_offline_marketplace_parameter(request)
