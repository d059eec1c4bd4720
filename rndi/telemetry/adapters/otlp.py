"""The ``otlp`` driver: spans exported to any OpenTelemetry collector (Jaeger, Grafana
Tempo, the OpenTelemetry Collector …) over OTLP/HTTP.

Needs the ``otlp`` extra. Configured by the standard ``OTEL_EXPORTER_OTLP_*`` settings,
from the environment or, key for key, from the extension configuration (where a
runner's variables arrive): ``OTEL_EXPORTER_OTLP_ENDPOINT`` (``/v1/traces`` is added),
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (used as it is), ``…_HEADERS`` and ``…_TIMEOUT``
(seconds), each also in its ``_TRACES_`` form; the sampler is the SDK's
(``OTEL_TRACES_SAMPLER``, parent-based always-on by default).
"""

from typing import Any, Callable, Dict, List, Mapping, Optional
from urllib.parse import unquote

from opentelemetry.sdk.trace.export import SpanExporter

from rndi.telemetry._otel import OpenTelemetryObserver, quiet_after_first, tracer_provider
from rndi.telemetry.contracts import Observer

__all__ = ["otlp_exporter", "provide_otlp_observer_telemetry_adapter"]

_PREFIX = "OTEL_EXPORTER_OTLP_"


def _setting(config: Mapping[str, Any], name: str) -> Optional[str]:
    """The ``_TRACES_`` form of a setting, else the general one, from ``config``."""
    for key in (f"{_PREFIX}TRACES_{name}", f"{_PREFIX}{name}"):
        value = config.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _headers(text: str) -> Dict[str, str]:
    headers = {}
    for pair in text.split(","):
        name, _, value = pair.partition("=")
        if name.strip() and value.strip():
            headers[unquote(name.strip()).lower()] = unquote(value.strip())
    return headers


def _timeout(config: Mapping[str, Any]) -> Optional[float]:
    text = _setting(config, "TIMEOUT")
    if text is None:
        return None
    try:
        timeout = float(text)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout < 3600:
        raise ValueError(f"{_PREFIX}TIMEOUT (or {_PREFIX}TRACES_TIMEOUT) must be a number of "
                         "seconds above 0 and below 3600.")
    return timeout


def otlp_exporter(config: Mapping[str, Any]) -> SpanExporter:
    """The OTLP/HTTP span exporter, with the settings ``config`` gives; the exporter
    reads the environment for the others.

    Raises:
        ValueError: a setting that cannot be used (named), or a protocol other than
            ``http/protobuf``.
        ImportError: the ``otlp`` extra is not installed.
    """
    protocol = _setting(config, "PROTOCOL") or "http/protobuf"
    if protocol != "http/protobuf":
        raise ValueError(f"The otlp telemetry driver sends http/protobuf (got the protocol "
                         f"{protocol!r}); point {_PREFIX}ENDPOINT at the collector's "
                         "OTLP/HTTP port (4318).")
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    endpoint = config.get(f"{_PREFIX}TRACES_ENDPOINT")
    if not (isinstance(endpoint, str) and endpoint.strip()):
        base = config.get(f"{_PREFIX}ENDPOINT")
        endpoint = (base.strip().rstrip("/") + "/v1/traces"
                    if isinstance(base, str) and base.strip() else None)
    headers = _setting(config, "HEADERS")
    exporter = OTLPSpanExporter(endpoint=endpoint.strip() if endpoint else None,
                                headers=_headers(headers) if headers else None,
                                timeout=_timeout(config))
    quiet_after_first("opentelemetry.exporter")
    return exporter


def provide_otlp_observer_telemetry_adapter(
    config: Dict[str, Any],
    automatic_instrumentation: Optional[List[Callable[[], None]]] = None,
    exporter: Optional[SpanExporter] = None,
) -> Observer:
    """The ``otlp`` driver: spans exported in batches through ``exporter`` (default: the
    OTLP/HTTP exporter ``otlp_exporter(config)`` builds)."""
    if exporter is None:
        exporter = otlp_exporter(config)
    provider = tracer_provider(config, exporter, "otlp")
    observer = OpenTelemetryObserver(provider.get_tracer("rndi.telemetry"),
                                     automatic_instrumentation, config)
    observer.tracer_provider = provider
    return observer
