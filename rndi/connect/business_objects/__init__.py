"""Readers and builders over Connect JSON objects."""

from rndi.connect.business_objects.adapters import Asset, Request, TierConfiguration
from rndi.connect.business_objects.exceptions import (
    BusinessObjectError,
    MissingItemError,
    MissingItemParameterError,
    MissingParameterError,
)
from rndi.connect.business_objects.helpers import (
    find_by_id,
    make_param,
    make_tier,
    merge,
    request_model,
)

__all__ = [
    "Asset",
    "BusinessObjectError",
    "MissingItemError",
    "MissingItemParameterError",
    "MissingParameterError",
    "Request",
    "TierConfiguration",
    "find_by_id",
    "make_param",
    "make_tier",
    "merge",
    "request_model",
]
