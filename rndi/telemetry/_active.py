"""Which delivery is traced in this context: set by its span, read by every tracing point
inside it (in its task and the worker threads it starts, which copy the context)."""

from contextvars import ContextVar
from typing import Any, Optional

# the spans of the delivery running in this context, or None: tracing is off
ACTIVE: ContextVar[Optional[Any]] = ContextVar("rndi.telemetry.delivery", default=None)
