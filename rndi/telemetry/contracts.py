"""What an extension traces with: an ``Observer`` opens spans around its work."""

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ContextManager, Dict, Optional

if TYPE_CHECKING:  # OpenTelemetry is needed only when a driver that uses it is chosen
    from opentelemetry.trace import Span


class Observer(ABC):
    """Opens spans: ``with observer.trace(name, request) as span: ...``."""

    @abstractmethod
    def trace(self, name: str, context: Dict[str, Any]) -> ContextManager[Optional["Span"]]:
        """A context manager around one piece of work, yielding its span.

        Args:
            name: what the span is called.
            context: what the work is about, usually the raw request: the first span
                of a request takes its trace id from it, so every delivery of the
                request lands in one trace.

        Returns:
            A context manager yielding the span, or ``None`` when nothing is recorded
            (the ``none`` driver, or a context that names no request).
        """
