"""How the recording HTTP server writes its answers and copes with malformed calls."""

import json
import shutil
import socket
import ssl
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import trustme

from rndi.connect.testing import FakeHTTPService
from rndi.connect.testing.http import MAX_BODY_BYTES


class Echo(FakeHTTPService):
    def __init__(self, **options):
        super().__init__(**options)
        self.route("GET", "/ping", lambda call: (200, {"pong": True}, {"X-Seen": "1"}))
        self.route("POST", "/echo", lambda call: (200, {"got": call.body}, {}))


@pytest.fixture
def echo():
    with Echo() as service:
        yield service


def exchange(port, raw, shut_write=False):
    """Send raw bytes on a new connection; return everything the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(raw)
        if shut_write:
            conn.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def status_and_body(answer):
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_each_answer_is_one_write_on_a_socket_without_nagle(echo, monkeypatch):
    writes = []
    original = socket.socket.sendall

    def recording_sendall(sock, data, *args):
        if sock.getsockname()[1] == echo.port:  # the server's side of the connection
            writes.append((len(data), sock.getsockopt(socket.IPPROTO_TCP,
                                                      socket.TCP_NODELAY)))
        return original(sock, data, *args)

    monkeypatch.setattr(socket.socket, "sendall", recording_sendall)
    calls = b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n" * 5
    answer = exchange(echo.port, calls + b"GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert answer.count(b"HTTP/1.1 200 OK") == 6  # six calls, one kept-alive connection
    assert answer.count(b'{"pong": true}') == 6 and b"X-Seen: 1" in answer
    assert len(writes) == 6
    assert all(nodelay for _, nodelay in writes)


@pytest.mark.parametrize(("length", "status", "says"), [
    ("abc", 400, "Content-Length must be a number"),
    ("-1", 400, "must not be negative"),
    (str(MAX_BODY_BYTES + 1), 413, "at most"),
])
def test_a_bad_content_length_is_answered_with_json_and_recorded_nowhere(
        echo, length, status, says):
    answer = exchange(echo.port, f"POST /echo HTTP/1.1\r\nContent-Length: {length}\r\n\r\n"
                      .encode(), shut_write=True)
    code, body = status_and_body(answer)
    assert code == status
    assert body["error_code"] == f"HTTP_{status}" and says in body["errors"][0]
    assert echo.calls == []


def test_a_body_shorter_than_declared_is_a_400(echo):
    answer = exchange(echo.port, b"POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\n{}",
                      shut_write=True)
    code, body = status_and_body(answer)
    assert code == 400 and "after 2 of 100 bytes" in body["errors"][0]


def test_json_nested_too_deeply_is_a_400_and_the_server_goes_on(echo):
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = exchange(echo.port, b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(deep), deep))
    code, body = status_and_body(answer)
    assert code == 400 and "nested too deeply" in body["errors"][0]
    code, body = status_and_body(exchange(
        echo.port, b'POST /echo HTTP/1.1\r\nContent-Length: 8\r\nConnection: close\r\n\r\n'
                   b'{"a": 1}'))
    assert (code, body) == (200, {"got": {"a": 1}})


def test_duplicate_content_length_is_a_400_even_when_both_agree(echo):
    for lengths in (b"Content-Length: 2\r\nContent-Length: 2", b"Content-Length: 2\r\n"
                                                                b"Content-Length: 9"):
        answer = exchange(echo.port, b"POST /echo HTTP/1.1\r\n%s\r\n\r\n{}" % lengths,
                          shut_write=True)
        code, body = status_and_body(answer)
        assert code == 400 and "given 2 times" in body["errors"][0]
    assert echo.calls == []


def test_a_chunked_body_is_decoded_and_recorded(echo):
    def pieces():
        yield b'{"order": '
        yield b'"PR-1", "lines": [1, 2'
        yield b"]}"

    answer = requests.post(f"{echo.url}/echo", data=pieces(), timeout=30)
    assert answer.status_code == 200 and answer.json() == {
        "got": {"order": "PR-1", "lines": [1, 2]}}
    (call,) = echo.calls
    assert call.headers["Transfer-Encoding"] == "chunked"
    # extensions after ';' and trailers are allowed, and the connection stays usable
    raw = (b"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"4;name=x\r\n[1, \r\n2\r\n2]\r\n0\r\nX-Trailer: 1\r\n\r\n"
           b"GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n")
    answer = exchange(echo.port, raw)
    assert answer.count(b"HTTP/1.1 200 OK") == 2 and b'{"got": [1, 2]}' in answer


@pytest.mark.parametrize(("headers", "body", "status", "says"), [
    (b"Transfer-Encoding: chunked", b"zz\r\n", 400, "hexadecimal"),
    (b"Transfer-Encoding: chunked", b"2\r\n{}", 400, "ended before its chunk end"),
    (b"Transfer-Encoding: chunked", b"2\r\n{}xx\r\n0\r\n\r\n", 400, "longer than its"),
    (b"Transfer-Encoding: chunked", b"10\r\n{}", 400, "inside a chunk of 16 bytes"),
    (b"Transfer-Encoding: gzip, chunked", b"0\r\n\r\n", 501, "gzip, chunked is not"),
    (b"Transfer-Encoding: chunked\r\nContent-Length: 5", b"0\r\n\r\n", 400, "both"),
])
def test_a_chunked_body_that_cannot_be_read_is_refused_with_json(echo, headers, body,
                                                                 status, says):
    answer = exchange(echo.port, b"POST /echo HTTP/1.1\r\n%s\r\n\r\n%s" % (headers, body),
                      shut_write=True)
    code, answered = status_and_body(answer)
    assert code == status and says in answered["errors"][0]
    assert echo.calls == []


def test_a_body_over_the_limit_is_answered_413_after_the_client_sent_it_all(echo):
    body = b"x" * (MAX_BODY_BYTES + 1024 * 1024)
    # one sendall of the whole call: a server that closes without reading breaks the pipe
    answer = exchange(echo.port, b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
                      % (len(body), body))
    code, answered = status_and_body(answer)
    assert code == 413 and "at most" in answered["errors"][0]
    assert b"Connection: close" in answer
    assert echo.calls == []


def test_a_chunked_body_over_the_limit_is_answered_413(echo):
    pieces = iter([b"x" * MAX_BODY_BYTES, b"x" * 1024 * 1024])
    answer = requests.post(f"{echo.url}/echo", data=pieces, timeout=60)
    assert answer.status_code == 413
    assert "over 10485760 bytes" in answer.json()["errors"][0]
    assert echo.calls == []
    assert requests.get(f"{echo.url}/ping", timeout=30).json() == {"pong": True}


class Faulty(FakeHTTPService):
    def __init__(self):
        super().__init__()
        self.route("GET", "/raises", self.raises)
        self.route("GET", "/set", lambda call: (200, {"ids": {1, 2}}, {}))
        self.route("GET", "/nan", lambda call: (200, [float("nan")], {}))
        self.route("GET", "/deep", lambda call: (200, deep_list(100_000), {}))
        self.route("GET", "/shape", lambda call: {"not": "a triple"})
        self.route("GET", "/ok", lambda call: (200, {"ok": True}, {}))

    def raises(self, call):
        raise KeyError("api-secret-value")


def deep_list(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(("path", "says"), [
    ("/raises", "raised KeyError"),
    ("/set", "JSON cannot encode: Object of type set"),
    ("/nan", "JSON cannot encode: Out of range float"),
    ("/deep", "JSON cannot encode: it is nested too deeply"),
    ("/shape", "must return (status: int, body, headers: dict), got dict"),
])
def test_a_route_that_fails_answers_500_with_json_and_the_server_goes_on(path, says):
    with Faulty() as service:
        answer = requests.get(f"{service.url}{path}", timeout=30)
        assert answer.status_code == 500
        assert answer.json()["error_code"] == "HTTP_500"
        assert says in answer.json()["errors"][0]
        assert "api-secret-value" not in answer.text
        assert len(service.failures) == 1 and [c.path for c in service.calls] == [path]
        assert requests.get(f"{service.url}/ok", timeout=30).json() == {"ok": True}


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    ca = trustme.CA()
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context, str(bundle)


def test_an_idle_client_without_tls_hello_blocks_no_other_client(tls):
    context, bundle = tls
    with Echo(ssl_context=context) as service, \
            socket.create_connection(("127.0.0.1", service.port), timeout=30):
        # that connection never says a word; the next clients are served all the same
        for _ in range(3):
            answer = requests.get(f"{service.url}/ping", verify=bundle, timeout=30)
            assert answer.json() == {"pong": True}


def test_a_client_that_never_completes_its_handshake_is_dropped(tls):
    context, bundle = tls
    with Echo(ssl_context=context, handshake_timeout=0.2) as service:
        with socket.create_connection(("127.0.0.1", service.port), timeout=60) as idle:
            assert idle.recv(1) == b""  # closed by the server, not by our own timeout
        try:  # a client that speaks plain HTTP to it gets nothing but a closed connection
            refused = exchange(service.port, b"GET /ping HTTP/1.1\r\n\r\n")
        except ConnectionResetError:
            refused = b""
        assert b"pong" not in refused
        assert requests.get(f"{service.url}/ping", verify=bundle, timeout=30).ok


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read "
                                                       "the kernel's listen backlog")
def test_fifty_clients_connecting_at_once_fit_in_the_listen_backlog(echo):
    listing = subprocess.run(["ss", "-ltnH", f"sport = :{echo.port}"], capture_output=True,
                             text=True, check=True).stdout.split()
    backlog = int(listing[2])  # Send-Q of a listening socket: its accept backlog
    assert backlog >= 50
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda _: requests.get(f"{echo.url}/ping", timeout=30),
                                range(50)))
    assert [answer.json() for answer in answers] == [{"pong": True}] * 50
