"""Request-bound logging for Connect extensions."""

from rndi.connect.devops_logger_adapter.adapter import (
    ExtensionLoggerAdapter,
    bind_logger,
    mask_dictionary,
    request_model,
)
from rndi.connect.devops_logger_adapter.mixins import WithBoundedLogger

__all__ = [
    "ExtensionLoggerAdapter",
    "WithBoundedLogger",
    "bind_logger",
    "mask_dictionary",
    "request_model",
]
