"""What never leaves in a span or a telemetry log line: the masking rule of the logger
adapter, applied to text an error may carry."""

from typing import Any, Mapping, Optional

from rndi.connect.devops_logger_adapter._secrets import MASK, is_secret_name, mask_url_credentials

# config keys whose values are credentials although their names do not say so
TELEMETRY_SECRETS = frozenset({"INSIGHTS_CONNECTION_STRING", "OTEL_EXPORTER_OTLP_HEADERS",
                               "OTEL_EXPORTER_OTLP_TRACES_HEADERS"})


def masked(text: str, config: Optional[Mapping[str, Any]]) -> str:
    """``text`` without URL passwords, nor the values of secret config keys (by the
    logger adapter's rule, and the telemetry credentials), which an error may quote."""
    text = mask_url_credentials(text)
    for key, value in (config.items() if isinstance(config, Mapping) else ()):
        if (is_secret_name(key) or key in TELEMETRY_SECRETS) and isinstance(value, str) \
                and len(value.strip()) >= 4:
            text = text.replace(value.strip(), MASK)
    return text
