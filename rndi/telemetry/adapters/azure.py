"""The ``insights`` driver: spans exported to Azure Monitor (Application Insights).

Needs the ``insights`` extra (``azure-monitor-opentelemetry``). The helpers of the
published module are importable from here too.
"""

from typing import Any, Callable, Dict, List, Optional

from opentelemetry.sdk.trace import sampling
from opentelemetry.sdk.trace.export import SpanExporter

from rndi.telemetry._otel import (
    OpenTelemetryObserver,
    generate_trace_id,
    get_context,
    get_transaction_id_for_product_action,
    hydrate_span_with_product_action_attributes,
    hydrate_span_with_request_attributes,
    is_background_event_request,
    is_custom_event_request,
    is_product_action_request,
    quiet_after_first,
    tracer_provider,
)
from rndi.telemetry.contracts import Observer

__all__ = [
    "DevOpsExtensionAzureInsightsObserverAdapter",
    "generate_trace_id",
    "get_context",
    "get_transaction_id_for_product_action",
    "hydrate_span_with_product_action_attributes",
    "hydrate_span_with_request_attributes",
    "is_background_event_request",
    "is_custom_event_request",
    "is_product_action_request",
    "provide_azure_insights_observer_telemetry_adapter",
]


class DevOpsExtensionAzureInsightsObserverAdapter(OpenTelemetryObserver):
    """The observer of the ``insights`` driver (see ``OpenTelemetryObserver``).

    Args:
        connection_string: the Application Insights connection string.
        tracer: the tracer spans are opened with.
        automatic_instrumentation: functions called once, now.
        config: the extension configuration (its secrets are masked out of errors).
    """

    def __init__(self, connection_string: Optional[str], tracer: Any,
                 automatic_instrumentation: Optional[List[Callable[[], None]]] = None,
                 config: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(tracer, automatic_instrumentation, config)
        self.connection_string = connection_string


def provide_azure_insights_observer_telemetry_adapter(
    config: Dict[str, Any],
    automatic_instrumentation: Optional[List[Callable[[], None]]] = None,
    exporter: Optional[SpanExporter] = None,
) -> Observer:
    """The ``insights`` driver: every span sampled, exported in batches to the
    Application Insights of ``INSIGHTS_CONNECTION_STRING`` (or to ``exporter``).

    Raises:
        ValueError: no ``INSIGHTS_CONNECTION_STRING`` and no ``exporter``.
        ImportError: the ``insights`` extra is not installed.
    """
    connection_string = config.get("INSIGHTS_CONNECTION_STRING")
    if exporter is None:
        if not isinstance(connection_string, str) or not connection_string.strip():
            raise ValueError("The insights telemetry driver needs INSIGHTS_CONNECTION_STRING "
                             "(the connection string of your Application Insights "
                             "resource); set it, or choose TELEMETRY_DRIVER=none.")
        from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

        exporter = AzureMonitorTraceExporter.from_connection_string(connection_string.strip())
        quiet_after_first("azure.monitor.opentelemetry.exporter")
    provider = tracer_provider(config, exporter, "insights", sampling.ALWAYS_ON)
    observer = DevOpsExtensionAzureInsightsObserverAdapter(
        connection_string, provider.get_tracer("rndi.telemetry"), automatic_instrumentation,
        config)
    observer.tracer_provider = provider
    return observer
