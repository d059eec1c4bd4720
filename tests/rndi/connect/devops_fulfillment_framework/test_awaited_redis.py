"""Under ``aresolve()``, the lease and the journal await a Redis cache on the event loop:
no worker thread for a cache call, the loop never blocked by a round trip, and the same
exactly-once rules under a stalled server, a restarted one and a cancelled delivery.
A real redis-server, stopped with SIGSTOP where the test says so."""

import asyncio
import logging
import os
import signal
import threading
import uuid

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.testing import RedisServer
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, StepJournal
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    LIMIT,
    CountingExecutor,
    Guarded,
    Vendor,
    built,
)

pytest.importorskip("redis")

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

pytestmark = pytest.mark.anyio


class AsyncOrder(BackgroundTransaction):
    """Orders at the vendor through ``journal.aonce``: with an ``async def`` step, or
    with a sync one when the request says ``sync_step``."""

    def __init__(self, journal, vendor):
        self.journal = journal
        self.vendor = vendor

    async def should_execute(self, request):
        return True

    async def execute(self, request):
        if request.get("sync_step"):
            await self.journal.aonce("order", self.vendor.order)
        else:
            async def order():
                return self.vendor.order()

            await self.journal.aonce("order", order)
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class AsyncGuarded(Guarded):
    def transactions(self, request):
        return [AsyncOrder]


class Watched(RedisCacheAdapter):
    """A Redis cache that says when an awaited operation has been started (its command
    is on its way to the server)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = {}

    def _mark(self, operation):
        self.started.setdefault(operation, asyncio.Event()).set()

    async def started_to(self, operation):
        await asyncio.wait_for(self.started.setdefault(operation, asyncio.Event()).wait(),
                               LIMIT)

    async def aclaim(self, key, value, ttl=None):
        self._mark("claim")
        try:
            return await super().aclaim(key, value, ttl)
        finally:
            self._mark("claim (ended)")

    async def areplace_if_equal(self, key, expected, value, ttl=None):
        self._mark("replace_if_equal")
        return await super().areplace_if_equal(key, expected, value, ttl)

    async def aadd(self, key, value, ttl=None):
        self._mark("add")
        return await super().aadd(key, value, ttl)

    async def adelete_if_equal(self, key, value):
        try:
            return await super().adelete_if_equal(key, value)
        finally:
            self._mark("delete_if_equal (ended)")


@pytest.fixture(scope="module")
def stoppable_redis():
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def cache_on(server, timeout=LIMIT, kind=RedisCacheAdapter):
    return kind("127.0.0.1", port=server.port, prefix=f"awaited:{uuid.uuid4().hex}:",
                socket_timeout=timeout, retry_after=0)


async def deliver(cache, vendor, request):
    return await built(AsyncGuarded, cache, request, vendor=vendor).aresolve(request)


class Stopped:
    """The server stopped (SIGSTOP) until ``resume()``, at the latest when the block ends."""

    def __init__(self, server):
        self.pid = server.process.pid
        self.stopped = False

    def __enter__(self):
        os.kill(self.pid, signal.SIGSTOP)
        self.stopped = True
        return self

    def resume(self):
        if self.stopped:
            os.kill(self.pid, signal.SIGCONT)
            self.stopped = False

    def __exit__(self, *exc_info):
        self.resume()


async def wait_until(condition):
    deadline = asyncio.get_running_loop().time() + LIMIT
    while not await asyncio.to_thread(condition):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition never came true")
        await asyncio.sleep(0.01)


# 1. no worker thread for the cache --------------------------------------------------------

async def test_a_guarded_async_event_hands_no_cache_call_to_a_worker_thread(stoppable_redis):
    executor = CountingExecutor(2)
    asyncio.get_running_loop().set_default_executor(executor)
    cache, vendor = cache_on(stoppable_redis), Vendor()
    assert (await deliver(cache, vendor, {"id": "PR-1"})).status == "success"
    assert executor.submitted == 0  # the take, the journal and the release: on the loop
    assert (await deliver(cache, vendor, {"id": "PR-1"})).status == "success"
    assert executor.submitted == 0 and len(vendor.orders) == 1  # answered by the record
    # a sync step runs in a worker thread, and records its result there: one trip
    assert (await deliver(cache, vendor, {"id": "PR-2", "sync_step": True})).status == \
        "success"
    assert executor.submitted == 1 and len(vendor.orders) == 2
    assert cache.lookup("journal:PR-2:order") == (True, {"result": {"order": "ORD-2"}})
    assert not lease_held(cache, "PR-1") and not lease_held(cache, "PR-2")


async def test_journal_reads_and_forgets_on_the_loop(stoppable_redis):
    executor = CountingExecutor(2)
    asyncio.get_running_loop().set_default_executor(executor)
    cache = cache_on(stoppable_redis)
    journal = StepJournal(cache, "PR-3")
    assert await journal.arecorded("order") == (False, None)

    async def order():
        return ("ORD", 1)

    assert await journal.aonce("order", order) == ["ORD", 1]  # as a redelivery reads it
    assert await journal.arecorded("order") == (True, ["ORD", 1])
    await journal.aforget("order")
    assert await journal.arecorded("order") == (False, None)
    assert executor.submitted == 0


# 2. a stalled server: reschedule within the deadline, the loop going on -------------------

async def test_a_stalled_server_reschedules_the_take_within_its_deadline_off_the_loop(
        stoppable_redis, caplog):
    # the same keys through a short deadline while the server is stopped (waited out),
    # and a generous one once it runs again
    stalled, vendor = cache_on(stoppable_redis, timeout=0.3), Vendor()
    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port, prefix=stalled.prefix,
                              socket_timeout=LIMIT, retry_after=0)
    assert cache.put("warm", 1) == 1
    gaps, beating = [], True

    async def heartbeat():
        last = asyncio.get_running_loop().time()
        while beating:
            await asyncio.sleep(0.01)
            now = asyncio.get_running_loop().time()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    with Stopped(stoppable_redis), caplog.at_level(logging.WARNING):
        try:
            # answered while the server is still stopped: the deadline ended the take
            assert (await deliver(stalled, vendor, {"id": "PR-4"})).status == "reschedule"
        finally:
            beating = False
            await beat
    # the take waited out its deadline; the loop went on beating meanwhile
    assert len(gaps) > 5
    assert vendor.orders == []
    assert "could not grant the lease of request PR-4" in caplog.text
    assert (await deliver(cache, vendor, {"id": "PR-4"})).status == "success"
    assert len(vendor.orders) == 1


async def test_a_server_stalling_after_the_take_never_repeats_the_order(stoppable_redis):
    cache, vendor = cache_on(stoppable_redis, timeout=0.3), Vendor()
    pid, stalled = stoppable_redis.process.pid, []

    class StallingOrder(AsyncOrder):
        async def execute(self, request):
            if not request.get("stall"):
                return await super().execute(request)
            stalled.append(request["id"])  # the lease was taken: the take met its deadline
            os.kill(pid, signal.SIGSTOP)  # Redis stalls right after the lease was taken
            try:
                return await super().execute(request)
            finally:
                os.kill(pid, signal.SIGCONT)

    class Stalling(Guarded):
        def transactions(self, request):
            return [StallingOrder]

    async def delivered(request):
        return (await built(Stalling, cache, request, vendor=vendor).aresolve(request)).status

    assert await delivered({"id": "PR-5", "stall": True}) == "reschedule"
    assert stalled == ["PR-5"]
    assert vendor.orders == []  # the journal could not tell: the step did not run
    assert await delivered({"id": "PR-5"}) == "success"
    assert await delivered({"id": "PR-5"}) == "success"
    assert len(vendor.orders) == 1


async def test_a_server_restarting_between_two_events_is_reconnected_on_the_loop(caplog):
    redis_server_or_skip()
    with RedisServer() as server:
        cache, vendor = cache_on(server, timeout=5), Vendor()
        cache.retry_after = 3600  # had the first operation after the restart failed,
        # every later one would be skipped
        assert (await deliver(cache, vendor, {"id": "PR-6"})).status == "success"
        await asyncio.to_thread(server.stop)
        await asyncio.to_thread(server.start)  # the same port: the pooled connection is dead
        with caplog.at_level(logging.WARNING, logger="rndi.cache"):
            assert (await deliver(cache, vendor, {"id": "PR-7"})).status == "success"
        assert [r.getMessage() for r in caplog.records if r.name == "rndi.cache"] == []
        assert len(vendor.orders) == 2
        assert cache.lookup("journal:PR-7:order")[0]


# 3. a cancelled delivery leaves no lease behind and drops no record ----------------------

async def test_a_delivery_cancelled_while_taking_releases_the_lease_once_taken(
        stoppable_redis):
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    with Stopped(stoppable_redis) as stopped:
        task = asyncio.create_task(deliver(cache, vendor, {"id": "PR-8"}))
        await cache.started_to("claim")  # the claim is on its way to the stalled server
        task.cancel()  # the runner's timeout
        with pytest.raises(asyncio.CancelledError):
            await task
        stopped.resume()  # the claim is made now, then released: no orphan
        await cache.started_to("claim (ended)")
        # (in a worker thread: the release must not depend on the loop living on)
        await wait_until(lambda: cache.lookup("lease:PR-8") == (False, None))
    assert vendor.orders == []
    assert (await deliver(cache, vendor, {"id": "PR-8"})).status == "success"
    assert len(vendor.orders) == 1


async def test_a_delivery_cancelled_while_releasing_still_records_its_done(stoppable_redis):
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    pid = stoppable_redis.process.pid

    class StallingBeforeRelease(AsyncOrder):
        async def execute(self, request):
            answer = await super().execute(request)
            os.kill(pid, signal.SIGSTOP)  # the release will wait for the server
            return answer

    class Stalling(Guarded):
        def transactions(self, request):
            return [StallingBeforeRelease]

    request = {"id": "PR-9"}
    try:
        task = asyncio.create_task(built(Stalling, cache, request, vendor=vendor).aresolve(
            request))
        await cache.started_to("replace_if_equal")
        task.cancel()  # a second cancel, as the runner's timeout would send
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        os.kill(pid, signal.SIGCONT)
    # the release went on: the lease key holds the record of the done answer
    await wait_until(lambda: isinstance(cache.lookup("lease:PR-9")[1], dict))
    assert (await deliver(cache, vendor, {"id": "PR-9"})).status == "success"
    assert len(vendor.orders) == 1


async def test_a_step_whose_record_was_cancelled_is_recorded_all_the_same(stoppable_redis):
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    pid = stoppable_redis.process.pid

    class StallingOrder(AsyncOrder):
        async def execute(self, request):
            async def order():
                answer = self.vendor.order()
                os.kill(pid, signal.SIGSTOP)  # the record will wait for the server
                return answer

            await self.journal.aonce("order", order)
            return BackgroundResponse.done()

    class Stalling(Guarded):
        def transactions(self, request):
            return [StallingOrder]

    request = {"id": "PR-10"}
    try:
        task = asyncio.create_task(built(Stalling, cache, request, vendor=vendor).aresolve(
            request))
        await cache.started_to("add")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        os.kill(pid, signal.SIGCONT)
    await wait_until(lambda: cache.lookup("journal:PR-10:order")[0])
    await wait_until(lambda: not lease_held(cache, "PR-10"))
    assert (await deliver(cache, vendor, {"id": "PR-10"})).status == "success"
    assert len(vendor.orders) == 1  # the redelivery replayed the recorded order


async def test_an_error_after_the_take_releases_the_lease_on_the_loop(stoppable_redis):
    cache = cache_on(stoppable_redis)
    lease = RequestLease(cache, logging.getLogger("tests.awaited"), {})

    async def failing(request):
        raise ValueError("the rest of the saga failed")

    with pytest.raises(ValueError, match="the rest of the saga failed"):
        await lease.acall({"id": "PR-11"}, failing)
    assert cache.lookup("lease:PR-11") == (False, None)
    with pytest.raises(ValueError, match="the request's 'id'"):  # the take refuses: no lease
        await lease.acall({"id": None}, failing)


async def test_a_delivery_cancelled_while_its_sync_step_runs_has_it_recorded_by_its_thread(
        stoppable_redis):
    """A sync step hands its result back to be recorded on the loop; cancelled while the
    step still runs in its worker thread, the delivery leaves the record to that thread,
    and its lease is held until the record is in."""
    cache, vendor = cache_on(stoppable_redis), Vendor()
    began, go_on = threading.Event(), threading.Event()

    def order():
        began.set()
        assert go_on.wait(LIMIT)
        return vendor.order()

    lease = RequestLease(cache, logging.getLogger("tests.awaited"), {})
    journal = StepJournal(cache, "PR-12")

    async def following(request):
        await journal.aonce("order", order)
        return BackgroundResponse.done()

    delivery = asyncio.ensure_future(lease.acall({"id": "PR-12"}, following))
    assert await asyncio.to_thread(began.wait, LIMIT)
    delivery.cancel()
    with pytest.raises(asyncio.CancelledError):
        await delivery
    assert lease_held(cache, "PR-12")  # the step runs on: the lease is kept meanwhile
    go_on.set()
    await wait_until(lambda: not lease_held(cache, "PR-12"))
    assert journal.recorded("order") == (True, {"order": "ORD-1"})  # by the step's thread
    assert (await lease.acall({"id": "PR-12"}, following)).status == "success"
    assert vendor.orders == [1]  # the redelivery replayed the recorded order
