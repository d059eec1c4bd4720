"""A small recording HTTP(S) server on 127.0.0.1 for tests of code that calls web APIs."""

import json
import re
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote, urlsplit

Answer = Tuple[int, Any, Dict[str, str]]
Handler = Callable[..., Answer]

# No test sends more; a bigger or unreadable body is answered, not read into memory.
MAX_BODY_BYTES = 10 * 1024 * 1024


class _BadCall(Exception):
    """A call the server answers with an error before routing it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class RecordedCall:
    """One HTTP call the server received."""

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


class FakeHTTPService:
    """A threaded JSON HTTP server on a free 127.0.0.1 port, recording every call.

    Subclasses declare routes with :meth:`route` (a regex on the path, with named groups
    passed to the handler as keyword arguments). Use it as a context manager.

    Args:
        ssl_context: serve HTTPS with this server-side context.
    """

    def __init__(self, ssl_context: Optional[ssl.SSLContext] = None) -> None:
        self.calls: List[RecordedCall] = []
        self._routes: List[Tuple[str, re.Pattern[str], Handler]] = []
        self._ssl_context = ssl_context
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Answer ``method`` calls whose path fully matches ``pattern`` with ``handler``."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("The service is not started: call start() or use `with`.")
        return self._server.server_address[1]

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

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self._server.daemon_threads = True
        if self._ssl_context is not None:
            self._server.socket = self._ssl_context.wrap_socket(
                self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
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
            body = _read_body(handler)
        except _BadCall as e:
            handler.close_connection = True  # where this body ends is unknown
            _respond(handler, e.status, {"error_code": f"HTTP_{e.status}",
                                         "errors": [e.message]}, {})
            return
        call = RecordedCall(handler.command, path, unquote(parts.query), body,
                            dict(handler.headers.items()))
        with self._lock:
            self.calls.append(call)
            status, payload, headers = self._answer(call)
        _respond(handler, status, payload, headers)

    def _answer(self, call: RecordedCall) -> Answer:
        allowed = False
        for method, pattern, route in self._routes:
            match = pattern.fullmatch(call.path)
            if not match:
                continue
            allowed = True
            if method != call.method:
                continue
            try:
                return route(call, **match.groupdict())
            except HTTPError as e:
                return e.status, e.payload, {}
        if allowed:
            return 405, {"error_code": "HTTP_405", "errors": [f"{call.method} not allowed"]}, {}
        return 404, {"error_code": "HTTP_404", "errors": [f"No route for {call.path}"]}, {}


def _read_body(handler: BaseHTTPRequestHandler) -> Any:
    """The call's body: decoded JSON, else text; ``None`` when there is none."""
    declared = handler.headers.get("Content-Length")
    try:
        length = int(declared or 0)
    except ValueError:
        raise _BadCall(400, f"Content-Length must be a number, got {declared!r}") from None
    if length < 0:
        raise _BadCall(400, f"Content-Length must not be negative, got {length}")
    if length > MAX_BODY_BYTES:
        raise _BadCall(413, f"The body is {length} bytes; this server takes at most "
                            f"{MAX_BODY_BYTES}")
    raw = handler.rfile.read(length) if length else b""
    if len(raw) < length:
        raise _BadCall(400, f"The body ended after {len(raw)} of {length} bytes")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        raise _BadCall(400, "The JSON body is nested too deeply") from None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _respond(handler: BaseHTTPRequestHandler, status: int, payload: Any,
             headers: Dict[str, str]) -> None:
    """Status line, headers and body in a single write."""
    data = b"" if payload is None else json.dumps(payload).encode()
    reason = handler.responses.get(status, ("",))[0]
    lines = [f"{handler.protocol_version} {status} {reason}",
             "Content-Type: application/json", f"Content-Length: {len(data)}",
             *(f"{name}: {value}" for name, value in headers.items())]
    if handler.close_connection:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    handler.wfile.write(head + data)
