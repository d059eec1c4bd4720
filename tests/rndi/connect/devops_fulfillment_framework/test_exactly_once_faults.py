"""Exactly once under the faults a production extension meets: a cache that cannot
answer, a delivery cancelled while its step runs on, a result that cannot be recorded,
a stale copy of a request, a sync part raising StopIteration, a store holding its lock.
Real SQLite files, a real redis-server, a real ConnectClient on the local Connect API."""

import asyncio
import concurrent.futures
import logging
import os
import signal
import sqlite3
import threading
import time
import uuid

import pytest
from connect.eaas.core.responses import BackgroundResponse, ScheduledExecutionResponse

from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.testing import RedisServer
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions import (
    BackgroundTransaction,
    ScheduledTransaction,
    SyncAsyncMismatch,
)
from rndi.connect.devops_fulfillment_framework import (
    RequestLease,
    Saga,
    ScheduledFlow,
    StepJournal,
)
from rndi.connect.testing import ConnectAPI
from rndi.dicontainer import BaseServiceProvider
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.test_sqlite_hazards import Holder
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held

LOGGER = logging.getLogger("tests.exactly_once")
LIMIT = 60  # seconds: generous, for a loaded machine; never a measure of speed


class Vendor:
    """Counts the side effects a step makes."""

    def __init__(self):
        self.orders = []

    def order(self):
        self.orders.append(1)
        return {"order": f"ORD-{len(self.orders)}"}


class Order(BackgroundTransaction):
    """Orders at the vendor through the journal; a request saying so then fails on
    Connect (after the order), as a 502 on the parameter update would."""

    def __init__(self, journal, vendor):
        self.journal = journal
        self.vendor = vendor

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.journal.once("order", self.vendor.order)
        if request.get("connect_down"):
            raise ConnectionError("Connect answered 502")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


def provider(**instances):
    class Provide(BaseServiceProvider):
        def register(self):
            for name, value in instances.items():
                self.bind_instance(name, value)

    return Provide()


class Guarded(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Order]


def built(saga, cache, request, **instances):
    """``saga`` as ``make()`` builds it, on the test's cache and with its instances."""
    return saga({**saga.event_providers({}, None, LOGGER, request),
                 "cache": provider(cache=cache), "test": provider(**instances)})


def deliver(saga, cache, vendor, request):
    return built(saga, cache, request, vendor=vendor).resolve(request)


class FaultyJournalReads(SQLiteCacheAdapter):
    """A real SQLite cache whose next ``faults`` journal reads fail as a disk does."""

    faults = 0

    def _load(self, key, ttl):
        if key.startswith("journal:") and self.faults:
            self.faults -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return super()._load(key, ttl)


# 1. a fault is never a miss ---------------------------------------------------------------

def test_a_journal_read_fault_reschedules_without_calling_the_vendor_again(tmp_path, caplog):
    cache, vendor = FaultyJournalReads(str(tmp_path)), Vendor()
    request = {"id": "PR-1", "connect_down": True}
    assert deliver(Guarded, cache, vendor, request).status == "reschedule"
    assert len(vendor.orders) == 1  # ordered, then Connect failed: a redelivery comes
    cache.faults = 1
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert deliver(Guarded, cache, vendor, {"id": "PR-1"}).status == "reschedule"
    assert len(vendor.orders) == 1  # the fault was not read as "not recorded"
    (warning,) = [r.getMessage() for r in caplog.records
                  if r.levelno == logging.WARNING and r.name == LOGGER.name]
    assert "did not run journal step 'order'" in warning and "SQLite cache" in warning
    assert deliver(Guarded, cache, vendor, {"id": "PR-1"}).status == "success"
    assert len(vendor.orders) == 1
    assert not lease_held(cache, "PR-1")  # every delivery released its lease


@pytest.fixture(scope="module")
def stoppable_redis():
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def test_redis_stalling_after_the_lease_was_taken_never_repeats_the_order(stoppable_redis):
    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port,
                              prefix=f"stall:{uuid.uuid4().hex}:", socket_timeout=0.5,
                              retry_after=0)
    vendor = Vendor()
    pid = stoppable_redis.process.pid

    class StallingOrder(Order):
        def execute(self, request):
            os.kill(pid, signal.SIGSTOP)  # Redis stalls right after the lease was taken
            try:
                return super().execute(request)
            finally:
                os.kill(pid, signal.SIGCONT)

    class Stalling(Guarded):
        def transactions(self, request):
            return [StallingOrder if request.get("stall") else Order]

    assert deliver(Stalling, cache, vendor, {"id": "PR-2", "connect_down": True}
                   ).status == "reschedule"
    assert deliver(Stalling, cache, vendor, {"id": "PR-2", "stall": True}
                   ).status == "reschedule"
    assert deliver(Stalling, cache, vendor, {"id": "PR-2"}).status == "success"
    assert len(vendor.orders) == 1


def test_a_lease_that_cannot_be_read_reschedules_and_runs_nothing(tmp_path, caplog):
    cache, vendor = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 0.3}), Vendor()
    cache.put("warm", 1)
    _pool.discard(cache.path)
    holder = Holder(cache.path, "exclusive")
    try:
        with caplog.at_level(logging.WARNING):
            assert deliver(Guarded, cache, vendor, {"id": "PR-3"}).status == "reschedule"
    finally:
        holder.release()
    assert vendor.orders == []
    faults = [r for r in caplog.records if r.name == "rndi.cache"]
    assert len(faults) == 1  # one lease operation, one wait for the lock
    assert "could not grant the lease of request PR-3" in caplog.text
    assert "LEASE_ON_CACHE_FAILURE=reschedule" in caplog.text


# 2. a delivery holds its lease while anything it started runs ----------------------------

class Gate:
    def __init__(self):
        self.entered = threading.Event()
        self.go = threading.Event()


class SlowOrder(Order):
    def __init__(self, journal, vendor, gate):
        super().__init__(journal, vendor)
        self.gate = gate

    def execute(self, request):
        self.gate.entered.set()
        assert self.gate.go.wait(LIMIT)
        return super().execute(request)


class SlowSaga(Guarded):
    def transactions(self, request):
        return [SlowOrder]


def make_slow(cache, vendor, gate, request):
    return built(SlowSaga, cache, request, vendor=vendor, gate=gate)


def wait_for(condition):
    deadline = time.monotonic() + LIMIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition never came true")
        time.sleep(0.01)


def test_a_cancelled_aresolve_keeps_the_lease_until_its_sync_step_ends(tmp_path):
    cache, vendor, gate = SQLiteCacheAdapter(str(tmp_path)), Vendor(), Gate()
    request = {"id": "PR-4"}

    async def runner_times_out():
        task = asyncio.create_task(make_slow(cache, vendor, gate, request).aresolve(request))
        await asyncio.to_thread(gate.entered.wait, LIMIT)
        task.cancel()  # the runner's timeout: the step's thread runs on
        with pytest.raises(asyncio.CancelledError):
            await task
        # the next delivery, while the step still runs: it must not run beside it
        redelivered = await make_slow(cache, vendor, Gate(), request).aresolve(dict(request))
        held = cache.lookup("lease:PR-4")[0]
        gate.go.set()  # the step ends: its thread releases the lease
        await asyncio.to_thread(wait_for, lambda: not lease_held(cache, "PR-4"))
        return redelivered.status, held

    assert asyncio.run(runner_times_out()) == ("reschedule", True)
    assert len(vendor.orders) == 1


def test_a_sync_resolve_the_runner_gave_up_on_keeps_its_lease_until_it_ends(tmp_path):
    cache, vendor, gate = SQLiteCacheAdapter(str(tmp_path)), Vendor(), Gate()
    request = {"id": "PR-5"}
    answers = []
    # the runner runs a sync handler in a thread and answers retry at its timeout, while
    # that thread runs on
    first = threading.Thread(target=lambda: answers.append(
        make_slow(cache, vendor, gate, request).resolve(dict(request))))
    first.start()
    assert gate.entered.wait(LIMIT)
    redelivered = make_slow(cache, vendor, Gate(), request).resolve(dict(request))
    assert redelivered.status == "reschedule"
    gate.go.set()
    first.join(LIMIT)
    assert [a.status for a in answers] == ["success"] and len(vendor.orders) == 1
    assert not lease_held(cache, "PR-5")


# 3. a step that ran is never run again without the author saying so ----------------------

@pytest.mark.parametrize("key", ["JOURNAL_TTL", "LEASE_TTL"])
def test_a_ttl_the_cache_would_refuse_is_refused_when_the_saga_is_made(tmp_path, key):
    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path), key: "1e12"}
    with pytest.raises(ValueError, match=f"Config key '{key}' must be a positive number of "
                                         "seconds, at most"):
        Guarded.make(config, None, LOGGER, {"id": "PR-6"})
    (problem,) = [p for p in Guarded.check(config) if p.kind == "invalid"]
    assert (problem.name, problem.path) == (key, ("config",))


def test_the_first_delivery_answers_what_a_redelivery_will(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    answers = [StepJournal(cache, "PR-7").once("shape", lambda: {1: ("a", "b")})
               for _ in range(2)]
    assert answers == [{"1": ["a", "b"]}, {"1": ["a", "b"]}]


def test_idempotency_keys_and_records_never_collide_across_request_and_step(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    one, other = StepJournal(cache, "PR-1:order"), StepJournal(cache, "PR-1")
    assert one.idempotency_key("tenant") != other.idempotency_key("order:tenant")
    assert one.once("tenant", lambda: "first") == "first"
    assert other.once("order:tenant", lambda: "second") == "second"
    # names without ':' or '%' (Connect's ids) keep the keys they always had
    plain = StepJournal(cache, "PR-1").idempotency_key("order")
    assert plain == str(uuid.uuid5(uuid.UUID("9f2e4d1c-6b3a-5e8f-a7c4-1d0b2e3f4a5b"),
                                   "journal:PR-1:order"))


# 4. a stale copy never acts twice --------------------------------------------------------

class Approve(BackgroundTransaction, WithAssetFacade):
    """Approves outside any journal, as the documentation writes it."""

    def __init__(self, client):
        self.client = client

    def should_execute(self, request):
        return request["status"] == "pending"

    def execute(self, request):
        self.approve_asset_request(request, "TL-001")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(type(e).__name__)


class Approving(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Approve]


def test_a_stale_copy_that_wins_the_lease_after_the_approve_does_not_approve_again(
        tmp_path, asset_purchase):
    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
    with ConnectAPI([asset_purchase]) as api:
        copies = [dict(asset_purchase), dict(asset_purchase)]  # replica A's and B's
        answers = [Approving.make(config, api.client(), LOGGER, copy).resolve(copy)
                   for copy in copies]
        assert [a.status for a in answers] == ["success", "success"]
        assert len(api.calls_to("POST", f"requests/{asset_purchase['id']}/approve")) == 1
        assert api.request(asset_purchase["id"])["status"] == "approved"
        # a newer copy (Connect changed the request since) is worked on as usual
        newer = {**asset_purchase, "updated": "2099-01-01T00:00:00+00:00"}
        assert Approving.make(config, api.client(), LOGGER, newer).resolve(newer
                                                                         ).status == "fail"
        assert len(api.calls_to("POST", f"requests/{asset_purchase['id']}/approve")) == 2


@pytest.mark.anyio
async def test_a_stale_copy_is_answered_done_under_aresolve_too(tmp_path, asset_purchase):
    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}

    class AsyncApprove(Approve):
        async def execute(self, request):
            await self.aapprove_asset_request(request, "TL-001")
            return BackgroundResponse.done()

    class AsyncApproving(Approving):
        def transactions(self, request):
            return [AsyncApprove]

    with ConnectAPI([asset_purchase]) as api:
        for _ in range(2):
            copy = dict(asset_purchase)
            saga = AsyncApproving.make(config, api.async_client(), LOGGER, copy)
            assert (await saga.aresolve(copy)).status == "success"
        assert len(api.calls_to("POST", f"requests/{asset_purchase['id']}/approve")) == 1


# 5. aresolve always answers --------------------------------------------------------------

def stops(*args):
    raise StopIteration


@pytest.mark.parametrize("role", ["should_execute", "execute", "compensate"])
def test_a_sync_part_raising_stop_iteration_ends_aresolve_as_it_ends_resolve(role):
    class Part(BackgroundTransaction):
        def should_execute(self, request):
            return stops() if role == "should_execute" else True

        def execute(self, request):
            return stops() if role in ("execute", "compensate") else None

        def compensate(self, request, e):
            if role == "compensate":
                stops()
            return BackgroundResponse.fail(type(e).__name__)

    class Stopping(Saga):
        def transactions(self, request):
            return [Part]

    def outcome(run):
        try:
            response = run()
        except Exception as e:  # the outcome under test may be an error
            return type(e).__name__
        return response.status, response.output

    async def bounded():
        return await asyncio.wait_for(Stopping.make({}, None, LOGGER).aresolve({"id": "PR-8"}),
                                      LIMIT)

    sync = outcome(lambda: Stopping.make({}, None, LOGGER).resolve({"id": "PR-8"}))
    assert outcome(lambda: asyncio.run(bounded())) == sync
    assert sync == {"should_execute": "RuntimeError", "execute": ("fail", "StopIteration"),
                    "compensate": "RuntimeError"}[role]


# 6. the framework never blocks the event loop --------------------------------------------

@pytest.mark.anyio
async def test_the_lease_waits_for_a_locked_store_off_the_event_loop(tmp_path):
    cache, vendor = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 1}), Vendor()
    cache.put("warm", 1)
    _pool.discard(cache.path)
    holder = await asyncio.to_thread(Holder, cache.path, "exclusive")
    gaps, beating = [], True

    async def heartbeat():
        last = time.monotonic()
        while beating:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    beat = asyncio.create_task(heartbeat())
    try:
        saga = built(Guarded, cache, {"id": "PR-9"}, vendor=vendor)
        assert (await saga.aresolve({"id": "PR-9"})).status == "reschedule"
    finally:
        beating = False
        await beat
        await asyncio.to_thread(holder.release)
    # the take waited out the 1 s lock timeout; the loop went on beating meanwhile (a
    # blocked loop beats once or twice: before the take and after it)
    assert len(gaps) > 5
    assert vendor.orders == []


@pytest.mark.anyio
async def test_aonce_runs_a_sync_step_and_the_cache_calls_in_a_worker_thread(tmp_path):
    threads = []
    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-10")
    result = await journal.aonce("order", lambda: threads.append(threading.get_ident()) or 7)
    assert result == 7 and threads and threads[0] != threading.get_ident()


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor, counting the calls handed to its threads."""

    submitted = 0

    def submit(self, *args, **kwargs):
        self.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.mark.anyio
async def test_aonce_of_a_sync_step_makes_one_trip_off_the_loop(tmp_path):
    executor = CountingExecutor(2)
    asyncio.get_running_loop().set_default_executor(executor)
    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-13")
    assert await journal.aonce("order", lambda: "ORD-1") == "ORD-1"
    assert executor.submitted == 1  # the lookup, the step and its record together
    assert await journal.aonce("order", lambda: "ORD-2") == "ORD-1"
    assert executor.submitted == 2


@pytest.mark.anyio
async def test_aonce_of_a_sync_step_that_raises_records_nothing(tmp_path):
    def order():
        raise ConnectionError("vendor down")

    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-15")
    with pytest.raises(ConnectionError, match="vendor down"):
        await journal.aonce("order", order)
    assert journal.recorded("order") == (False, None)
    assert await journal.aonce("order", lambda: "ORD-1") == "ORD-1"


@pytest.mark.anyio
async def test_aonce_of_a_lambda_whose_coroutine_raises_records_nothing(tmp_path):
    async def order():
        raise ConnectionError("vendor down")

    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-14")
    with pytest.raises(ConnectionError, match="vendor down"):
        await journal.aonce("order", lambda: order())
    assert journal.recorded("order") == (False, None)


# 9. an async fn in sync code -------------------------------------------------------------

def test_once_with_an_async_fn_outside_a_loop_refuses_before_calling_it(tmp_path):
    called = []

    async def order():
        called.append(1)

    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-11")
    with pytest.raises(SyncAsyncMismatch, match=r"async def fn in sync code.*await "
                                                r"self\.journal\.aonce\('order', fn\)"):
        journal.once("order", order)
    assert called == [] and journal.recorded("order") == (False, None)


@pytest.mark.anyio
async def test_once_with_a_lambda_answering_a_coroutine_in_async_code_names_aonce(tmp_path):
    async def order():
        return "ORD-1"

    journal = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-12")
    with pytest.raises(SyncAsyncMismatch, match=r"answered an awaitable.*Nothing was recorded"
                                                r".*await self\.journal\.aonce\('order', fn\)"):
        journal.once("order", lambda: order())
    assert journal.recorded("order") == (False, None)
    assert await journal.aonce("order", lambda: order()) == "ORD-1"


# 10. flows have the journal --------------------------------------------------------------

def test_a_scheduled_task_takes_the_journal_and_runs_a_step_once_per_period(tmp_path):
    reports = []

    class Report(ScheduledTransaction):
        def __init__(self, journal):
            self.journal = journal

        def handle(self, schedule):
            day = schedule["parameter"]["day"]
            self.journal.once(f"report:{day}", lambda: reports.append(day))
            return ScheduledExecutionResponse.done()

    class Nightly(ScheduledFlow):
        def transactions(self, schedule):
            return [Report]

    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
    for day in ("2026-12-06", "2026-12-06", "2026-12-07"):  # a rerun, then the next night
        schedule = {"id": "EFS-1", "method": "report", "parameter": {"day": day}}
        assert Nightly.make(config, None, LOGGER, schedule).resolve(schedule).status == "success"
    assert reports == ["2026-12-06", "2026-12-07"]
    # the lease is a saga's (it answers a BackgroundResponse): a flow is not asked for it
    assert Nightly.check(config) == []
    assert [p.kind for p in Nightly.check({})] == ["unsafe"]  # the null cache records nothing


# 7. a sync middleware means the same under both drivers ----------------------------------

def test_many_deliveries_with_sync_middlewares_and_sync_steps_never_starve_each_other():
    """Each sync middleware waits in a thread of its own, not one of the executor's few
    threads that the sync transaction parts need: 40 concurrent deliveries all answer."""
    entered = []

    def outer(request, next_):
        try:
            return next_(request)
        finally:
            entered.append(request["id"])

    def inner(request, next_):
        return next_(request)

    class Nested(Saga):
        def middlewares(self, request):
            return [outer, inner]

        def transactions(self, request):
            return [("only", lambda r: True, lambda r: BackgroundResponse.done())]

    async def all_of_them():
        deliveries = [Nested.make({}, None, LOGGER).aresolve({"id": f"PR-{n}"})
                      for n in range(40)]
        return await asyncio.wait_for(asyncio.gather(*deliveries), LIMIT)

    assert {r.status for r in asyncio.run(all_of_them())} == {"success"}
    assert len(entered) == 40


def test_cancelling_aresolve_reaches_the_rest_a_sync_middleware_waits_for():
    started, seen = threading.Event(), []

    def wrapping(request, next_):
        try:
            return next_(request)
        except BaseException as e:  # what the middleware sees of the cancellation
            seen.append(type(e).__name__)
            raise

    class Forever(BackgroundTransaction):
        def should_execute(self, request):
            return True

        async def execute(self, request):
            started.set()
            await asyncio.Event().wait()

        async def compensate(self, request, e):
            return BackgroundResponse.reschedule()

    class Wrapped(Saga):
        def middlewares(self, request):
            return [wrapping]

        def transactions(self, request):
            return [Forever]

    async def cancel_it():
        task = asyncio.create_task(Wrapped.make({}, None, LOGGER).aresolve({"id": "PR-13"}))
        await asyncio.to_thread(started.wait, LIMIT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.to_thread(wait_for, lambda: seen)

    asyncio.run(cancel_it())
    assert seen == ["CancelledError"]  # the rest was cancelled, and the middleware saw it
