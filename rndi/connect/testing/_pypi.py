"""PyPI, as far as the runner's start-up validation asks it, behind a local HTTPS proxy.

The runner's validation checks that it is the latest runner release by fetching
``https://pypi.org/pypi/connect-extension-runner/json``. The runner process gets this
proxy as its ``HTTPS_PROXY`` (with ``127.0.0.1`` exempted), and a CA bundle that trusts
the certificate made here for ``pypi.org``: the check is answered locally, and no other
host is reachable over HTTPS through it.
"""

import contextlib
import socket
import socketserver
import ssl
import threading
from typing import Any, List, Optional

from rndi.connect.testing.http import Answer, FakeHTTPService, RecordedCall

PYPI_HOST = "pypi.org:443"
_MAX_LINE_BYTES = 8 * 1024
_BLOCK_BYTES = 64 * 1024


class _TunnelServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.refused: List[str] = []
        super().__init__(("127.0.0.1", 0), _Tunnel)


class _Tunnel(socketserver.StreamRequestHandler):
    """``CONNECT pypi.org:443`` is tunnelled to the local PyPI; anything else is a 403."""

    server: _TunnelServer
    timeout = 60  # an idle client gives its thread back

    def handle(self) -> None:
        request_line = self.rfile.readline(_MAX_LINE_BYTES)
        while self.rfile.readline(_MAX_LINE_BYTES) not in (b"\r\n", b"\n", b""):
            pass  # the proxy headers say nothing this proxy needs
        parts = request_line.decode("latin-1").split()
        target = parts[1] if len(parts) == 3 and parts[0] == "CONNECT" else ""
        if target != PYPI_HOST:
            self.server.refused.append(target or request_line[:80].decode("latin-1").strip())
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
            return
        with socket.create_connection(("127.0.0.1", self.server.target_port),
                                      timeout=self.timeout) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            answers = threading.Thread(target=_pump, args=(upstream, self.connection),
                                       daemon=True)
            answers.start()
            with contextlib.suppress(OSError):
                while data := self.rfile.read1(_BLOCK_BYTES):
                    upstream.sendall(data)
                upstream.shutdown(socket.SHUT_WR)
            answers.join(self.timeout)


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):  # either side may go away first
        while data := source.recv(_BLOCK_BYTES):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)


class PyPIStandIn:
    """The proxy and the local ``pypi.org`` it leads to.

    Args:
        runner_version: the release to report as the latest ``connect-extension-runner``.

    Attributes:
        ca_pem: the PEM of the CA that signs the ``pypi.org`` certificate.
        calls: what the local PyPI was asked (``service.calls``).
        refused: the hosts asked for that this proxy does not serve.
    """

    def __init__(self, runner_version: str) -> None:
        self.runner_version = runner_version
        self.ca_pem = b""
        self._service: Optional[FakeHTTPService] = None
        self._tunnels: Optional[_TunnelServer] = None
        self._thread: Optional[threading.Thread] = None

    @property
    def proxy_url(self) -> str:
        if self._tunnels is None:
            raise RuntimeError("The PyPI stand-in is not started.")
        return f"http://127.0.0.1:{self._tunnels.server_address[1]}"

    @property
    def calls(self) -> List[RecordedCall]:
        return list(self._service.calls) if self._service is not None else []

    @property
    def refused(self) -> List[str]:
        return list(self._tunnels.refused) if self._tunnels is not None else []

    def start(self) -> "PyPIStandIn":
        try:
            import trustme  # only this start-up check needs it
        except ImportError as e:  # pragma: no cover - the testing extra installs it
            raise ImportError(
                "Running the runner's validation needs trustme: pip install "
                '"rndi-connect-devops-fulfillment-framework[testing]"') from e

        ca = trustme.CA()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("pypi.org").configure_cert(context)
        self.ca_pem = ca.cert_pem.bytes()
        service = FakeHTTPService(ssl_context=context)
        service.route("GET", r"/pypi/connect-extension-runner/json", self._project)
        self._service = service.start()
        self._tunnels = _TunnelServer(service.port)
        self._thread = threading.Thread(target=self._tunnels.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._tunnels is not None:
            self._tunnels.shutdown()
            self._tunnels.server_close()
        if self._thread is not None:
            self._thread.join(5)
        if self._service is not None:
            self._service.stop()
        self._tunnels = self._thread = self._service = None

    def _project(self, call: RecordedCall) -> Answer:
        # The runner takes the highest minor of its Connect major from the releases, or
        # info.version when there is none: either way, the version it runs.
        return 200, {"info": {"name": "connect-extension-runner",
                              "version": self.runner_version},
                     "releases": {self.runner_version: []}}, {}

    def __enter__(self) -> "PyPIStandIn":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
