"""Offline-mode rules: each tells whether a request belongs to a subscription that lives
outside the vendor system (typically during a migration).

Two places list offline assets, read as the published rules read them:

- the ``offline_mode`` parameter of the request or of its asset: offline when its
  ``value`` is the asset id itself (the whole text, not a list inside it);
- the ``offline_mode_list`` asset configuration parameter (set per marketplace): offline
  when its ``structured_value`` holds the asset id (an item of a list, a key of an
  object, or a part of a text). Any other shape lists nothing.
"""

from typing import Any, Dict, List, Optional

from rndi.connect.business_objects.adapters import Request  # noqa: F401 - published name
from rndi.connect.business_objects.exceptions import (  # noqa: F401 - published name
    MissingParameterError,
)
from rndi.connect.business_objects.helpers import find_by_id
from rndi.connect.business_objects.request_types import ASSET_REQUEST_TYPES
from rndi.connect.request_offline_criteria.contracts import Rule

PARAM_OFFLINE_MODE = "offline_mode"
PARAM_OFFLINE_MODE_LIST = "offline_mode_list"

# Offline assets live outside the vendor system: there is nothing there to cancel or
# suspend. Every other asset type (purchase, change, resume, adjustment, renew, transfer)
# goes to the vendor, as it did with the published rules; ``match_request_types`` makes a
# rule for another choice.
OFFLINE_REQUEST_TYPES = frozenset({"cancel", "suspend"})


def _names(param: Optional[Dict[str, Any]], asset_id: str) -> bool:
    """The ``offline_mode`` parameter's value is the asset id."""
    return param is not None and param.get("value") == asset_id


def _holds(param: Optional[Dict[str, Any]], asset_id: str) -> bool:
    """The ``offline_mode_list`` parameter's structured value holds the asset id."""
    listed = (param or {}).get("structured_value")
    if isinstance(listed, str):
        return asset_id in listed
    if isinstance(listed, (list, tuple, dict)):
        return asset_id in listed
    return False  # absent or null: nothing is listed (the published rule raised here)


def _asset(request: dict) -> Dict[str, Any]:
    asset = request.get("asset")
    return asset if isinstance(asset, dict) else {}


def _params(owner: Dict[str, Any]) -> List[Dict[str, Any]]:
    params = owner.get("params")
    return params if isinstance(params, list) else []


def match_request_type(request: dict) -> bool:
    """The request is a cancel or a suspend: the only ones handled offline."""
    return request.get("type") in OFFLINE_REQUEST_TYPES


def match_request_types(*request_types: str) -> Rule:
    """A rule like ``match_request_type`` for the asset request types given
    (``match_request_types("cancel", "suspend", "renew")``).

    Raises:
        ValueError: no type, or one Connect does not send for an asset (the message
            lists the types it does).
    """
    unknown = [name for name in request_types if name not in ASSET_REQUEST_TYPES]
    if unknown or not request_types:
        raise ValueError(f"match_request_types() takes asset request types, got "
                         f"{', '.join(map(repr, unknown)) or 'none'}; Connect sends "
                         f"{', '.join(ASSET_REQUEST_TYPES)}.")
    chosen = frozenset(request_types)

    def match(request: dict) -> bool:
        return request.get("type") in chosen

    match.__name__ = f"match_request_types({', '.join(map(repr, request_types))})"
    return match


def match_offline_asset_parameter(request: dict) -> bool:
    """The ``offline_mode`` param of the request or of its asset has the asset id as its
    value."""
    asset = _asset(request)
    asset_id = asset.get("id")
    if not asset_id:
        return False
    return (_names(find_by_id(_params(request), PARAM_OFFLINE_MODE), asset_id)
            or _names(find_by_id(_params(asset), PARAM_OFFLINE_MODE), asset_id))


def match_offline_marketplace_parameter(request: dict) -> bool:
    """The ``offline_mode_list`` asset configuration parameter's structured value holds
    the asset id."""
    asset = _asset(request)
    asset_id = asset.get("id")
    configuration = asset.get("configuration")
    if not asset_id or not isinstance(configuration, dict):
        return False
    return _holds(find_by_id(_params(configuration), PARAM_OFFLINE_MODE_LIST), asset_id)


def composited_match_offline_asset_and_marketplace_parameter(request: dict) -> bool:
    """Either the asset parameter or the marketplace configuration list lists the asset."""
    return match_offline_asset_parameter(request) or match_offline_marketplace_parameter(request)
