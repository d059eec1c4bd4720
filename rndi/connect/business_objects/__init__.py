"""Readers and builders over Connect JSON objects."""

from rndi.connect.business_objects.adapters import Asset, Request, TierConfiguration
from rndi.connect.business_objects.exceptions import (
    BusinessObjectError,
    MissingItemError,
    MissingParameterError,
)
from rndi.connect.business_objects.helpers import find_by_id, make_param, merge, request_model

__all__ = [
    "Asset",
    "BusinessObjectError",
    "MissingItemError",
    "MissingParameterError",
    "Request",
    "TierConfiguration",
    "find_by_id",
    "make_param",
    "merge",
    "request_model",
]
