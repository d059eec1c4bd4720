"""Per-event cost of ``Saga.make()`` + ``resolve()`` next to calling the transaction directly.

The saga has one middleware and two transactions (the second is the one that applies)
and the null cache; the direct baseline builds the same objects by hand and calls the
same methods in the same order. Run: ``python benchmarks/saga.py``.
"""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import microseconds, report
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


def main():
    assert with_saga().status == direct().status == "success"
    saga_us = microseconds(with_saga)
    direct_us = microseconds(direct)
    report("saga: make() + resolve() per event", saga_us, direct_us, "direct")


if __name__ == "__main__":
    main()
