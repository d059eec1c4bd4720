"""The OpenTelemetry parts every exporting driver shares: the observer, the trace id a
request derives, the Connect ids a span carries, the masked record of an error, and the
tracer provider whose exporter can fail without touching a delivery."""

import hashlib
import logging
import threading
import traceback
from contextlib import contextmanager
from importlib import metadata
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import Sampler
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, Status, StatusCode, TraceFlags

from rndi.connect.business_objects.helpers import request_model
from rndi.telemetry._masking import masked
from rndi.telemetry.contracts import Observer

_logger = logging.getLogger("rndi.telemetry")



# trace ids -------------------------------------------------------------------------------

def generate_trace_id(request_id: str, length: int = 16) -> int:
    """The first ``length`` bytes of the SHA-256 of ``request_id``, as a big-endian
    integer: 16 bytes make a trace id, 8 a span id. The same id gives the same number in
    every process, so every delivery of a request joins one trace."""
    digest = hashlib.sha256(request_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:length], byteorder="big")


def get_context(request_id: str) -> Context:
    """A context whose (remote-less, sampled) parent span is derived from ``request_id``."""
    parent = SpanContext(trace_id=generate_trace_id(request_id),
                         span_id=generate_trace_id(request_id, 8), is_remote=False,
                         trace_flags=TraceFlags(TraceFlags.SAMPLED))
    return trace.set_span_in_context(NonRecordingSpan(parent))


def _payload(request: Any) -> Dict[str, Any]:
    payload = request.get("jwt_payload") if isinstance(request, dict) else None
    return payload if isinstance(payload, dict) else {}


def get_transaction_id_for_product_action(request: Dict[str, Any]) -> Optional[str]:
    """The tier configuration id, else the asset id, of a product action's JWT payload."""
    payload = _payload(request)
    return payload.get("configuration_id") or payload.get("asset_id") or None


def is_product_action_request(request: Dict[str, Any]) -> bool:
    """A product action carries a JWT payload naming an asset or a tier configuration."""
    payload = _payload(request)
    return payload.get("asset_id") is not None or payload.get("configuration_id") is not None


def is_background_event_request(request: Dict[str, Any]) -> bool:
    """A background event's request has an id."""
    return request.get("id") is not None


def is_custom_event_request(request: Dict[str, Any]) -> bool:
    """A custom event carries a body (checked after the other two kinds)."""
    return request.get("body") is not None


def root_context(request: Any) -> Optional[Context]:
    """The derived parent of the first span of ``request``, else ``None`` when it names
    nothing to derive one from."""
    if not isinstance(request, dict):
        return None
    if is_background_event_request(request):
        return get_context(str(request.get("id")))
    if is_product_action_request(request):
        return get_context(str(get_transaction_id_for_product_action(request)))
    if is_custom_event_request(request):
        return get_context(str(request.get("body")))
    return None


# attributes ------------------------------------------------------------------------------

def _id(member: Any, *path: str) -> Optional[str]:
    for name in path:
        member = member.get(name) if isinstance(member, dict) else None
    return member if isinstance(member, str) else None


def connect_ids(request: Any) -> Dict[str, str]:
    """The ids the published observer puts on a span (vendor, product, marketplace,
    contract, connection, asset or tier config, request id, status and type); members the
    request lacks are left out (OpenTelemetry drops ``None`` with a warning)."""
    if not isinstance(request, dict):
        return {}
    model = request_model(request)
    if model == "asset":
        subject, own = request.get("asset"), "asset_id"
    elif model == "tier-config":
        subject, own = request.get("configuration"), "tier_config_id"
    else:
        return {}
    ids = {
        "vendor_id": _id(subject, "connection", "vendor", "id"),
        "product_id": _id(subject, "product", "id"),
        "marketplace_id": _id(subject, "marketplace", "id"),
        "contract_id": _id(subject, "contract", "id") if model == "asset" else None,
        "connection_id": _id(subject, "connection", "id"),
        own: _id(subject, "id"),
        "request_id": _id(request, "id"),
        "request_status": _id(request, "status"),
        "request_type": _id(request, "type"),
    }
    return {name: value for name, value in ids.items() if value is not None}


def hydrate_span_with_request_attributes(span: Any, request: Any) -> None:
    """Put the Connect ids of an asset or tier-config request on ``span``; never raises."""
    try:
        ids = connect_ids(request)
        if ids:
            span.set_attributes(ids)
    except Exception:  # a span is never worth an extension's failure
        _logger.debug("Could not set the request ids on a span.", exc_info=True)


def hydrate_span_with_product_action_attributes(span: Any, body: Any) -> None:
    """Put the asset or tier configuration id of a product action on ``span``; never
    raises."""
    try:
        payload = _payload(body)
        ids = {name: payload[key] for name, key in (("asset_id", "asset_id"),
                                                    ("configuration_id", "configuration_id"))
               if isinstance(payload.get(key), str)}
        if ids:
            span.set_attributes(ids)
    except Exception:  # a span is never worth an extension's failure
        _logger.debug("Could not set the product action ids on a span.", exc_info=True)


# errors, masked --------------------------------------------------------------------------

def record_error(span: Span, error: BaseException, config: Optional[Mapping[str, Any]],
                 status: bool = True) -> None:
    """An ``exception`` event (type, masked message and stack trace) on ``span``; with
    ``status``, the span's status is set to error, described by the error's type."""
    kind = type(error)
    span.add_event("exception", {
        "exception.type": f"{kind.__module__}.{kind.__qualname__}",
        "exception.message": masked(str(error), config),
        "exception.stacktrace": masked("".join(traceback.format_exception(error)), config),
    })
    if status:
        span.set_status(Status(StatusCode.ERROR, kind.__name__))


# the observer ------------------------------------------------------------------------------

class OpenTelemetryObserver(Observer):
    """Opens OpenTelemetry spans with ``tracer``.

    The first span of a request (no span is current) takes its trace id from the
    request id (or the product action's asset or tier configuration id, or a custom
    event's body), so every delivery of the request is in one trace; a span opened
    inside another is its child. A context that names no request yields ``None``.
    Opening or closing a span never raises into the extension; an error of the traced
    work is recorded (masked) and raised on.

    Args:
        tracer: the OpenTelemetry tracer spans are opened with.
        automatic_instrumentation: functions called once, now (``instrument_requests``).
        config: the extension configuration, whose secret values are masked out of
            recorded errors.
    """

    def __init__(self, tracer: Any,
                 automatic_instrumentation: Optional[List[Callable[[], None]]] = None,
                 config: Optional[Mapping[str, Any]] = None) -> None:
        self.tracer = tracer
        self.config = config
        self.tracer_provider: Any = None  # a driver's, to flush or shut down
        for instrument in automatic_instrumentation or ():
            instrument()

    def _opened(self, name: str, context: Any) -> Any:
        """The span's context manager, or ``None`` when there is nothing to trace."""
        start = self.tracer.start_as_current_span
        options = {"record_exception": False, "set_status_on_exception": False}
        if trace.get_current_span().get_span_context().is_valid:
            opened = start(name, **options)
            return opened, hydrate_span_with_request_attributes, context
        parent = root_context(context)
        if parent is None:
            return None
        hydrate = (hydrate_span_with_request_attributes if is_background_event_request(context)
                   else hydrate_span_with_product_action_attributes)
        return start(name, context=parent, **options), hydrate, context

    @contextmanager
    def trace(self, name: str, context: Dict[str, Any]) -> Iterator[Optional[Span]]:
        opened = span = None
        try:
            found = self._opened(name, context)
            if found is not None:
                opened, hydrate, request = found
                span = opened.__enter__()
                hydrate(span, request)
        except Exception as error:
            report_fault("open a span", error)
            opened = span = None
        if opened is None:
            yield None
            return
        try:
            yield span
        except BaseException as error:
            _closed(opened, span, error, self.config)
            raise
        _closed(opened, span, None, self.config)


def _closed(opened: Any, span: Any, error: Optional[BaseException],
            config: Optional[Mapping[str, Any]]) -> None:
    try:
        if error is not None:
            record_error(span, error, config)
        opened.__exit__(None, None, None)
    except Exception as fault:
        report_fault("close a span", fault)


# faults, reported once ----------------------------------------------------------------------

_reported: Set[str] = set()  # what this process has reported already: each fault once
_reported_lock = threading.Lock()


def report_fault(what: str, error: Optional[BaseException] = None, logger: Any = None) -> None:
    """Log, once per process and kind of fault, that tracing could not ``what``; the
    work goes on untraced. The error is named by its type, never by its message (which
    may quote a value)."""
    with _reported_lock:
        if what in _reported:
            return
        _reported.add(what)
    cause = f" ({type(error).__name__})" if error is not None else ""
    (logger or _logger).error("Tracing could not %s%s; the work goes on untraced, and this "
                              "fault is not reported again.", what, cause)


class GuardedExporter(SpanExporter):
    """An exporter whose faults cannot reach the span processor's thread twice: the
    first fault is logged, later ones are dropped, and each failed batch is dropped."""

    def __init__(self, exporter: SpanExporter, driver: str) -> None:
        self.exporter = exporter
        self.driver = driver
        self._failed = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self.exporter.export(spans)
        except Exception as error:
            self._fault(f"raised {type(error).__name__}")
            return SpanExportResult.FAILURE
        if result is SpanExportResult.FAILURE:
            self._fault("answered FAILURE")
        return result if isinstance(result, SpanExportResult) else SpanExportResult.SUCCESS

    def _fault(self, how: str) -> None:
        if not self._failed:
            self._failed = True
            _logger.error("The %s telemetry exporter %s; the spans of that batch are "
                          "dropped, as are those of later faults, which are not logged.",
                          self.driver, how)

    def shutdown(self) -> None:
        try:
            self.exporter.shutdown()
        except Exception:
            self._fault("failed to shut down")

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        try:
            return bool(self.exporter.force_flush(timeout_millis))
        except Exception:
            self._fault("failed to flush")
            return False


class _FirstOnly(logging.Filter):
    """Lets an exporter's own first warning or error through, and none after it."""

    def __init__(self) -> None:
        super().__init__()
        self._seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        if self._seen:
            return False
        self._seen = True
        return True


def quiet_after_first(prefix: str) -> None:
    """Each logger under ``prefix`` (an exporter's) logs its first fault only."""
    for name in list(logging.root.manager.loggerDict):
        if name == prefix or name.startswith(prefix + "."):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _FirstOnly) for f in logger.filters):
                logger.addFilter(_FirstOnly())


# the tracer provider ------------------------------------------------------------------------

def _version(distribution: Any, config: Mapping[str, Any], key: str) -> Optional[str]:
    if isinstance(distribution, str) and distribution:
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    value = config.get(key)
    return str(value) if value is not None else None


def resource_attributes(config: Mapping[str, Any]) -> Dict[str, str]:
    """``service.name`` (``TELEMETRY_SERVICE_NAME``), ``service.version`` and the runner's
    and client's versions: from the installed distributions, else from the config keys
    the published observer reads."""
    attributes = {
        "service.name": config.get("TELEMETRY_SERVICE_NAME"),
        "service.version": _version(config.get("TELEMETRY_SERVICE_NAME"), config,
                                    "TELEMETRY_SERVICE_VERSION"),
        "connect.extension-runner": _version("connect-extension-runner", config,
                                             "TELEMETRY_CONNECT_EXTENSION_RUNNER_VERSION"),
        "connect.openapi-client": _version("connect-openapi-client", config,
                                           "TELEMETRY_CONNECT_OPEN_API_VERSION"),
    }
    return {name: str(value) for name, value in attributes.items() if value}


def tracer_provider(config: Mapping[str, Any], exporter: SpanExporter, driver: str,
                    sampler: Optional[Sampler] = None) -> TracerProvider:
    """A provider exporting through ``exporter`` (guarded, in batches, from a thread of
    its own); it becomes the process's global provider when none is set yet, so that
    instrumentations (``instrument_requests``) report to it too."""
    provider = TracerProvider(sampler=sampler, resource=Resource.create(
        resource_attributes(config)))
    provider.add_span_processor(BatchSpanProcessor(GuardedExporter(exporter, driver)))
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        trace.set_tracer_provider(provider)
    return provider
