"""Exactly once, tried against what the faults tests leave out: a delivery cancelled
while a journaled sync fn, a queued sync part or the lease's take runs on under
aresolve(), a result the store refuses, a damaged record, a middleware subclass
overriding only the sync __call__ of one with an acall, a stale copy after a cancelled
delivery. Real SQLite files and the local Connect API."""

import asyncio
import concurrent.futures
import time

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction, SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga, StepJournal
from rndi.connect.devops_fulfillment_framework.exceptions import (
    JournalUnavailable,
    StepNotReplayable,
    UnrecordableResult,
)
from rndi.connect.request_offline_criteria.adapters import OfflineCriteria
from rndi.connect.testing import ConnectAPI
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    LIMIT,
    LOGGER,
    Approve,
    Gate,
    Vendor,
    built,
    wait_for,
)


class SlowAsyncOrder(BackgroundTransaction):
    """An async execute whose journaled vendor call is sync (run in a worker thread by
    aonce) and slow: it outlives the runner's timeout when the gate stays closed."""

    def __init__(self, journal, vendor, gate):
        self.journal = journal
        self.vendor = vendor
        self.gate = gate

    def should_execute(self, request):
        return True

    def _order(self):
        self.gate.entered.set()
        assert self.gate.go.wait(LIMIT)
        return self.vendor.order()

    async def execute(self, request):
        await self.journal.aonce("order", self._order)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class SlowAsyncSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [SlowAsyncOrder]


def test_a_journaled_sync_fn_that_outlives_a_cancelled_aresolve_is_recorded(tmp_path):
    cache, vendor, gate = SQLiteCacheAdapter(str(tmp_path)), Vendor(), Gate()
    request = {"id": "PR-21"}

    async def runner_times_out_then_redelivers():
        first = built(SlowAsyncSaga, cache, request, vendor=vendor, gate=gate)
        task = asyncio.create_task(first.aresolve(dict(request)))
        await asyncio.to_thread(gate.entered.wait, LIMIT)
        task.cancel()  # the runner's timeout, while the vendor call runs on in its thread
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.go.set()  # the vendor answers: the order was made
        await asyncio.to_thread(wait_for, lambda: not lease_held(cache, "PR-21"))
        again = built(SlowAsyncSaga, cache, request, vendor=vendor, gate=gate)
        return await asyncio.wait_for(again.aresolve(dict(request)), LIMIT)

    assert asyncio.run(runner_times_out_then_redelivers()).status == "success"
    assert len(vendor.orders) == 1  # the redelivery got the recorded order back


@pytest.mark.parametrize("answer", [{"name": "caf\udce9"}, ["\ud800"]])
def test_a_result_json_holds_but_the_store_refuses_is_recorded_as_run(tmp_path, answer):
    # a lone surrogate (a vendor's bytes decoded with surrogateescape) passes json.dumps
    # but no store can write it as UTF-8; orjson refuses integers beyond 64 bits too
    journal, vendor = StepJournal(SQLiteCacheAdapter(str(tmp_path)), "PR-23"), Vendor()

    def order():
        vendor.order()
        return answer

    with pytest.raises(UnrecordableResult, match="Journal step 'order' answered"):
        journal.once("order", order)
    with pytest.raises(StepNotReplayable, match=r"journal\.forget\('order'\)"):
        journal.once("order", order)
    assert len(vendor.orders) == 1


def test_a_damaged_journal_record_is_never_read_as_not_recorded(tmp_path):
    cache, vendor = SQLiteCacheAdapter(str(tmp_path)), Vendor()
    journal = StepJournal(cache, "PR-27")
    journal.once("order", vendor.order)
    with cache.connection:  # the record's text damaged in the store (a torn write)
        cache.connection.execute("UPDATE cache SET value = '{\"result\": {' WHERE key = ?",
                                 ("journal:PR-27:order",))
    with pytest.raises(JournalUnavailable, match=r"record is damaged.*journal\.forget"):
        journal.once("order", vendor.order)
    assert len(vendor.orders) == 1
    assert cache.get("journal:PR-27:order") is None  # get keeps its rule: a removed miss


class SkipsTrials(OfflineCriteria):
    """A subclass of a middleware with an acall that overrides only its sync __call__, as
    an extension written for the published package (which has no acall) would."""

    def __call__(self, request, nxt=None):
        if request.get("trial"):
            return BackgroundResponse.skip("trials are handled by hand")
        return super().__call__(request, nxt)


def test_a_subclass_overriding_only_the_sync_call_of_a_middleware_is_refused_by_aresolve():
    ran = []

    class Trials(Saga):
        def middlewares(self, request):
            return [SkipsTrials]

        def transactions(self, request):
            return [("approve", lambda r: True, lambda r: ran.append(1) or
                     BackgroundResponse.done())]

    request = {"id": "PR-22", "trial": True}
    resolved = Trials.make({}, None, LOGGER, request).resolve(dict(request))
    assert (resolved.status, resolved.output) == ("skip", "trials are handled by hand")
    # aresolve() would run OfflineCriteria.acall and skip the override: it says so
    with pytest.raises(SyncAsyncMismatch, match=r"SkipsTrials overrides __call__ of "
                                                r"OfflineCriteria.*Override acall too"):
        asyncio.run(Trials.make({}, None, LOGGER, request).aresolve(dict(request)))
    assert ran == []

    class BothTwins(SkipsTrials):
        async def acall(self, request, nxt=None):
            return self(request, nxt)

    class Both(Trials):
        def middlewares(self, request):
            return [BothTwins]

    aresolved = asyncio.run(Both.make({}, None, LOGGER, request).aresolve(dict(request)))
    assert (aresolved.status, aresolved.output) == ("skip", "trials are handled by hand")


def slow_approving(gate):
    """A saga approving outside any journal, in a sync execute that outlives the
    runner's timeout under aresolve() while ``gate`` stays closed."""

    class SlowApprove(Approve):
        def execute(self, request):
            gate.entered.set()
            assert gate.go.wait(LIMIT)
            return super().execute(request)

    class SlowApproving(Saga):
        def middlewares(self, request):
            return [RequestLease]

        def transactions(self, request):
            return [SlowApprove]

    return SlowApproving


def test_a_stale_copy_after_a_cancelled_delivery_does_not_approve_again(
        tmp_path, asset_purchase):
    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
    cache, gate = SQLiteCacheAdapter(str(tmp_path)), Gate()  # the file the saga uses
    saga = slow_approving(gate)
    approve = f"requests/{asset_purchase['id']}/approve"

    async def cancelled_then_stale_copy(api):
        # replica B holds its copy of the pending request from the start
        copy_a, copy_b = dict(asset_purchase), dict(asset_purchase)
        first = saga.make(config, api.client(), LOGGER, copy_a)
        task = asyncio.create_task(first.aresolve(copy_a))
        await asyncio.to_thread(gate.entered.wait, LIMIT)
        task.cancel()  # the runner's timeout; the approve runs on in its thread
        with pytest.raises(asyncio.CancelledError):
            await task
        gate.go.set()
        await asyncio.to_thread(wait_for, lambda: not lease_held(cache,
                                                                  asset_purchase["id"]))
        stale = saga.make(config, api.client(), LOGGER, copy_b)
        return await asyncio.wait_for(stale.aresolve(copy_b), LIMIT)

    with ConnectAPI([asset_purchase]) as api:
        asyncio.run(cancelled_then_stale_copy(api))
        assert api.request(asset_purchase["id"])["status"] == "approved"
        assert len(api.calls_to("POST", approve)) == 1



# a cancelled delivery never leaves its lease held by nobody -------------------------------

class StallingTake(SQLiteCacheAdapter):
    """A real SQLite cache whose lease claims wait at ``gate`` (a store stalling while
    the take runs)."""

    gate = None

    def _add(self, key, encoded, ttl):
        if key.startswith("lease:") and self.gate is not None:
            self.gate.entered.set()
            assert self.gate.go.wait(LIMIT)
        return super()._add(key, encoded, ttl)


def test_a_delivery_cancelled_while_its_take_runs_on_releases_what_the_take_got(tmp_path):
    cache, vendor = StallingTake(str(tmp_path)), Vendor()
    cache.gate = Gate()
    request = {"id": "PR-24"}

    async def cancelled_during_the_take():
        saga = built(SlowAsyncSaga, cache, request, vendor=vendor, gate=Gate())
        task = asyncio.create_task(saga.aresolve(dict(request)))
        await asyncio.to_thread(cache.gate.entered.wait, LIMIT)
        task.cancel()  # the runner's timeout while the store stalls
        with pytest.raises(asyncio.CancelledError):
            await task
        cache.gate.go.set()  # the store answers: the claim succeeds, for nobody
        await asyncio.to_thread(wait_for, lambda: cache.gate.entered.is_set()
                                and not cache.has("lease:PR-24"))

    asyncio.run(cancelled_during_the_take())
    assert vendor.orders == []


class Queued:
    """A default executor of one thread, and a way to keep that thread busy, so that
    the next sync call of a delivery waits in the executor's queue."""

    def __init__(self):
        self.executor = concurrent.futures.ThreadPoolExecutor(1)
        self.busy = Gate()

    def occupy(self):
        asyncio.get_running_loop().run_in_executor(self.executor, self._block)

    def _block(self):
        self.busy.entered.set()
        assert self.busy.go.wait(LIMIT)

    def waiting(self, calls):
        return self.executor._work_queue.qsize() == calls  # (a cancelled one stays queued)


async def until(condition):
    """Wait on the loop (the one executor thread is the test's to keep busy)."""
    deadline = time.monotonic() + LIMIT
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def run_with(queued, main):
    async def on_one_thread():
        asyncio.get_running_loop().set_default_executor(queued.executor)
        return await main()

    return asyncio.run(on_one_thread())


def test_a_sync_part_still_queued_when_the_delivery_is_cancelled_never_holds_the_lease(
        tmp_path):
    cache, vendor, queued = SQLiteCacheAdapter(str(tmp_path)), Vendor(), Queued()
    request = {"id": "PR-25"}

    class QueuedOrder(SlowAsyncOrder):
        async def should_execute(self, request):
            queued.occupy()  # execute (sync, below) waits for the executor's one thread
            return True

        def execute(self, request):
            self.vendor.order()
            return BackgroundResponse.done()

    class QueuedSaga(SlowAsyncSaga):
        def transactions(self, request):
            return [QueuedOrder]

    async def cancelled_while_queued():
        saga = built(QueuedSaga, cache, request, vendor=vendor, gate=Gate())
        task = asyncio.create_task(saga.aresolve(dict(request)))
        await until(lambda: queued.busy.entered.is_set() and queued.waiting(1))
        task.cancel()
        # the dropped execute, then the release of the lease, wait behind the busy thread
        await until(lambda: queued.waiting(2))
        queued.busy.go.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        await until(lambda: not cache.has("lease:PR-25"))

    run_with(queued, cancelled_while_queued)
    assert vendor.orders == []  # the queued execute never started, and holds nothing


def test_a_delivery_cancelled_while_its_release_is_queued_still_releases(tmp_path):
    cache, vendor, queued = SQLiteCacheAdapter(str(tmp_path)), Vendor(), Queued()
    request = {"id": "PR-26"}

    class Answers(SlowAsyncOrder):
        async def execute(self, request):
            queued.occupy()  # the lease's release after the answer waits for the thread
            return BackgroundResponse.done()

    class AnsweringSaga(SlowAsyncSaga):
        def transactions(self, request):
            return [Answers]

    async def cancelled_while_releasing():
        saga = built(AnsweringSaga, cache, request, vendor=vendor, gate=Gate())
        task = asyncio.create_task(saga.aresolve(dict(request)))
        await until(lambda: queued.busy.entered.is_set() and queued.waiting(1))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # ended, while its release still waits behind the busy thread
        queued.busy.go.set()
        await until(lambda: not lease_held(cache, "PR-26"))

    run_with(queued, cancelled_while_releasing)
