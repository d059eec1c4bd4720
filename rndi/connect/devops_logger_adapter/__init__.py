"""Request-bound logging for Connect extensions."""

from rndi.connect.devops_logger_adapter.adapter import (
    ExtensionLoggerAdapter,
    bind_logger,
    is_secret_name,
    mask_dictionary,
    mask_url_credentials,
    request_model,
)
from rndi.connect.devops_logger_adapter.mixins import WithBoundedLogger

__all__ = [
    "ExtensionLoggerAdapter",
    "WithBoundedLogger",
    "bind_logger",
    "is_secret_name",
    "mask_dictionary",
    "mask_url_credentials",
    "request_model",
]
