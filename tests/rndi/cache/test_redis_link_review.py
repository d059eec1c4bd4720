"""Faults of the awaited Redis cache's own connection (``_link.Link``) where the awaited
path answers otherwise than the sync one: an operation that waits for a connection
another operation's deadline gives up on, a connection the server closed while its
loop was idle, a child process after ``fork``, a large value, a TLS connection
to a stalled server at the loop's end. A real redis-server on
127.0.0.1 (one of this module's own, stopped with SIGSTOP where a test says so)."""

import asyncio
import gc
import logging
import os
import signal
import uuid
import warnings

import pytest

from rndi.cache.exceptions import CacheUnavailable
from rndi.cache.testing import RedisServer
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.test_redis_awaited import connections_of, until

pytest.importorskip("redis")

import redis

from rndi.cache.adapters.redis import _link
from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis import (
    Stopped,
    cache_on,
    deliver,
)
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis_review import (  # noqa: F401
    tls_redis,
)
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import Vendor

LIMIT = 30.0
SHORT = 0.3  # a deadline the stalled server is left to pass


@pytest.fixture(scope="module")
def server():
    redis_server_or_skip()
    with RedisServer() as running:
        yield running


async def connecting(cache):
    """Until the loop's link is making its connection."""
    loop = asyncio.get_running_loop()
    while getattr(cache._connected.awaited.get(loop), "_connecting", None) is None:
        await asyncio.sleep(0)



def closed_by_the_server(observer, name):
    """Every client's connection closed by the server (as a restart or its idle timeout
    closes them), until none named ``name`` is left."""
    observer.client_kill_filter(_type="normal", skipme=True)
    until(lambda: connections_of(observer, name) == 0)

def test_an_operation_waiting_for_a_connection_another_gave_up_on_is_not_cancelled(server):
    """Two operations on one loop wait for the same new connection to a stalled server;
    the first one's deadline passes first. The second was never cancelled: it must end
    as a fault (``CacheUnavailable``, which a lease reads as "reschedule"), never as a
    ``CancelledError`` (which every caller reads as its own cancellation)."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, socket_timeout=SHORT,
                              retry_after=0, prefix=f"joined:{uuid.uuid4().hex[:8]}:")

    async def run():
        with Stopped(server):  # the kernel accepts the connection; nobody answers it
            first = asyncio.ensure_future(cache.alookup("a"))
            await connecting(cache)
            # a later deadline than the first's (the sleep only sets them apart: a slow
            # machine that oversleeps the first deadline makes this test pass, never fail)
            await asyncio.sleep(SHORT / 3)
            second = asyncio.ensure_future(cache.aclaim("b", "token", 30))
            await asyncio.wait([first, second])
        return first, second

    first, second = asyncio.run(run())
    assert isinstance(first.exception(), CacheUnavailable)
    assert not second.cancelled()
    assert isinstance(second.exception(), CacheUnavailable)


def test_a_delivery_waiting_for_a_connection_another_gave_up_on_is_rescheduled(server):
    """The same, as two events delivered on one loop: each is rescheduled; the second
    must not end cancelled (its answer lost to the runner) because the first timed out."""
    cache, vendor = cache_on(server, timeout=SHORT), Vendor()

    async def run():
        with Stopped(server):
            first = asyncio.ensure_future(deliver(cache, vendor, {"id": "PR-FIRST"}))
            await connecting(cache)
            await asyncio.sleep(SHORT / 3)  # as above: a later deadline
            second = asyncio.ensure_future(deliver(cache, vendor, {"id": "PR-SECOND"}))
            return await asyncio.gather(first, second, return_exceptions=True)

    answers = asyncio.run(run())
    assert [getattr(answer, "status", repr(answer)) for answer in answers] == [
        "reschedule", "reschedule"]
    assert vendor.orders == []


def test_a_connection_the_server_closed_while_its_loop_was_idle_is_made_anew(server, caplog):
    """A loop kept between events (``run_until_complete`` per event) whose connection
    the server closed meanwhile (a restart, its ``timeout`` for idle clients, a proxy):
    the sync client finds its connection closed before it sends and connects anew; the
    awaited one must answer the same, not a fault that skips the server."""
    name = f"idle-{uuid.uuid4().hex[:8]}"
    cache = RedisCacheAdapter(url=f"redis://127.0.0.1:{server.port}/0?client_name={name}",
                              prefix=f"{name}:", socket_timeout=LIMIT, retry_after=5)
    cache.put("k", "v")
    observer = redis.Redis(port=server.port)
    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(cache.alookup("k")) == (True, "v")
        assert type(cache._connected.awaited[loop]) is _link.Link
        closed_by_the_server(observer, name)
        assert cache.lookup("k") == (True, "v")  # the sync client: connected anew
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):

            assert loop.run_until_complete(cache.alookup("k")) == (True, "v")
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        observer.close()


def test_a_child_process_never_awaits_through_its_parent_s_connection(server):
    """After ``fork``, a child that runs an event loop it inherited (``get_event_loop()``
    in a forked worker) must connect anew, as the sync client's pool does: two processes
    pipelining on one socket read each other's replies (a claim answered with another's
    OK)."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, socket_timeout=LIMIT,
                              prefix=f"fork:{uuid.uuid4().hex[:8]}:")
    loop = asyncio.new_event_loop()

    async def client_id():
        await cache.alookup("k")
        link = cache._connected.awaited[asyncio.get_running_loop()]
        return await link.execute_command("CLIENT", "ID")

    try:
        parent = loop.run_until_complete(client_id())
        parent_sync = cache._client.client_id()
        readable, writable = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            try:
                answer = f"{loop.run_until_complete(client_id())} {cache._client.client_id()}"
            except BaseException as e:
                answer = f"{type(e).__name__} -1"
            os.write(writable, answer.encode())
            os._exit(0)
        os.close(writable)
        os.waitpid(pid, 0)
        with os.fdopen(readable) as pipe:
            child, child_sync = pipe.read().split()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    assert int(child_sync) != parent_sync  # the sync client connected anew in the child
    assert int(child) != parent


def test_a_large_value_is_read_within_the_deadline_the_sync_client_keeps(server):
    """A 64 MiB entry, read with the default deadline (5 s): the sync client reads it
    in a fraction of that. The awaited connection joins its buffer to each chunk the
    loop reads (256 KiB), copying the whole reply so far every time: quadratic, it
    blocks the loop for seconds, then fails at the deadline."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, retry_after=0,
                              prefix=f"big:{uuid.uuid4().hex[:8]}:")
    value = "x" * (64 << 20)
    cache.put("big", value)
    try:
        assert cache.lookup("big") == (True, value)

        assert asyncio.run(cache.alookup("big")) == (True, value)
    finally:
        cache.delete("big")


def test_a_tls_connection_to_a_stalled_server_is_closed_at_the_loop_s_end(
        tls_redis):  # noqa: F811
    """The loop ends while the TLS server stalls: the connection's goodbye (TLS
    close_notify) is waited for, then given up on; its socket must be closed all the same,
    not left open for the collector to find (a ResourceWarning, an error in this suite;
    a descriptor held until then in a service)."""
    cache = RedisCacheAdapter(
        url=f"rediss://127.0.0.1:{tls_redis.tls_port}/0?ssl_cert_reqs=none",
        prefix=f"tls-stall:{uuid.uuid4().hex[:8]}:", socket_timeout=LIMIT, retry_after=0)

    async def run():
        assert await cache.alookup("k") == (False, None)
        assert type(cache._connected.awaited[asyncio.get_running_loop()]) is _link.Link
        os.kill(tls_redis.process.pid, signal.SIGSTOP)  # resumed below

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            asyncio.run(run())
        finally:
            os.kill(tls_redis.process.pid, signal.SIGCONT)
        gc.collect()
    assert cache._connected.awaited == {}

    assert [str(each.message) for each in caught
            if issubclass(each.category, ResourceWarning)] == []


@pytest.mark.parametrize("url_options", ["", "?socket_keepalive=true"],
                         ids=["own connection", "redis.asyncio"])
def test_awaited_operations_need_nothing_python_3_10_lacks(server, monkeypatch, url_options):
    """The package supports Python 3.10 (``requires-python``, its classifiers, CI's
    matrix), whose asyncio has neither ``timeout`` nor ``timeout_at`` (3.11): taken away
    here, as 3.10 lacks them, the awaited operations must answer what the sync ones do.
    On a real 3.10 every awaited operation fails (AttributeError), so under aresolve()
    every take is a fault and every event is rescheduled, for ever."""
    cache = RedisCacheAdapter(url=f"redis://127.0.0.1:{server.port}/0{url_options}",
                              prefix=f"py310:{uuid.uuid4().hex[:8]}:", socket_timeout=LIMIT,
                              retry_after=0)
    assert cache.claim("lease", "token", 30) is True
    monkeypatch.delattr(asyncio, "timeout", raising=False)
    monkeypatch.delattr(asyncio, "timeout_at", raising=False)

    assert asyncio.run(cache.alookup("lease")) == cache.lookup("lease") == (True, "token")


def test_a_connection_made_for_an_operation_cancelled_meanwhile_is_closed_with_its_loop(
        server):
    """The runner cancels the loop's first operation just as its connection is made (the
    connection is the link's, made for every waiter): nobody took it up, and the loop
    ends. It must be closed at the loop's shutdown as any other, not left open for the
    collector (a ResourceWarning, an error in this suite)."""
    cache = RedisCacheAdapter("127.0.0.1", port=server.port, socket_timeout=LIMIT,
                              prefix=f"cut:{uuid.uuid4().hex[:8]}:")

    async def run():
        loop = asyncio.get_running_loop()
        operation = asyncio.ensure_future(cache.alookup("k"))
        await connecting(cache)
        link = cache._connected.awaited[loop]
        while not link._connecting.done():
            await asyncio.sleep(0)
        operation.cancel()  # its waiter has not taken the connection up yet
        with pytest.raises(asyncio.CancelledError):
            await operation
        assert link._connecting.result().lost is None  # made, and open

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        asyncio.run(run())
        gc.collect()
    assert cache._connected.awaited == {}

    assert [str(each.message) for each in caught
            if issubclass(each.category, ResourceWarning)] == []
