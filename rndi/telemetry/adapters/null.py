"""The observer that records nothing: the ``none`` driver, and what every failing or
unknown driver falls back to."""

from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

from rndi.telemetry.contracts import Observer


class DummySpan:
    """Stands where a span would: entering it gives ``None``."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: Any) -> None:
        return None


class NoneObserverAdapter(Observer):
    """Opens no span: ``trace`` yields ``None``."""

    @contextmanager
    def trace(self, name: str, context: Dict[str, Any]) -> Iterator[None]:
        yield None


def provide_none_telemetry_adapter(
    config: Optional[Dict[str, Any]] = None,
    automatic_instrumentation: Optional[List[Callable[[], None]]] = None,
) -> Observer:
    """The ``none`` driver; its arguments are accepted and unused."""
    return NoneObserverAdapter()
