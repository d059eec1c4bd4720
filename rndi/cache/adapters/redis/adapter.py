"""A cache on a Redis server, shared by every replica of an extension.

Every key lives under a prefix, so ``flush()`` removes only this cache's keys (SCAN +
UNLINK, never FLUSHALL/FLUSHDB). Redis expires entries itself (relative ``EX``/``PX``),
so ``flush(expired_only=True)`` has nothing to do. A server that cannot be reached turns
each operation into a logged miss: an extension must not fail because its cache did.
"""

import asyncio
import inspect
import math
import re
from typing import (
    Any,
    Callable,
    Dict,
    FrozenSet,
    Generator,
    Mapping,
    Optional,
    Set,
    Tuple,
    Type,
    TypeVar,
    cast,
)
from urllib.parse import quote, urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.commands.core import Script
from redis.connection import to_bool
from redis.retry import Retry

from rndi.cache import _config
from rndi.cache._base import MISS, AwaitedStoredCache, decode, logger, made_in_place
from rndi.cache.adapters.redis import _link, _pool
from rndi.cache.adapters.redis._deadline import deadline
from rndi.cache.contracts import Cache
from rndi.cache.exceptions import CacheConfigurationError, CacheUnavailable
from rndi.connect.devops_logger_adapter._secrets import text_masker, url_values

DEFAULT_PREFIX = "rndi:cache:"
DEFAULT_RETRY_AFTER = 5.0

T = TypeVar("T")
# a storage primitive: the commands it sends, each answered, then what it answers
Commands = Generator[Tuple[Any, ...], Any, Any]

# where a Redis error reply begins to repeat the command's arguments
_REPEATED = ", with args beginning with"

_GLOB = re.compile(r"([*?\[\]\\])")

# what a sync pool adds to its connections' options for itself (redis-py 7's maintenance
# notifications, set up with ``protocol=3``): an asyncio connection takes none of them
_SYNC_POOL_ONLY = ("maint_notifications", "oss_cluster_maint_notifications", "orig_")

# the OCSP switches, which redis-py reads from a URL as text ("true") while its connection
# checks ``is True``: ``?ssl_validate_ocsp=true`` would be no check at all, silently
_URL_SWITCHES = ("ssl_validate_ocsp", "ssl_validate_ocsp_stapled")

# GET and DEL in one script: Redis runs a script atomically, so no other client's SET can
# come between the comparison and the removal
_DELETE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# GET, then SET or (for an entry that expires at once) DEL, in one script: a lease's holder
# turns its token into a record with one command, and never overwrites another's entry
_REPLACE_IF_EQUAL = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return 0
end
if ARGV[3] == '0' then
    redis.call('DEL', KEYS[1])
else
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
"""


def _is_redis_url(url: str) -> bool:
    return urlsplit(url).scheme in ("redis", "rediss")


def _server_url(host: str, port: int, database: int, username: Optional[str],
                password: Optional[str]) -> str:
    credentials = ""
    if username or password:
        credentials = f"{quote(username or '', safe='')}:{quote(password or '', safe='')}@"
    return f"redis://{credentials}{host}:{port}/{database}"


def _milliseconds(ttl: float) -> int:
    """Redis counts expiry in whole milliseconds, and refuses 0: round a short ttl up."""
    return max(math.ceil(ttl * 1000), 1)


def _safe(url: str) -> str:
    """The URL without credentials or options, for log lines and errors, whatever its
    shape.

    Everything up to the last ``@`` goes first, so a password holding ``#``, ``/`` or
    ``@``, or a URL without a scheme, cannot leak through a lenient parse. The query
    goes before when it holds an ``@`` in an option's value, as redis-py reads it
    (``?ssl_password=p@ss``): the end of that value would be shown as the host. The
    query and fragment never show: they carry the options' values.
    """
    if _at_in_options(url):
        url = url.split("?", 1)[0]
    head, at, tail = url.rpartition("@")
    if at:
        scheme, sep, _ = head.partition("://")
        url = f"{scheme}://{tail}" if sep else tail
    url = url.split("?", 1)[0].split("#", 1)[0]
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.scheme or not parts.hostname:
        return url
    return f"{parts.scheme}://{parts.hostname}:{port or 6379}{parts.path}"


def _at_in_options(url: str) -> bool:
    """Whether redis-py reads an ``@`` of ``url`` in its query's ``name=value`` options,
    and none after its server (a number for its port): there no ``@`` ends credentials."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return False
    return ("@" in parts.query and "@" not in parts.path + parts.fragment
            and all("=" in pair for pair in parts.query.split("&")))


class RedisCacheAdapter(AwaitedStoredCache):
    """A cache of JSON values on Redis, every key under ``prefix``.

    Args:
        host: the server's host name (``url`` instead, when given: ``redis://``, or
            ``rediss://`` for TLS, with the host, port, database and credentials).
        username: the user, if the server has users.
        password: the password, if the server asks for one.
        database: the database number.
        port: the server's port.
        url: the whole server address instead of the five above.
        ttl: default time to live in seconds.
        encoding: how values are encoded on the wire.
        prefix: the namespace of this cache's keys (not empty).
        socket_timeout: seconds an operation may take, connecting and every round trip
            included (one attempt: an operation never costs more than this); it wins
            over a ``socket_timeout`` given in the URL.
        retry_after: seconds to skip the server after it could not be reached.

    Raises:
        ValueError: empty prefix, or a URL that is not ``redis://``/``rediss://``.
    """

    def __init__(self, host: str = "localhost", username: Optional[str] = None,
                 password: Optional[str] = None, database: int = 0, ttl: int = 900,
                 port: int = 6379, encoding: str = "utf-8", prefix: str = DEFAULT_PREFIX,
                 *, url: Optional[str] = None, socket_timeout: float = 5.0,
                 retry_after: float = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(ttl)
        if not isinstance(prefix, str) or not prefix:
            raise ValueError("The Redis cache prefix must be a non-empty string: flush() "
                             "deletes every key under it.")
        if url is None:
            url = _server_url(host, port, database, username, password)
        elif not _is_redis_url(url):
            raise ValueError(f"The Redis URL must start with redis:// or rediss://, got "
                             f"{_safe(url)!r}.")
        self.prefix = prefix
        self.retry_after = retry_after
        self.socket_timeout = socket_timeout
        self.encoding = encoding
        # what follows depends only on the configuration: made once per process (the
        # clients cost more than an event's commands), and only read here
        connected = _pool.connected((url, encoding, socket_timeout, prefix),
                                    lambda: self._connect(url))
        self.server = connected.server
        self._connected = connected
        self._pool = connected.pool
        self._client = connected.text
        self._raw_client = connected.raw
        self._delete_if_equal_script = connected.delete_if_equal
        self._replace_if_equal_script = connected.replace_if_equal
        # the server as redis-py reads it from the URL; the password is deliberately not
        # kept as an attribute, so no dump of the adapter can show it
        self.host, self.port, self.database, self.username = connected.address
        # a URL option only the sync client takes: under aresolve() this cache is called
        # in a worker thread (its awaited operations too), never awaited without it
        self.awaitable = not connected.sync_only

    def _connect(self, url: str) -> _pool.Connected:
        """The pools (shared per server and options) and clients of this configuration."""
        self.server = _safe(url)
        options: Dict[str, Any] = {
            "encoding": self.encoding, "socket_timeout": self.socket_timeout,
            "socket_connect_timeout": self.socket_timeout, "retry": Retry(NoBackoff(), 0)}
        try:
            # surrogateescape: a key or value that is not UTF-8 (written by someone else)
            # reads as a string that cannot decode as JSON, a miss, instead of an error
            pool = _pool.pool(url, encoding_errors="surrogateescape", decode_responses=True,
                              **options)
            # ``connection`` answers bytes, as the published adapter's client did
            raw_pool = _pool.pool(url, decode_responses=False, **options)
        except (ValueError, TypeError) as e:
            # redis-py's message quotes parts of the URL, password included: not chained
            raise ValueError(f"The Redis URL {self.server!r} cannot be used ({type(e).__name__}"
                             "); expected redis[s]://[[user]:password@]host[:port][/db], "
                             "with special characters of the password %-encoded.") from None
        self._use_our_timeout(pool, raw_pool)
        for name in _URL_SWITCHES:
            for each in (pool, raw_pool):
                if isinstance(each.connection_kwargs.get(name), str):
                    each.connection_kwargs[name] = to_bool(each.connection_kwargs[name])
        sync_only = _sync_only(pool)
        if sync_only:
            logger.warning(
                "%s: redis-py's asyncio client does not take the URL's %s: under "
                "aresolve() the lease and the journal call this cache in a worker thread, "
                "through the sync client, as they call every other store (remove the "
                "option to have them await it on the event loop).", self._describe(),
                ", ".join(sync_only))
        client = redis.Redis(connection_pool=pool)
        address = pool.connection_kwargs
        tls = _awaited_kind(pool) is redis.asyncio.SSLConnection
        options = _user_options(pool)
        return _pool.Connected(
            server=self.server, pool=pool, text=client,
            raw=redis.Redis(connection_pool=raw_pool),
            delete_if_equal=client.register_script(_DELETE_IF_EQUAL),
            replace_if_equal=client.register_script(_REPLACE_IF_EQUAL),
            awaited=_pool.loop_links(),
            sync_only=sync_only,
            lean=_link.Settings(options, tls) if _link.takes(options, tls) else None,
            address=(address.get("host", "localhost"), int(address.get("port", 6379)),
                     int(address.get("db", 0)), address.get("username")),
            told=text_masker(also=url_values(url)))

    def _use_our_timeout(self, *pools: redis.ConnectionPool) -> None:
        """``socket_timeout`` (``CACHE_REDIS_TIMEOUT``) wins over timeouts given in the
        URL: it is the deadline of each operation, and a URL's longer read timeout would
        let one read outlast it. A URL that says otherwise is logged, once."""
        overridden = {}
        for pool in pools:
            for name in ("socket_timeout", "socket_connect_timeout"):
                given = pool.connection_kwargs.get(name)
                if given != self.socket_timeout:
                    overridden[name] = given
                    pool.connection_kwargs[name] = self.socket_timeout
        if overridden:
            # the options by name: a line shows none of the URL's values
            shown = " and ".join(sorted(overridden))
            logger.warning("%s: the URL's %s %s ignored: each operation is bounded by the "
                           "cache timeout (CACHE_REDIS_TIMEOUT) of %s s.", self._describe(),
                           shown, "are" if len(overridden) > 1 else "is", self.socket_timeout)

    def _describe(self) -> str:
        return f"Redis cache {self.server}"

    @property
    def connection(self) -> "ScopedRedis":
        """The server as this cache sees it: the commands of one or more keys, with the
        keys named without this cache's prefix (``connection.ttl("x")``), answering
        ``bytes`` as a plain redis-py client does."""
        return ScopedRedis(self._raw_client, self.prefix)

    def _attempt(self, operation: str, key: Optional[str], call: Callable[[], Any]) -> Any:
        """One attempt, done within ``socket_timeout`` however many round trips it takes
        (connecting included); a skipped server is not tried. ``call`` answers the
        primitive's commands, sent here through the sync client."""
        if _pool.is_skipped(self._pool):
            raise CacheUnavailable(self._describe(), self._operation(operation, key),
                                   "the server is skipped after a failure")
        with deadline(self.socket_timeout):
            try:
                execute = self._client.execute_command
                return made_in_place(call(), lambda command: execute(*command))
            except Exception as e:  # StoredCache._attempt, written out: it runs per command
                self._fault(operation, key, e)
                raise CacheUnavailable(self._describe(), self._operation(operation, key),
                                       type(e).__name__) from self._masked(e)

    async def _aattempt(self, operation: str, key: Optional[str], call: Callable[[], Any]
                        ) -> Any:
        """``_attempt`` on the event loop: the primitive's commands awaited through the
        loop's link (the cache's own connection, or a redis.asyncio client), all of them
        within ``socket_timeout``."""
        if not self.awaitable:  # the sync client, which takes the URL's every option
            return await asyncio.to_thread(self._attempt, operation, key, call)
        if _pool.is_skipped(self._pool):
            raise CacheUnavailable(self._describe(), self._operation(operation, key),
                                   "the server is skipped after a failure")
        loop = asyncio.get_running_loop()
        link = self._connected.awaited.get(loop)
        try:
            if link is None:  # the loop's first operation of this configuration
                link = await _pool.awaited(self._connected, self._link)
            if type(link) is _link.Link:
                # the cache's own connection: every command of the primitive bounded by
                # one deadline, which the connection's timer keeps
                deadline = loop.time() + self.socket_timeout
                protocol = link.live()
                if protocol is None:
                    protocol = await link.connect(deadline)
                return await _answered(call(), protocol.send, deadline)
            # a redis.asyncio client; ``wait_for``: Python 3.10 has no ``asyncio.timeout``
            return await asyncio.wait_for(_answered(call(), _sent_through(link.client)),
                                          self.socket_timeout)
        except Exception as e:
            # the deadline: a timeout, as a socket's is (on 3.10 asyncio's TimeoutError
            # is not the builtin)
            if isinstance(e, (TimeoutError, asyncio.TimeoutError)):
                e = redis.TimeoutError("the cache operation ran out of time")
                if type(link) is _link.Link:  # where its replies stand is unknown
                    link.abort("a cache operation ran out of time")
            self._fault(operation, key, e)
            raise CacheUnavailable(self._describe(), self._operation(operation, key),
                                   type(e).__name__) from self._masked(e)

    def after_answered(self, callback: Callable[[], Any]) -> None:
        """``AwaitableCache.after_answered``: on the loop's own connection, after the
        reply to a ``PING`` sent behind every command waiting (Redis answers in order),
        or after that connection fails; at once without one (a redis.asyncio client
        answers each command before it sends the next)."""
        loop = asyncio.get_running_loop()
        link = self._connected.awaited.get(loop)
        protocol = link.protocol if type(link) is _link.Link else None
        if protocol is None or protocol.lost is not None:
            loop.call_soon(callback)
            return
        barrier = protocol.send(("PING",), loop.time() + self.socket_timeout)
        barrier.add_done_callback(_link.retrieved)
        barrier.add_done_callback(lambda _: callback())

    def _link(self) -> Any:
        """The link of this configuration for a new event loop: the cache's own
        connection, or a redis.asyncio client for a URL with options only it takes."""
        if self._connected.lean is not None:
            return _link.Link(self._connected.lean)
        return _link.ClientLink(redis.asyncio.Redis(connection_pool=self._awaited_pool()))

    def _awaited_pool(self) -> "redis.asyncio.ConnectionPool":
        """A pool of asyncio connections for one event loop, with the options of the sync
        pool (its URL's, the cache's timeout winning over them). No timeout per read or
        write: ``_aattempt`` bounds the whole operation, and redis-py would make a task
        for every write it bounds."""
        options = _user_options(self._pool)
        options.update(retry=AsyncRetry(NoBackoff(), 0), socket_timeout=None)
        return redis.asyncio.ConnectionPool(connection_class=_awaited_kind(self._pool),
                                            **options)

    def _fault(self, operation: str, key: Optional[str], error: Exception) -> None:
        """After a connection failure the server is skipped for ``retry_after`` seconds
        (logged once), so an outage costs each event almost nothing."""
        if (not isinstance(error, (redis.ConnectionError, redis.TimeoutError))
                or self.retry_after <= 0):
            super()._fault(operation, key, error)
        elif _pool.skip(self._pool, self.retry_after):  # not when skipping began already
            logger.error("%s: %s failed (%s: %s); skipping the server for %s s: every "
                         "operation meanwhile is a miss.", self._describe(),
                         self._operation(operation, key), type(error).__name__,
                         self._told(error), self.retry_after)

    def _told(self, error: BaseException) -> str:
        """The error's text without the arguments Redis repeats in some replies (``unknown
        command 'EVALSHA', with args beginning with: ...``: a key, a token, a record) and
        without a value of the URL's (redis-py quotes some: ``Invalid SSL Certificate
        Requirements Flag: ...``)."""
        return self._connected.told(str(error).split(_REPEATED, 1)[0])

    def _masked(self, error: Exception) -> Optional[BaseException]:
        """``error``, the cause of the ``CacheUnavailable`` raised for it, with its text and
        that of each error behind it as ``_told`` says them: a traceback shows them all (a
        compensated transaction's, a span's), and they may quote what a log line does not
        (a value of the URL, the arguments Redis repeats). The errors are kept, by type:
        what a caller looks for along the causes is still there. ``None`` (no cause) when
        one of them cannot be made to say less."""
        seen: Set[int] = set()
        behind: Optional[BaseException] = error
        while behind is not None and id(behind) not in seen:
            seen.add(id(behind))
            told = self._told(behind)
            if told != str(behind):
                behind.args = (told,)
                if str(behind) != told:  # one that writes its own text (an OSError's errno)
                    return None
            behind = behind.__cause__ or behind.__context__
        return error

    # The storage primitives are written once, as generators of the commands they send
    # (a tuple of a command's words), sent each command's answer or thrown its error:
    # ``_attempt`` sends them through the sync client, ``_aattempt`` awaits them through
    # the loop's asyncio client. Commands go through ``execute_command``: redis-py's
    # ``set()`` checks a dozen options on each call, which costs a guarded event more than
    # its own logic.

    def _load(self, key: str, ttl: Optional[float]) -> Commands:
        name = self.prefix + key
        if ttl is None:
            raw = yield ("GET", name)
        elif ttl == 0:
            raw = yield ("GETDEL", name)  # refreshed to expire now: read it one last time
        else:
            raw = yield ("GETEX", name, "PX", _milliseconds(ttl))
        if raw is None:
            return MISS
        value = decode(key, raw)
        if value is MISS:
            yield ("UNLINK", name)  # a poisoned entry would miss forever
        return value

    def _store(self, key: str, encoded: str, ttl: float) -> Commands:
        if ttl == 0:  # an entry that is already expired is no entry
            yield ("UNLINK", self.prefix + key)
        else:
            yield ("SET", self.prefix + key, encoded, "PX", _milliseconds(ttl))

    def _add(self, key: str, encoded: str, ttl: float) -> Commands:
        name = self.prefix + key
        if ttl == 0:  # an entry already expired is no entry: nothing to write
            return not (yield ("EXISTS", name))
        return bool((yield ("SET", name, encoded, "PX", _milliseconds(ttl), "NX")))

    def _delete_if_equal(self, key: str, encoded: str) -> Commands:
        return bool((yield from self._evalsha(self._delete_if_equal_script, self.prefix + key,
                                              encoded)))

    def _replace_if_equal(self, key: str, expected: str, encoded: str, ttl: float
                          ) -> Commands:
        milliseconds = 0 if ttl == 0 else _milliseconds(ttl)
        return bool((yield from self._evalsha(self._replace_if_equal_script,
                                              self.prefix + key, expected, encoded,
                                              milliseconds)))

    def _evalsha(self, script: Script, name: str, *args: Any) -> Commands:
        """``script`` on the key ``name``: EVALSHA, the script loaded again when the
        server lost it (a restart), as redis-py's ``Script`` does, without the checks it
        makes on every call."""
        try:
            return (yield ("EVALSHA", script.sha, 1, name, *args))
        except redis.exceptions.NoScriptError:
            script.sha = cast(str, (yield ("SCRIPT LOAD", script.script)))
            return (yield ("EVALSHA", script.sha, 1, name, *args))

    def _has(self, key: str) -> Commands:
        return bool((yield ("EXISTS", self.prefix + key)))

    def _delete(self, key: str) -> Commands:
        yield ("UNLINK", self.prefix + key)

    def _flush(self, expired_only: bool) -> Commands:
        if expired_only:
            return  # Redis removes expired keys itself
        pattern = _GLOB.sub(r"\\\1", self.prefix) + "*"
        cursor: Any = 0
        while True:  # SCAN + UNLINK, a batch at a time: never FLUSHALL/FLUSHDB
            cursor, names = yield ("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            if names:
                yield ("UNLINK", *names)
            if not int(cursor):  # the loop's own connection answers it as text, "0"
                return


def _sent_through(client: "redis.asyncio.Redis") -> Callable[[Tuple[Any, ...]], Any]:
    """A command sent through a redis.asyncio client: its reply awaitable."""
    execute = client.execute_command
    return lambda command: execute(*command)


async def _answered(commands: Commands, send: Callable[..., Any], *more: Any) -> Any:
    """A primitive's commands, each sent by ``send`` (``more`` after it) and its reply
    awaited."""
    try:
        command = next(commands)
        while True:
            try:
                answer = await send(command, *more)
            except Exception as error:
                command = commands.throw(error)
            else:
                command = commands.send(answer)
    except StopIteration as done:
        return done.value


def _user_options(pool: redis.ConnectionPool) -> Dict[str, Any]:
    """The options of ``pool``'s connections, without what the sync pool adds for itself."""
    return {name: value for name, value in pool.connection_kwargs.items()
            if not name.startswith(_SYNC_POOL_ONLY)}


def _awaited_kind(pool: redis.ConnectionPool) -> Type[Any]:
    """The asyncio connection class of ``pool``'s (TLS or not)."""
    tls = (isinstance(pool.connection_class, type)
           and issubclass(pool.connection_class, redis.SSLConnection))
    return redis.asyncio.SSLConnection if tls else redis.asyncio.Connection


def _sync_only(pool: redis.ConnectionPool) -> Tuple[str, ...]:
    """The names of ``pool``'s options an asyncio connection of its kind refuses."""
    taken = _options_taken(_awaited_kind(pool))
    if taken is None:  # pragma: no cover - redis-py's asyncio connections name them all
        return ()
    return tuple(sorted(name for name in _user_options(pool) if name not in taken))


def _options_taken(kind: Type[Any]) -> Optional[FrozenSet[str]]:
    """The keyword arguments ``kind`` takes, through its bases' ``__init__`` as far as
    ``**kwargs`` passes them on (``None``: any)."""
    names: Set[str] = set()
    for cls in kind.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        parameters = inspect.signature(init).parameters.values()
        names.update(parameter.name for parameter in parameters
                     if parameter.kind in (parameter.KEYWORD_ONLY,
                                           parameter.POSITIONAL_OR_KEYWORD))
        if all(parameter.kind is not parameter.VAR_KEYWORD for parameter in parameters):
            return frozenset(names)
    return None  # pragma: no cover - object.__init__ ends every chain


class ScopedRedis:
    """A Redis client limited to one cache's keys: every key argument gets the prefix.

    Only the commands whose arguments are all keys, or one key and then values, are
    offered; anything else (SCAN, FLUSHDB …) would reach beyond the cache and is refused.
    """

    ONE_KEY = frozenset({"get", "set", "getex", "getdel", "expire", "pexpire", "expireat",
                         "pexpireat", "expiretime", "pexpiretime", "ttl", "pttl", "persist",
                         "type", "strlen", "append", "incr", "incrby", "decr", "decrby"})
    MANY_KEYS = frozenset({"exists", "delete", "unlink", "mget", "touch"})

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def __getattr__(self, command: str) -> Callable[..., Any]:
        method = getattr(self.client, command)
        if command in self.ONE_KEY:
            return lambda key, *args, **kwargs: method(self.prefix + key, *args, **kwargs)
        if command in self.MANY_KEYS:
            return lambda *keys: method(*(self.prefix + key for key in keys))
        raise AttributeError(f"{command!r} is not a command of one cache's keys; use the "
                             f"redis client itself (connection.client) for it.")


# the settings the driver reads (read once per set of values)
_SETTINGS = ("CACHE_REDIS_URL", "CACHE_REDIS_HOST", "CACHE_REDIS_PORT", "CACHE_REDIS_DB",
             "CACHE_REDIS_USERNAME", "CACHE_REDIS_PASSWORD", "CACHE_REDIS_ENCODING",
             "CACHE_REDIS_PREFIX", "CACHE_TTL", "CACHE_REDIS_TIMEOUT",
             "CACHE_REDIS_RETRY_AFTER")


def provide_redis_cache_adapter(config: Mapping[str, Any]) -> Cache:
    """Build from ``CACHE_REDIS_URL`` or ``CACHE_REDIS_HOST`` (``localhost``),
    ``CACHE_REDIS_PORT`` (6379), ``CACHE_REDIS_DB`` (0), ``CACHE_REDIS_USERNAME``,
    ``CACHE_REDIS_PASSWORD``, plus ``CACHE_REDIS_ENCODING`` (utf-8), ``CACHE_REDIS_PREFIX``
    (``rndi:cache:``), ``CACHE_REDIS_TIMEOUT`` (5.0 s), ``CACHE_REDIS_RETRY_AFTER`` (5.0 s
    to skip an unreachable server) and ``CACHE_TTL`` (900)."""
    return RedisCacheAdapter(**_config.read_once(config, _SETTINGS, _read))


def _read(config: Mapping[str, Any]) -> Dict[str, Any]:
    url = _config.text(config, "CACHE_REDIS_URL", None)
    if url is not None and not _is_redis_url(url):
        raise CacheConfigurationError("CACHE_REDIS_URL", _safe(url),
                                      "a redis:// or rediss:// URL")
    return {
        "host": _config.text(config, "CACHE_REDIS_HOST", "localhost") or "localhost",
        "port": int(_config.number(config, "CACHE_REDIS_PORT", 6379, integer=True)),
        "database": int(_config.number(config, "CACHE_REDIS_DB", 0, integer=True,
                                       allow_zero=True)),
        "username": _config.text(config, "CACHE_REDIS_USERNAME", None),
        "password": _config.text(config, "CACHE_REDIS_PASSWORD", None),
        "encoding": _config.text(config, "CACHE_REDIS_ENCODING", "utf-8") or "utf-8",
        "prefix": _config.text(config, "CACHE_REDIS_PREFIX", DEFAULT_PREFIX) or DEFAULT_PREFIX,
        "ttl": _config.ttl(config),
        "url": url,
        "socket_timeout": _config.number(config, "CACHE_REDIS_TIMEOUT", 5.0),
        "retry_after": _config.number(config, "CACHE_REDIS_RETRY_AFTER",
                                      DEFAULT_RETRY_AFTER, allow_zero=True),
    }
