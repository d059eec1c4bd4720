"""In process, the CPU that ``RequestLease`` and one ``journal.once`` add to an event,
on SQLite and on Redis, next to the same Redis commands sent by hand.

Each event is a new request: ``Saga.make(config, client, logger, request)`` then
``resolve()``, once with the lease and the journal, once without, alternating in
batches. On Redis the baseline is what a guarded event sends (four commands: see
``by_hand``) through one reused redis-py client: the ratio says what the cache layer
costs beyond the commands themselves. The same is measured under ``aresolve()``, with async
transactions and ``journal.aonce`` (its step a sync function, run in a worker thread; then
an ``async def`` one, awaited), the cache awaited on the loop through its own connection,
and compared with the same commands through one reused redis-py client and through one
reused redis.asyncio client (``by_hand_async``).

    python benchmarks/guarded_event.py [--events 200] [--rounds 10]
"""

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Dict

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease
from rndi.connect.devops_fulfillment_framework.application import Saga

UPDATED = "2026-12-07T10:00:00+00:00"
LOGGER = logging.getLogger("bench")
LOGGER.addHandler(logging.NullHandler())
LOGGER.propagate = False


class Approve(BackgroundTransaction):
    """The plain event: no journal, so nothing builds a cache."""

    def __init__(self, activation_template: str) -> None:
        self.template = activation_template

    def should_execute(self, request: dict) -> bool:
        return request["type"] == "purchase"

    def execute(self, request: dict) -> BackgroundResponse:
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.fail(str(e))


class JournalledApprove(Approve):
    """The guarded event: the same, with its step through ``journal.once``."""

    def __init__(self, journal: Any, activation_template: str) -> None:
        super().__init__(activation_template)
        self.journal = journal

    def execute(self, request: dict) -> BackgroundResponse:
        self.journal.once("order", lambda: "SUB-" + request["id"])
        return BackgroundResponse.done()


class AsyncApprove(Approve):
    async def should_execute(self, request: dict) -> bool:
        return request["type"] == "purchase"

    async def execute(self, request: dict) -> BackgroundResponse:
        return BackgroundResponse.done()

    async def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.fail(str(e))


class AsyncJournalledApprove(AsyncApprove):
    def __init__(self, journal: Any, activation_template: str) -> None:
        super().__init__(activation_template)
        self.journal = journal

    async def execute(self, request: dict) -> BackgroundResponse:
        await self.journal.aonce("order", lambda: "SUB-" + request["id"])
        return BackgroundResponse.done()


class AsyncStepApprove(AsyncJournalledApprove):
    """The same, its step an ``async def`` function: awaited on the loop, no worker
    thread."""

    async def execute(self, request: dict) -> BackgroundResponse:
        async def order() -> str:
            return "SUB-" + request["id"]

        await self.journal.aonce("order", order)
        return BackgroundResponse.done()


class AsyncThreadedApprove(AsyncApprove):
    """The plain event with the guarded one's sync step, run in a worker thread as
    ``aresolve()`` runs sync parts: what is left of the guarded event's cost is the
    lease's and the journal's own."""

    async def execute(self, request: dict) -> BackgroundResponse:
        await asyncio.to_thread(lambda: "SUB-" + request["id"])
        return BackgroundResponse.done()


class GuardedSaga(Saga):
    def middlewares(self, request: dict) -> list:
        return [RequestLease] if request["guarded"] else []

    def transactions(self, request: dict) -> list:
        if request.get("async_step"):
            return [AsyncStepApprove]
        if request.get("threaded_step"):
            return [AsyncThreadedApprove]
        if request["async"]:
            return [AsyncJournalledApprove] if request["guarded"] else [AsyncApprove]
        return [JournalledApprove] if request["guarded"] else [Approve]


def events(config: Dict[str, str], guarded: bool, count: int, asynchronous: bool = False,
           async_step: bool = False, threaded_step: bool = False) -> float:
    """CPU seconds per event of ``count`` events, each a new request (with
    ``asynchronous``, async transactions under ``aresolve()``, one after another on one
    event loop; with ``async_step`` too, the journal's step an ``async def`` function)."""
    run = uuid.uuid4().hex[:8]
    # each carries the status and ``updated`` a Connect request carries, which tell its
    # copies apart (a request without them is told by a digest of its whole content)
    requests = [{"id": f"PR-{run}-{i}", "type": "purchase", "status": "pending",
                 "updated": UPDATED, "guarded": guarded, "async": asynchronous,
                 "async_step": async_step, "threaded_step": threaded_step}
                for i in range(count)]

    async def awaited() -> None:
        for request in requests:
            check(await GuardedSaga.make(config, None, LOGGER, request).aresolve(request))

    started = time.process_time()
    if asynchronous:
        asyncio.run(awaited())
    else:
        for request in requests:
            check(GuardedSaga.make(config, None, LOGGER, request).resolve(request))
    return (time.process_time() - started) / count


def check(answer: BackgroundResponse) -> None:
    if answer.status != "success":
        raise RuntimeError(f"an event answered {answer.status}")


def by_hand(port: int) -> Callable[[int], float]:
    """The commands of a guarded event through one reused redis-py client: the lease
    (``SET NX PX``), the journal (``GET``, ``SET NX PX``), and the release that leaves the
    record of the done answer in the lease key (``EVALSHA`` of the cache's own script),
    values JSON-encoded as the cache encodes them."""
    import redis

    from rndi.cache.adapters.redis.adapter import _REPLACE_IF_EQUAL

    client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    release = client.register_script(_REPLACE_IF_EQUAL)

    def commands(count: int) -> float:
        run = uuid.uuid4().hex[:8]
        started = time.process_time()
        for i in range(count):
            request = {"id": f"PR-{run}-{i}", "type": "purchase", "guarded": True,
                       "async": False}
            lease, token = f"raw:lease:{request['id']}", json.dumps(uuid.uuid4().hex)
            journal = f"raw:journal:{request['id']}:order"
            client.set(lease, token, nx=True, px=330_000)
            if client.get(journal) is None:
                client.set(journal, '{"result":"SUB"}', nx=True, px=2_592_000_000)
            record = json.dumps({"copy": "pending@" + UPDATED, "updated": UPDATED})
            release(keys=[lease], args=[token, record, 2_592_000_000])
        return (time.process_time() - started) / count

    return commands


def by_hand_async(port: int) -> Callable[[int], float]:
    """``by_hand`` through one reused redis.asyncio client (made once per event loop, as
    an asyncio client must be), the events one after another on one loop: what the same
    commands cost in the async world, where each await is a turn of the event loop."""
    import redis.asyncio

    from rndi.cache.adapters.redis.adapter import _REPLACE_IF_EQUAL

    def commands(count: int) -> float:
        async def awaited() -> float:
            client = redis.asyncio.Redis(host="127.0.0.1", port=port, decode_responses=True)
            release = client.register_script(_REPLACE_IF_EQUAL)
            await client.ping()  # connected before the clock starts
            run = uuid.uuid4().hex[:8]
            started = time.process_time()
            for i in range(count):
                request = {"id": f"PR-{run}-{i}", "type": "purchase", "guarded": True,
                           "async": True}
                lease, token = f"raw:lease:{request['id']}", json.dumps(uuid.uuid4().hex)
                journal = f"raw:journal:{request['id']}:order"
                await client.set(lease, token, nx=True, px=330_000)
                if await client.get(journal) is None:
                    await client.set(journal, '{"result":"SUB"}', nx=True,
                                     px=2_592_000_000)
                record = json.dumps({"copy": "pending@" + UPDATED, "updated": UPDATED})
                await release(keys=[lease], args=[token, record, 2_592_000_000])
            spent = time.process_time() - started
            await client.aclose()
            return spent / count

        return asyncio.run(awaited())

    return commands


def best(batches: Dict[str, Callable[[], float]], rounds: int) -> Dict[str, float]:
    """The best (least disturbed) of ``rounds`` runs of each batch, the batches taking
    turns, so that a change in the machine's load touches them all alike."""
    for batch in batches.values():
        batch()  # warm: pools, connections, files
    times: Dict[str, list] = {name: [] for name in batches}
    for _ in range(rounds):
        for name, batch in batches.items():
            times[name].append(batch())
    return {name: min(values) * 1e6 for name, values in times.items()}


def guarded_and_plain(config: Dict[str, str], count: int, asynchronous: bool = False,
                      ) -> Dict[str, Callable[[], float]]:
    tag = "async " if asynchronous else ""
    return {tag + "guarded": lambda: events(config, True, count, asynchronous),
            tag + "plain": lambda: events(config, False, count, asynchronous)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200, help="events per batch (200)")
    parser.add_argument("--rounds", type=int, default=10, help="batches of each kind (10)")
    arguments = parser.parse_args()
    count, rounds = arguments.events, arguments.rounds
    with tempfile.TemporaryDirectory() as directory:
        config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": directory,
                  "ACTIVATION_TEMPLATE": "TL-1"}
        sqlite = best({**guarded_and_plain(config, count),
                       **guarded_and_plain(config, count, asynchronous=True)}, rounds)
    print(f"sqlite: lease + journal add {sqlite['guarded'] - sqlite['plain']:7.1f} µs CPU "
          f"per event, {sqlite['async guarded'] - sqlite['async plain']:7.1f} µs under "
          "aresolve()")
    if not shutil.which("redis-server"):
        print("redis: skipped (no redis-server on the PATH)")
        return 0
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        config = {"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
                  "CACHE_REDIS_PORT": str(server.port), "ACTIVATION_TEMPLATE": "TL-1"}
        commands, awaited = by_hand(server.port), by_hand_async(server.port)
        redis = best({**guarded_and_plain(config, count), "by hand": lambda: commands(count),
                      **guarded_and_plain(config, count, asynchronous=True),
                      "async step": lambda: events(config, True, count, True, True),
                      "async plain, threaded step": lambda: events(config, False, count, True,
                                                                   threaded_step=True),
                      "async by hand": lambda: awaited(count)}, rounds)
    ours = redis["guarded"] - redis["plain"]
    ours_async = redis["async guarded"] - redis["async plain"]
    ours_async_step = redis["async step"] - redis["async plain"]
    raw, raw_async = redis["by hand"], redis["async by hand"]
    print(f"redis:  lease + journal add {ours:7.1f} µs CPU per event, {ours_async:7.1f} µs "
          f"under aresolve() ({ours_async_step:.1f} µs with an async def step)")
    print(f"redis:  the same 4 commands through one reused redis-py client: {raw:7.1f} µs, "
          f"through one reused redis.asyncio client: {raw_async:7.1f} µs")
    # the guarded event's worker thread is its sync step's, which the plain event's own
    # sync step would take as well
    ours_async_own = redis["async guarded"] - redis["async plain, threaded step"]
    print(f"redis:  under aresolve(), against a plain event whose sync step runs in a worker "
          f"thread too: {ours_async_own:7.1f} µs, {ours_async_own / raw:.2f}x against the "
          "redis-py client")
    print(f"ratio {ours / raw:.2f}x; under aresolve() {ours_async / raw:.2f}x against the "
          f"redis-py client ({ours_async_step / raw:.2f}x with an async def step), "
          f"{ours_async / raw_async:.2f}x against the redis.asyncio one "
          f"({ours_async_step / raw_async:.2f}x with an async def step) "
          f"(lease + journal / the commands by hand; best of {rounds} batches of {count} "
          "events)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
