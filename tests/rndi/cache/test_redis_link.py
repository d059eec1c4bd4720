"""The awaited Redis cache's own connection (``_link.Link``): the same answers as the sync
client, commands of many tasks pipelined on one socket, a cancelled waiter's reply
dropped, a stalled server ended by the deadline and reconnected to, AUTH and SELECT.
A real redis-server on 127.0.0.1 (one of this module's own, stopped with SIGSTOP where
a test says so)."""

import asyncio
import logging
import math
import uuid

import pytest

from rndi.cache.exceptions import CacheUnavailable
from rndi.cache.testing import RedisServer
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.test_redis_awaited import connections_of, until
from tests.rndi.cache.test_redis_hazards import PasswordRedis, errors, slow_redis  # noqa: F401

pytest.importorskip("redis")

import redis

from rndi.cache.adapters.redis import _link
from rndi.cache.adapters.redis.adapter import RedisCacheAdapter, _answered
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis import Stopped

# a deadline no healthy server on this machine comes near: what a test waits out is
# the short one it sets itself
LIMIT = 30.0


@pytest.fixture(scope="module")
def server():
    redis_server_or_skip()
    with RedisServer() as running:
        yield running


def adapter(server, **options):
    options.setdefault("prefix", f"link:{uuid.uuid4().hex[:8]}:")
    options.setdefault("socket_timeout", LIMIT)
    return RedisCacheAdapter("127.0.0.1", port=server.port, **options)


def link_of(cache):
    return cache._connected.awaited[asyncio.get_running_loop()]


def operations(cache):
    """Every primitive the lease and the journal use, each way it can answer, as a list
    of (name, arguments) for the sync and the awaited method alike."""
    return [
        ("claim", ("lease", "token", 30)), ("claim", ("lease", "other", 30)),
        ("lookup", ("lease",)), ("replace_if_equal", ("lease", "other", {"copy": "x"}, 30)),
        ("replace_if_equal", ("lease", "token", {"copy": "x"}, 30)), ("lookup", ("lease",)),
        ("delete_if_equal", ("lease", "token")), ("delete_if_equal", ("lease", {"copy": "x"})),
        ("lookup", ("lease",)), ("add", ("journal", {"result": [1, "é", None]}, 30)),
        ("add", ("journal", {"result": 2}, 30)), ("lookup", ("journal",)),
        ("add", ("expired", 1, 0)), ("replace_if_equal", ("journal", {"result": [1, "é", None]},
                                                         {"result": 3}, 0)),
        ("lookup", ("journal",)), ("add", ("gone", "x", 30)), ("delete", ("gone",)),
        ("lookup", ("gone",)),
    ]


def test_the_connection_answers_what_the_sync_client_answers(server):
    synced, awaited = adapter(server), adapter(server)
    expected = [getattr(synced, name)(*args) for name, args in operations(synced)]

    async def run():
        answers = [await getattr(awaited, "a" + name)(*args)
                   for name, args in operations(awaited)]
        return answers, type(link_of(awaited))

    answers, kind = asyncio.run(run())
    assert kind is _link.Link  # the cache's own connection, not redis.asyncio
    assert answers == expected
    assert expected[:3] == [True, False, (True, "token")]  # the cases are what they say
    # what the awaited side wrote reads back the same through the sync client
    assert awaited.lookup("lease") == synced.lookup("lease") == (False, None)
    assert awaited.connection.get("journal") == synced.connection.get("journal") is None


def test_a_script_the_server_lost_is_loaded_again_on_the_connection(server):
    cache = adapter(server)
    cache.put("lease", "token")

    async def run():
        await cache.alookup("lease")  # connected
        cache.connection.client.script_flush()  # as a restarted server would have
        return await cache.areplace_if_equal("lease", "token", {"copy": "x"}, 30)

    assert asyncio.run(run()) is True
    assert cache.lookup("lease") == (True, {"copy": "x"})


def test_concurrent_operations_on_one_loop_share_one_pipelined_connection(server):
    cache = adapter(server)
    names = [f"k{i}" for i in range(50)]

    async def run():
        await cache.alookup("warm")
        link = link_of(cache)
        claims = asyncio.gather(*(cache.aclaim(name, name, 30) for name in names))
        await asyncio.sleep(0)  # each task has sent its command: none is answered yet
        in_flight = len(link.protocol.waiting)
        taken = await claims
        again = await asyncio.gather(*(cache.aclaim(name, "x", 30) for name in names),
                                     *(cache.alookup(name) for name in names))
        return in_flight, taken, again, link.protocol

    in_flight, taken, again, protocol = asyncio.run(run())
    assert in_flight == 50  # all on the wire at once, on one connection
    assert taken == [True] * 50
    assert again == [False] * 50 + [(True, name) for name in names]  # each its own reply
    assert protocol.lost is not None  # closed with its loop


def test_a_cancelled_waiter_leaves_the_replies_in_step(server):
    cache = adapter(server)
    for name in "abc":
        cache.put(name, name.upper())

    async def run():
        await cache.alookup("warm")
        answers = []
        for _ in range(20):
            first = asyncio.ensure_future(cache.alookup("a"))
            await asyncio.sleep(0)  # its command is on the wire
            first.cancel()
            # the reply to "a" arrives first and is dropped; each later one is its own
            answers.append(await asyncio.gather(cache.alookup("b"), cache.alookup("c")))
            assert first.cancelled()
        return answers

    assert asyncio.run(run()) == [[(True, "B"), (True, "C")]] * 20


def test_after_answered_calls_back_once_what_was_sent_before_is_answered(server):
    cache = adapter(server)

    async def run():
        loop = asyncio.get_running_loop()
        first = loop.create_future()
        cache.after_answered(lambda: first.set_result(None))  # no connection yet: soon
        await first
        assert await cache.alookup("lease") == (False, None)  # connected
        claim = asyncio.ensure_future(cache.aclaim("lease", "token", 30))
        await asyncio.sleep(0)  # its command is on the wire
        claim.cancel()  # its reply is dropped, but it comes before the callback
        called = loop.create_future()
        cache.after_answered(lambda: called.set_result(cache.connection.get("lease")))
        return await called

    assert asyncio.run(run()) == b'"token"'  # the claim was made before the callback


def test_a_stalled_server_is_a_fault_at_the_deadline_then_reconnected_to(server, caplog):
    short = adapter(server, socket_timeout=0.2, retry_after=0)
    generous = adapter(server, prefix=short.prefix, retry_after=0)
    short.put("k", "stored-value")

    async def run():
        assert await short.alookup("k") == (True, "stored-value")  # connected
        first = link_of(short).protocol
        with Stopped(server), caplog.at_level(logging.ERROR, logger="rndi.cache"):
            outcomes = await asyncio.gather(short.alookup("k"), short.aclaim("j", "v", 30),
                                            return_exceptions=True)
        # every command that was waiting failed as a fault, the connection closed
        assert all(isinstance(outcome, CacheUnavailable) for outcome in outcomes)
        assert first.lost is not None and not link_of(short).connected
        # the server runs again: the next operation connects anew
        assert await short.alookup("k") == (True, "stored-value")
        assert link_of(short).protocol is not first
        return outcomes

    outcomes = asyncio.run(run())
    assert {type(outcome.__cause__).__name__ for outcome in outcomes} == {"TimeoutError"}
    lines = errors(caplog)
    assert len(lines) == 2 and all("TimeoutError" in line for line in lines)
    assert not any("stored-value" in line or "link:" in line for line in lines)
    # the claim sent before the stall was made once the server ran again, or not at all:
    # nothing else changed
    assert generous.lookup("k") == (True, "stored-value")


def test_a_deadline_ends_a_connection_to_a_server_that_never_answers(server):
    cache = adapter(server, socket_timeout=0.2, retry_after=0)

    async def run():
        # the kernel accepts the connection; nobody answers it
        with Stopped(server), pytest.raises(CacheUnavailable, match="TimeoutError"):
            await cache.aclaim("lease", "token", 30)
        return await cache.aclaim("lease", "token", 30)

    # the take never reached the server before it failed: made again, it is granted
    assert asyncio.run(run()) is True


@pytest.mark.parametrize("slow_redis", ["garbage"], indirect=True)
def test_a_reply_that_cannot_be_read_closes_the_connection(slow_redis, caplog):  # noqa: F811
    cache = RedisCacheAdapter("127.0.0.1", port=slow_redis.port, prefix="garbage:",
                              socket_timeout=LIMIT, retry_after=0)

    async def run():
        assert await cache.aclaim("lease", "token", 30) is True  # SET: +OK
        first = link_of(cache).protocol
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match="ConnectionError"):
            await cache.alookup("lease")
        assert first.lost is not None  # closed: where its replies stand is unknown
        assert await cache.aclaim("lease", "token", 30) is True  # on a new connection
        assert link_of(cache).protocol is not first

    asyncio.run(run())
    (line,) = errors(caplog)
    assert "could not be read" in line and "stored-value" not in line


@pytest.fixture(scope="module")
def password_server():
    redis_server_or_skip()
    with PasswordRedis() as running:
        yield running


def test_auth_and_the_database_are_those_of_the_url(password_server, caplog):
    password = PasswordRedis.PASSWORD
    url = f"redis://default:{password}@127.0.0.1:{password_server.port}/3"
    cache = RedisCacheAdapter(url=url, prefix="auth:", socket_timeout=LIMIT, retry_after=0)
    wrong = RedisCacheAdapter(url=url.replace(password, "wrong-secret"), prefix="auth:",
                              socket_timeout=LIMIT, retry_after=0)

    async def run():
        assert await cache.aclaim("lease", "token-value", 30) is True
        assert type(link_of(cache)) is _link.Link
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match="AuthenticationError"):
            await wrong.alookup("lease")

    asyncio.run(run())
    observer = redis.Redis(port=password_server.port, password=password, db=3)
    assert observer.get("auth:lease") == b'"token-value"'  # database 3, as the URL says
    assert redis.Redis(port=password_server.port, password=password).get("auth:lease") is None
    (line,) = errors(caplog)
    assert "AuthenticationError" in line
    assert "wrong-secret" not in line and password not in line and "token" not in line
    observer.close()


def test_a_url_option_the_connection_does_not_take_goes_through_redis_asyncio(server):
    name = f"client-{uuid.uuid4().hex[:8]}"
    url = f"redis://127.0.0.1:{server.port}/0?health_check_interval=30&client_name={name}"
    cache = RedisCacheAdapter(url=url, prefix=f"{name}:", socket_timeout=LIMIT)
    observer = redis.Redis(port=server.port)

    async def run():
        assert await cache.aclaim("lease", "token", 30) is True
        return link_of(cache), await cache.alookup("lease")

    loop = asyncio.new_event_loop()
    link, answer = loop.run_until_complete(run())
    loop.close()  # without shutting down: its connections are closed as the next begins
    assert type(link) is _link.ClientLink and answer == (True, "token")
    assert asyncio.run(cache.alookup("lease")) == (True, "token")
    until(lambda: connections_of(observer, name) == 0)
    assert cache._connected.awaited == {}
    observer.close()


def test_replies_are_read_as_resp2_says():
    reply = _link._reply
    assert reply(b"$-1\r\n", 0, "utf-8") == (None, 5)
    assert reply(b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n", 0, "utf-8") == (["0", ["k"]], 22)
    assert reply(b"*-1\r\n", 0, "utf-8") == (None, 5)
    assert reply(b"+OK\r\n:7\r\n", 5, "utf-8") == (7, 9)
    assert reply(b"$3\r\n\xffab\r\n", 0, "utf-8")[0] == "\udcffab"  # as the sync client
    for partial in (b"$3\r\nab", b"*2\r\n:1\r\n", b":1"):
        with pytest.raises(_link._Incomplete):
            reply(partial, 0, "utf-8")
    with pytest.raises(ValueError, match="not a RESP2 reply"):
        reply(b"?what\r\n", 0, "utf-8")
    assert _link._encoded(("SCRIPT LOAD", "x", 2, 1.5, b"\x00"), "utf-8") == (
        b"*6\r\n$6\r\nSCRIPT\r\n$4\r\nLOAD\r\n$1\r\nx\r\n$1\r\n2\r\n$3\r\n1.5\r\n"
        b"$1\r\n\x00\r\n")
    with pytest.raises(redis.DataError, match="text, bytes or a number"):
        _link._encoded(("GET", None), "utf-8")


def test_a_reply_split_anywhere_is_read_once_whole():
    """Replies cut into chunks at every byte: each answered once complete, in order; a
    bulk string's chunks are only gathered until its length is reached (not read again
    with each one, which made a large value quadratic)."""
    replies = b"+OK\r\n$5\r\nhello\r\n*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n:7\r\n$-1\r\n"
    expected = ["OK", "hello", ["0", ["k"]], 7, None]

    class Transport:
        def write(self, data):
            pass

        def get_extra_info(self, name):
            return None

    async def read(chunks):
        protocol = _link._Replies("utf-8")
        protocol.connection_made(Transport())
        futures = [protocol.send(("PING",), math.inf) for _ in expected]
        for chunk in chunks:
            protocol.data_received(chunk)
        assert protocol.chunks == [] and protocol.lost is None
        return [future.result() for future in futures]

    for cut in range(1, len(replies)):
        assert asyncio.run(read([replies[:cut], replies[cut:]])) == expected
    assert asyncio.run(read([replies[i:i + 1] for i in range(len(replies))])) == expected
    with pytest.raises(_link._Incomplete) as incomplete:
        _link._reply(b"+OK\r\n$10\r\nab", 5, "utf-8")
    assert incomplete.value.needed == 5 + 5 + 10 + 2  # the line, the value, its CRLF


def test_flush_s_scan_ends_on_the_connection_s_text_cursor(server):
    """SCAN's cursor comes back as text ("0") on this connection, without redis-py's
    callbacks: flush's commands sent through it end, and remove only the cache's keys."""
    cache = adapter(server)
    other = adapter(server)
    for name in ("a", "b", "c"):
        cache.put(name, name)
    other.put("a", "kept")

    async def flush():
        assert await cache.alookup("a") == (True, "a")  # the loop's connection, made
        link = link_of(cache)
        deadline = asyncio.get_running_loop().time() + LIMIT
        await asyncio.wait_for(
            _answered(cache._flush(False), link.protocol.send, deadline), LIMIT)

    asyncio.run(flush())
    assert [cache.lookup(name) for name in ("a", "b", "c")] == [(False, None)] * 3
    assert other.lookup("a") == (True, "kept")


def test_a_connect_one_operation_s_deadline_gave_up_is_a_fault_for_the_others(
        server, monkeypatch):
    """A connect that never ends (a server whose address does not answer): the first
    operation's deadline passes and gives it up; the operation that waited for the same
    connect, never cancelled, ends as a fault, not as a ``CancelledError``."""
    cache = adapter(server, socket_timeout=0.3, retry_after=0)

    async def never(self, deadline):
        await asyncio.get_running_loop().create_future()

    monkeypatch.setattr(_link.Link, "_connected", never)

    async def run():
        loop = asyncio.get_running_loop()
        first = asyncio.ensure_future(cache.alookup("a"))
        while getattr(cache._connected.awaited.get(loop), "_connecting", None) is None:
            await asyncio.sleep(0)
        await asyncio.sleep(0.1)  # a later deadline (oversleeping it changes no answer)
        second = asyncio.ensure_future(cache.alookup("b"))
        await asyncio.wait([first, second])
        return first, second

    first, second = asyncio.run(run())
    assert isinstance(first.exception(), CacheUnavailable)
    assert not second.cancelled()
    assert isinstance(second.exception(), CacheUnavailable)
