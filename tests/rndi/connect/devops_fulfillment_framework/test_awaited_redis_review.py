"""The Redis cache awaited on the event loop under faults the lease and the journal must
survive: the loop ending while a step's record is under way, and URL options the sync
client accepts. A real redis-server, stopped with SIGSTOP where the test says so."""

import asyncio
import contextlib
import logging
import os
import signal
import uuid

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.testing import RedisServer
from rndi.connect.devops_fulfillment_framework import RequestLease, StepJournal
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis import (
    Watched,
    cache_on,
)
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import Vendor

pytest.importorskip("redis")

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

LOGGER = logging.getLogger("tests.awaited.review")


@pytest.fixture(scope="module")
def stoppable_redis():
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def test_a_loop_ending_while_a_step_is_recorded_still_records_it(stoppable_redis):
    """The runner gives up on a delivery (its timeout) while the server stalls, then its
    loop ends (``asyncio.run`` returns, cancelling what is left): the step ran, so its
    record must be in once the loop has ended, as it is when a worker thread makes it
    (the loop's shutdown waits for its threads)."""
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    request_id = f"PR-{uuid.uuid4().hex[:8]}"
    lease = RequestLease(cache, LOGGER, {})
    journal = StepJournal(cache, request_id, logger=LOGGER)
    pid = stoppable_redis.process.pid
    others = []

    async def order():
        answer = vendor.order()
        os.kill(pid, signal.SIGSTOP)  # the record will wait for the server
        # another event on the loop reads the cache meanwhile: the record needs a
        # connection of its own
        others.append(asyncio.ensure_future(cache.alookup("another event's key")))
        return answer

    async def following(request):
        await journal.aonce("order", order)
        return BackgroundResponse.done()

    async def runner():
        task = asyncio.create_task(lease.acall({"id": request_id}, following))
        await cache.started_to("add")
        task.cancel()  # the runner's timeout
        with contextlib.suppress(asyncio.CancelledError):
            await task
        os.kill(pid, signal.SIGCONT)  # the server is back as the loop ends

    try:
        asyncio.run(runner())
    finally:
        os.kill(pid, signal.SIGCONT)
    assert vendor.orders == [1]
    # nothing runs any more: what is not in the cache now never will be
    found, entry = cache.lookup(f"journal:{request_id}:order")
    assert found and entry == {"result": {"order": "ORD-1"}}
    # and its lease is released, not left to block the request's redeliveries until it
    # expires
    assert not lease_held(cache, request_id)


def test_a_resp3_url_is_awaited_as_it_is_sent(stoppable_redis):
    """A URL the sync client works with (``?protocol=3``) works on the loop too: the
    same cache must not answer under ``aresolve()`` what it does not under
    ``resolve()``."""
    cache = RedisCacheAdapter(
        url=f"redis://127.0.0.1:{stoppable_redis.port}/0?protocol=3",
        prefix=f"resp3:{uuid.uuid4().hex}:", socket_timeout=60, retry_after=0)
    assert cache.claim("k", "v")
    assert cache.lookup("k") == (True, "v")

    async def awaited():
        return await cache.alookup("k"), await cache.aclaim("k", "w")

    assert asyncio.run(awaited()) == ((True, "v"), False)
