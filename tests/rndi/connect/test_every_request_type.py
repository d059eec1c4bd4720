"""Every request type Connect sends is known wherever the library reasons about types:
the logger's request binding, the offline rules, check's sample requests and the
sandbox's approvals."""

import logging

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.facade import ConnectOpenAPIFacade
from rndi.connect.business_objects import request_model
from rndi.connect.business_objects.request_types import (
    ASSET_REQUEST_TYPES,
    TIER_CONFIG_REQUEST_TYPES,
)
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.devops_fulfillment_framework.wiring import sample_request, sample_requests
from rndi.connect.devops_logger_adapter.adapter import bind_logger
from rndi.connect.request_offline_criteria.rules import (
    match_request_type,
    match_request_types,
)
from rndi.connect.testing import ConnectAPI

ASSET_TYPES = [("asset", kind) for kind in ASSET_REQUEST_TYPES]
TIER_CONFIG_TYPES = [("tier-config", kind) for kind in TIER_CONFIG_REQUEST_TYPES]
EVERY_TYPE = ASSET_TYPES + TIER_CONFIG_TYPES
# what approving each type makes of the asset, as Connect does
ASSET_STATUS_AFTER_APPROVAL = {"purchase": "active", "change": "active", "suspend": "suspended",
                               "resume": "active", "cancel": "terminated",
                               "adjustment": "active", "renew": "active",
                               "transfer": "active"}


def sample(model, kind):
    request = (sample_request(request_type=kind) if (model, kind) != ("tier-config",
                                                                       "adjustment")
               else sample_requests()[-1])
    assert (request_model(request), request["type"]) == (model, kind)
    return request


def test_sample_requests_hold_one_request_of_each_type_with_its_own_id():
    requests = sample_requests("draft")
    assert [(request_model(r), r["type"]) for r in requests] == EVERY_TYPE
    assert len({r["id"] for r in requests}) == len(requests)
    assert {r["status"] for r in requests} == {"draft"}
    assert sample_request() == requests[0] | {"status": "pending"}


def test_sample_request_refuses_a_type_connect_does_not_send():
    with pytest.raises(ValueError, match=r"got 'renewal'; asset types: purchase, .*renew, "
                                         r"transfer; tier-config types: setup"):
        sample_request(request_type="renewal")


@pytest.mark.parametrize(("model", "kind"), EVERY_TYPE)
def test_the_logger_binds_the_ids_of_every_type(model, kind):
    request = sample(model, kind)
    fields = bind_logger(logging.getLogger("tests.types"), request).extra
    assert (fields["request_id"], fields["request_type"]) == (request["id"], kind)
    if model == "asset":
        assert (fields["asset_id"], fields["tier_id"]) == ("AS-0000-0000-0000",
                                                          "TA-0000-0000-0000")
    else:
        assert (fields["tier_config_id"], fields["tier_id"]) == ("TC-0000-0000-0000",
                                                                "TA-0000-0000-0000")


@pytest.mark.parametrize(("model", "kind"), EVERY_TYPE)
def test_only_asset_cancels_and_suspends_match_the_default_offline_type_rule(model, kind):
    expected = model == "asset" and kind in ("cancel", "suspend")
    assert match_request_type(sample(model, kind)) is expected


def test_match_request_types_makes_a_rule_for_the_types_given():
    rule = match_request_types("cancel", "suspend", "renew")
    matched = [r["type"] for r in sample_requests() if rule(r)]
    assert matched == ["suspend", "cancel", "renew"]
    assert rule.__name__ == "match_request_types('cancel', 'suspend', 'renew')"


@pytest.mark.parametrize("types", [("renewal",), ("renew", "setup"), ()])
def test_match_request_types_refuses_what_connect_does_not_send_for_an_asset(types):
    with pytest.raises(ValueError, match=r"takes asset request types, got .*; Connect sends "
                                         r"purchase, change, .*renew, transfer\."):
        match_request_types(*types)


@pytest.mark.parametrize("kind", ASSET_REQUEST_TYPES)
def test_the_sandbox_approves_each_asset_type_as_connect_does(kind):
    request = sample("asset", kind)
    request["asset"]["status"] = "processing" if kind == "purchase" else "active"
    with ConnectAPI([request]) as connect:
        approved = ConnectOpenAPIFacade(connect.client()).approve_asset_request(
            request["id"], "TL-1")
        assert approved.status() == "approved"
        assert connect.request(request["id"])["asset"]["status"] == (
            ASSET_STATUS_AFTER_APPROVAL[kind])


@pytest.mark.parametrize("index", range(len(TIER_CONFIG_REQUEST_TYPES)))
def test_the_sandbox_approves_each_tier_config_type_as_connect_does(index):
    request = sample_requests()[len(ASSET_REQUEST_TYPES) + index]
    request["configuration"]["status"] = "processing"
    with ConnectAPI([request]) as connect:
        facade = ConnectOpenAPIFacade(connect.client())
        assert facade.approve_tier_configuration_request(request["id"], "TL-1").status() == (
            "approved")
        assert connect.request(request["id"])["configuration"]["status"] == "active"


def test_failing_a_request_leaves_its_asset_as_it_was():
    request = sample("asset", "cancel")
    request["asset"]["status"] = "active"
    with ConnectAPI([request]) as connect:
        ConnectOpenAPIFacade(connect.client()).fail_asset_request(request["id"], "No.")
        final = connect.request(request["id"])
        assert (final["status"], final["asset"]["status"]) == ("failed", "active")


class Step(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e


class Renewal(Step):
    def __init__(self, renewal_service):
        self.renewal_service = renewal_service


class Purchase(Step):
    def __init__(self, logger):
        self.logger = logger


class ByTypeSaga(Saga):
    def transactions(self, request):
        return [Renewal] if request["type"] == "renew" else [Purchase]


def test_check_on_every_sample_finds_what_only_one_type_needs():
    assert ByTypeSaga.check({}) == []  # the default sample is a purchase
    (problem,) = ByTypeSaga.check({}, sample_requests())
    assert (problem.kind, problem.name) == ("missing", "renewal_service")
