"""A local stand-in for the Connect EaaS websocket server that hosts extension runners.

It speaks the message sequence ``connect-extension-runner`` expects: a setup response
to each worker (background and interactive), tasks with their results captured, then
shutdown. Each kind of task goes where Connect sends it: background events and scheduled
tasks to the background worker, interactive events (draft validations, product actions,
custom events) to the interactive one; a task the extension declares no handler for is
refused before it is sent. Needs the ``testing`` extra
(``pip install "rndi-connect-devops-fulfillment-framework[testing]"``)::

    with FakeEaaS({"ACTIVATION_TEMPLATE": "TL-1"}) as eaas:
        ...  # start the runner with SERVER_ADDRESS=eaas.address
        eaas.wait_ready()
        output = eaas.deliver("asset_purchase_request_processing", "PR-1")
        assert output["result"] == "success"
        validated = eaas.validate("asset_purchase_request_validation", draft_request)
        output = eaas.trigger(connect.add_schedule("nightly_reconciliation"))
"""

import asyncio
import contextlib
import json
import threading
import time
import uuid
from concurrent.futures import Future, as_completed
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple
from urllib.parse import parse_qs, urlsplit

try:
    from websockets.exceptions import ConnectionClosed
except ImportError as e:  # pragma: no cover - exercised in a subprocess without websockets
    raise ImportError(
        "rndi.connect.testing.eaas needs the websockets package: pip install "
        '"rndi-connect-devops-fulfillment-framework[testing]"') from e

DEFAULT_EVENTS = ("asset_purchase_request_processing",)
# the event types Connect sends to the interactive worker and waits for
INTERACTIVE_EVENTS = frozenset({
    *(f"asset_{kind}_request_validation" for kind in ("purchase", "change", "renew",
                                                      "transfer")),
    *(f"tier_config_{kind}_request_validation" for kind in ("setup", "change")),
    "product_action_execution",
    "product_custom_event_processing",
})
SCHEDULED_EXECUTION = "scheduled_execution"


class UndeclaredTask(LookupError):
    """The extension declares no handler for a task: the runner would not run it.

    Attributes:
        kind: ``event`` or ``schedulable``.
        name: the event type or the schedulable method name.
        declared: what the extension does declare for that worker.
    """

    def __init__(self, kind: str, name: str, declared: Iterable[str], fix: str) -> None:
        self.kind = kind
        self.name = name
        self.declared = sorted(declared)
        super().__init__(f"The extension declares no {kind} {name!r} (it declares: "
                         f"{', '.join(self.declared) or 'none'}); {fix}")


class TaskFailed(AssertionError):
    """An interactive task did not answer ``success``.

    Attributes:
        output: what the runner reported (``result``, ``data``, ``message`` …).
    """

    def __init__(self, what: str, output: Dict[str, Any]) -> None:
        self.output = output
        message = (output.get("message") or "").strip().splitlines()
        super().__init__(f"{what} answered {output.get('result')!r}"
                         + (f": {message[-1]}" if message else "") + ".")

    @property
    def body(self) -> Any:
        """The body the extension answered (for a validation, the request it left)."""
        return (self.output.get("data") or {}).get("body")


def _now() -> float:
    return time.monotonic()


def event_definition(event_type: str) -> Dict[str, str]:
    """How Connect tells the runner to fetch the object of an event (requests API)."""
    collection = "tier/config-requests" if event_type.startswith("tier_config") else "requests"
    return {
        "event_type": event_type,
        "api_resource_endpoint": f"{collection}/{{pk}}",
        "api_collection_endpoint": collection,
        "api_collection_filter": "and(eq(id,${_object_id_}),in(status,${_statuses_}))",
    }


class FakeEaaS:
    """The EaaS websocket server, on a free 127.0.0.1 port, in a background thread.

    Args:
        variables: the extension configuration (``self.config`` in the extension).
        event_types: events the runner is told how to fetch.
        secure_variables: names of variables to mark secure.
    """

    def __init__(self, variables: Mapping[str, str], event_types: Iterable[str] = DEFAULT_EVENTS,
                 secure_variables: Iterable[str] = ()) -> None:
        secure = set(secure_variables)
        self.variables = [{"name": name, "value": str(value), "secure": name in secure}
                          for name, value in variables.items()]
        self.event_types = list(event_types)
        self.setup_requests: Dict[str, Dict[str, Any]] = {}
        # instance -> runner type -> its setup request: what that worker declares
        self._setups: Dict[str, Dict[str, Dict[str, Any]]] = {}
        self.messages: List[Tuple[str, Dict[str, Any]]] = []
        # instance id (a runner's INSTANCE_ID: one per replica) -> runner type -> connection
        self._instances: Dict[str, Dict[str, Any]] = {}
        # runner type -> the worker's (host, port), of the last connected instance
        self.peers: Dict[str, Tuple[str, int]] = {}
        self._peers: Dict[str, Dict[str, Tuple[str, int]]] = {}
        self._changed = threading.Condition()
        self._pending: Dict[str, Future] = {}
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._server: Any = None
        self.port = 0

    @property
    def address(self) -> str:
        """What the runner takes as ``SERVER_ADDRESS``."""
        return f"127.0.0.1:{self.port}"

    def setup_response(self) -> Dict[str, Any]:
        return {"version": 2, "message_type": "setup_response", "data": {
            "variables": self.variables,
            "environment_type": "development",
            "logging": {"logging_api_key": None, "log_level": "INFO",
                        "runner_log_level": "INFO", "meta": {
                            "service_id": "SRV-000-000-000", "account_id": "VA-000-000",
                            "account_name": "Local vendor", "products": [],
                            "hub_id": "HB-0000-0000"}},
            "event_definitions": [event_definition(e) for e in self.event_types],
            "model_type": "setup_response",
        }}

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> "FakeEaaS":
        started = threading.Event()
        failure: List[BaseException] = []

        async def listen() -> Any:
            from websockets.asyncio.server import serve as ws_serve

            return await ws_serve(self._handle, "127.0.0.1", 0)

        def serve() -> None:
            loop = asyncio.new_event_loop()
            try:
                self._server = loop.run_until_complete(listen())
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as e:  # reported to start()'s caller
                failure.append(e)
                loop.close()
                started.set()
                return
            self._loop = loop
            started.set()
            loop.run_forever()

        self._thread = threading.Thread(target=serve, name="fake-eaas", daemon=True)
        self._thread.start()
        if not started.wait(60):
            raise TimeoutError("The fake EaaS server did not start listening within 60 s.")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return

        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(60)
        loop.close()
        self._loop = None

    def __enter__(self) -> "FakeEaaS":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # conversation ------------------------------------------------------------------------

    async def _handle(self, connection: Any) -> None:
        parts = urlsplit(connection.request.path)
        runner_type = parse_qs(parts.query).get("runner_type", ["unknown"])[0]
        instance = parts.path.rstrip("/").rsplit("/", 1)[-1]  # .../ws/{env}/{instance}
        peer = tuple(connection.remote_address[:2])
        self.peers[runner_type] = peer
        self._peers.setdefault(instance, {})[runner_type] = peer
        try:
            with contextlib.suppress(ConnectionClosed):  # a killed worker just goes away
                await self._converse(instance, runner_type, connection)
        finally:
            with self._changed:
                if self._instances.get(instance, {}).get(runner_type) is connection:
                    del self._instances[instance][runner_type]
                    if not self._instances[instance]:
                        del self._instances[instance]
                self._changed.notify_all()

    async def _converse(self, instance: str, runner_type: str, connection: Any) -> None:
        async for raw in connection:
            message = json.loads(raw)
            self.messages.append((runner_type, message))
            kind = message.get("message_type")
            if kind == "setup_request":
                self.setup_requests[runner_type] = message.get("data") or {}
                self._setups.setdefault(instance, {})[runner_type] = self.setup_requests[
                    runner_type]
                await connection.send(json.dumps(self.setup_response()))
                with self._changed:  # ready: it can take tasks
                    self._instances.setdefault(instance, {})[runner_type] = connection
                    self._changed.notify_all()
            elif kind == "task":
                task = message.get("data") or {}
                pending = self._pending.pop(task.get("options", {}).get("task_id"), None)
                if pending is not None:
                    pending.set_result(task.get("output") or {})

    def wait_ready(self, timeout: float = 60.0, instances: Iterable[str] = ()) -> None:
        """Wait until both workers (background and interactive) of each of ``instances``
        (runner ``INSTANCE_ID`` s; default: of at least one runner) have their setup
        response."""
        wanted = list(instances)

        def ready() -> bool:
            complete = {name for name, workers in self._instances.items()
                        if {"background", "interactive"} <= set(workers)}
            return set(wanted) <= complete if wanted else bool(complete)

        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                missing = ", ".join(wanted) or "any runner"
                raise TimeoutError(f"{missing}: the background worker and the interactive "
                                   f"worker did not both connect within {timeout} s "
                                   f"(connected: {self.connected()}).")

    def connected(self) -> Dict[str, List[str]]:
        """The connected runner instances and their workers' types."""
        with self._changed:
            return {name: sorted(workers) for name, workers in self._instances.items()}

    def peers_of(self, instance: str) -> Dict[str, Tuple[str, int]]:
        """Runner type -> the (host, port) of that instance's workers."""
        return dict(self._peers.get(instance, {}))

    def _worker(self, instance: Optional[str], runner_type: str = "background",
                ) -> Tuple[str, Any]:
        """``(instance, connection)`` of the ``runner_type`` worker to send a task to."""
        with self._changed:
            if instance is not None:
                connection = self._instances.get(instance, {}).get(runner_type)
                if connection is None:
                    raise RuntimeError(f"Runner instance {instance!r} has no {runner_type} "
                                       f"worker connected (connected: {self.connected()}).")
                return instance, connection
            workers = {name: workers[runner_type]
                       for name, workers in self._instances.items() if runner_type in workers}
        if not workers:
            raise RuntimeError(f"No {runner_type} worker is connected: call wait_ready() "
                               "first.")
        if len(workers) > 1:
            raise RuntimeError(f"{len(workers)} runner instances are connected "
                               f"({', '.join(sorted(workers))}): name one with "
                               "instance=..., or use send_to_all().")
        return next(iter(workers.items()))

    def _declared(self, instance: str, runner_type: str) -> Dict[str, Any]:
        with self._changed:
            return self._setups.get(instance, {}).get(runner_type) or {}

    def _refuse_undeclared_event(self, instance: str, runner_type: str,
                                 event_type: str) -> None:
        events = self._declared(instance, runner_type).get("event_subscriptions") or {}
        if event_type not in events:
            raise UndeclaredTask(
                "event", event_type, events,
                f"add a handler decorated with @event({event_type!r}, statuses=[...]) to "
                "the extension class, or send an event type it declares.")

    @property
    def in_flight(self) -> int:
        """How many tasks were sent and have no result yet."""
        return len(self._pending)

    def send(self, event_type: str, object_id: str, timeout: float = 60.0,
             instance: Optional[str] = None) -> Future:
        """Send one background task without waiting for its result.

        Args:
            instance: the runner (``INSTANCE_ID``) to send it to; needed when several
                replicas are connected.

        Returns:
            A future of the output the runner reports (``result``, ``countdown``,
            ``message`` …); its ``task_id`` attribute names the task, ``instance`` the
            runner it went to.

        Raises:
            RuntimeError: the server is not started, no background worker is connected,
                or several are and ``instance`` names none of them.
            ValueError: ``event_type`` is an interactive event (use ``validate`` or
                ``interact``).
            UndeclaredTask: the extension declares no handler for ``event_type``.
            TimeoutError: the task could not be written within ``timeout`` seconds.
        """
        self._started()
        if event_type in INTERACTIVE_EVENTS:
            raise ValueError(f"{event_type!r} is an interactive event: Connect sends it to "
                             "the interactive worker with the request in the task. Use "
                             "validate(event_type, request) or interact(event_type, data).")
        chosen, connection = self._worker(instance)
        self._refuse_undeclared_event(chosen, "background", event_type)
        return self._send_task(connection, "background", event_type, object_id, {},
                               timeout, instance)

    def _started(self) -> None:
        if self._loop is None:
            raise RuntimeError("FakeEaaS is not started.")

    def _send_task(self, connection: Any, category: str, event_type: str, object_id: str,
                   data: Dict[str, Any], timeout: float, instance: Optional[str]) -> Future:
        loop = self._loop
        if loop is None:
            raise RuntimeError("FakeEaaS is not started.")
        task_id = f"TQ-{uuid.uuid4().hex[:12]}"
        result: Future = Future()
        result.task_id = task_id  # type: ignore[attr-defined]
        result.instance = instance  # type: ignore[attr-defined]
        self._pending[task_id] = result
        message = {"version": 2, "message_type": "task", "data": {
            "model_type": "task",
            "options": {"task_id": task_id, "task_category": category,
                        "correlation_id": uuid.uuid4().hex, "reply_to": None,
                        "api_key": None, "installation_id": None,
                        "connect_correlation_id": None},
            "input": {"event_type": event_type, "object_id": object_id, "data": data},
        }}
        sending = asyncio.run_coroutine_threadsafe(connection.send(json.dumps(message)), loop)
        try:
            sending.result(timeout)
        except FutureTimeout:
            sending.cancel()
            self._pending.pop(task_id, None)
            raise TimeoutError(f"Could not send task {task_id} ({event_type} {object_id}) "
                               f"within {timeout} s.") from None
        return result

    def _wait(self, sent: Future, what: str, timeout: float) -> Dict[str, Any]:
        try:
            return dict(sent.result(timeout))
        except FutureTimeout:
            self._pending.pop(sent.task_id, None)  # type: ignore[attr-defined]
            raise TimeoutError(f"{what} (task {sent.task_id}) got no result within "  # type: ignore[attr-defined]
                               f"{timeout} s.") from None

    def interact(self, event_type: str, data: Mapping[str, Any], timeout: float = 60.0,
                 instance: Optional[str] = None) -> Dict[str, Any]:
        """Send an interactive event to the interactive worker, as Connect does: the
        object (a draft request, an action's payload) travels in the task, and the
        answer comes back within the call.

        Returns:
            The output the runner reports: ``result`` (``success`` or ``fail``), ``data``
            (``http_status``, ``headers`` and the ``body`` the extension answered) and
            ``message``.

        Raises:
            ValueError: ``event_type`` is not an interactive event, or ``data`` is not a
                non-empty dict (the runner drops a task without one, unanswered).
            UndeclaredTask: the extension declares no handler for ``event_type``.
            RuntimeError: no interactive worker is connected (or several, and
                ``instance`` names none).
            TimeoutError: no result within ``timeout`` seconds.
        """
        self._started()
        if event_type not in INTERACTIVE_EVENTS:
            raise ValueError(f"{event_type!r} is not an interactive event (those are "
                             f"{', '.join(sorted(INTERACTIVE_EVENTS))}); send a background "
                             "event with deliver(event_type, object_id).")
        if not isinstance(data, Mapping) or not data:
            raise ValueError(f"interact({event_type!r}, data) takes the object of the event "
                             f"as a non-empty dict, got {type(data).__name__}"
                             f"{' (empty)' if isinstance(data, Mapping) else ''}: the "
                             "runner drops a task without one and never answers.")
        chosen, connection = self._worker(instance, "interactive")
        self._refuse_undeclared_event(chosen, "interactive", event_type)
        object_id = str(data.get("id") or "")
        sent = self._send_task(connection, "interactive", event_type, object_id,
                               dict(data), timeout, instance)
        return self._wait(sent, f"{event_type} {object_id}", timeout)

    def validate(self, event_type: str, request: Mapping[str, Any], timeout: float = 60.0,
                 instance: Optional[str] = None) -> Any:
        """Send a draft request to the extension's validation handler and return the
        request it answered (with its parameters' ``value_error`` s and values).

        Raises:
            TaskFailed: the extension answered ``fail`` (its ``output`` and ``body``, the
                request as it was left, are attributes).
            ValueError, UndeclaredTask, RuntimeError, TimeoutError: as ``interact``;
                ``ValueError`` also for an event type that is not a validation.
        """
        if not event_type.endswith("_request_validation"):
            raise ValueError(f"{event_type!r} is not a validation event; use "
                             "interact(event_type, data) for other interactive events.")
        output = self.interact(event_type, request, timeout, instance)
        if output.get("result") != "success":
            raise TaskFailed(f"The validation of {request.get('id')!r}", output)
        return (output.get("data") or {}).get("body")

    def trigger(self, schedule: Mapping[str, Any], timeout: float = 60.0,
                instance: Optional[str] = None) -> Dict[str, Any]:
        """Run a scheduled task now, as Connect does when its schedule fires: the
        background worker fetches the schedule from the Connect API (seed it with
        ``ConnectAPI.add_schedule(method)``) and calls the ``@schedulable`` method it
        names.

        Args:
            schedule: the schedule object (``id`` and ``method``).

        Returns:
            The output the runner reports (``result``: ``success``, ``fail``, or ``retry``
            when the method raised, with the traceback in ``message``).

        Raises:
            TypeError: ``schedule`` is not a schedule object.
            UndeclaredTask: the extension declares no schedulable method of that name.
            RuntimeError, TimeoutError: as ``deliver``.
        """
        self._started()
        if not isinstance(schedule, Mapping) or not schedule.get("id") or not schedule.get(
                "method"):
            raise TypeError("trigger() takes the schedule object, with its 'id' and "
                            "'method': schedule = connect.add_schedule('method_name'), then "
                            f"eaas.trigger(schedule); got {type(schedule).__name__}.")
        chosen, connection = self._worker(instance)
        method = str(schedule["method"])
        declared = [item.get("method") for item in
                    self._declared(chosen, "background").get("schedulables") or []]
        if method not in declared:
            raise UndeclaredTask(
                "schedulable", method, [name for name in declared if name],
                f"decorate the extension's method {method} with @schedulable(name, "
                "description), or trigger a method it declares.")
        sent = self._send_task(connection, "scheduled", SCHEDULED_EXECUTION,
                               str(schedule["id"]), {}, timeout, instance)
        return self._wait(sent, f"Schedule {schedule['id']} ({method})", timeout)

    def send_to_all(self, event_type: str, object_id: str,
                    timeout: float = 60.0) -> Dict[str, Future]:
        """Send the same task to every connected runner instance at once (as Connect's
        redeliveries reach replicas that overlap): instance -> future of its output."""
        with self._changed:
            names = sorted(name for name, workers in self._instances.items()
                           if "background" in workers)
        if not names:
            raise RuntimeError("No background worker is connected: call wait_ready() first.")
        return {name: self.send(event_type, object_id, timeout, instance=name)
                for name in names}

    def deliver(self, event_type: str, object_id: str, timeout: float = 60.0,
                instance: Optional[str] = None) -> Dict[str, Any]:
        """Send one background task and return the output the runner reports
        (``result``, ``countdown``, ``message`` …), waiting at most ``timeout`` seconds
        in all."""
        return next(self.deliver_many(event_type, [object_id], timeout, instance))[1]

    def deliver_many(self, event_type: str, object_ids: Iterable[str],
                     timeout: float = 60.0,
                     instance: Optional[str] = None) -> Iterator[Tuple[str, Dict[str, Any]]]:
        """Send one task per object id at once, then yield ``(object_id, output)`` as each
        result arrives: many tasks in flight, no thread per task.

        Raises:
            TimeoutError: not every result arrived within ``timeout`` seconds of the call
                (the message says how many are still in flight).
        """
        deadline = _now() + timeout
        sent: Dict[Future, str] = {}
        for object_id in object_ids:
            sent[self.send(event_type, object_id, max(deadline - _now(), 0.001),
                           instance)] = object_id
        try:
            for future in as_completed(sent, timeout=max(deadline - _now(), 0.0)):
                yield sent[future], future.result()
        except FutureTimeout:
            waiting = [f"{f.task_id} ({sent[f]})" for f in sent if not f.done()]  # type: ignore[attr-defined]
            for future in sent:
                if not future.done():
                    self._pending.pop(future.task_id, None)  # type: ignore[attr-defined]
            raise TimeoutError(f"{len(waiting)} of {len(sent)} {event_type} tasks got no "
                               f"result within {timeout} s: {', '.join(waiting)}.") from None

    def shutdown(self) -> None:
        """Tell every connected worker to shut down."""
        if self._loop is None:
            return
        message = json.dumps({"version": 2, "message_type": "shutdown"})

        with self._changed:
            connections = [connection for workers in self._instances.values()
                           for connection in workers.values()]

        async def send_all() -> None:
            for connection in connections:
                with contextlib.suppress(Exception):  # a worker already gone needs none
                    await connection.send(message)

        asyncio.run_coroutine_threadsafe(send_all(), self._loop).result(60)
