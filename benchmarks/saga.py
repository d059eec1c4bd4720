"""Per-event cost of ``Saga.make()`` + ``resolve()`` next to calling the transaction directly.

The saga has one middleware and two transactions (the second is the one that applies)
and the null cache; the direct baseline builds the same objects by hand and calls the
same methods in the same order. Run: ``python benchmarks/saga.py``.
"""

import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import paired_microseconds, report
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga

CONFIG = {"ACTIVATION_TEMPLATE": "TL-1", "CACHE_DRIVER": "none", "VENDOR_URL": "x",
          "RETRIES": "3", "TIMEOUT": "10"}
CLIENT = object()
LOGGER = logging.getLogger("bench")
REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending", "asset": {"id": "AS-1"}}


class Skip(BackgroundTransaction):
    def __init__(self, client, logger, cache):
        self.client, self.logger, self.cache = client, logger, cache

    def should_execute(self, request):
        return request["type"] == "cancel"

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Approve(Skip):
    def __init__(self, client, logger, cache, activation_template):
        super().__init__(client, logger, cache)
        self.template = activation_template

    def should_execute(self, request):
        return request["type"] == "purchase"


class Timing:
    def __call__(self, request, next):
        return next(request)


class BenchSaga(Saga):
    def middlewares(self, request):
        return [Timing]

    def transactions(self, request):
        return [Skip, Approve]


def with_saga():
    return BenchSaga.make(CONFIG, CLIENT, LOGGER).resolve(REQUEST)


def direct():
    cache = NullCacheAdapter()
    middleware = Timing()
    skip = Skip(CLIENT, LOGGER, cache)
    if skip.should_execute(REQUEST):
        raise AssertionError("unreachable")
    approve = Approve(CLIENT, LOGGER, cache, CONFIG["ACTIVATION_TEMPLATE"])
    if not approve.should_execute(REQUEST):
        raise AssertionError("unreachable")

    def run(request):
        try:
            return approve.execute(request)
        except Exception as e:
            return approve.compensate(request, e)

    return middleware(REQUEST, run)


class ASkip(Skip):
    async def should_execute(self, request):
        return request["type"] == "cancel"

    async def execute(self, request):
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class AApprove(ASkip):
    def __init__(self, client, logger, cache, activation_template):
        super().__init__(client, logger, cache)
        self.template = activation_template

    async def should_execute(self, request):
        return request["type"] == "purchase"


class ATiming:
    async def __call__(self, request, next):
        return await next(request)


class ABenchSaga(Saga):
    def middlewares(self, request):
        return [ATiming]

    def transactions(self, request):
        return [ASkip, AApprove]


async def with_async_saga():
    return await ABenchSaga.make(CONFIG, CLIENT, LOGGER).aresolve(REQUEST)


async def by_hand():
    cache = NullCacheAdapter()
    middleware = ATiming()
    skip = ASkip(CLIENT, LOGGER, cache)
    if await skip.should_execute(REQUEST):
        raise AssertionError("unreachable")
    approve = AApprove(CLIENT, LOGGER, cache, CONFIG["ACTIVATION_TEMPLATE"])
    if not await approve.should_execute(REQUEST):
        raise AssertionError("unreachable")

    async def run(request):
        try:
            return await approve.execute(request)
        except Exception as e:
            return await approve.compensate(request, e)

    return await middleware(REQUEST, run)


async def _awaited(make, number):
    started = time.process_time()  # CPU time: other processes' load does not count
    for _ in range(number):
        await make()
    return time.process_time() - started


def async_paired_microseconds(measured, baseline, number=2_000, rounds=30):
    """Best µs per awaited call of ``measured`` and of ``baseline``, in alternating rounds
    inside one event loop (see ``paired_microseconds``)."""

    async def runs():
        best_measured = best_baseline = float("inf")
        for _ in range(rounds):
            best_measured = min(best_measured, await _awaited(measured, number))
            best_baseline = min(best_baseline, await _awaited(baseline, number))
        return best_measured / number * 1e6, best_baseline / number * 1e6

    return asyncio.run(runs())


def main():
    assert with_saga().status == direct().status == "success"
    report("saga: make() + resolve() per event", *paired_microseconds(with_saga, direct),
           "by hand")
    assert asyncio.run(with_async_saga()).status == asyncio.run(by_hand()).status == "success"
    report("async saga: make() + aresolve() per event",
           *async_paired_microseconds(with_async_saga, by_hand), "awaited by hand")


if __name__ == "__main__":
    main()
