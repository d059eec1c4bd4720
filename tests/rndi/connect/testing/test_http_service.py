"""How the recording HTTP server writes its answers and copes with malformed calls."""

import json
import socket

import pytest

from rndi.connect.testing import FakeHTTPService
from rndi.connect.testing.http import MAX_BODY_BYTES


class Echo(FakeHTTPService):
    def __init__(self):
        super().__init__()
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
                      .encode())
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
