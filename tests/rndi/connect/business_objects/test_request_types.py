"""The request types come from connect-eaas-core's event types, on either stack."""

import pytest
from connect.eaas.core.enums import EventType

from rndi.connect.business_objects import Request, request_model
from rndi.connect.business_objects.request_types import (
    ASSET_REQUEST_TYPES,
    TIER_CONFIG_REQUEST_TYPES,
    processing_event,
    request_type_of_event,
    request_types_from_events,
)

ASSET_TYPES = ("purchase", "change", "suspend", "resume", "cancel", "adjustment", "renew",
               "transfer")
TIER_CONFIG_TYPES = ("setup", "update", "adjustment")


def test_every_type_connect_sends_is_known_in_the_order_connect_eaas_core_lists_them():
    assert ASSET_REQUEST_TYPES == ASSET_TYPES
    assert TIER_CONFIG_REQUEST_TYPES == TIER_CONFIG_TYPES


def test_each_processing_event_of_connect_eaas_core_names_a_known_type():
    processing = [value for name, value in vars(EventType).items()
                  if name.isupper() and value.endswith("_request_processing")
                  and value.startswith(("asset_", "tier_config_"))]
    assert len(processing) == len(ASSET_TYPES) + len(TIER_CONFIG_TYPES)
    for event_type in processing:
        model, request_type = request_type_of_event(event_type)
        assert processing_event(model, request_type) == event_type


@pytest.mark.parametrize(("event_type", "expected"), [
    ("asset_renew_request_processing", ("asset", "renew")),
    ("asset_transfer_request_validation", ("asset", "transfer")),
    ("tier_config_change_request_processing", ("tier-config", "update")),
    ("tier_config_adjustment_request_processing", ("tier-config", "adjustment")),
    ("scheduled_execution", None),
    ("listing_new_request_processing", None),
    (None, None),
])
def test_an_event_names_its_model_and_request_type(event_type, expected):
    assert request_type_of_event(event_type) == expected


def test_a_new_event_type_of_connect_eaas_core_adds_a_type_without_a_release_here():
    found = request_types_from_events(["asset_purchase_request_processing",
                                       "asset_purchase_request_validation",
                                       "asset_migrate_request_processing",
                                       "tier_config_change_request_processing"])
    assert found == {"asset": ("purchase", "migrate"), "tier-config": ("update",)}


def test_processing_event_refuses_a_type_the_model_does_not_have():
    with pytest.raises(ValueError, match=r"No 'tier-config' request type 'renew'.*renew, "
                                         r"transfer.*setup, update, adjustment"):
        processing_event("tier-config", "renew")
    with pytest.raises(ValueError, match="No 'subscription' request type"):
        processing_event("subscription", "purchase")


@pytest.mark.parametrize("request_type", ASSET_TYPES)
def test_each_asset_type_is_an_asset_request(request_type):
    request = Request().with_type(request_type).with_asset({"id": "AS-1"})
    assert request.request_model() == request_model(request.raw()) == "asset"
    assert request.is_asset_request() and not request.is_tier_config_request()


@pytest.mark.parametrize("request_type", TIER_CONFIG_TYPES)
def test_each_tier_config_type_is_a_tier_config_request(request_type):
    request = {"type": request_type, "configuration": {"id": "TC-1"}}
    assert request_model(request) == "tier-config"
    assert Request(request).is_tier_config_request()


def test_a_type_connect_does_not_send_is_undefined():
    assert request_model({"type": "renewal", "asset": {"id": "AS-1"}}) == "undefined"
