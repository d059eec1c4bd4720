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
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        call = RecordedCall(handler.command, path, unquote(parts.query), body,
                            dict(handler.headers.items()))
        with self._lock:
            self.calls.append(call)
            status, payload, headers = self._answer(call)
        data = b"" if payload is None else json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

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
