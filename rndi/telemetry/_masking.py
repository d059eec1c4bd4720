"""What never leaves in a span or a telemetry log line: the library's one masking rule,
applied to text an error may carry. The telemetry credentials (``INSIGHTS_CONNECTION_STRING``,
``OTEL_EXPORTER_OTLP_HEADERS`` …) are secrets by that rule, in every line as in spans."""

from typing import Any, Mapping, Optional

from rndi.connect.devops_logger_adapter._secrets import text_masker


def masked(text: str, config: Optional[Mapping[str, Any]]) -> str:
    """``text`` masked by ``text_masker`` (URL passwords, secret names' values, the
    secret values of ``config``)."""
    return text_masker(config if isinstance(config, Mapping) else None)(text)
