"""One Redis connection pool per process and server, forgotten after ``fork``.

redis-py pools notice a fork themselves; forgetting ours as well keeps the child from
sharing even the pool object with its parent.
"""

import os
import threading
import time
from typing import Any, Dict, Tuple

import redis

from rndi.cache.adapters.redis._deadline import bounded

_pools: Dict[Tuple[Any, ...], redis.ConnectionPool] = {}
_guard = threading.Lock()


def _forget_after_fork() -> None:
    global _guard
    _pools.clear()
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
