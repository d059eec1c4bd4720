"""The spans the framework opens for a traced delivery.

::

    process PurchaseSaga                  one per delivery (CONSUMER), Connect ids
    ├── lease                             the lease's decision
    └── transaction ApproveRequest        the selected transaction (or each of a flow's)
        ├── journal step order            ran, or replayed from the journal
        ├── step customer                 a multi-step transaction's step (or ``undo``)
        └── connect approve_asset_request a Connect call through the facades (CLIENT)

The first span of a request takes its trace id from the request id (SHA-256, as the
published observer derives it), so every delivery of a request, on any replica, is in
one trace; inside a span the extension opened, the delivery is its child.

A tracing fault never reaches the delivery: it is logged once per process and the
work goes on untraced.
"""

import contextlib
import inspect
import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Tuple

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from rndi.connect.devops_logger_adapter._secrets import event_secrets
from rndi.telemetry._active import ACTIVE
from rndi.telemetry._otel import connect_ids, record_error, report_fault, root_context

PREFIX = "rndi."
_observers: Dict[Tuple[Tuple[str, str], ...], Any] = {}  # per process, like a pool
_observers_lock = threading.Lock()
_KEYS = ("TELEMETRY_", "INSIGHTS_", "OTEL_")


def _observer_for(config: Mapping[str, Any], logger: Any) -> Any:
    """The observer of ``config``'s driver, built once per process and settings (a
    tracer provider holds an exporter and its thread: one per event would be ruinous)."""
    key = tuple(sorted((str(k), str(v)) for k, v in config.items()
                       if isinstance(k, str) and k.startswith(_KEYS)))
    with _observers_lock:
        observer = _observers.get(key)
        if observer is None:
            from rndi.telemetry.provider import provide_telemetry_observer

            observer = _observers[key] = provide_telemetry_observer(dict(config), logger)
    return observer


def delivery(flow: Any, observer: Any, config: Any) -> Optional["Spans"]:
    """The spans of one delivery of ``flow``, or ``None`` when its observer records none
    (the ``none`` driver, or an observer without an OpenTelemetry ``tracer``)."""
    try:
        if observer is None:
            observer = _observer_for(config, flow._operator_logger())
        tracer = getattr(observer, "tracer", None)
        if not callable(getattr(tracer, "start_span", None)):
            return None
        return Spans(tracer, config if isinstance(config, Mapping) else None)
    except Exception as error:
        report_fault("start tracing a delivery", error)
        return None


def _detach(token: Any) -> None:
    # A flow abandoned mid-way (a cancelled task) is closed later, elsewhere: its token
    # then belongs to another context, which is no fault worth a log line.
    with contextlib.suppress(Exception):
        otel_context._RUNTIME_CONTEXT.detach(token)


def _name(transaction: Any) -> str:
    try:
        name = transaction.name()
        if isinstance(name, str) and name:
            return name
    except Exception:  # noqa: S110 - a name that fails is the class's
        pass
    return type(transaction).__qualname__


def _relayed(steps: Any, change: Callable[[Any], Any]) -> Any:
    """``yield from steps``, with each call it yields replaced by ``change(call)``."""
    try:
        call = next(steps)
        while True:
            try:
                answer = yield change(call)
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as error:
                call = steps.throw(error)
            else:
                call = steps.send(answer)
    except StopIteration as done:
        return done.value


def _step_attributes(kind: str, name: str, position: int) -> Dict[str, Any]:
    """What every span of a multi-step transaction's step or undo says of it."""
    return {PREFIX + "step.name": name, PREFIX + "step.position": position,
            PREFIX + "step.kind": kind}


class _Opened:
    """A span made current, closed once (with the error, if any)."""

    __slots__ = ("active", "span", "spans", "token")

    def __init__(self, spans: "Spans", name: str, attributes: Dict[str, Any],
                 kind: SpanKind = SpanKind.INTERNAL, parent: Any = None) -> None:
        self.spans = spans
        self.span = spans.tracer.start_span(name, context=parent, kind=kind,
                                            attributes=attributes)
        self.token = otel_context.attach(trace.set_span_in_context(self.span))
        self.active: Any = None  # a delivery's: what marks it active, to be undone

    def close(self, error: Optional[BaseException] = None,
              attributes: Optional[Dict[str, Any]] = None) -> None:
        try:
            if attributes:
                self.span.set_attributes(attributes)
            if error is not None and not isinstance(error, GeneratorExit):
                self.spans.error(self.span, error)
            self.span.end()
        except Exception as fault:
            report_fault("close a span", fault)
        finally:
            if self.active is not None:  # (set in another context, it ends with that one)
                with contextlib.suppress(ValueError):
                    ACTIVE.reset(self.active)
            _detach(self.token)


class Spans:
    """The spans of one delivery: its own, and those of what runs inside it."""

    def __init__(self, tracer: Any, config: Optional[Mapping[str, Any]]) -> None:
        self.tracer = tracer
        self.config = config
        self.request: Any = None  # the delivery's, once it is opened

    def error(self, span: Any, error: BaseException, status: bool = True) -> None:
        # masked by the secrets of the configuration and of the request's parameters
        record_error(span, error, event_secrets(self.config, self.request), status)
        code = getattr(error, "status_code", None)  # a Connect ClientError
        if isinstance(code, int):
            span.set_attribute("http.response.status_code", code)
        error_code = getattr(error, "error_code", None)
        if isinstance(error_code, str):
            span.set_attribute(PREFIX + "connect.error_code", error_code)

    def _open(self, what: str, *args: Any, **kwargs: Any) -> Optional[_Opened]:
        try:
            return _Opened(self, *args, **kwargs)
        except Exception as fault:
            report_fault(f"open the span of {what}", fault)
            return None

    # the delivery ------------------------------------------------------------------------

    def _open_delivery(self, flow: Any, request: Any, mode: str) -> Optional[_Opened]:
        self.request = request if isinstance(request, dict) else None
        parent = None
        if not trace.get_current_span().get_span_context().is_valid:
            parent = root_context(request)
        attributes: Dict[str, Any] = {
            "messaging.system": "connect",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            PREFIX + "flow.kind": type(flow).kind,
            PREFIX + "flow.name": type(flow).__name__,
            PREFIX + "flow.mode": mode,
            **connect_ids(request),
        }
        request_id = request.get("id") if isinstance(request, dict) else None
        if isinstance(request_id, str):
            attributes["messaging.message.id"] = request_id
        opened = self._open("a delivery", f"process {type(flow).__name__}", attributes,
                            SpanKind.CONSUMER, parent)
        if opened is not None:
            opened.active = ACTIVE.set(self)
        return opened

    def _close_delivery(self, opened: _Opened, flow: Any, response: Any,
                        error: Optional[BaseException]) -> None:
        attributes: Dict[str, Any] = {}
        try:
            status = getattr(response, "status", None)
            if status is not None:
                attributes[PREFIX + "response.status"] = str(status)
            countdown = getattr(response, "countdown", None)
            if status == "reschedule" and isinstance(countdown, int):
                attributes[PREFIX + "response.countdown"] = countdown
            selected = getattr(flow, "selected", None)
            if selected is not None:
                attributes[PREFIX + "transaction.selected"] = _name(selected)
            ran = getattr(flow, "ran", None)
            if isinstance(ran, list):
                attributes[PREFIX + "transactions.ran"] = [_name(t) for t in ran]
        except Exception as fault:
            report_fault("describe a delivery", fault)
        opened.close(error, attributes)

    def deliver(self, resolve: Callable[..., Any], flow: Any, request: Any) -> Any:
        opened = self._open_delivery(flow, request, "sync")
        if opened is None:
            return resolve(flow, request)
        try:
            response = resolve(flow, request)
        except BaseException as error:
            self._close_delivery(opened, flow, None, error)
            raise
        self._close_delivery(opened, flow, response, None)
        return response

    async def adeliver(self, aresolve: Callable[..., Any], flow: Any, request: Any) -> Any:
        opened = self._open_delivery(flow, request, "async")
        if opened is None:
            return await aresolve(flow, request)
        try:
            response = await aresolve(flow, request)
        except BaseException as error:
            self._close_delivery(opened, flow, None, error)
            raise
        self._close_delivery(opened, flow, response, None)
        return response

    # a saga's transaction ----------------------------------------------------------------

    def transaction(self, transaction: Any, steps: Any) -> Any:
        name = _name(transaction)
        opened = self._open("a transaction", f"transaction {name}", {
            PREFIX + "transaction.name": name, PREFIX + "transaction.selected": True})
        return steps if opened is None else self._transaction(opened, steps)

    def _transaction(self, opened: _Opened, steps: Any) -> Any:
        try:
            outcome = yield from steps
        except BaseException as error:
            opened.close(error)
            raise
        attributes: Dict[str, Any] = {}
        try:
            response, compensated = outcome
            attributes[PREFIX + "transaction.outcome"] = str(response.status)
            if compensated is not None:  # handled: an event, not an error status
                attributes[PREFIX + "transaction.compensated"] = type(compensated).__name__
                self.error(opened.span, compensated, status=False)
        except Exception as fault:
            report_fault("describe a transaction", fault)
        opened.close(None, attributes)
        return outcome

    # a flow's transactions ---------------------------------------------------------------

    def transactions(self, steps: Any) -> Any:
        return _relayed(steps, self._traced_call)

    def _traced_call(self, call: Any) -> Any:
        transaction = getattr(getattr(call, "func", None), "__self__", None)
        if transaction is None:
            return call
        name = _name(transaction)

        def outcome(answer: Any) -> Optional[Dict[str, Any]]:
            status = getattr(answer, "status", None)
            return None if status is None else {PREFIX + "transaction.outcome": str(status)}

        return self._spanned(call, "a transaction", f"transaction {name}",
                             {PREFIX + "transaction.name": name}, outcome)

    def _spanned(self, call: Any, what: str, name: str, attributes: Dict[str, Any],
                 outcome: Callable[[Any], Optional[Dict[str, Any]]],
                 raised: Optional[Dict[str, Any]] = None) -> Any:
        """``call`` made inside a span ``name``, closed with ``outcome(answer)``'s
        attributes, or with the error it raised (and ``raised``). Sync or ``async def``, as
        ``call`` is; it keeps ``call``'s target as ``func``, the name messages give it."""

        @contextmanager
        def span() -> Iterator[Dict[str, Any]]:
            opened = self._open(what, name, dict(attributes))
            made: Dict[str, Any] = {}
            try:
                yield made
            except BaseException as error:
                if opened is not None:
                    opened.close(error, raised)
                raise
            if opened is not None:
                opened.close(None, outcome(made.get("answer")))

        traced: Any
        if inspect.iscoroutinefunction(call):
            async def traced() -> Any:
                with span() as made:
                    made["answer"] = await call()
                    return made["answer"]
        else:
            def traced() -> Any:
                with span() as made:
                    made["answer"] = call()
                    return made["answer"]

        traced.func = getattr(call, "func", call)
        return traced

    # a multi-step transaction's steps ----------------------------------------------------

    def step_call(self, kind: str, name: str, position: int, call: Any) -> Any:
        done = {PREFIX + "step.outcome": "done" if kind == "step" else "undone"}
        return self._spanned(call, f"a {kind}", f"{kind} {name}",
                             _step_attributes(kind, name, position), lambda answer: done,
                             {PREFIX + "step.outcome": "raised"})

    def step_replayed(self, kind: str, name: str, position: int) -> None:
        opened = self._open(f"a {kind}", f"{kind} {name}", {
            **_step_attributes(kind, name, position), PREFIX + "step.outcome": "replayed"})
        if opened is not None:
            opened.close()

    # a journal step ----------------------------------------------------------------------

    def journal_step(self, step: Any, fn: Any, steps: Any) -> Any:
        opened = self._open("a journal step", f"journal step {step}",
                            {PREFIX + "journal.step": str(step)})
        return steps if opened is None else self._journal_step(opened, fn, steps)

    def _journal_step(self, opened: _Opened, fn: Any, steps: Any) -> Any:
        ran = []

        def watched(call: Any) -> Any:
            if call is fn:
                ran.append(True)
            return call

        try:
            result = yield from _relayed(steps, watched)
        except BaseException as error:
            opened.close(error, {PREFIX + "journal.outcome": "ran" if ran else "not run"})
            raise
        opened.close(None, {PREFIX + "journal.outcome": "ran" if ran else "replayed"})
        return result

    # the lease ---------------------------------------------------------------------------

    def lease(self, take: Callable[..., Any], lease: Any, request: Any) -> Any:
        opened = self._open("a lease decision", "lease", {})
        if opened is None:
            return take(lease, request)
        try:
            held, answer = decided = take(lease, request)
        except BaseException as error:
            opened.close(error)
            raise
        status = getattr(answer, "status", None)
        decision = ("held" if held is not None else "proceeded") if answer is None \
            else "rescheduled" if status == "reschedule" else "repeated"
        opened.close(None, {PREFIX + "lease.decision": decision})
        return decided

    # Connect calls -----------------------------------------------------------------------

    def _open_call(self, facade: Any, name: str, call: Any) -> Tuple[Optional[_Opened], Any]:
        opened = self._open("a Connect call", f"connect {name}", {
            PREFIX + "connect.operation": name,
            PREFIX + "connect.facade": type(facade).__qualname__,
        }, SpanKind.CLIENT)
        on_error = getattr(call, "on_error", None)
        if opened is None or on_error is None:
            return opened, call

        def recorded(error: Any) -> Any:  # handled by the caller, still an error here
            try:
                self.error(opened.span, error)
            except Exception as fault:
                report_fault("describe a Connect call", fault)
            return on_error(error)

        return opened, call._replace(on_error=recorded)

    def connect(self, run: Callable[..., Any], facade: Any, name: str, call: Any) -> Any:
        opened, call = self._open_call(facade, name, call)
        if opened is None:
            return run(facade, name, call)
        try:
            result = run(facade, name, call)
        except BaseException as error:
            opened.close(error)
            raise
        opened.close()
        return result

    async def aconnect(self, arun: Callable[..., Any], facade: Any, name: str,
                       call: Any) -> Any:
        opened, call = self._open_call(facade, name, call)
        if opened is None:
            return await arun(facade, name, call)
        try:
            result = await arun(facade, name, call)
        except BaseException as error:
            opened.close(error)
            raise
        opened.close()
        return result
