"""The example extension under the real connect-extension-runner, with its start-up
validation on (the stand-ins answer what it asks) and traced: its config names the otlp
driver and a collector stand-in, where the spans of a purchase's three deliveries (in the
runner's worker process) arrive, in one trace. At the end, the runner is ended at its
deadline, with its workers.

A fake EaaS websocket server hands the runner tasks; the runner fetches each request
from the Connect API stand-in over HTTPS and calls the extension, whose saga calls the
API back (parameter updates, approve, fail) and the fake vendor. Draft validations go to
the interactive worker with the request in the task; the nightly reconciliation runs when
its schedule fires.
"""

import copy
import json
from pathlib import Path

import pytest
from purchase_extension.vendor import FakeVendorAPI

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_objects import Request
from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS, UndeclaredTask
from rndi.connect.testing.runner import ExtensionRunner
from rndi.telemetry.adapters.azure import generate_trace_id
from tests.e2e.conftest import extension_project
from tests.rndi.telemetry.collector import Collector

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
TEMPLATE = "TL-E2E-000-001"

pytestmark = pytest.mark.e2e


def purchase(number):
    request = json.loads(FIXTURE.read_text())
    request["id"] = f"PR-9000-0000-0000-{number:03d}"
    request["asset"]["id"] = f"AS-9000-0000-{number:04d}"
    return request


@pytest.fixture(scope="module")
def collector():
    """The OTLP collector stand-in the runner's extension sends its spans to."""
    with Collector() as collector:
        yield collector


@pytest.fixture(scope="module")
def stack(installed_extension, tls, tmp_path_factory, collector):
    """The runner of the example extension, validated at start-up and traced to a
    collector stand-in; the module's last test ends it at its deadline (a graceful stop
    is test_async_runner.py's)."""
    context, bundle = tls
    cache_dir = tmp_path_factory.mktemp("cache")
    with ConnectAPI(ssl_context=context) as connect, FakeVendorAPI() as vendor, \
            FakeEaaS({"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
                      "VENDOR_API_KEY": "e2e-key", "CACHE_DRIVER": "sqlite",
                      "CACHE_DIR": str(cache_dir), "TELEMETRY_DRIVER": "otlp",
                      "TELEMETRY_SERVICE_NAME": "purchase-extension",
                      "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url},
                     secure_variables=["VENDOR_API_KEY"]) as eaas:
        # with the start-up validation on, as in production
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(installed_extension)],
                                 deadline=240, environment={
                                     "BACKGROUND_TASK_MAX_EXECUTION_TIME": "60",
                                     "OTEL_BSP_SCHEDULE_DELAY": "100"},
                                 validate=True, project_dir=extension_project(
                                     tmp_path_factory.mktemp("validated") / "project"))
        runner.start()
        try:
            runner.wait_ready(timeout=120)
            yield connect, vendor, eaas, runner
        finally:
            runner.close()


def deliver_until_done(connect, eaas, request_id, limit=8):
    results = []
    for _ in range(limit):
        output = eaas.deliver(EVENT, request_id, timeout=90)
        results.append(output["result"])
        if connect.request(request_id)["status"] != "pending":
            break
    return results


# the module's first delivery: the collector holds this purchase's spans and no others
def test_the_spans_of_a_purchase_under_the_runner_reach_the_collector(stack, collector):
    connect, _, eaas, runner = stack
    assert collector.spans == [], "the first delivery of the module traces first"
    request_id = connect.add_request(purchase(20))["id"]
    results = [eaas.deliver(EVENT, request_id, timeout=90)["result"] for _ in range(3)]
    spans = collector.wait_for(lambda spans: sum(
        span["name"] == "process PurchaseSaga" for span in spans) == 3)

    assert results == ["reschedule", "reschedule", "success"], runner.output
    deliveries = [span for span in spans if span["name"] == "process PurchaseSaga"]
    assert {span["trace_id"] for span in spans} == {f"{generate_trace_id(request_id):032x}"}
    assert [d["attributes"]["rndi.response.status"] for d in deliveries] == \
        ["reschedule", "reschedule", "success"]
    assert [d["attributes"]["rndi.transaction.selected"] for d in deliveries] == \
        ["Create subscription", "Wait for provisioning", "Approve request"]
    assert deliveries[0]["attributes"]["request_id"] == request_id
    assert deliveries[0]["resource"]["service.name"] == "purchase-extension"
    names = {span["name"] for span in spans}
    assert {"lease", "journal step order-subscription", "connect approve_asset_request"} <= names
    # what the masking rule hides never reaches a span
    assert "e2e-key" not in json.dumps(spans)


def test_the_runner_validated_the_project_against_the_stand_ins_first(stack):
    connect, _, _, runner = stack
    assert {"GET accounts", "GET devops/event-definitions"} <= set(connect.api_calls())
    assert [call.path for call in runner.pypi.calls] == [
        "/pypi/connect-extension-runner/json"]
    assert runner.pypi.refused == []  # nothing else was asked of the internet


def test_runner_sent_setup_and_subscribes_to_the_purchase_event(stack):
    _, _, eaas, _ = stack
    setup = eaas.setup_requests["background"]
    assert EVENT in json.dumps(setup["event_subscriptions"])


def test_purchase_is_rescheduled_until_it_is_approved(stack):
    connect, vendor, eaas, runner = stack
    request = connect.add_request(purchase(1))
    results = deliver_until_done(connect, eaas, request["id"])
    assert results == ["reschedule", "reschedule", "success"], runner.output
    final = connect.request(request["id"])
    assert final["status"] == "approved"
    subscription = Request(final).asset().param("CAT_SUBSCRIPTION_ID", "value")
    assert subscription in vendor.subscriptions
    (update,) = connect.calls_to("PUT", f"requests/{request['id']}")
    assert update.body == {"asset": {"params": [
        {"id": "CAT_SUBSCRIPTION_ID", "value": subscription}]}}
    (approve,) = connect.calls_to("POST", f"requests/{request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}
    assert approve.headers["Authorization"] == "ApiKey SU-000-000-000:local"
    # the runner itself counted and fetched the request before each delivery
    gets = connect.calls_to("GET", f"requests/{request['id']}")
    assert len(gets) == 3
    # the saga's logger is bound to the request, under the runner's own logger too
    assert f"{request['id']} Ordered vendor subscription {subscription}" in runner.output


def test_offline_purchase_is_approved_without_a_vendor_call(stack):
    connect, vendor, eaas, runner = stack
    request = purchase(2)
    Request(request).asset().with_configuration_param(
        "offline_mode_list", [request["asset"]["id"]])
    connect.add_request(request)
    vendor_calls_before = len(vendor.calls)
    assert deliver_until_done(connect, eaas, request["id"]) == ["success"], runner.output
    assert len(vendor.calls) == vendor_calls_before
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
    (fail,) = connect.calls_to("POST", f"requests/{request['id']}/fail")
    assert "discontinued" in fail.body["reason"]
    assert connect.request(request["id"])["status"] == "failed"


def test_a_request_no_longer_pending_is_skipped_by_the_runner(stack):
    connect, _, eaas, _ = stack
    request = copy.deepcopy(purchase(4))
    request["status"] = "approved"
    connect.add_request(request)
    assert eaas.deliver(EVENT, request["id"], timeout=90)["result"] == "skip"


VALIDATION = "asset_purchase_request_validation"


def draft(number, order_type):
    request = purchase(number)
    request["status"] = "draft"
    Request(request).asset().with_param("ORDER_TYPE", order_type)
    return request


def test_a_draft_is_validated_by_the_interactive_worker_against_the_vendor(stack):
    connect, vendor, eaas, runner = stack
    assert VALIDATION in eaas.setup_requests["interactive"]["event_subscriptions"]
    offered = vendor.order_types
    vendor.order_types = {"ASC", "DESC"}
    try:
        refused = eaas.validate(VALIDATION, draft(10, "RANDOM"), timeout=90)
        accepted = eaas.validate(VALIDATION, draft(11, "DESC"), timeout=90)
    finally:
        vendor.order_types = offered
    param = Request(refused).asset().param("ORDER_TYPE")
    assert (refused["id"], param["value"], param["value_error"]) == (
        "PR-9000-0000-0000-010", "RANDOM", "The vendor does not offer the order type RANDOM.")
    assert Request(accepted).asset().param("ORDER_TYPE", "value_error") == ""
    assert "GET /order-types/RANDOM" in [f"{c.method} {c.path}" for c in vendor.calls]
    # the draft travelled in the task: the runner fetched nothing from Connect for it
    assert connect.calls_to("GET", "requests/PR-9000-0000-0000-010") == []
    assert "PR-9000-0000-0000-010 Order type refused" in runner.output


def test_the_nightly_reconciliation_runs_when_its_schedule_fires(stack):
    connect, vendor, eaas, runner = stack
    request = purchase(12)
    request["asset"]["tiers"]["customer"]["id"] = "TA-E2E-RECONCILE"
    connect.add_request(request)
    # the order is placed (the customer cached) and the purchase waits for provisioning
    assert eaas.deliver(EVENT, request["id"], timeout=90)["result"] == "reschedule"
    cache = SQLiteCacheAdapter({v["name"]: v["value"] for v in eaas.variables}["CACHE_DIR"])
    assert cache.get("vendor-customer:TA-E2E-RECONCILE") is not None
    del vendor.customers["TA-E2E-RECONCILE"]  # the vendor removed that customer

    output = eaas.trigger(connect.add_schedule("reconcile_vendor_customers"), timeout=90)
    assert output["result"] == "success", runner.output
    assert "checked, 1 no longer known to the vendor removed." in output["message"]
    assert cache.get("vendor-customer:TA-E2E-RECONCILE") is None


def test_a_task_the_extension_does_not_handle_is_refused_before_it_is_sent(stack):
    _, _, eaas, _ = stack
    with pytest.raises(UndeclaredTask, match="declares no event 'asset_change_request_"):
        eaas.deliver("asset_change_request_processing", "PR-9000-0000-0000-013")
    with pytest.raises(UndeclaredTask, match="declares no schedulable 'nightly'"):
        eaas.trigger({"id": "EFS-1", "method": "nightly"})


# it ends the module's runner: the last of the module
def test_a_runner_past_its_deadline_is_ended_with_its_workers(stack):
    *_, runner = stack
    assert len(runner.live_processes()) >= 3  # the master and both workers
    runner.end_in(0.5)  # counted from readiness, so start-up time cannot race it
    runner.process.wait(120)
    assert runner.timed_out is True
    assert runner.process.returncode == -9
    assert runner.wait_ended(120) is True  # the workers die just after the master
    assert runner.live_processes() == []
