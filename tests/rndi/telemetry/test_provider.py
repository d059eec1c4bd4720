"""provide_telemetry_observer: the drivers, their fallbacks, and the observer contract."""

import logging

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from rndi.telemetry import BUILTIN_DRIVERS, Observer, provide_telemetry_observer
from rndi.telemetry._otel import GuardedExporter, OpenTelemetryObserver, quiet_after_first
from rndi.telemetry.adapters.azure import (
    DevOpsExtensionAzureInsightsObserverAdapter,
    generate_trace_id,
    provide_azure_insights_observer_telemetry_adapter,
)
from rndi.telemetry.adapters.null import DummySpan, NoneObserverAdapter
from rndi.telemetry.adapters.otlp import provide_otlp_observer_telemetry_adapter
from rndi.telemetry.instrumentors import instrument_requests
from tests.rndi.telemetry.collector import Collector

LOGGER = logging.getLogger("tests.telemetry.provider")
CONNECTION = "InstrumentationKey=not-a-uuid-but-secret;IngestionEndpoint=http://127.0.0.1:9"


def errors(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_no_driver_is_the_none_observer_whose_spans_are_none(caplog):
    observer = provide_telemetry_observer({"TELEMETRY_SERVICE_NAME": "x"}, LOGGER)

    with observer.trace("work", {"id": "PR-1"}) as span, DummySpan() as dummy:
        assert span is None and dummy is None
    assert isinstance(observer, NoneObserverAdapter)
    assert errors(caplog) == []
    assert sorted(BUILTIN_DRIVERS) == ["insights", "none", "otlp"]


def test_an_unknown_driver_is_the_none_observer_and_an_error_naming_it(caplog):
    observer = provide_telemetry_observer({"TELEMETRY_DRIVER": "jaeger"}, LOGGER)

    assert isinstance(observer, NoneObserverAdapter)
    assert errors(caplog) == ["Unknown telemetry driver 'jaeger' (TELEMETRY_DRIVER); "
                              "available: insights, none, otlp. Tracing is off."]


def test_a_failing_driver_is_the_none_observer_and_an_error_without_the_secret(caplog):
    config = {"TELEMETRY_DRIVER": "insights", "INSIGHTS_CONNECTION_STRING": CONNECTION}

    def failing(config):
        raise RuntimeError(f"cannot parse {config['INSIGHTS_CONNECTION_STRING']}")

    observer = provide_telemetry_observer(config, LOGGER, {"insights": failing})

    assert isinstance(observer, NoneObserverAdapter)
    [line] = errors(caplog)
    assert line.startswith("Telemetry driver 'insights' failed to start: RuntimeError: ")
    assert "not-a-uuid" not in line


def test_insights_without_a_connection_string_says_what_to_set(caplog):
    observer = provide_telemetry_observer({"TELEMETRY_DRIVER": "insights"}, LOGGER)

    assert isinstance(observer, NoneObserverAdapter)
    assert "INSIGHTS_CONNECTION_STRING" in errors(caplog)[0]


def test_drivers_taking_no_one_or_two_arguments_are_called_so():
    seen = []

    def none_of_them():
        seen.append(())
        return NoneObserverAdapter()

    def config_only(config):
        seen.append((config["TELEMETRY_DRIVER"],))
        return NoneObserverAdapter()

    def both(config, instrumentation):
        seen.append((config["TELEMETRY_DRIVER"], instrumentation))
        return NoneObserverAdapter()

    drivers = {"a": none_of_them, "b": config_only, "c": both}
    for name in drivers:
        provide_telemetry_observer({"TELEMETRY_DRIVER": name}, LOGGER, drivers, ["i"])

    assert seen == [(), ("b",), ("c", ["i"])]


def test_a_driver_answering_no_observer_is_refused(caplog):
    observer = provide_telemetry_observer({"TELEMETRY_DRIVER": "x"}, LOGGER, {"x": lambda: 42})

    assert isinstance(observer, NoneObserverAdapter)
    assert "answered a int, not an Observer" in errors(caplog)[0]


def test_the_configuration_must_be_a_mapping():
    with pytest.raises(TypeError, match="configuration mapping, got a list"):
        provide_telemetry_observer([], LOGGER)


def test_the_insights_driver_exports_through_the_exporter_it_is_given():
    exporter = InMemorySpanExporter()
    ran = []
    observer = provide_azure_insights_observer_telemetry_adapter(
        {"TELEMETRY_SERVICE_NAME": "my-connector", "TELEMETRY_SERVICE_VERSION": "1.2",
         "INSIGHTS_CONNECTION_STRING": CONNECTION}, [lambda: ran.append(True)], exporter)

    with observer.trace("asset.process.purchase", {"id": "PR-1", "type": "purchase"}):
        pass
    observer.tracer_provider.force_flush()

    [span] = exporter.get_finished_spans()
    assert isinstance(observer, DevOpsExtensionAzureInsightsObserverAdapter)
    assert observer.connection_string == CONNECTION
    assert ran == [True]
    assert span.context.trace_id == generate_trace_id("PR-1")
    assert span.resource.attributes["service.name"] == "my-connector"
    assert span.resource.attributes["service.version"] == "1.2"


def test_the_otlp_driver_sends_to_the_collector_the_configuration_names():
    with Collector() as collector:
        observer = provide_telemetry_observer({
            "TELEMETRY_DRIVER": "otlp", "TELEMETRY_SERVICE_NAME": "my-connector",
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url + "/",
            "OTEL_EXPORTER_OTLP_HEADERS": "x-scope-orgid=tenant%201,authorization=Bearer t",
            "OTEL_EXPORTER_OTLP_TIMEOUT": "5"}, LOGGER)
        with observer.trace("outer", {"id": "PR-2"}), observer.trace("inner", {"id": "PR-2"}):
            pass
        observer.tracer_provider.force_flush()
        spans = collector.wait_for(lambda spans: len(spans) == 2)

    path, headers = collector.headers[0]
    assert path == "/v1/traces"
    assert headers["x-scope-orgid"] == "tenant 1"
    assert [span["name"] for span in spans] == ["inner", "outer"]
    assert spans[0]["parent_span_id"] == spans[1]["span_id"]
    assert spans[1]["trace_id"] == f"{generate_trace_id('PR-2'):032x}"
    assert spans[0]["attributes"] == {}  # no Connect ids in a bare {"id": ...}
    assert spans[1]["resource"]["service.name"] == "my-connector"


@pytest.mark.parametrize(("setting", "value", "expected"), [
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", "OTEL_EXPORTER_OTLP_TIMEOUT (or "),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "sends http/protobuf"),
])
def test_an_unusable_otlp_setting_is_named(caplog, setting, value, expected):
    observer = provide_telemetry_observer({"TELEMETRY_DRIVER": "otlp", setting: value}, LOGGER)

    assert isinstance(observer, NoneObserverAdapter)
    assert expected in errors(caplog)[0]


def test_an_exporter_fault_is_logged_once_and_its_batches_dropped(caplog):
    class Broken(InMemorySpanExporter):
        def export(self, spans):
            raise ConnectionError("collector https://u:pw@collector.test down")

        def force_flush(self, timeout_millis=30000):
            raise ConnectionError("still down")

    guarded = GuardedExporter(Broken(), "otlp")

    answers = [guarded.export([]), guarded.export([])]
    flushed = guarded.force_flush()
    guarded.shutdown()

    assert answers == [SpanExportResult.FAILURE] * 2
    assert flushed is False
    assert errors(caplog) == ["The otlp telemetry exporter raised ConnectionError; the spans "
                              "of that batch are dropped, as are those of later faults, "
                              "which are not logged."]


def test_an_exporter_answering_failure_is_logged_once_too(caplog):
    class Refusing(InMemorySpanExporter):
        def export(self, spans):
            return SpanExportResult.FAILURE

    guarded = GuardedExporter(Refusing(), "insights")

    assert [guarded.export([]), guarded.export([])] == [SpanExportResult.FAILURE] * 2
    assert len(errors(caplog)) == 1
    assert "answered FAILURE" in errors(caplog)[0]


def test_an_exporters_own_logger_reports_its_first_fault_only(caplog):
    logger = logging.getLogger("tests.telemetry.exporter.inner")
    caplog.set_level(logging.DEBUG, logger=logger.name)
    quiet_after_first("tests.telemetry.exporter")

    logger.error("first")
    logger.error("second")
    logger.debug("details stay")

    assert [r.getMessage() for r in caplog.records if r.name == logger.name] == \
        ["first", "details stay"]


def test_observer_spans_nest_and_a_request_less_context_yields_none():
    exporter = InMemorySpanExporter()
    observer = provide_otlp_observer_telemetry_adapter({}, None, exporter)

    with observer.trace("nothing", {"neither": "id nor body"}) as none:
        pass
    with observer.trace("custom", {"body": {"a": 1}}) as root, \
            observer.trace("step", {"id": "PR-3", "type": "purchase", "asset": {"id": "AS-3"}}):
        assert trace.get_current_span().get_span_context().trace_id == \
            root.get_span_context().trace_id
    observer.tracer_provider.force_flush()

    spans = {span.name: span for span in exporter.get_finished_spans()}
    assert none is None
    assert root.get_span_context().trace_id == generate_trace_id("{'a': 1}")
    assert spans["step"].parent.span_id == spans["custom"].context.span_id
    assert spans["step"].attributes["asset_id"] == "AS-3"


def test_an_error_inside_a_span_is_recorded_masked_and_raised():
    exporter = InMemorySpanExporter()
    observer = provide_otlp_observer_telemetry_adapter({"API_TOKEN": "tok-123456"}, None,
                                                       exporter)

    with pytest.raises(ValueError, match="tok-123456"), \
            observer.trace("work", {"jwt_payload": {"configuration_id": "TC-1"}}):
        raise ValueError("refused tok-123456")
    observer.tracer_provider.force_flush()

    [span] = exporter.get_finished_spans()
    assert span.attributes == {"configuration_id": "TC-1"}
    assert span.events[0].attributes["exception.message"] == "refused *********"


def test_a_tracer_that_fails_yields_no_span_and_the_work_goes_on(caplog):
    class Failing:
        def start_as_current_span(self, *args, **kwargs):
            raise RuntimeError("tracer broken")

    observer = OpenTelemetryObserver(Failing())

    with observer.trace("work", {"id": "PR-4"}) as span:
        done = True

    assert span is None and done
    assert isinstance(observer, Observer)
    assert any("could not open a span (RuntimeError)" in line for line in errors(caplog))


def test_instrument_requests_instruments_the_requests_library():
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    instrument_requests()
    try:
        assert RequestsInstrumentor().is_instrumented_by_opentelemetry
    finally:
        RequestsInstrumentor().uninstrument()
