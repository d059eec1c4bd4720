"""Spans at the edges: a step that fails, a lease that cannot be taken or goes on
without the cache, a driver that cannot start for a whole process, instrumentation
whose package is missing."""

import logging
import sys

import pytest
from connect.eaas.core.responses import BackgroundResponse
from opentelemetry.trace import StatusCode

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from rndi.telemetry import _spans
from rndi.telemetry.instrumentors import instrument_pgsql, instrument_requests
from tests.rndi.telemetry.conftest import named, tree
from tests.rndi.telemetry.test_spans import made


class Order(BackgroundTransaction):
    def __init__(self, journal):
        self.journal = journal

    def name(self):
        return "Order"

    def should_execute(self, request):
        return True

    def execute(self, request):
        def vendor():
            raise ConnectionError("vendor unreachable")

        self.journal.once("order", vendor)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class OrderSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Order]


def test_a_step_that_fails_is_an_error_span_that_ran(api, cache, observer, exporter):
    request = {"id": "PR-5", "type": "purchase"}

    response = made(OrderSaga, api.client(), request, cache, observer).resolve(request)

    spans = exporter.get_finished_spans()
    step = named(spans, "journal step order")
    assert response.status == "reschedule"
    assert step.attributes["rndi.journal.outcome"] == "ran"
    assert step.status.status_code is StatusCode.ERROR
    assert step.events[0].attributes["exception.type"] == "builtins.ConnectionError"
    compensated = named(spans, "transaction Order").attributes
    assert compensated["rndi.transaction.compensated"] == "ConnectionError"


def test_a_lease_that_cannot_be_named_is_an_error_span(api, cache, observer, exporter):
    with pytest.raises(ValueError, match="needs the request's 'id'"):
        made(OrderSaga, api.client(), {"type": "purchase"}, cache, observer).resolve(
            {"type": "purchase"})

    spans = exporter.get_finished_spans()
    assert tree(spans) == "process OrderSaga\n  lease"
    assert named(spans, "lease").status.status_code is StatusCode.ERROR


def test_a_lease_going_on_without_the_cache_says_it_proceeded(
        api, tmp_path, observer, exporter):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    broken = SQLiteCacheAdapter(str(blocker / "cache"))
    request = {"id": "PR-6", "type": "purchase"}
    config = {"LEASE_ON_CACHE_FAILURE": "proceed"}

    made(OrderSaga, api.client(), request, broken, observer, config).resolve(request)

    assert named(exporter.get_finished_spans(), "lease").attributes[
        "rndi.lease.decision"] == "proceeded"


def test_a_configured_driver_that_cannot_start_is_reported_once_per_process(
        api, cache, caplog):
    request = {"id": "PR-7", "type": "purchase"}
    config = {"TELEMETRY_DRIVER": "zipkin"}
    try:
        answers = [made(OrderSaga, api.client(), request, cache, None, config)
                   .resolve(request).status for _ in range(3)]
    finally:
        _spans._observers.clear()

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert answers == ["reschedule"] * 3
    assert errors == ["PR-7 Unknown telemetry driver 'zipkin' (TELEMETRY_DRIVER); available: "
                      "insights, none, otlp. Tracing is off."]  # on the request's logger


@pytest.mark.parametrize(("instrument", "module", "package"), [
    (instrument_requests, "opentelemetry.instrumentation.requests",
     "opentelemetry-instrumentation-requests"),
    (instrument_pgsql, "opentelemetry.instrumentation.psycopg2",
     "opentelemetry-instrumentation-psycopg2"),
])
def test_an_instrumentation_without_its_package_says_what_to_install(
        monkeypatch, instrument, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # what an absent package imports as

    with pytest.raises(ModuleNotFoundError, match=f"{module} is not installed: pip install "
                                                  f"{package}"):
        instrument()


def test_an_instrumentation_names_the_library_it_misses(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    monkeypatch.delitem(sys.modules, "opentelemetry.instrumentation.psycopg2", raising=False)

    with pytest.raises(ModuleNotFoundError, match="psycopg2 is not installed"):
        instrument_pgsql()
