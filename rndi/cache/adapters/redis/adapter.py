"""A cache on a Redis server, shared by every replica of an extension.

Every key lives under a prefix, so ``flush()`` removes only this cache's keys (SCAN +
UNLINK, never FLUSHALL/FLUSHDB). Redis expires entries itself (relative ``EX``/``PX``),
so ``flush(expired_only=True)`` has nothing to do. A server that cannot be reached turns
each operation into a logged miss: an extension must not fail because its cache did.
"""

import math
import re
from typing import Any, Mapping, Optional
from urllib.parse import quote, urlsplit

import redis

from rndi.cache import _config
from rndi.cache._base import MISS, StoredCache, check_key, decode, logger
from rndi.cache.adapters.redis import _pool
from rndi.cache.contracts import Cache
from rndi.cache.exceptions import CacheConfigurationError

DEFAULT_PREFIX = "rndi:cache:"

_GLOB = re.compile(r"([*?\[\]\\])")


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
    """The URL without credentials, for log lines and errors, whatever its shape.

    Everything up to the last ``@`` goes first, so a password holding ``#``, ``/`` or
    ``@``, or a URL without a scheme, cannot leak through a lenient parse.
    """
    head, at, tail = url.rpartition("@")
    if at:
        scheme, sep, _ = head.partition("://")
        url = f"{scheme}://{tail}" if sep else tail
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if not parts.scheme or not parts.hostname:
        return url
    return f"{parts.scheme}://{parts.hostname}:{port or 6379}{parts.path}"


class RedisCacheAdapter(StoredCache):
    """A cache of JSON values on Redis, every key under ``prefix``.

    Args:
        host, port, database, username, password: the server (``url`` instead, when given:
            ``redis://`` or ``rediss://`` for TLS).
        ttl: default time to live in seconds.
        encoding: how values are encoded on the wire.
        prefix: the namespace of this cache's keys (not empty).
        socket_timeout: seconds to wait for the server before giving up on an operation.

    Raises:
        ValueError: empty prefix, or a URL that is not ``redis://``/``rediss://``.
    """

    def __init__(self, host: str = "localhost", username: Optional[str] = None,
                 password: Optional[str] = None, database: int = 0, ttl: int = 900,
                 port: int = 6379, encoding: str = "utf-8", prefix: str = DEFAULT_PREFIX,
                 *, url: Optional[str] = None, socket_timeout: float = 5.0) -> None:
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
        self.server = _safe(url)
        try:
            pool = _pool.pool(url, encoding=encoding, decode_responses=True,
                              socket_timeout=socket_timeout,
                              socket_connect_timeout=socket_timeout)
        except (ValueError, TypeError) as e:
            # redis-py's message quotes parts of the URL, password included: not chained
            raise ValueError(f"The Redis URL {self.server!r} cannot be used ({type(e).__name__}"
                             "); expected redis[s]://[[user]:password@]host[:port][/db], "
                             "with special characters of the password %-encoded.") from None
        self._client = redis.Redis(connection_pool=pool)

    def _run(self, operation: str, key: str, call: Any) -> Any:
        try:
            return call()
        except redis.RedisError as e:
            logger.error("Redis cache %s: %s of %r failed (%s: %s); treating it as a miss.",
                         self.server, operation, key, type(e).__name__, e)
            return MISS

    def _load(self, key: str, ttl: Optional[float]) -> Any:
        name = self.prefix + key
        if ttl is None:
            raw = self._run("get", key, lambda: self._client.get(name))
        else:
            raw = self._run("get", key, lambda: self._client.getex(name, px=_milliseconds(ttl)))
        if raw is None or raw is MISS:
            return MISS
        value = decode(key, raw)
        if value is MISS:
            self.delete(key)
        return value

    def _store(self, key: str, encoded: str, ttl: float) -> None:
        milliseconds = _milliseconds(ttl)
        self._run("put", key, lambda: self._client.set(self.prefix + key, encoded,
                                                       px=milliseconds))

    def has(self, key: str) -> bool:
        check_key(key)
        raw = self._run("has", key, lambda: self._client.get(self.prefix + key))
        return raw is not None and raw is not MISS and raw != "null"

    def delete(self, key: str) -> None:
        check_key(key)
        self._run("delete", key, lambda: self._client.unlink(self.prefix + key))

    def flush(self, expired_only: bool = False) -> None:
        if expired_only:
            return  # Redis removes expired keys itself
        pattern = _GLOB.sub(r"\\\1", self.prefix) + "*"

        def unlink_all() -> None:
            batch = []
            for name in self._client.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) == 1000:
                    self._client.unlink(*batch)
                    batch = []
            if batch:
                self._client.unlink(*batch)

        self._run("flush", self.prefix + "*", unlink_all)


def provide_redis_cache_adapter(config: Mapping[str, Any]) -> Cache:
    """Build from ``CACHE_REDIS_URL`` or ``CACHE_REDIS_HOST`` (``localhost``),
    ``CACHE_REDIS_PORT`` (6379), ``CACHE_REDIS_DB`` (0), ``CACHE_REDIS_USERNAME``,
    ``CACHE_REDIS_PASSWORD``, plus ``CACHE_REDIS_ENCODING`` (utf-8), ``CACHE_REDIS_PREFIX``
    (``rndi:cache:``), ``CACHE_REDIS_TIMEOUT`` (5.0 s) and ``CACHE_TTL`` (900)."""
    url = _config.text(config, "CACHE_REDIS_URL", None)
    if url is not None and not _is_redis_url(url):
        raise CacheConfigurationError("CACHE_REDIS_URL", _safe(url),
                                      "a redis:// or rediss:// URL")
    return RedisCacheAdapter(
        host=_config.text(config, "CACHE_REDIS_HOST", "localhost") or "localhost",
        port=int(_config.number(config, "CACHE_REDIS_PORT", 6379, integer=True)),
        database=int(_config.number(config, "CACHE_REDIS_DB", 0, integer=True,
                                    allow_zero=True)),
        username=_config.text(config, "CACHE_REDIS_USERNAME", None),
        password=_config.text(config, "CACHE_REDIS_PASSWORD", None),
        encoding=_config.text(config, "CACHE_REDIS_ENCODING", "utf-8") or "utf-8",
        prefix=_config.text(config, "CACHE_REDIS_PREFIX", DEFAULT_PREFIX) or DEFAULT_PREFIX,
        ttl=_config.ttl(config),
        url=url,
        socket_timeout=_config.number(config, "CACHE_REDIS_TIMEOUT", 5.0),
    )
