"""The async example extension under the real connect-extension-runner: its async def
handler gets the runner's AsyncConnectClient and runs on the worker's event loop."""

import json
from pathlib import Path

import pytest
from purchase_extension.vendor import FakeVendorAPI

from rndi.connect.business_objects import Request
from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
TEMPLATE = "TL-E2E-ASYNC-01"

pytestmark = pytest.mark.e2e


def purchase(number):
    request = json.loads(FIXTURE.read_text())
    request["id"] = f"PR-9100-0000-0000-{number:03d}"
    request["asset"]["id"] = f"AS-9100-0000-{number:04d}"
    return request


@pytest.fixture(scope="module")
def stack(async_extension_path, tls, tmp_path_factory):
    context, bundle = tls
    cache_dir = tmp_path_factory.mktemp("async-cache")
    with ConnectAPI(ssl_context=context) as connect, FakeVendorAPI() as vendor, \
            FakeEaaS({"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
                      "VENDOR_API_KEY": "e2e-key", "CACHE_DRIVER": "sqlite",
                      "CACHE_DIR": str(cache_dir)}, secure_variables=["VENDOR_API_KEY"]) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=async_extension_path,
                                 deadline=240, environment={
                                     "BACKGROUND_TASK_MAX_EXECUTION_TIME": "60"})
        runner.start()
        try:
            eaas.wait_ready(timeout=90)
            yield connect, vendor, eaas, runner
        finally:
            code = runner.stop()
            output = runner.output
            runner.close()
            assert runner.timed_out is False, output
            assert code == 0, output


def deliver_until_done(connect, eaas, request_id, limit=8):
    results = []
    for _ in range(limit):
        results.append(eaas.deliver(EVENT, request_id, timeout=90)["result"])
        if connect.request(request_id)["status"] != "pending":
            break
    return results


def test_the_handler_is_declared_to_the_runner(stack):
    _, _, eaas, _ = stack
    setup = eaas.setup_requests["background"]
    assert EVENT in json.dumps(setup["event_subscriptions"])


def test_purchase_is_approved_through_the_async_client(stack):
    connect, vendor, eaas, runner = stack
    request = connect.add_request(purchase(1))
    assert deliver_until_done(connect, eaas, request["id"]) == [
        "reschedule", "reschedule", "success"], runner.output
    final = connect.request(request["id"])
    assert final["status"] == "approved"
    subscription = Request(final).asset().param("CAT_SUBSCRIPTION_ID", "value")
    assert [s["external_id"] for s in vendor.subscriptions.values()].count(
        request["asset"]["id"]) == 1
    (approve,) = connect.calls_to("POST", f"requests/{request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}
    # the runner's async client made the calls: httpx, with the runner's task headers
    assert approve.headers["User-Agent"].startswith("connect-extension-runner")
    assert "python-httpx" not in approve.headers["User-Agent"]
    assert f"{request['id']} Ordered vendor subscription {subscription}" in runner.output


def test_many_purchases_at_once_each_create_one_subscription(stack):
    connect, vendor, eaas, runner = stack
    ids = [connect.add_request(purchase(number))["id"] for number in range(10, 30)]
    outputs = dict(eaas.deliver_many(EVENT, ids, timeout=120))
    assert {output["result"] for output in outputs.values()} == {"reschedule"}, runner.output
    externals = [s["external_id"] for s in vendor.subscriptions.values()]
    for number in range(10, 30):
        assert externals.count(f"AS-9100-0000-{number:04d}") == 1


def test_offline_purchase_is_approved_without_a_vendor_call(stack):
    connect, vendor, eaas, runner = stack
    request = purchase(2)
    Request(request).asset().with_configuration_param(
        "offline_mode_list", [request["asset"]["id"]])
    connect.add_request(request)
    before = len(vendor.calls)
    assert deliver_until_done(connect, eaas, request["id"]) == ["success"], runner.output
    assert len(vendor.calls) == before
    (approve,) = connect.calls_to("POST", f"requests/{request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}


def test_vendor_refusal_comes_back_as_the_compensation_result(stack):
    connect, vendor, eaas, runner = stack
    request = connect.add_request(purchase(3))
    vendor.reject_reason = "Product MPN-CAT-IMG is discontinued"
    try:
        output = eaas.deliver(EVENT, request["id"], timeout=90)
    finally:
        vendor.reject_reason = None
    assert output["result"] == "fail", runner.output
    assert "discontinued" in (output.get("message") or "")
    assert connect.request(request["id"])["status"] == "failed"


def test_a_draft_is_validated_by_the_async_handler_on_the_interactive_worker(stack):
    _, vendor, eaas, runner = stack
    draft = purchase(40)
    draft["status"] = "draft"
    offered = vendor.order_types
    vendor.order_types = {"ASC"}
    try:
        validated = eaas.validate("asset_purchase_request_validation", draft, timeout=90)
    finally:
        vendor.order_types = offered
    assert Request(validated).asset().param("ORDER_TYPE", "value_error") == (
        "The vendor does not offer the order type RANDOM."), runner.output


def test_the_async_reconciliation_runs_when_its_schedule_fires(stack):
    connect, vendor, eaas, runner = stack
    request = purchase(41)
    request["asset"]["tiers"]["customer"]["id"] = "TA-E2E-ASYNC-RECONCILE"
    connect.add_request(request)
    assert eaas.deliver(EVENT, request["id"], timeout=90)["result"] == "reschedule"
    del vendor.customers["TA-E2E-ASYNC-RECONCILE"]
    output = eaas.trigger(connect.add_schedule("reconcile_vendor_customers"), timeout=90)
    assert output["result"] == "success", runner.output
    assert "checked, 1 no longer known to the vendor removed." in output["message"]
