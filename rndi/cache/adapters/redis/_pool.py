"""One Redis connection pool per process and server, and one set of clients per cache
configuration, forgotten after ``fork``.

redis-py pools notice a fork themselves; forgetting ours as well keeps the child from
sharing even the pool object with its parent.
"""

import os
import threading
import time
from typing import Any, Callable, Dict, NamedTuple, Tuple

import redis
from redis.commands.core import Script

from rndi.cache.adapters.redis._deadline import bounded

_pools: Dict[Tuple[Any, ...], redis.ConnectionPool] = {}
_guard = threading.Lock()


class Clients(NamedTuple):
    """What a cache adapter talks to Redis through; nothing in it depends on the event."""

    text: redis.Redis  # answers str: the cache's own reads and writes
    raw: redis.Redis  # answers bytes, for ``connection``, as a plain redis-py client does
    delete_if_equal: Script  # registered once: its SHA is computed once


# (text pool, raw pool, prefix) -> clients. A redis-py client builds a table of ~160
# response callbacks, which cost more than the commands of a guarded event: every event
# makes an adapter, so the clients are made once per configuration. The pools stand for
# the URL, credentials and timeout; the prefix is part of the key too, so two caches never
# share a client that one of them changed through ``connection.client``.
_clients: Dict[Tuple[redis.ConnectionPool, redis.ConnectionPool, str], Clients] = {}


def _forget_after_fork() -> None:
    global _guard
    _pools.clear()
    _clients.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def pool(url: str, **options: Any) -> redis.ConnectionPool:
    """The process-wide pool for ``url`` and these options, created on first use."""
    key = (url, *sorted(options.items()))
    found = _pools.get(key)
    if found is None:
        with _guard:
            found = _pools.get(key)
            if found is None:
                found = redis.ConnectionPool.from_url(url, **options)
                # chosen by the URL's scheme: made to keep each operation's deadline
                found.connection_class = bounded(found.connection_class)
                _pools[key] = found
    return found


def clients(text_pool: redis.ConnectionPool, raw_pool: redis.ConnectionPool, prefix: str,
            make: Callable[[], Clients]) -> Clients:
    """The clients of the cache on these pools with this prefix, made by ``make`` once."""
    key = (text_pool, raw_pool, prefix)
    found = _clients.get(key)
    if found is None:
        with _guard:
            found = _clients.get(key)
            if found is None:
                found = _clients[key] = make()
    return found


# pool -> monotonic time until which it is skipped, after a connection failure. Keyed by
# the pool, so by the whole URL with its credentials: a wrong password in one adapter
# does not make another, with the right one, skip the same server.
_skipped_until: Dict[redis.ConnectionPool, float] = {}


def is_skipped(server: redis.ConnectionPool) -> bool:
    return time.monotonic() < _skipped_until.get(server, 0.0)


def skip(server: redis.ConnectionPool, seconds: float) -> bool:
    """Skip ``server`` for ``seconds``; whether it was not skipped already (log then)."""
    with _guard:
        first = not is_skipped(server)
        if first and seconds > 0:
            _skipped_until[server] = time.monotonic() + seconds
        return first
