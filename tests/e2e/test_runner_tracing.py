"""The example extension under the real connect-extension-runner, traced: its config
names the otlp driver and a collector stand-in, and the spans of a purchase's three
deliveries (in the runner's worker process) arrive there, in one trace. Then that runner,
past its deadline, is ended with its workers (one runner start serves both)."""

import json
from pathlib import Path

import pytest

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner
from rndi.telemetry.adapters.azure import generate_trace_id
from tests.rndi.telemetry.collector import Collector

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
REQUEST_ID = "PR-9100-0000-0000-001"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def traced(installed_extension, tls, tmp_path_factory):
    """The collector, and the runner of the traced extension, ready."""
    from purchase_extension.vendor import FakeVendorAPI

    context, bundle = tls
    request = json.loads(FIXTURE.read_text())
    request["id"] = REQUEST_ID
    with Collector() as collector, ConnectAPI([request], ssl_context=context) as connect, \
            FakeVendorAPI() as vendor, FakeEaaS({
                "ACTIVATION_TEMPLATE": "TL-TRACE", "VENDOR_API_URL": vendor.url,
                "VENDOR_API_KEY": "trace-key", "CACHE_DRIVER": "sqlite",
                "CACHE_DIR": str(tmp_path_factory.mktemp("traced-cache")),
                "TELEMETRY_DRIVER": "otlp", "TELEMETRY_SERVICE_NAME": "purchase-extension",
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url},
                secure_variables=["VENDOR_API_KEY"]) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(installed_extension)],
                                 deadline=240, environment={
                                     "BACKGROUND_TASK_MAX_EXECUTION_TIME": "60",
                                     "OTEL_BSP_SCHEDULE_DELAY": "100"})
        runner.start()
        try:
            eaas.wait_ready(timeout=90)
            yield collector, eaas, runner
        finally:
            runner.close()


def test_the_spans_of_a_purchase_under_the_runner_reach_the_collector(traced):
    collector, eaas, runner = traced
    results = [eaas.deliver(EVENT, REQUEST_ID, timeout=90)["result"] for _ in range(3)]
    spans = collector.wait_for(lambda spans: sum(
        span["name"] == "process PurchaseSaga" for span in spans) == 3)

    assert results == ["reschedule", "reschedule", "success"], runner.output
    deliveries = [span for span in spans if span["name"] == "process PurchaseSaga"]
    assert {span["trace_id"] for span in spans} == {f"{generate_trace_id(REQUEST_ID):032x}"}
    assert [d["attributes"]["rndi.response.status"] for d in deliveries] == \
        ["reschedule", "reschedule", "success"]
    assert [d["attributes"]["rndi.transaction.selected"] for d in deliveries] == \
        ["Create subscription", "Wait for provisioning", "Approve request"]
    assert deliveries[0]["attributes"]["request_id"] == REQUEST_ID
    assert deliveries[0]["resource"]["service.name"] == "purchase-extension"
    names = {span["name"] for span in spans}
    assert {"lease", "journal step order-subscription", "connect approve_asset_request"} <= names
    # what the masking rule hides never reaches a span
    assert "trace-key" not in json.dumps(spans)


# it ends the module's runner: the last of the module
def test_a_runner_past_its_deadline_is_ended_with_its_workers(traced):
    _, _, runner = traced
    assert len(runner.live_processes()) >= 3  # the master and both workers
    runner.end_in(0.5)  # counted from readiness, so start-up time cannot race it
    runner.process.wait(120)
    assert runner.timed_out is True
    assert runner.process.returncode == -9
    assert runner.wait_ended(120) is True  # the workers die just after the master
    assert runner.live_processes() == []
