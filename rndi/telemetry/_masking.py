"""What never leaves in a span or a telemetry log line: the library's one masking rule,
applied to text an error may carry, with the telemetry credentials counted as secrets."""

from typing import Any, Mapping, Optional

from rndi.connect.devops_logger_adapter._secrets import text_masker

# config keys whose values are credentials although their names do not say so
TELEMETRY_SECRETS = ("INSIGHTS_CONNECTION_STRING", "OTEL_EXPORTER_OTLP_HEADERS",
                     "OTEL_EXPORTER_OTLP_TRACES_HEADERS")


def masked(text: str, config: Optional[Mapping[str, Any]]) -> str:
    """``text`` masked by ``text_masker`` (URL passwords, secret names' values, the
    secret values of ``config``), the values of ``TELEMETRY_SECRETS`` included."""
    if not isinstance(config, Mapping):
        return text_masker()(text)
    credentials = [config.get(key) for key in TELEMETRY_SECRETS if config.get(key)]
    return text_masker({"secrets": credentials, "config": config})(text)
