"""The Redis cache's awaited operations (``AwaitableCache``): the same answers, deadline,
skip after a failure and fault rules as the sync ones, through one asyncio client per
configuration and event loop. A real redis-server, and a fake one that trickles."""

import asyncio
import concurrent.futures
import logging
import time
import uuid

import pytest

from rndi.cache.contracts import AwaitableCache
from rndi.cache.exceptions import CacheUnavailable
from rndi.cache.testing import free_port
from tests.rndi.cache.test_redis_hazards import PasswordRedis, errors, slow_redis  # noqa: F401

pytest.importorskip("redis")

import redis

from rndi.cache.adapters.redis import _pool
from rndi.cache.adapters.redis.adapter import RedisCacheAdapter


def run(coroutine_function, *args):
    return asyncio.run(coroutine_function(*args))


def test_awaited_operations_answer_what_the_sync_ones_answer(make_redis):
    cache = make_redis()
    assert isinstance(cache, AwaitableCache)

    async def operations():
        return [
            await cache.aclaim("lease", "token", 30),
            await cache.aclaim("lease", "other", 30),  # held: not taken
            await cache.alookup("lease"),
            await cache.areplace_if_equal("lease", "other", {"copy": "x"}, 30),
            await cache.areplace_if_equal("lease", "token", {"copy": "x"}, 30),
            await cache.alookup("lease"),
            await cache.adelete_if_equal("lease", "token"),
            await cache.adelete_if_equal("lease", {"copy": "x"}),
            await cache.alookup("lease"),
            await cache.aadd("journal", {"result": [1, "a"]}, 30),
            await cache.aadd("journal", {"result": 2}, 30),
            await cache.aadd("expired", 1, 0),  # an entry already expired is no entry
            await cache.adelete("journal"),
            await cache.alookup("journal"),
        ]

    assert run(operations) == [True, False, (True, "token"), False, True,
                               (True, {"copy": "x"}), False, True, (False, None), True,
                               False, True, None, (False, None)]
    assert cache.connection.get("lease") is None  # under the cache's prefix, as sync
    assert cache.add("journal", {"result": 3}) is True
    assert run(cache.alookup, "journal") == (True, {"result": 3})


def test_adapters_of_one_configuration_share_one_connection_per_loop(make_redis):
    first, second = make_redis(prefix="awaited:shared:"), make_redis(prefix="awaited:shared:")
    other = make_redis(prefix="awaited:other:")

    async def clients():
        await first.alookup("x")
        await second.alookup("x")
        await other.alookup("x")
        loop = asyncio.get_running_loop()
        return (first._connected.awaited[loop], second._connected.awaited[loop],
                other._connected.awaited[loop])

    one, same, another = run(clients)
    assert one is same and one is not another
    again, _, _ = run(clients)
    assert again is not one  # a client belongs to its loop
    # each loop's client was closed as its loop shut down, and forgotten
    assert first._connected.awaited == {} and other._connected.awaited == {}
    assert one.settings is not None and not one.connected  # it did connect, and is closed


def test_a_script_the_server_lost_is_loaded_again(make_redis):
    cache = make_redis()
    cache.connection.client.script_flush()  # as a restarted server would have
    assert cache.put("lease", "token") == "token"
    assert run(cache.areplace_if_equal, "lease", "token", {"copy": "x"}, 30) is True
    assert run(cache.adelete_if_equal, "lease", {"copy": "x"}) is True


def test_a_damaged_entry_is_a_fault_for_alookup_and_a_miss_elsewhere(make_redis, caplog):
    cache = make_redis()
    cache.connection.set("lease", b"\xff not json")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"), \
            pytest.raises(CacheUnavailable, match="lookup of key #"):
        run(cache.alookup, "lease")
    assert cache.connection.get("lease") == b"\xff not json"  # kept: it is not absent


@pytest.mark.parametrize("slow_redis", ["trickle"], indirect=True)
def test_a_trickled_reply_does_not_outlast_the_deadline(slow_redis, caplog):  # noqa: F811
    cache = RedisCacheAdapter("127.0.0.1", port=slow_redis.port, prefix="p:",
                              socket_timeout=0.2, retry_after=0)

    async def lookups():
        for _ in range(2):
            with pytest.raises(CacheUnavailable, match="TimeoutError"):
                # each byte comes well within 0.2 s, but the whole reply takes 20 s
                await cache.alookup("k")

    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        run(lookups)
    assert not slow_redis.gave_up.is_set()  # each ended at its deadline, not the reply's
    lines = errors(caplog)
    assert len(lines) == 2
    assert all("lookup of key #" in line and "TimeoutError" in line for line in lines)


@pytest.mark.parametrize("slow_redis", ["trickle"], indirect=True)
def test_a_server_that_failed_is_skipped_by_both_worlds(slow_redis, caplog):  # noqa: F811
    cache = RedisCacheAdapter("127.0.0.1", port=slow_redis.port, prefix="skip:",
                              socket_timeout=0.2, retry_after=3600)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        with pytest.raises(CacheUnavailable, match="TimeoutError"):
            run(cache.alookup, "lease")
        with pytest.raises(CacheUnavailable, match="skipped after a failure"):
            run(cache.aclaim, "lease", "token", 30)
        with pytest.raises(CacheUnavailable, match="skipped after a failure"):
            cache.claim("lease", "token", 30)
        assert run(cache.aadd, "journal", 1) is False  # a miss, as add answers
    (line,) = errors(caplog)  # the skip is logged once
    assert "skipping the server for 3600" in line


def test_a_wrong_password_is_a_fault_that_names_no_credential(caplog):
    with PasswordRedis() as server:
        wrong = RedisCacheAdapter("127.0.0.1", port=server.port, password="wrong-secret",
                                  prefix="auth:", retry_after=0)
        right = RedisCacheAdapter("127.0.0.1", port=server.port,
                                  password=PasswordRedis.PASSWORD, prefix="auth:")
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable) as raised:
            run(wrong.aclaim, "lease", "token", 30)
        assert run(right.aclaim, "lease", "token", 30) is True
    shown = caplog.text + str(raised.value)
    assert "wrong-secret" not in shown and PasswordRedis.PASSWORD not in shown
    assert "redis://127.0.0.1:" in shown
    assert all("wrong-secret" not in repr(value) for value in vars(wrong).values()
               if not isinstance(value, _pool.Connected))



# a URL option only redis-py's sync client takes ---------------------------------------------

class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


def test_an_ocsp_url_is_served_by_the_sync_client_in_a_worker_thread(caplog):
    """``ssl_validate_ocsp`` is refused by an asyncio connection: the cache says it cannot
    be awaited on the loop, once, naming the option and not its value; its awaited
    operations are made by the sync client in a worker thread, which does make the check
    (the URL's text ``true`` read as the switch it is). Here no server listens: both
    worlds fail alike, connecting, never at building a connection."""
    url = (f"rediss://127.0.0.1:{free_port()}/0?ssl_validate_ocsp=true"
           "&ssl_cert_reqs=none")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        cache = RedisCacheAdapter(url=url, prefix="ocsp:", socket_timeout=30, retry_after=0)
        again = RedisCacheAdapter(url=url, prefix="ocsp:", socket_timeout=30, retry_after=0)
    (warning,) = [record.getMessage() for record in caplog.records]
    assert "ssl_validate_ocsp" in warning and "worker thread" in warning
    assert "true" not in warning and "none" not in warning  # no value of the URL's
    assert cache.awaitable is False and again.awaitable is False
    assert cache._pool.connection_kwargs["ssl_validate_ocsp"] is True  # checked, in sync

    executor = CountingExecutor(1)

    async def awaited():
        asyncio.get_running_loop().set_default_executor(executor)
        with pytest.raises(CacheUnavailable) as raised:
            await cache.aclaim("lease", "token", 30)
        assert await cache.aadd("journal", 1) is False  # a miss, as add answers
        return raised.value

    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        awaited_error = run(awaited)
        with pytest.raises(CacheUnavailable) as synced:
            cache.claim("lease", "token", 30)
    assert executor.submitted == 2  # the sync client, in a worker thread
    assert cache._connected.awaited == {}  # no asyncio client was made
    assert str(awaited_error) == str(synced.value)  # the same fault in both worlds
    assert "TypeError" not in caplog.text


def test_a_url_that_asyncio_takes_is_still_awaited_on_the_loop(redis_server, caplog):
    url = f"redis://127.0.0.1:{redis_server.port}/0?socket_keepalive=true"
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        cache = RedisCacheAdapter(url=url, prefix="keepalive:", retry_after=0)
    assert caplog.records == [] and cache.awaitable is True
    assert run(cache.aclaim, "lease", "token", 30) is True


# loops closed without shutting down their async generators ----------------------------------

def connections_of(client, name):
    return sum(1 for each in client.client_list() if each.get("name") == name)


def until(condition, limit=60.0):
    """Wait for ``condition`` with a generous limit: never a measure of speed."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def test_loops_closed_without_shutdown_leave_no_client_behind(redis_server):
    """A host that makes and closes a loop per event (``loop.close()`` alone, no
    ``shutdown_asyncgens``): each loop's client is released as the next loop begins to
    await, its connections closed on the server; a loop still open keeps its own."""
    name = f"closed-loops-{uuid.uuid4().hex[:8]}"
    cache = RedisCacheAdapter(url=f"redis://127.0.0.1:{redis_server.port}/0",
                              prefix=f"{name}:", retry_after=0)
    observer = redis.Redis(port=redis_server.port)
    open_loop = asyncio.new_event_loop()  # lives on through the others: never released

    async def operations():
        await cache.aclaim("lease", "token", 30)
        loop = asyncio.get_running_loop()
        await cache._connected.awaited[loop].execute_command("CLIENT", "SETNAME", name)

    open_loop.run_until_complete(operations())
    kept = cache._connected.awaited[open_loop]
    for _ in range(20):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(operations())
        loop.close()
        # the previous loops' clients are gone: this one's and the open loop's are left
        assert len(cache._connected.awaited) <= 2
    until(lambda: connections_of(observer, name) == 2)
    assert asyncio.run(cache.alookup("lease")) == (True, "token")  # a loop shut down
    until(lambda: connections_of(observer, name) == 1)  # the open loop's
    assert cache._connected.awaited == {open_loop: kept}
    assert open_loop.run_until_complete(cache.alookup("lease")) == (True, "token")
    assert cache._connected.awaited[open_loop] is kept  # its client, not closed
    open_loop.run_until_complete(open_loop.shutdown_asyncgens())
    open_loop.close()
    until(lambda: connections_of(observer, name) == 0)
    assert cache._connected.awaited == {}
    observer.close()
