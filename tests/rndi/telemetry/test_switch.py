"""Tracing is switched on by configuration, costs no import when off, and never breaks a
delivery: a fault of its own is logged once and the work goes on untraced."""

import copy
import logging
import subprocess
import sys
import textwrap

import pytest
from connect.client import ClientError
from opentelemetry.trace import StatusCode

from rndi.connect.api_facades import ConnectOpenAPIFacade
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.telemetry import _spans
from rndi.telemetry.adapters.azure import generate_trace_id
from rndi.telemetry.adapters.null import NoneObserverAdapter
from tests.conftest import PR
from tests.rndi.telemetry.collector import Collector
from tests.rndi.telemetry.conftest import named, tree
from tests.rndi.telemetry.test_spans import CONFIG, AsyncPurchaseSaga, PurchaseSaga, made

LOGGER = logging.getLogger("tests.telemetry")


def test_a_telemetry_driver_in_the_config_traces_every_delivery_through_one_observer(
        api, asset_purchase, cache):
    with Collector() as collector:
        config = {**CONFIG, "TELEMETRY_DRIVER": "otlp", "TELEMETRY_SERVICE_NAME": "purchases",
                  "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url}
        try:
            for _ in range(2):  # two deliveries of one copy of the request
                delivered = copy.deepcopy(asset_purchase)
                saga = made(PurchaseSaga, api.client(), delivered, cache, None, config)
                saga.resolve(delivered)
            [observer] = _spans._observers.values()
            observer.tracer_provider.force_flush()
            # the second delivery of the same copy is answered done by the lease alone
            spans = collector.wait_for(lambda spans: len(spans) == 5 + 2)
        finally:
            for observer in _spans._observers.values():
                observer.tracer_provider.shutdown()
            _spans._observers.clear()

    deliveries = [span for span in spans if span["name"] == "process PurchaseSaga"]
    leases = [span for span in spans if span["name"] == "lease"]
    assert [lease["attributes"]["rndi.lease.decision"] for lease in leases] == \
        ["held", "repeated"]
    assert [lease["parent_span_id"] for lease in leases] == \
        [delivery["span_id"] for delivery in deliveries]
    assert {span["trace_id"] for span in spans} == {f"{generate_trace_id(PR):032x}"}
    assert deliveries[1]["attributes"]["rndi.response.status"] == "success"
    assert deliveries[0]["resource"]["service.name"] == "purchases"


def test_telemetry_off_imports_no_opentelemetry():
    program = textwrap.dedent("""
        import logging, sys
        from connect.eaas.core.responses import BackgroundResponse
        from rndi.connect.business_transactions import BackgroundTransaction
        from rndi.connect.devops_fulfillment_framework import RequestLease, Saga

        class Done(BackgroundTransaction):
            def name(self): return "Done"
            def should_execute(self, request): return True
            def execute(self, request): return BackgroundResponse.done()
            def compensate(self, request, e): raise e

        class S(Saga):
            def middlewares(self, request): return [RequestLease]
            def transactions(self, request): return [Done()]

        config = {"TELEMETRY_DRIVER": "none", "CACHE_DRIVER": "none"}
        request = {"id": "PR-1", "type": "purchase", "status": "pending"}
        print(S.make(config, None, logging.getLogger(), request).resolve(request).status)
        print(sorted(name for name in sys.modules if name.startswith("opentelemetry")))
    """)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split("\n")

    assert out[:2] == ["success", "[]"]


def test_an_observer_that_records_nothing_traces_nothing(api, asset_purchase, cache, caplog):
    saga = made(PurchaseSaga, api.client(), asset_purchase, cache, NoneObserverAdapter())

    assert saga.resolve(asset_purchase).status == "success"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


class Failing:
    """A tracer that fails at every span."""

    def start_span(self, *args, **kwargs):
        raise RuntimeError("the tracer broke")


class FailingObserver:
    tracer = Failing()


def test_a_failing_tracer_never_breaks_a_delivery_and_is_logged_once(
        api, asset_purchase, cache, caplog):
    deliveries = [copy.deepcopy(asset_purchase) for _ in range(2)]
    answers = [made(PurchaseSaga, api.client(), delivered, cache, FailingObserver())
               .resolve(delivered).status for delivered in deliveries]

    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert answers == ["success", "success"]
    assert lines == ["Tracing could not open the span of a delivery (RuntimeError); the work "
                     "goes on untraced, and this fault is not reported again."]


@pytest.mark.anyio
async def test_a_failing_tracer_never_breaks_an_async_delivery(
        api, asset_purchase, cache, caplog):
    saga = made(AsyncPurchaseSaga, api.async_client(), asset_purchase, cache,
                FailingObserver())

    assert (await saga.aresolve(asset_purchase)).status == "success"


def test_an_extensions_own_span_is_the_parent_of_the_delivery(
        api, asset_purchase, cache, observer, exporter):
    saga = made(PurchaseSaga, api.client(), asset_purchase, cache, observer)

    with observer.trace("handler", {"id": "PR-OUTER"}):
        saga.resolve(asset_purchase)

    spans = exporter.get_finished_spans()
    assert tree(spans).splitlines()[:2] == ["handler", "  process PurchaseSaga"]
    assert {span.context.trace_id for span in spans} == {generate_trace_id("PR-OUTER")}


class Lookup(BackgroundTransaction, ConnectOpenAPIFacade):
    """Calls Connect about what it does not have: handled by on_error, or raised."""

    def __init__(self, client):
        super().__init__(client)

    def should_execute(self, request):
        return True

    def execute(self, request):
        from connect.eaas.core.responses import BackgroundResponse

        failed = self.fail_asset_request("PR-MISSING", "gone", on_error=lambda error: None)
        return BackgroundResponse.done() if failed is None else BackgroundResponse.fail()

    def compensate(self, request, e):
        raise e


class AsyncLookup(Lookup):
    async def execute(self, request):
        await self.afind_asset("AS-MISSING")


def test_a_connect_error_handled_by_on_error_is_recorded_on_its_call(
        api, asset_purchase, cache, observer, exporter):
    class LookupSaga(PurchaseSaga):
        def transactions(self, request):
            return [Lookup]

    response = made(LookupSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    call = named(exporter.get_finished_spans(), "connect fail_asset_request")
    assert response.status == "success"
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes["http.response.status_code"] == 404


@pytest.mark.anyio
async def test_a_connect_error_of_an_async_call_is_recorded_and_raised(
        api, asset_purchase, cache, observer, exporter):
    class LookupSaga(PurchaseSaga):
        def transactions(self, request):
            return [AsyncLookup]

    saga = made(LookupSaga, api.async_client(), asset_purchase, cache, observer)
    with pytest.raises(ClientError):
        await saga.aresolve(asset_purchase)

    spans = exporter.get_finished_spans()
    for name in ("connect find_asset", "transaction AsyncLookup", "process LookupSaga"):
        assert named(spans, name).status.status_code is StatusCode.ERROR
