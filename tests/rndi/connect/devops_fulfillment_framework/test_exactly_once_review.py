"""Exactly once, tried against what the faults tests leave out: a delivery cancelled
while a journaled sync fn runs on under aresolve(). Real SQLite files."""

import asyncio

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    LIMIT,
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
        await asyncio.to_thread(wait_for, lambda: not cache.has("lease:PR-21"))
        again = built(SlowAsyncSaga, cache, request, vendor=vendor, gate=gate)
        return await asyncio.wait_for(again.aresolve(dict(request)), LIMIT)

    assert asyncio.run(runner_times_out_then_redelivers()).status == "success"
    assert len(vendor.orders) == 1  # the redelivery got the recorded order back

