"""Offline mode: handle requests of subscriptions that live outside the vendor system."""

from rndi.connect.request_offline_criteria.adapters import (
    DefaultOnMatchTransaction,
    OfflineCriteria,
)
from rndi.connect.request_offline_criteria.contracts import OfflineChecker, Rule
from rndi.connect.request_offline_criteria.rules import (
    PARAM_OFFLINE_MODE,
    PARAM_OFFLINE_MODE_LIST,
    composited_match_offline_asset_and_marketplace_parameter,
    match_offline_asset_parameter,
    match_offline_marketplace_parameter,
    match_request_type,
)

__all__ = [
    "PARAM_OFFLINE_MODE",
    "PARAM_OFFLINE_MODE_LIST",
    "DefaultOnMatchTransaction",
    "OfflineChecker",
    "OfflineCriteria",
    "Rule",
    "composited_match_offline_asset_and_marketplace_parameter",
    "match_offline_asset_parameter",
    "match_offline_marketplace_parameter",
    "match_request_type",
]
