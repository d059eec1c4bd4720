"""OfflineCriteria as a saga middleware, approving through a real ConnectClient."""

import logging

import pytest
from connect.client import ClientError
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_objects import Request
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.connect.devops_fulfillment_framework.providers import OfflineServiceProvider
from rndi.connect.request_offline_criteria import DefaultOnMatchTransaction, OfflineCriteria
from rndi.connect.testing import ConnectAPI

TEMPLATE = "TL-OFFLINE"
RAN = []


class Provision(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        RAN.append(request["id"])
        return BackgroundResponse.reschedule()

    def compensate(self, request, e):
        return BackgroundResponse.fail(f"compensated: {e}")


class ApproveOfflineProvider(OfflineServiceProvider):
    def provide_on_match(self, activation_template, client, logger):
        return DefaultOnMatchTransaction(activation_template, client, logger)


class OfflineSaga(Saga):
    providers = {**Saga.providers, "offline": ApproveOfflineProvider}

    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return [Provision]


def run(api, request):
    RAN.clear()
    saga = OfflineSaga.make({"ACTIVATION_TEMPLATE": TEMPLATE}, api.client(),
                            logging.getLogger("offline"), request)
    return saga.resolve(request)


def test_offline_cancel_is_approved_with_the_template_and_no_transaction_runs(asset_purchase):
    request = Request(asset_purchase).with_type("cancel")
    request.asset().with_param("offline_mode", asset_purchase["asset"]["id"])
    request = request.raw()
    with ConnectAPI([request]) as api:
        response = run(api, request)
        assert response.status == "success"
        assert RAN == []
        (approve,) = api.calls_to("POST", f"requests/{request['id']}/approve")
        assert approve.body == {"template_id": TEMPLATE}
        assert api.request(request["id"])["status"] == "approved"


def test_normal_request_runs_its_transaction(asset_purchase):
    with ConnectAPI([asset_purchase]) as api:
        assert run(api, asset_purchase).status == "reschedule"
        assert [asset_purchase["id"]] == RAN
        assert api.calls == []


def test_offline_approval_failure_raises_out_of_the_saga(asset_purchase, caplog):
    request = Request(asset_purchase).with_type("cancel").with_status("approved")
    request.asset().with_param("offline_mode", asset_purchase["asset"]["id"])
    request = request.raw()
    # as on_match the error is not swallowed: no transaction ran to compensate it
    with ConnectAPI([request]) as api, caplog.at_level(logging.INFO, logger="offline"), \
            pytest.raises(ClientError, match="REQ_003"):
        run(api, request)
    assert RAN == []
    assert f"The subscription {asset_purchase['asset']['id']} is in offline mode." in (
        caplog.text)


def test_default_on_match_as_a_transaction_compensates_by_rescheduling(asset_purchase,
                                                                       caplog):
    asset_purchase["status"] = "approved"
    with ConnectAPI([asset_purchase]) as api, caplog.at_level(logging.ERROR, "offline"):
        on_match = DefaultOnMatchTransaction(TEMPLATE, api.client(),
                                             logging.getLogger("offline"))
        error = None
        try:
            on_match(asset_purchase)
        except Exception as raised:
            error = raised
        assert error is not None and "REQ_003" in str(error)
        assert on_match.compensate(asset_purchase, error).status == "reschedule"
    assert "Offline approval" in caplog.text and "REQ_003" in caplog.text


def test_default_on_match_needs_a_template():

    with pytest.raises(ValueError, match="activation template"):
        DefaultOnMatchTransaction("", None, None)


def test_default_on_match_masks_the_configurations_and_the_requests_secrets(asset_purchase,
                                                                           caplog):
    secret, password = "sk-live-0123456789", "ReqSecret99"
    config = {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_KEY": secret}
    asset_purchase["asset"]["params"].append(
        {"id": "vendor_password", "type": "password", "value": password})
    logger = logging.getLogger("offline")
    # built by a saga's container, as an on_match binding or a listed transaction is
    on_match = OfflineSaga.make(config, None, logger).container.get(DefaultOnMatchTransaction)
    assert on_match.config == config
    with caplog.at_level(logging.ERROR, "offline"):
        answer = on_match.compensate(asset_purchase, RuntimeError(
            f"Connect said no to key {secret} and password {password}"))
    assert answer.status == "reschedule"
    assert "said no to key ********* and password *********" in caplog.text
    assert secret not in caplog.text and password not in caplog.text
    # made by hand, as published, it takes no configuration and masks what it can
    assert DefaultOnMatchTransaction(TEMPLATE, None, logger).config is None
