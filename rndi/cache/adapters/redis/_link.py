"""The awaited cache's own connection to Redis: one per configuration and event loop.

A lease and a step journal send a handful of short commands per event. redis.asyncio
spends about a third more CPU on each than redis-py does (its connection checks, its
locks, a response callback per command); this connection does only what the cache's
commands need: RESP2 written and read by an ``asyncio.Protocol``, the commands of every
task on the loop pipelined on one socket, each answered through a future, in order.

- A waiter cancelled meanwhile (the runner's timeout) leaves its reply to be read and
  dropped: the replies that follow stay matched to their commands.
- A deadline that passes, a reply that cannot be read, or a closed socket leave the
  connection in a state nobody knows: it is closed, every command still waiting fails as
  a ``redis.ConnectionError`` (a fault, then skipping the server), and the next
  operation connects anew.
- It takes the URL's host, port, database, username and password, ``client_name``, TLS
  (``rediss://`` and its ``ssl_*`` options, but the OCSP ones) and ``protocol``; a URL with
  any other option is served through redis.asyncio instead (``takes``).
- Answers are RESP2's, decoded as the sync client decodes them, without redis-py's
  response callbacks: what the cache's commands answer means the same either way (``SET``
  answers ``"OK"`` where redis-py says ``True``, and the cache asks only whether it did).
"""

import asyncio
import collections
import contextlib
import math
import select
import ssl
from typing import Any, Deque, FrozenSet, List, Mapping, Optional, Tuple, Type

import redis
from redis._parsers.base import BaseParser
from redis.asyncio.connection import RedisSSLContext

# the options of a sync pool's connections this connection honours; ``protocol``: RESP2
# answers the cache's commands as RESP3 does
_TAKEN = frozenset({"host", "port", "db", "username", "password", "client_name",
                    "protocol", "encoding", "encoding_errors", "decode_responses",
                    "socket_timeout", "socket_connect_timeout", "retry"})
# seconds a connection closed at its loop's end is waited for at most (TLS says goodbye
# first; a server that does not answer is not waited for longer: its socket is aborted)
_GOODBYE = 5.0
# TLS: what redis-py's asyncio connections pass to an SSL context, by option name
_TLS = {"ssl_keyfile": "keyfile", "ssl_certfile": "certfile", "ssl_cert_reqs": "cert_reqs",
        "ssl_include_verify_flags": "include_verify_flags",
        "ssl_exclude_verify_flags": "exclude_verify_flags", "ssl_ca_certs": "ca_certs",
        "ssl_ca_data": "ca_data", "ssl_ca_path": "ca_path",
        "ssl_check_hostname": "check_hostname", "ssl_min_version": "min_version",
        "ssl_ciphers": "ciphers", "ssl_password": "password"}


def takes(options: Mapping[str, Any], tls: bool) -> bool:
    """Whether a connection with these options (a sync pool's, less what the pool adds
    for itself) can be made here."""
    allowed: FrozenSet[str] = _TAKEN | frozenset(_TLS) if tls else _TAKEN
    return all(name in allowed for name in options)


class Settings:
    """What a link of one configuration connects with; the TLS context made once."""

    __slots__ = ("_context", "encoding", "goodbye", "handshake", "host", "port", "tls")

    def __init__(self, options: Mapping[str, Any], tls: bool) -> None:
        self.host = options.get("host", "localhost")
        self.port = int(options.get("port", 6379))
        self.encoding = options.get("encoding", "utf-8")
        # seconds a connection closed at its loop's end is waited for: the cache's
        # deadline, and never more than redis-py's default
        timeout = options.get("socket_timeout")
        self.goodbye = min(timeout, _GOODBYE) if timeout else _GOODBYE
        # the commands a new connection sends before the cache's own
        handshake: List[Tuple[Any, ...]] = []
        username, password = options.get("username"), options.get("password")
        if password is not None or username is not None:
            handshake.append(("AUTH", username, password or "") if username
                             else ("AUTH", password))
        if options.get("client_name"):
            handshake.append(("CLIENT", "SETNAME", options["client_name"]))
        if int(options.get("db") or 0):
            handshake.append(("SELECT", int(options["db"])))
        # a server that accepts the connection is not yet one that serves it (a stalled
        # one's kernel accepts it too): one round trip first, as redis-py's connect
        # makes, so that no command that changes something waits on a server that may
        # make it after its operation has failed
        handshake.append(("PING",))
        self.handshake = tuple(handshake)
        self.tls: Optional[dict] = None
        if tls:  # redis-py's defaults: the certificate required, the host name checked
            self.tls = {"cert_reqs": "required", "check_hostname": True}
            self.tls.update({_TLS[name]: value for name, value in options.items()
                             if name in _TLS})
        self._context: Optional[ssl.SSLContext] = None

    def context(self) -> Optional[ssl.SSLContext]:
        """The TLS context (None: no TLS), made on the first connection, as redis-py's
        asyncio connections make it: a certificate that cannot be read is a failure to
        connect, not to configure."""
        if self.tls is not None and self._context is None:
            self._context = RedisSSLContext(**self.tls).get()
        return self._context


class _Incomplete(Exception):
    """The buffer ends inside a reply: wait for more, until it is at least ``needed``
    bytes long (where it is known: a bulk string's length; else one more byte)."""

    def __init__(self, needed: int) -> None:
        self.needed = needed


class _Replies(asyncio.Protocol):
    """One connection: commands written as they come, their futures answered in order.

    Each command carries the deadline of its operation. One timer per connection (not
    one per command) watches them: it is armed for the earliest deadline of the
    commands waiting, and when it finds one passed, the connection is closed and every
    command still waiting fails (``redis.TimeoutError``). In the common case, commands
    answered long before their deadline, it fires once per timeout and finds nothing."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.loop = asyncio.get_running_loop()
        self.transport: Optional[asyncio.Transport] = None
        self.readable: Optional[Any] = None  # a poll of the socket (None: not polled)
        self.waiting: Deque[asyncio.Future[Any]] = collections.deque()
        self.deadlines: Deque[float] = collections.deque()  # of ``waiting``, in order
        self.watch: Optional[asyncio.TimerHandle] = None
        self.watched_until = math.inf  # when ``watch`` fires
        # a reply begun but not complete: its chunks, their length, and the length
        # they must reach before it is read again (a large value is read once whole,
        # not copied and read again with every chunk)
        self.chunks: List[bytes] = []
        self.received = 0
        self.needed = 0
        self.lost: Optional[Exception] = None  # why it can take no more commands
        self.closed: asyncio.Future[None] = self.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        sock = transport.get_extra_info("socket")  # a TLS transport's: the one below it
        if sock is not None and hasattr(select, "poll"):
            self.readable = select.poll()
            self.readable.register(sock.fileno(), select.POLLIN)

    def unread(self) -> bool:
        """Whether the socket has something the loop has not read (the server closed
        it, or sent what no command asked for): asked when nothing is waiting, as before
        a loop that did not run meanwhile sends again (a loop kept between events), so
        that a connection closed meanwhile is made anew instead of failing a command.
        A poll without a wait: about half a microsecond."""
        return self.readable is not None and bool(self.readable.poll(0))

    def send(self, command: Tuple[Any, ...], deadline: float) -> "asyncio.Future[Any]":
        """Write ``command``; its future is answered with its reply, or fails once the
        loop's clock passes ``deadline``."""
        if self.lost is not None:
            raise self.lost
        future = self.loop.create_future()
        self.transport.write(_encoded(command, self.encoding))  # type: ignore[union-attr]
        self.waiting.append(future)
        self.deadlines.append(deadline)
        if deadline < self.watched_until:
            self._watch_until(deadline)
        return future

    def _watch_until(self, deadline: float) -> None:
        if self.watch is not None:
            self.watch.cancel()
        self.watched_until = deadline
        self.watch = self.loop.call_at(deadline, self._watched)

    def _watched(self) -> None:
        self.watch, self.watched_until = None, math.inf
        if not self.deadlines or self.lost is not None:
            return
        earliest = min(self.deadlines)  # an operation's later command may come last
        if earliest <= self.loop.time():
            self.abort("a cache operation ran out of time", redis.TimeoutError)
        else:
            self._watch_until(earliest)

    def data_received(self, data: bytes) -> None:
        buffer = data
        if self.chunks:  # the rest of a reply begun earlier
            self.chunks.append(data)
            self.received += len(data)
            if self.received < self.needed:
                return
            buffer = b"".join(self.chunks)
            self.chunks = []
        start, waiting, deadlines = 0, self.waiting, self.deadlines
        try:
            while start < len(buffer):
                reply, start = _reply(buffer, start, self.encoding)
                if not waiting:
                    raise ValueError("a reply to no command")
                future = waiting.popleft()
                deadlines.popleft()
                if future.done():  # its waiter was cancelled: the reply is dropped
                    continue
                if type(reply) is _Error:
                    future.set_exception(BaseParser.parse_error(reply.text))
                else:
                    future.set_result(reply)
        except _Incomplete as incomplete:
            rest = buffer[start:]
            self.chunks, self.received = [rest], len(rest)
            self.needed = incomplete.needed - start
        except (ValueError, IndexError, UnicodeError):
            self.abort("the server's reply could not be read")

    def abort(self, why: str, kind: Type[Exception] = redis.ConnectionError) -> None:
        """Close the connection now, failing every command still waiting."""
        self._fail(kind(why))
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self._fail(redis.ConnectionError("the connection to the server was closed"))
        if not self.closed.done():
            self.closed.set_result(None)

    def _fail(self, error: Exception) -> None:
        if self.lost is None:
            self.lost = error
        if self.watch is not None:
            self.watch.cancel()
            self.watch, self.watched_until = None, math.inf
        self.deadlines.clear()
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(self.lost)


class _Error:
    """An error reply, made an exception by its future's answer (as redis-py makes it)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _encoded(command: Tuple[Any, ...], encoding: str) -> bytes:
    """``command`` in RESP: an array of bulk strings. A name of two words (``"SCRIPT
    LOAD"``) is two, as redis-py sends it."""
    if " " in command[0]:
        command = (*command[0].split(), *command[1:])
    parts = [b"*%d\r\n" % len(command)]
    for word in command:
        kind = type(word)
        if kind is str:
            # as the sync client encodes it: a key read back undecodable comes back
            word = word.encode(encoding, "surrogateescape")
        elif kind is int:
            word = b"%d" % word
        elif kind is float:
            word = repr(word).encode()
        elif kind is not bytes:
            raise redis.DataError(f"A command word must be text, bytes or a number, "
                                  f"got a {kind.__name__}.")
        parts.append(b"$%d\r\n%s\r\n" % (len(word), word))
    return b"".join(parts)


def _reply(buffer: bytes, start: int, encoding: str) -> Tuple[Any, int]:
    """The reply that begins at ``start``, and where the next one begins.

    Raises:
        _Incomplete: the buffer ends before the reply does.
        ValueError: not a RESP2 reply.
    """
    end = buffer.find(b"\r\n", start)
    if end < 0:
        raise _Incomplete(len(buffer) + 1)
    kind, line = buffer[start], buffer[start + 1:end]
    if kind == 36:  # $ bulk string
        size = int(line)
        if size < 0:
            return None, end + 2
        stop = end + 2 + size
        if len(buffer) < stop + 2:
            raise _Incomplete(stop + 2)
        return buffer[end + 2:stop].decode(encoding, "surrogateescape"), stop + 2
    if kind == 58:  # : integer
        return int(line), end + 2
    if kind == 43:  # + simple string
        return line.decode(encoding, "surrogateescape"), end + 2
    if kind == 45:  # - error
        return _Error(line.decode(encoding, "replace")), end + 2
    if kind == 42:  # * array
        count = int(line)
        if count < 0:
            return None, end + 2
        items, start = [], end + 2
        for _ in range(count):
            item, start = _reply(buffer, start, encoding)
            items.append(item)
        return items, start
    raise ValueError("not a RESP2 reply")


class Link:
    """The cache's connection on one event loop, made on the first operation and again
    after one failed; ``protocol`` is the live connection, or None."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.protocol: Optional[_Replies] = None
        self._connecting: Optional[asyncio.Future[_Replies]] = None
        # a connection made whose set-up is under way: closed with the link, its loop
        # closed meanwhile or not
        self._making: Optional[_Replies] = None

    async def connect(self, deadline: float) -> _Replies:
        """The live connection, made now if there is none (one at a time: the operations
        that wait meanwhile get the same one), by ``deadline`` (the loop's clock)."""
        connecting = self._connecting
        if connecting is None or (connecting.done() and not _usable(connecting)):
            connecting = self._connecting = asyncio.ensure_future(self._connected(deadline))
            connecting.add_done_callback(retrieved)
        if not connecting.done():
            # waited for, never cancelled by this waiter (``asyncio.wait`` cancels
            # nothing; Python 3.10 has no ``asyncio.timeout_at``): one waiter's deadline
            # or cancellation must not end the connection the others wait for
            loop = asyncio.get_running_loop()
            await asyncio.wait((connecting,), timeout=max(deadline - loop.time(), 0))
            if not connecting.done():
                raise TimeoutError("connecting ran out of time")  # the builtin, as 3.11's
        if connecting.cancelled():  # given up by another waiter, whose deadline passed
            raise redis.ConnectionError("the connection being made was given up")
        return connecting.result()

    async def _connected(self, deadline: float) -> _Replies:
        settings = self.settings
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_connection(
                lambda: _Replies(settings.encoding), settings.host, settings.port,
                ssl=settings.context())
        except OSError as e:  # a refusal, a TLS handshake refused: no address in it
            raise redis.ConnectionError(f"connecting failed ({type(e).__name__})") from e
        self._making = protocol
        answers = [protocol.send(command, deadline) for command in settings.handshake]
        try:
            for answer in answers:
                await answer
        except BaseException:
            if loop.is_closed():  # closed by the collector after its loop: nothing can run
                close_transport_without_loop(protocol.transport)
                raise
            protocol.abort("the connection's set-up failed")
            for answer in answers:  # the commands after the one that failed failed too
                if not answer.cancelled():
                    answer.exception()
            raise
        # the link's now, whoever waited for it: closed at the loop's end even if every
        # waiter was cancelled before it took it up
        if self._making is protocol:
            self._making = None
        if self._connecting is asyncio.current_task():
            self.protocol = protocol
        return protocol

    def live(self) -> Optional[_Replies]:
        """The connection to send through now, or None: connect first. One with nothing
        waiting whose socket has something unread is closed here (the server closed it
        while the loop did not run, most likely), as the sync pool checks a connection
        before it lends it."""
        protocol = self.protocol
        if protocol is None or protocol.lost is not None:
            return None
        # nothing waiting, or only commands whose waiters were cancelled (their replies
        # are dropped whichever connection answers)
        if (not protocol.waiting or all(map(asyncio.Future.done, protocol.waiting))) \
                and protocol.unread():
            protocol.abort("the connection was found closed, or out of step, while idle")
            return None
        return protocol

    def abort(self, why: str) -> None:
        """Close the connection now (its state is unknown), or stop making it; the next
        operation makes another."""
        protocol, self.protocol = self.protocol, None
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            connecting.cancel()
        if protocol is not None:
            protocol.abort(why)

    async def execute_command(self, *command: Any) -> Any:
        """One command's reply, within the default timeout of redis-py's asyncio
        connections (for a look at the server; the cache sends through ``protocol``)."""
        deadline = asyncio.get_running_loop().time() + _GOODBYE
        protocol = self.live()
        if protocol is None:
            protocol = await self.connect(deadline)
        return await protocol.send(command, deadline)

    @property
    def connected(self) -> bool:
        return self.protocol is not None and self.protocol.lost is None

    async def aclose(self) -> None:
        """Close the connection on its loop, waiting until it is closed."""
        protocol, self.protocol = self.protocol, None
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            connecting.cancel()  # its connection, if made meanwhile, is closed by it
        if protocol is not None and protocol.transport is not None:
            protocol.transport.close()
            # waited for within the cache's deadline (``asyncio.wait`` cancels nothing),
            # then aborted: a stalled server's socket is not left for the collector
            await asyncio.wait((protocol.closed,), timeout=self.settings.goodbye)
            if not protocol.closed.done():
                protocol.transport.abort()
                # told at the loop's next turns; bounded all the same
                await asyncio.wait((protocol.closed,), timeout=self.settings.goodbye)

    def close_without_loop(self) -> None:
        """Close the connection of a loop that is closed (it can run nothing more), and
        the one whose set-up was under way."""
        protocol, self.protocol = self.protocol, None
        making, self._making = self._making, None
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            # it can never run again: when collected, it is not reported as destroyed
            # pending (asyncio's own switch, which run_until_complete uses too)
            connecting._log_destroy_pending = False  # type: ignore[attr-defined]
        for each in (protocol, making):
            if each is not None and each.transport is not None:
                close_transport_without_loop(each.transport)


def _usable(connecting: "asyncio.Future[_Replies]") -> bool:
    """Whether a connection made earlier can still take commands."""
    return (not connecting.cancelled() and connecting.exception() is None
            and connecting.result().lost is None)


def retrieved(future: "asyncio.Future[Any]") -> None:
    """A failure nobody awaits (a connection that failed after its waiters gave up, a
    command whose reply nobody reads): retrieved here, so that asyncio does not log it
    as never retrieved."""
    if not future.cancelled():
        future.exception()


class ClientLink:
    """A redis.asyncio client as a ``Link``: for a URL whose options only redis-py's
    asyncio connections take."""

    def __init__(self, client: "redis.asyncio.Redis") -> None:
        self.client = client

    async def execute_command(self, *command: Any) -> Any:
        return await self.client.execute_command(*command)

    async def aclose(self) -> None:
        await self.client.connection_pool.disconnect()

    def close_without_loop(self) -> None:
        pool = self.client.connection_pool
        for connection in (*pool._available_connections, *pool._in_use_connections):
            writer = connection._writer
            connection._reader = connection._writer = None  # redis-py's: closed
            if writer is not None:
                close_transport_without_loop(writer.transport)


def close_transport_without_loop(transport: Any) -> None:
    """Close an asyncio transport whose loop is closed: its socket closed as the loop
    would have closed it (``connection_lost`` told, so nothing is left for the
    collector to warn about). The loop cannot run the callbacks that closing schedules."""
    with contextlib.suppress(RuntimeError):  # marked closing; what it schedules cannot run
        transport.close()
    # a TLS connection's transport stands on the socket's own
    socket_transport = getattr(getattr(transport, "_ssl_protocol", None), "_transport",
                               transport)
    lost = getattr(socket_transport, "_call_connection_lost", None)
    if lost is not None and getattr(socket_transport, "_sock", None) is not None:
        with contextlib.suppress(RuntimeError):  # what it would schedule on the loop
            lost(None)  # the socket closed, as the loop would have closed it

