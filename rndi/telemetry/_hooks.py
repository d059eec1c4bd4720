"""Where the framework reports to tracing: one decorator per point (a delivery, a
transaction, a journal step, a multi-step transaction's step, a lease decision, a Connect
call).

Each costs a context-variable read when tracing is off, and imports nothing of
OpenTelemetry: a delivery whose flow has an ``observer`` bound, or whose config names a
``TELEMETRY_DRIVER`` other than ``none``, opens its span (``_spans``) and marks itself
active for everything that runs inside it, in its task and the worker threads it starts.
"""

import functools
from collections.abc import Mapping
from typing import Any, Callable, Optional, TypeVar

from rndi.telemetry._active import ACTIVE

F = TypeVar("F", bound=Callable[..., Any])
_OFF = (None, "", "none")


def _spans_of(flow: Any) -> Optional[Any]:
    """The spans of a delivery of ``flow``, or ``None`` when tracing is off for it."""
    bound = flow._container.bound  # not the property: this runs on every event
    observer, config = bound("observer"), bound("config")
    if observer is None:
        # a dict first: the ABC check of Mapping costs more than the rest of this
        settings = config if type(config) is dict or isinstance(config, Mapping) else {}
        if settings.get("TELEMETRY_DRIVER") in _OFF:
            return None
    from rndi.telemetry import _spans

    return _spans.delivery(flow, observer, config)


def _surely_off(flow: Any) -> bool:
    """Whether tracing is off for ``flow``, read from its container's tables (asking the
    container costs more, and this runs on every event): no ``observer`` bound at all
    and a plain dict ``config`` without a ``TELEMETRY_DRIVER``. ``False`` leaves the
    question to ``_spans_of``."""
    container = flow._container
    shared = container._shared
    config = shared.get("config")
    return ("observer" not in shared and "observer" not in container._lazy
            and type(config) is dict and config.get("TELEMETRY_DRIVER") in _OFF)


def delivery(resolve: F) -> F:
    """``Flow.resolve``: one span for the whole delivery."""

    @functools.wraps(resolve)
    def traced(flow: Any, request: Any) -> Any:
        spans = None if _surely_off(flow) else _spans_of(flow)
        if spans is None:
            return resolve(flow, request)
        return spans.deliver(resolve, flow, request)

    return traced  # type: ignore[return-value]


def adelivery(aresolve: F) -> F:
    """``Flow.aresolve``: one span for the whole delivery."""

    @functools.wraps(aresolve)
    async def traced(flow: Any, request: Any) -> Any:
        spans = None if _surely_off(flow) else _spans_of(flow)
        if spans is None:
            return await aresolve(flow, request)
        return await spans.adeliver(aresolve, flow, request)

    return traced  # type: ignore[return-value]


def transaction(running: F) -> F:
    """A saga's run of its selected transaction (steps answering the response and the
    compensated error): a child span of the delivery."""

    @functools.wraps(running)
    def traced(transaction: Any, request: Any) -> Any:
        steps = running(transaction, request)
        spans = ACTIVE.get()
        return steps if spans is None else spans.transaction(transaction, steps)

    return traced  # type: ignore[return-value]


def transactions(steps_of: F) -> F:
    """A flow's steps, each a call of one transaction's method: a child span per call."""

    @functools.wraps(steps_of)
    def traced(flow: Any, *args: Any) -> Any:
        steps = steps_of(flow, *args)
        spans = ACTIVE.get()
        return steps if spans is None else spans.transactions(steps)

    return traced  # type: ignore[return-value]


def journal_step(steps_of: F) -> F:
    """A journal step's steps: a span saying whether ``fn`` ran or its result replayed."""

    @functools.wraps(steps_of)
    def traced(journal: Any, step: Any, fn: Any) -> Any:
        steps = steps_of(journal, step, fn)
        spans = ACTIVE.get()
        return steps if spans is None else spans.journal_step(step, fn, steps)

    return traced  # type: ignore[return-value]


def step_call(kind: str, name: str, position: int, call: F) -> F:
    """A multi-step transaction's ``step`` (or ``undo``) call: a span around it."""
    spans = ACTIVE.get()
    return call if spans is None else spans.step_call(kind, name, position, call)


def step_replayed(kind: str, name: str, position: int) -> None:
    """A multi-step transaction's step (or undo) its journal replayed: a span saying so."""
    spans = ACTIVE.get()
    if spans is not None:
        spans.step_replayed(kind, name, position)


def lease_decision(take: F) -> F:
    """The lease's decision (held, rescheduled, repeated, proceeded): a span."""

    @functools.wraps(take)
    def traced(lease: Any, request: Any) -> Any:
        spans = ACTIVE.get()
        return take(lease, request) if spans is None else spans.lease(take, lease, request)

    return traced  # type: ignore[return-value]


def connect_call(run: F) -> F:
    """A facade operation on a sync client: a client span."""

    @functools.wraps(run)
    def traced(facade: Any, name: str, call: Any) -> Any:
        spans = ACTIVE.get()
        return run(facade, name, call) if spans is None else spans.connect(run, facade, name,
                                                                           call)

    return traced  # type: ignore[return-value]


def aconnect_call(arun: F) -> F:
    """A facade operation on an async client: a client span."""

    @functools.wraps(arun)
    async def traced(facade: Any, name: str, call: Any) -> Any:
        spans = ACTIVE.get()
        if spans is None:
            return await arun(facade, name, call)
        return await spans.aconnect(arun, facade, name, call)

    return traced  # type: ignore[return-value]
