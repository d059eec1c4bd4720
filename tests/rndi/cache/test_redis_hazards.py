"""A slow or misconfigured Redis never holds an operation past CACHE_REDIS_TIMEOUT, and one
adapter's wrong password never takes the server away from another."""

import asyncio
import contextlib
import logging
import socket
import threading
import time

import pytest

redis = pytest.importorskip("redis")

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter  # noqa: E402
from rndi.cache.testing import RedisServer  # noqa: E402

# how long a stand-in keeps a client busy before giving up on it: far beyond any timeout
# a test sets, so a client that waits for it to finish was not bounded by its timeout
SERVES_FOR = 60


def read_command(reader):
    """One RESP command (an array of bulk strings) from ``reader``, or None at the end."""
    header = reader.readline()
    if not header:
        return None
    count = int(header[1:])
    arguments = []
    for _ in range(count):
        length = int(reader.readline()[1:])
        arguments.append(reader.read(length + 2)[:-2])
    return arguments


class SlowRedis:
    """A TCP stand-in for Redis that answers its setup commands at once, and then:

    - ``trickle``: answers GET with a long string, one byte every 20 ms;
    - ``endless_scan``: answers every SCAN with one more key and a cursor that never ends;
    - ``garbage``: answers GET with a line that is no RESP reply.
    """

    def __init__(self, mode):
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.gave_up = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.listener.accept()
                self.connections.append(connection)
                threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        end = time.monotonic() + SERVES_FOR
        with contextlib.suppress(OSError), connection.makefile("rb") as reader:
            while True:
                command = read_command(reader)
                if command is None:
                    return  # the client left
                self._answer(connection, command[0].upper(), end)
                if time.monotonic() > end:
                    # still served when it should have given up long ago
                    self.gave_up.set()
                    connection.close()
                    return

    def _answer(self, connection, name, end):
        if name == b"GET" and self.mode == "trickle":
            value = b'"' + b"x" * 1000 + b'"'
            connection.sendall(b"$%d\r\n" % len(value))
            for byte in value + b"\r\n":
                if time.monotonic() > end:
                    return
                connection.sendall(bytes([byte]))
                time.sleep(0.02)
        elif name == b"GET" and self.mode == "garbage":
            connection.sendall(b"?not-a-reply stored-value\r\n")
        elif name == b"SCAN":
            time.sleep(0.01)
            key = b"k:%f" % time.monotonic()
            connection.sendall(b"*2\r\n$1\r\n1\r\n*1\r\n$%d\r\n%s\r\n" % (len(key), key))
        elif name == b"UNLINK":
            connection.sendall(b":1\r\n")
        else:
            connection.sendall(b"+OK\r\n")

    def close(self):
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.close()


@pytest.fixture
def slow_redis(request):
    server = SlowRedis(request.param)
    yield server
    server.close()


def errors(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("slow_redis", ["trickle"], indirect=True)
def test_a_reply_trickled_byte_by_byte_does_not_outlast_the_timeout(slow_redis, caplog):
    cache = RedisCacheAdapter("127.0.0.1", port=slow_redis.port, prefix="p:",
                              socket_timeout=0.5, retry_after=0)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        # each byte comes well within 0.5 s, but the whole reply takes 20 s: without one
        # deadline for the operation, the get would wait for all of it and answer it
        assert cache.get("k", "default") == "default"
    assert not slow_redis.gave_up.is_set()
    (line,) = errors(caplog)
    assert "get of" in line and "TimeoutError" in line


@pytest.mark.parametrize("slow_redis", ["endless_scan"], indirect=True)
def test_a_flush_of_endless_keys_ends_at_the_timeout(slow_redis, caplog):
    cache = RedisCacheAdapter("127.0.0.1", port=slow_redis.port, prefix="p:",
                              socket_timeout=0.5, retry_after=0)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        cache.flush()
    assert not slow_redis.gave_up.is_set()
    (line,) = errors(caplog)
    assert "flush failed" in line and "TimeoutError" in line


@pytest.mark.parametrize("slow_redis", ["trickle"], indirect=True)
def test_the_cache_timeout_wins_over_a_socket_timeout_in_the_url(slow_redis, caplog):
    # values no port holds (a dot): the line names the server, whose port is any number
    url = (f"redis://127.0.0.1:{slow_redis.port}/0?socket_timeout=30.25"
           "&socket_connect_timeout=20.25")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        cache = RedisCacheAdapter(url=url, prefix="p:", socket_timeout=0.5, retry_after=0)
        RedisCacheAdapter(url=url, prefix="p:", socket_timeout=0.5)  # said once only
    (warning,) = [r.getMessage() for r in caplog.records]
    assert "the URL's socket_connect_timeout and socket_timeout are ignored" in warning
    assert "20.25" not in warning and "30.25" not in warning  # the URL's values are not shown
    assert "CACHE_REDIS_TIMEOUT" in warning and "0.5 s" in warning
    assert cache._client.connection_pool.connection_kwargs["socket_timeout"] == 0.5
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        assert cache.get("k") is None
    assert "TimeoutError" in errors(caplog)[0]


class PasswordRedis(RedisServer):
    """A real redis-server that wants a password."""

    PASSWORD = "right-password"

    def command(self):
        return [*super().command(), "--requirepass", self.PASSWORD]

    def ping(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(f"AUTH {self.PASSWORD}\r\nPING\r\n".encode())
                return b"+PONG" in conn.recv(64)
        except OSError:
            return False


def test_a_wrong_password_does_not_make_another_adapter_skip_the_server(caplog):
    with PasswordRedis() as server:
        wrong = RedisCacheAdapter("127.0.0.1", port=server.port, password="wrong",
                                  prefix="auth:", retry_after=3600)
        right = RedisCacheAdapter("127.0.0.1", port=server.port,
                                  password=PasswordRedis.PASSWORD, prefix="auth:",
                                  retry_after=3600)
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            assert wrong.get("k") is None
            assert wrong.put("k", "w") == "w"  # skipped: nothing tried, nothing logged
        (line,) = errors(caplog)
        assert "AuthenticationError" in line and "skipping the server" in line
        right.put("k", "v")
        assert right.get("k") == "v"
        assert wrong.get("k") is None  # still skipped


class NoScriptsRedis(RedisServer):
    """A real redis-server whose EVALSHA is disabled (``rename-command``, as some hosted
    servers do): its error reply repeats the command's first arguments, values included."""

    def command(self):
        return [*super().command(), "--rename-command", "EVALSHA", ""]


def test_a_reply_that_repeats_the_command_is_logged_without_its_arguments(caplog):
    from rndi.cache import CacheUnavailable

    with NoScriptsRedis() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="noscripts:")
        cache.put("k", "lease-token-value")
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            assert cache.delete_if_equal("k", "lease-token-value") is False
            with pytest.raises(CacheUnavailable, match="replace_if_equal"):
                cache.replace_if_equal("k", "lease-token-value", {"result": "step-result-value"})
            with pytest.raises(CacheUnavailable, match="replace_if_equal"):  # awaited alike
                asyncio.run(cache.areplace_if_equal("k", "lease-token-value",
                                                    {"result": "step-result-value"}))
        lines = errors(caplog)
        assert len(lines) == 3
        for line in lines:
            assert "ResponseError: unknown command 'EVALSHA'" in line  # what went wrong
            assert "value" not in line and "noscripts:" not in line, line
        assert cache.get("k") == "lease-token-value"  # nothing was changed


def test_the_error_behind_a_cache_unavailable_repeats_no_argument_of_the_command():
    from rndi.cache import CacheUnavailable

    with NoScriptsRedis() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="noscripts:")
        cache.put("k", "lease-token-value")
        for call in (lambda: cache.replace_if_equal("k", "lease-token-value", "step-value"),
                     lambda: asyncio.run(cache.areplace_if_equal("k", "lease-token-value",
                                                                  "step-value"))):
            with pytest.raises(CacheUnavailable) as raised:
                call()
            # a traceback shows the causes of an error (a compensated transaction's, a span's)
            error, told = raised.value, []
            while error is not None:
                told.append(str(error))
                error = error.__cause__
            assert any("unknown command 'EVALSHA'" in text for text in told)
            assert not any("value" in text or "noscripts:" in text for text in told), told
