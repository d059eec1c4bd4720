"""The awaited Redis cache's own connection (``_link.Link``) where loops are closed
without shutting down: a connection whose set-up was under way, the links of a forked
child's loops; and a connection closed while idle behind a cancelled command. A real
redis-server on 127.0.0.1 (one of this module's own, stopped with SIGSTOP where a test
says so)."""

import asyncio
import gc
import logging
import os
import sys
import uuid
import warnings

import pytest

from rndi.cache.testing import RedisServer
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.test_redis_link_review import closed_by_the_server

pytest.importorskip("redis")

import redis

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis import Stopped

LIMIT = 30.0


@pytest.fixture(scope="module")
def server():
    redis_server_or_skip()
    with RedisServer() as running:
        yield running


async def setting_up(cache):
    """Until the loop's link has its connection made and is setting it up (its PING
    sent, unanswered by a stopped server)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LIMIT
    while getattr(cache._connected.awaited.get(loop), "_making", None) is None:
        assert loop.time() < deadline, "the connection was never made"
        await asyncio.sleep(0.001)


def test_a_connection_set_up_when_its_loop_is_closed_without_shutdown_is_released(
        server, caplog, monkeypatch):
    """A host that makes a loop per event and closes it (``loop.close()`` alone, which
    the cache supports: the next loop releases the closed one's link), whose runner
    cancelled the event while the cache was setting up its connection to a server that
    does not answer. The set-up is the link's own task, outliving the operation: the
    closed loop's link must be released with it, as redis.asyncio's connect (in the
    operation's own task) is, not destroyed pending ("Task was destroyed but it is
    pending!"), failing at the collector ("Event loop is closed") with its socket left for
    the collector (a ResourceWarning, an error in this suite; a descriptor and a server
    connection held until a collection in a service)."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, socket_timeout=LIMIT,
                              retry_after=0, prefix=f"closed:{uuid.uuid4().hex[:8]}:")
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)

    async def cancelled_while_connecting():
        operation = asyncio.ensure_future(cache.alookup("k"))
        await setting_up(cache)
        operation.cancel()  # the runner's timeout
        with pytest.raises(asyncio.CancelledError):
            await operation

    with warnings.catch_warnings(record=True) as caught, \
            caplog.at_level(logging.ERROR, logger="asyncio"):
        warnings.simplefilter("always", ResourceWarning)
        loop = asyncio.new_event_loop()
        with Stopped(server):  # the kernel accepts the connection; nobody answers it
            loop.run_until_complete(cancelled_while_connecting())
            loop.close()
        del loop
        # the next loop's first operation releases the closed one's link
        assert asyncio.run(cache.alookup("k")) == (False, None)
        gc.collect()
    assert cache._connected.awaited == {}
    assert [record.getMessage().splitlines()[0] for record in caplog.records] == []
    assert [repr(each.exc_value) for each in unraisable] == []
    assert [str(each.message) for each in caught
            if issubclass(each.category, ResourceWarning)] == []


def test_a_forked_child_s_loops_closed_without_shutdown_are_released(server):
    """The adapter is made before ``fork`` (at import, as a pre-forking server's workers
    inherit it); a worker makes a loop per event and closes it (``loop.close()`` alone).
    In one process the next loop releases each closed loop's link; in the child the
    configuration the adapter holds is no longer among those released
    (``_forget_after_fork`` forgets ``_connected``): every event's link and its
    connection are kept, one more server connection per event, until the worker ends."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, socket_timeout=LIMIT,
                              prefix=f"forked:{uuid.uuid4().hex[:8]}:")
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        try:
            for _ in range(5):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(cache.alookup("k"))
                loop.close()
            asyncio.run(cache.alookup("k"))  # releases the loops closed before it
            kept = list(cache._connected.awaited.values())
            answer = f"{len(kept)} {sum(link.connected for link in kept)}"
        except BaseException as e:
            answer = type(e).__name__
        os.write(writable, answer.encode())
        os._exit(0)
    os.close(writable)
    os.waitpid(pid, 0)
    with os.fdopen(readable) as pipe:
        answer = pipe.read()
    assert answer == "0 0"


def test_a_connection_closed_while_idle_behind_a_cancelled_command_is_made_anew(
        server, caplog):
    """A loop kept between events: the runner cancelled an event while its command was
    on the wire, so the connection's reply to it is still to be read (dropped) when the
    loop stops. The server then closes the connection (a restart, its idle timeout).
    The check before sending on an idle connection is skipped while any command is
    waiting, a cancelled one's too: the next event's operation is sent on the closed
    connection and fails (ConnectionError, the server skipped for ``retry_after``),
    where the sync client, and this connection without the cancelled command, connect
    anew."""
    name = f"behind-{uuid.uuid4().hex[:8]}"
    cache = RedisCacheAdapter(url=f"redis://127.0.0.1:{server.port}/0?client_name={name}",
                              prefix=f"{name}:", socket_timeout=LIMIT, retry_after=5)
    cache.put("k", "v")
    observer = redis.Redis(port=server.port)
    loop = asyncio.new_event_loop()

    async def cancelled_on_the_wire():
        link = cache._connected.awaited[asyncio.get_running_loop()]
        operation = asyncio.ensure_future(cache.alookup("k"))
        while not link.protocol.waiting:
            await asyncio.sleep(0)
        operation.cancel()  # the runner's timeout
        with pytest.raises(asyncio.CancelledError):
            await operation

    try:
        assert loop.run_until_complete(cache.alookup("k")) == (True, "v")
        with Stopped(server):  # its reply comes once the loop has stopped
            loop.run_until_complete(cancelled_on_the_wire())
        closed_by_the_server(observer, name)
        assert cache.lookup("k") == (True, "v")  # the sync client: connected anew
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            assert loop.run_until_complete(cache.alookup("k")) == (True, "v")
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        observer.close()
