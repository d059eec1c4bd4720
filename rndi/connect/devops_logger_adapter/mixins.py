"""Mixin for classes that log about one request at a time."""

import logging
from typing import Any, Dict

from rndi.connect.devops_logger_adapter.adapter import bind_logger


class WithBoundedLogger:
    """Gives ``self.logger`` the request's fields with ``self.bind_logger(request)``."""

    logger: Any

    def bind_logger(self, request: Dict[str, Any]) -> logging.LoggerAdapter:
        """Bind ``self.logger`` to ``request`` and return it."""
        self.logger = bind_logger(self.logger, request)
        return self.logger
