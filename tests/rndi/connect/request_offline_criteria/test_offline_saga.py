"""OfflineCriteria as a saga middleware, approving through a real ConnectClient."""

import logging

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
        raise e


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


def test_offline_approval_failure_reschedules_and_logs(asset_purchase, caplog):
    request = Request(asset_purchase).with_type("cancel").with_status("approved")
    request.asset().with_param("offline_mode", asset_purchase["asset"]["id"])
    request = request.raw()
    with ConnectAPI([request]) as api, caplog.at_level(logging.ERROR, logger="offline"):
        assert run(api, request).status == "reschedule"
    assert "Offline approval" in caplog.text and "REQ_003" in caplog.text


def test_default_on_match_needs_a_template():
    import pytest

    with pytest.raises(ValueError, match="activation template"):
        DefaultOnMatchTransaction("", None, None)
