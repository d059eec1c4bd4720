"""One Redis connection pool per process and server, and one pair of clients per cache
configuration, forgotten after ``fork``.

redis-py pools notice a fork themselves; forgetting ours as well keeps the child from
sharing even the pool object with its parent.
"""

import asyncio
import contextlib
import os
import threading
import time
from typing import Any, AsyncIterator, Callable, Dict, List, NamedTuple, Optional, Tuple

import redis
import redis.asyncio
from redis.commands.core import Script

from rndi.cache.adapters.redis._deadline import bounded

_pools: Dict[Tuple[Any, ...], redis.ConnectionPool] = {}
# reentrant: what ``connected()`` makes under it asks ``pool()`` for its pools
_guard = threading.RLock()


class Connected(NamedTuple):
    """What a cache adapter of one configuration talks to Redis through, and what it
    shows of the server; nothing in it depends on the event."""

    server: str  # the URL without credentials, for log lines
    pool: redis.ConnectionPool  # of ``text``: the skip after a failure is kept per pool
    text: redis.Redis  # answers str: the cache's own reads and writes
    raw: redis.Redis  # answers bytes, for ``connection``, as a plain redis-py client does
    delete_if_equal: Script  # registered once: its SHA is computed once
    replace_if_equal: Script
    address: Tuple[str, int, int, Optional[str]]  # host, port, database, username
    # event loop -> the link the cache awaits its commands through on that loop (a
    # connection belongs to the loop it was made on); made by ``awaited``
    awaited: Dict[asyncio.AbstractEventLoop, Any]
    # the URL's options an asyncio connection refuses (then none is made: ``awaitable``)
    sync_only: Tuple[str, ...]
    # how a link is made: the cache's own connection (None: a redis.asyncio client)
    lean: Optional[Any]
    # an error's text as a log line may show it: without the values the URL carries (its
    # credentials, its options' values), which a client's message may quote
    told: Callable[[str], str]


# (URL, encoding, timeout, prefix) -> what the adapters of that configuration share. A
# redis-py client builds a table of ~160 response callbacks, which cost more than the
# commands of a guarded event, and every event makes an adapter. The key holds the URL
# with its credentials, as the pools' does; an adapter keeps none. The prefix is part of
# it so that two caches never share a client one of them changed through
# ``connection.client``.
_connected: Dict[Tuple[str, str, float, str], Connected] = {}


# every configuration's links by event loop (``Connected.awaited``, made by
# ``loop_links``): emptied in a child after ``fork``, as a redis-py pool drops its
# connections there. A connection belongs to the process that made it: a child that
# runs a loop it inherited connects anew instead of pipelining on its parent's socket
# (each would read the other's replies). Emptied there, nothing is looked up per command.
_links_by_loop: List[Dict[asyncio.AbstractEventLoop, Any]] = []


def loop_links() -> Dict[asyncio.AbstractEventLoop, Any]:
    """A configuration's links by event loop, forgotten in a child after ``fork``."""
    links: Dict[asyncio.AbstractEventLoop, Any] = {}
    _links_by_loop.append(links)
    return links


def _forget_after_fork() -> None:
    global _guard
    _pools.clear()
    _connected.clear()
    for links in _links_by_loop:  # the parent's connections are left alone, not closed
        links.clear()
    _guard = threading.RLock()


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


def connected(key: Tuple[str, str, float, str], make: Callable[[], Connected]) -> Connected:
    """What the cache of this configuration shares, made by ``make`` on first use."""
    found = _connected.get(key)
    if found is None:
        with _guard:
            found = _connected.get(key)
            if found is None:
                found = _connected[key] = make()
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


async def awaited(connected: Connected, make: Callable[[], Any]) -> Any:
    """A new link of this configuration for the running loop, which has none yet
    (``connected.awaited`` keeps it), made by ``make``: the cache's own connection
    (``_link.Link``) or a redis.asyncio client (``_link.ClientLink``). Its connection is
    closed when the loop shuts down (the loop's ``shutdown_asyncgens``, which
    ``asyncio.run`` calls), so none is left for the collector, which would warn. The
    links of loops closed without that are released here, as a new loop begins to
    await (a host that makes a loop per event leaves at most its last one's)."""
    loop = asyncio.get_running_loop()
    release_closed_loops()
    link = make()
    connected.awaited[loop] = link
    # nothing in it suspends before its first yield: no other task on this loop can come
    # between the lookup above and here, so a loop never gets two links
    closer = _closed_at_shutdown(connected, loop, link)
    await closer.__anext__()
    _closers[link] = closer  # the loop holds its generators weakly
    return link


# link -> the generator that closes it at its loop's shutdown (kept after a fork: the
# parent's, never finalized in the child)
_closers: Dict[Any, AsyncIterator[None]] = {}


async def _closed_at_shutdown(connected: Connected, loop: asyncio.AbstractEventLoop,
                              link: Any) -> AsyncIterator[None]:
    process = os.getpid()
    try:
        yield
    finally:
        _forget(connected.awaited, loop, link)
        # else released by ``release_closed_loops``, or (a child shutting down a loop it
        # inherited) its parent's: closing it here would unregister it from the
        # selector the two processes share
        if not loop.is_closed() and os.getpid() == process:
            await link.aclose()


def _forget(links: Dict[asyncio.AbstractEventLoop, Any], loop: asyncio.AbstractEventLoop,
            link: Any) -> None:
    with _guard:
        if links.get(loop) is link:
            del links[loop]
        _closers.pop(link, None)


def release_closed_loops() -> None:
    """Release the links of event loops that were closed without shutting down their
    async generators (``loop.close()`` alone): their connections are closed without the
    loop, which can run nothing any more, and the links forgotten. A loop not closed
    keeps its link, whether it runs or not."""
    with _guard:
        # every configuration's links, a forked child's too (an adapter made before the
        # fork keeps links that ``_connected``, emptied there, no longer lists)
        ended = [(links, loop, link) for links in _links_by_loop
                 for loop, link in list(links.items()) if loop.is_closed()]
        for links, loop, link in ended:
            closer = _closers.get(link)
            _forget(links, loop, link)
            if closer is not None:  # ended here: the collector finds nothing to finalize
                with contextlib.suppress(StopIteration):
                    closer.aclose().send(None)  # type: ignore[attr-defined]
            link.close_without_loop()
