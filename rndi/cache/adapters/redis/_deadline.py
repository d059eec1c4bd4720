"""One deadline per cache operation on Redis.

redis-py's ``socket_timeout`` bounds each read from the socket, not an operation: a
server (or a link) that trickles its reply a byte at a time, or a flush that needs many
round trips, goes on for as long as each read gets something in time. Here the cache
sets a deadline for the whole operation (:func:`deadline`), and the connections it uses
give every connect, read and write only the time left until it.
"""

import contextvars
import time
from typing import Any, Optional, Type

import redis

_deadline: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar(
    "rndi_cache_redis_deadline", default=None)


class deadline:  # lower case: it reads as the function it replaced, ``with deadline(5.0):``
    """Everything the cache's connections do inside ends within ``seconds``.

    A class rather than a ``contextlib.contextmanager``: every cache operation enters
    one, and a generator costs several times more to enter and leave."""

    __slots__ = ("_token", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        self._token = _deadline.set(time.monotonic() + self.seconds)

    def __exit__(self, *exc_info: Any) -> None:
        _deadline.reset(self._token)


def _time_left() -> Optional[float]:
    """Seconds left before the deadline (``None``: no deadline).

    Raises:
        TimeoutError: the deadline has passed (``socket.timeout``, as a socket says it).
    """
    end = _deadline.get()
    if end is None:
        return None
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("the cache operation ran out of time")  # = socket.timeout
    return left


# Setting a socket's timeout is a system call; an operation that ends this soon after it
# began keeps the connection's own timeout, and so may outlast its deadline by this much.
_SLACK = 0.01


class _BoundedSocket:
    """A connected socket whose reads and writes end by the operation's deadline."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._timeout: Optional[float] = sock.gettimeout()  # the connection's own
        self._applied = self._timeout

    def settimeout(self, timeout: Optional[float]) -> None:
        self._timeout = timeout
        self._apply(timeout)

    def gettimeout(self) -> Optional[float]:
        return self._timeout

    def _apply(self, timeout: Optional[float]) -> None:
        if timeout != self._applied:
            self._sock.settimeout(timeout)
            self._applied = timeout

    def _bound(self) -> None:
        # _time_left() and _apply() written out: this runs before every read and write
        end = _deadline.get()
        timeout = self._timeout
        if end is not None:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("the cache operation ran out of time")  # = socket.timeout
            if timeout is None or left < timeout - _SLACK:
                timeout = left
        if timeout != self._applied:
            self._sock.settimeout(timeout)
            self._applied = timeout

    def recv(self, *args: Any) -> Any:
        self._bound()
        return self._sock.recv(*args)

    def recv_into(self, *args: Any) -> Any:
        self._bound()
        return self._sock.recv_into(*args)

    def sendall(self, *args: Any) -> Any:
        self._bound()
        return self._sock.sendall(*args)

    def __getattr__(self, name: str) -> Any:  # close, shutdown, fileno ...
        return getattr(self._sock, name)


class _Bounded:
    """Connects within the time left, and hands redis-py a bounded socket."""

    socket_connect_timeout: Optional[float]

    def _connect(self) -> Any:
        configured = self.socket_connect_timeout
        left = _time_left()
        if left is not None and (configured is None or left < configured):
            self.socket_connect_timeout = left
        try:
            return _BoundedSocket(super()._connect())  # type: ignore[misc]
        finally:
            self.socket_connect_timeout = configured


class BoundedConnection(_Bounded, redis.Connection):
    """A ``redis://`` connection that keeps the operation's deadline."""


class BoundedSSLConnection(_Bounded, redis.SSLConnection):
    """A ``rediss://`` connection that keeps the operation's deadline."""


def bounded(connection_class: Type[Any]) -> Type[Any]:
    """The class that keeps deadlines for connections of ``connection_class``."""
    if issubclass(connection_class, redis.SSLConnection):
        return BoundedSSLConnection
    if issubclass(connection_class, redis.Connection):
        return BoundedConnection
    return connection_class  # pragma: no cover - unix sockets are not offered
