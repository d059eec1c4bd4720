"""A small recording HTTP(S) server on 127.0.0.1 for tests of code that calls web APIs.

A route handler takes the :class:`RecordedCall` (and the named groups of its path pattern
as keyword arguments) and returns ``(status, body, headers)``: the body is encoded as
JSON, ``None`` sends no body. Raising :class:`HTTPError` answers with its status and
payload. Whatever else goes wrong in a route (an exception, a body JSON cannot encode,
an answer of the wrong shape) is answered with a JSON 500, never a dropped connection.

Route handlers of one service run one at a time, under its lock, and a call is recorded
in the same step: a handler may read and change the service's state without a lock of
its own, and a test that finds a call in ``calls`` also finds its effect. A route's
``delay`` (a slow vendor) is spent before that, outside the lock, so slow calls overlap
as they do at a real vendor.
"""

import contextlib
import json
import math
import re
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple, Union
from urllib.parse import unquote, urlsplit

from rndi.connect.testing._body import MAX_BODY_BYTES, BadCall, discard, read_body

__all__ = ["MAX_BODY_BYTES", "Answer", "FakeHTTPService", "HTTPError", "Handler",
           "RecordedCall"]

# (status, JSON-encodable body or None, extra headers): what a route handler returns
Answer = Tuple[int, Any, Dict[str, str]]
Handler = Callable[..., Answer]

# Enough for a test opening many connections at once: with a small backlog the kernel
# drops the extra connection attempts and each client waits a second to retry.
LISTEN_BACKLOG = 128
# After refusing a body, how long a silent client may keep the connection before it closes.
LINGER_SECONDS = 2.0


@dataclass
class RecordedCall:
    """One HTTP call the server received.

    Attributes:
        method: ``GET``, ``POST``…
        path: the path, percent-decoded, runs of ``/`` collapsed.
        query: the query string, percent-decoded, without the ``?``.
        body: the decoded JSON body; the text when it is not JSON; ``None`` when empty.
        headers: the request headers.
    """

    method: str
    path: str
    query: str
    body: Any
    headers: Dict[str, str] = field(default_factory=dict)


class HTTPError(Exception):
    """Raised by a route to answer with an error status and a JSON body."""

    def __init__(self, status: int, payload: Any) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload


class _Server(ThreadingHTTPServer):
    """One thread per connection; the TLS handshake runs in that thread, bounded, so a
    client that never sends its hello holds up nobody else."""

    daemon_threads = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, handler: type, ssl_context: Optional[ssl.SSLContext],
                 handshake_timeout: float) -> None:
        self.ssl_context = ssl_context
        self.handshake_timeout = handshake_timeout
        super().__init__(("127.0.0.1", 0), handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(self.handshake_timeout)
        try:
            connection = self.ssl_context.wrap_socket(request, server_side=True)
        except OSError:  # no hello in time, not TLS, or a refused certificate
            return
        connection.settimeout(None)
        try:
            super().finish_request(connection, client_address)
        finally:
            connection.close()


class Hold:
    """Calls held back by :meth:`FakeHTTPService.hold`; a context manager that releases
    them on exit.

    Attributes:
        arrived: the calls that reached the hold, in order.
    """

    def __init__(self, service: "FakeHTTPService", method: str, pattern: "re.Pattern[str]",
                 timeout: float,
                 where: Optional[Callable[[RecordedCall], bool]] = None) -> None:
        self._service = service
        self._method = method
        self._pattern = pattern
        self._where = where
        self._timeout = timeout
        self._released = threading.Event()
        self._answer: Optional[Answer] = None
        self._arrival = threading.Condition()
        self.arrived: List[RecordedCall] = []

    def stop(self, call: RecordedCall) -> Optional[Answer]:
        """Wait here when ``call`` is one of the held calls; then answer what ``release``
        was given, if anything (the route is not run)."""
        if call.method != self._method or not self._pattern.fullmatch(call.path) or (
                self._where is not None and not self._where(call)):
            return None
        with self._arrival:
            self.arrived.append(call)
            self._arrival.notify_all()
        self._released.wait(self._timeout)
        return self._answer

    def wait_arrived(self, timeout: float, count: int = 1) -> List[RecordedCall]:
        """Wait until ``count`` held calls have arrived.

        Raises:
            TimeoutError: fewer arrived within ``timeout`` seconds.
        """
        with self._arrival:
            if not self._arrival.wait_for(lambda: len(self.arrived) >= count, timeout):
                raise TimeoutError(f"{len(self.arrived)} of {count} {self._method} calls to "
                                   f"{self._pattern.pattern} arrived within {timeout} s.")
            return list(self.arrived)

    def release(self, answer: Optional[Answer] = None) -> None:
        """Let the held calls (and any later one) go on; the hold ends. With ``answer``
        (``(status, body, headers)``), they get it instead of their route's: a call
        that never takes effect, as when its client died mid-way."""
        if self._released.is_set():  # released already: the first answer stands
            return
        self._answer = answer
        self._released.set()
        with contextlib.suppress(ValueError):
            self._service._holds.remove(self)

    def __enter__(self) -> "Hold":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release()


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: "re.Pattern[str]"
    handler: Handler
    delay: float


class FakeHTTPService:
    """A threaded JSON HTTP server on a free 127.0.0.1 port, recording every call.

    Declare routes with :meth:`route` (a regex on the path, with named groups passed to
    the handler as keyword arguments), in a subclass or on an instance. Use it as a
    context manager. Every call is appended to :attr:`calls` as its route runs (in the
    same step, under the service's lock). :meth:`stop` drops the calls not answered yet:
    their connections close, and they are not recorded.

    Args:
        ssl_context: serve HTTPS with this server-side context.
        handshake_timeout: seconds a client has to complete its TLS handshake.

    Attributes:
        calls: every :class:`RecordedCall` received, in order.
        failures: the exceptions route handlers raised (answered with a 500), in order,
            so a test can re-raise the one that matters.
    """

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None,
                 handshake_timeout: float = 10.0) -> None:
        self.calls: List[RecordedCall] = []
        self.failures: List[BaseException] = []
        self._routes: List[_Route] = []
        self._ssl_context = ssl_context
        self._handshake_timeout = handshake_timeout
        self._server: Optional[_Server] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.RLock()  # a route may seed or route again while it runs
        self._holds: List[Hold] = []
        self._stopped = threading.Event()  # set by stop(): calls still in flight are dropped
        self._in_flight = 0
        self._flight = threading.Condition()

    def hold(self, method: str, pattern: str, timeout: float = 300.0,
             where: Optional[Callable[[RecordedCall], bool]] = None) -> "Hold":
        """Hold back the calls with ``method`` whose path fully matches ``pattern`` (and,
        with ``where``, for which ``where(call)`` is true: one order among many, told by
        its body): each waits, before it is recorded or answered, until the hold is
        released (at the end of its ``with`` block, by ``release()``, or after
        ``timeout`` seconds). For a test to act while a client is in the middle of a
        call: kill it, deliver again::

            with connect.hold("PUT", "/public/v1/requests/PR-1") as held:
                held.wait_arrived(60)   # the extension is now inside that call
                runner.kill()
        """
        hold = Hold(self, method.upper(), re.compile(pattern), timeout, where)
        self._holds.append(hold)
        return hold

    def route(self, method: str, pattern: "Union[str, re.Pattern[str]]", handler: Handler, *,
              delay: float = 0.0, replace: bool = False) -> None:
        """Answer ``method`` calls whose path fully matches ``pattern`` with
        ``handler(call, **named_groups)``, which returns ``(status, body, headers)``.

        Args:
            delay: seconds each call waits before ``handler`` runs, as at a slow vendor;
                spent outside the service's lock, so the calls overlap (sleeping in the
                handler instead would hold every other call of the service).
            replace: replace the route declared for the same method and pattern, keeping
                its place; without it, declaring that route again is an error.

        Raises:
            ValueError: a route for this method and pattern exists already (and
                ``replace`` is not set), or ``delay`` is negative or not finite.
        """
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not (
                math.isfinite(delay) and delay >= 0):
            raise ValueError(f"route(delay=...) takes a number of seconds, 0 or more, got "
                             f"{type(delay).__name__} {delay!r}.")
        new = _Route(method.upper(), re.compile(pattern), handler, float(delay))
        with self._lock:
            for number, existing in enumerate(self._routes):
                # compared as compiled: the same pattern given as text or compiled
                if (existing.method, existing.pattern) != (new.method, new.pattern):
                    continue
                if not replace:
                    raise ValueError(
                        f"A route for {new.method} {new.pattern.pattern} exists already "
                        f"({_name(existing.handler)}); a second one would never answer. "
                        "Pass replace=True to replace it.")
                self._routes[number] = new
                return
            self._routes.append(new)

    def wait_in_flight(self, count: int, timeout: float) -> int:
        """Wait until at least ``count`` calls are in flight: received and not answered
        yet (held, spending their route's ``delay``, or being answered).

        Returns:
            How many are in flight.

        Raises:
            TimeoutError: fewer were in flight at once within ``timeout`` seconds.
        """
        with self._flight:
            if not self._flight.wait_for(lambda: self._in_flight >= count, timeout):
                raise TimeoutError(f"{self._in_flight} of {count} calls were in flight "
                                   f"within {timeout} s.")
            return self._in_flight

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The service is not started: call start() or use `with`.")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def start(self) -> "FakeHTTPService":
        service = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Answers go out in one write with Nagle off: otherwise each answer on a
            # kept-alive connection waits for the client's delayed ACK (~40 ms).
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean; every call is in service.calls

            def _serve(self) -> None:
                service._dispatch(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._stopped.clear()
        self._server = _Server(RequestHandler, self._ssl_context, self._handshake_timeout)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving. Calls not answered yet (held, or waiting out their route's
        ``delay``) are dropped: their connections close, nothing of them is recorded
        or applied."""
        self._stopped.set()
        for hold in list(self._holds):
            hold.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> "FakeHTTPService":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        path = re.sub(r"/{2,}", "/", unquote(parts.path))  # clients can send //
        try:
            body = read_body(handler.headers, handler.rfile)
        except BadCall as e:
            handler.close_connection = True  # where the next call would start is unknown
            _respond(handler, e.status, _error_body(e.status, e.message), {})
            if e.unread:  # let the client finish sending, so it reads the answer
                handler.connection.settimeout(LINGER_SECONDS)
                discard(handler.rfile, e.unread)
            return
        call = RecordedCall(handler.command, path, unquote(parts.query), body,
                            dict(handler.headers.items()))
        with self._flight:
            self._in_flight += 1
            self._flight.notify_all()
        try:
            answer = self._answered(call)
        finally:
            with self._flight:
                self._in_flight -= 1
                self._flight.notify_all()
        if answer is None:  # stopped meanwhile: as from a server that went away
            handler.close_connection = True
            return
        _respond_encoded(handler, *answer)

    def _answered(self, call: RecordedCall) -> Optional[Tuple[int, bytes, Dict[str, str]]]:
        """The encoded answer to ``call``, recorded; ``None`` when the service stopped
        before it was answered (then nothing is recorded)."""
        instead = None
        for hold in list(self._holds):  # outside the lock: other calls go on meanwhile
            instead = hold.stop(call) or instead
        route, groups, allowed = self._route_for(call) if instead is None else (None, {}, True)
        if route is not None and route.delay:
            self._stopped.wait(route.delay)  # outside the lock, cut short by stop()
        with self._lock:
            if self._stopped.is_set():
                return None
            self.calls.append(call)
            if instead is not None:
                return instead[0], _encode(instead[1]), dict(instead[2])
            return self._encoded_answer(call, route, groups, allowed)

    def _route_for(self, call: RecordedCall) -> Tuple[Optional[_Route], Dict[str, Any], bool]:
        """The route for ``call`` and its named groups; whether its path has any route."""
        allowed = False
        with self._lock:
            routes = list(self._routes)
        for route in routes:
            match = route.pattern.fullmatch(call.path)
            if not match:
                continue
            allowed = True
            if route.method == call.method:
                return route, match.groupdict(), True
        return None, {}, allowed

    def _encoded_answer(self, call: RecordedCall, route: Optional[_Route],
                        groups: Dict[str, Any], allowed: bool,
                        ) -> Tuple[int, bytes, Dict[str, str]]:
        """The route's answer, encoded; a route that fails is a 500 naming what went wrong."""
        try:
            status, payload, headers = self._answer(call, route, groups, allowed)
            return status, _encode(payload), dict(headers)
        except Exception as e:  # any fault of a route is answered, not a dropped connection
            self.failures.append(e)
            return 500, _encode(_error_body(500, _describe_failure(call, e))), {}

    @staticmethod
    def _answer(call: RecordedCall, route: Optional[_Route], groups: Dict[str, Any],
                allowed: bool) -> Answer:
        if route is None:
            if allowed:
                return 405, _error_body(405, f"{call.method} not allowed"), {}
            return 404, _error_body(404, f"No route for {call.path}"), {}
        try:
            answer = route.handler(call, **groups)
        except HTTPError as e:
            return e.status, e.payload, {}
        return _checked_answer(route.handler, answer)


class _WrongAnswer(TypeError):
    """A route returned something other than ``(status, body, headers)``."""


class _Unencodable(TypeError):
    """A route answered with a body JSON cannot encode."""


def _checked_answer(route: Handler, answer: Any) -> Answer:
    if (not isinstance(answer, tuple) or len(answer) != 3 or not isinstance(answer[0], int)
            or not isinstance(answer[2], dict)):
        raise _WrongAnswer(
            f"the route {_name(route)} must return (status: int, body, headers: dict), "
            f"got {type(answer).__name__}")
    return answer


def _name(route: Handler) -> str:
    return str(getattr(route, "__qualname__", None) or type(route).__name__)


def _describe_failure(call: RecordedCall, error: Exception) -> str:
    if isinstance(error, _WrongAnswer):
        return f"The answer to {call.method} {call.path} is unusable: {error}"
    if isinstance(error, _Unencodable):
        return (f"The answer to {call.method} {call.path} has a body JSON cannot encode: "
                f"{error}; answer with dicts, lists, strings, finite numbers, booleans "
                "and None")
    return (f"The route for {call.method} {call.path} raised {type(error).__name__}; "
            "the exception is in the service's failures")


def _error_body(status: int, message: str) -> Dict[str, Any]:
    return {"error_code": f"HTTP_{status}", "errors": [message]}


def _encode(payload: Any) -> bytes:
    """JSON bytes (``b""`` for ``None``); NaN and infinities are not JSON either."""
    if payload is None:
        return b""
    try:
        return json.dumps(payload, allow_nan=False).encode()
    except RecursionError:
        raise _Unencodable("it is nested too deeply") from None
    except (TypeError, ValueError) as e:  # the message names a type, or NaN, never a value
        raise _Unencodable(str(e)) from None


def _respond(handler: BaseHTTPRequestHandler, status: int, payload: Any,
             headers: Dict[str, str]) -> None:
    _respond_encoded(handler, status, _encode(payload), headers)


def _respond_encoded(handler: BaseHTTPRequestHandler, status: int, data: bytes,
                     headers: Dict[str, str]) -> None:
    """Status line, headers and body in a single write."""
    reason = handler.responses.get(status, ("",))[0]
    lines = [f"{handler.protocol_version} {status} {reason}",
             "Content-Type: application/json", f"Content-Length: {len(data)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    if handler.close_connection:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with contextlib.suppress(BrokenPipeError, ConnectionResetError, socket.timeout):
        handler.wfile.write(head + data)  # a client that left needs no answer
