"""In process, the CPU that ``RequestLease`` and one ``journal.once`` add to an event,
on SQLite and on Redis, next to the same four Redis commands sent by hand.

Each event is a new request: ``Saga.make(config, client, logger, request)`` then
``resolve()``, once with the lease and the journal, once without, alternating in
batches. On Redis the baseline is what a guarded event must send (``SET NX PX`` for the
lease, ``GET`` and ``SET NX PX`` for the journal, ``EVALSHA`` for the release) through
one reused redis-py client: the ratio says what the cache layer costs beyond the
commands themselves.

    python benchmarks/guarded_event.py [--events 1000] [--rounds 3]
"""

import argparse
import logging
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Dict, List

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease
from rndi.connect.devops_fulfillment_framework.application import Saga

LOGGER = logging.getLogger("bench")
LOGGER.addHandler(logging.NullHandler())
LOGGER.propagate = False


class Approve(BackgroundTransaction):
    """Reads the journal only when the event is guarded: the rest is the same."""

    def __init__(self, journal: Any, activation_template: str) -> None:
        self.journal = journal
        self.template = activation_template

    def should_execute(self, request: dict) -> bool:
        return request["type"] == "purchase"

    def execute(self, request: dict) -> BackgroundResponse:
        if request["guarded"]:
            self.journal.once("order", lambda: "SUB-" + request["id"])
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.fail(str(e))


class GuardedSaga(Saga):
    def middlewares(self, request: dict) -> list:
        return [RequestLease] if request["guarded"] else []

    def transactions(self, request: dict) -> list:
        return [Approve]


def events(config: Dict[str, str], guarded: bool, count: int) -> float:
    """CPU seconds per event of ``count`` events, each a new request."""
    run = uuid.uuid4().hex[:8]
    requests = [{"id": f"PR-{run}-{i}", "type": "purchase", "guarded": guarded}
                for i in range(count)]
    started = time.process_time()
    for request in requests:
        answer = GuardedSaga.make(config, None, LOGGER, request).resolve(request)
        if answer.status != "success":
            raise RuntimeError(f"an event answered {answer.status}")
    return (time.process_time() - started) / count


def by_hand(port: int) -> Callable[[int], float]:
    """The four commands of a guarded event through one reused redis-py client."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
    release = client.register_script(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) "
        "end return 0")

    def commands(count: int) -> float:
        run = uuid.uuid4().hex[:8]
        started = time.process_time()
        for i in range(count):
            lease, token = f"raw:lease:{run}-{i}", uuid.uuid4().hex
            journal = f"raw:journal:{run}-{i}:order"
            client.set(lease, f'"{token}"', nx=True, px=330_000)
            if client.get(journal) is None:
                client.set(journal, '{"result": "SUB"}', nx=True, px=2_592_000_000)
            release(keys=[lease], args=[f'"{token}"'])
        return (time.process_time() - started) / count

    return commands


def added(config: Dict[str, str], count: int, rounds: int) -> List[float]:
    """Per round, CPU seconds the lease and the journal add per event."""
    events(config, True, count // 10)  # warm: pools, connections, files
    events(config, False, count // 10)
    return [events(config, True, count) - events(config, False, count)
            for _ in range(rounds)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        sqlite = added({"CACHE_DRIVER": "sqlite", "CACHE_DIR": directory,
                        "ACTIVATION_TEMPLATE": "TL-1"}, arguments.events, arguments.rounds)
    print(f"sqlite: lease + journal add {statistics.median(sqlite) * 1e6:8.1f} µs CPU per "
          f"event (rounds: {', '.join(f'{s * 1e6:.0f}' for s in sqlite)})")
    if not shutil.which("redis-server"):
        print("redis: skipped (no redis-server on the PATH)")
        return 0
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        config = {"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
                  "CACHE_REDIS_PORT": str(server.port), "ACTIVATION_TEMPLATE": "TL-1"}
        commands = by_hand(server.port)
        commands(arguments.events // 10)
        ours, raw = [], []
        for _ in range(arguments.rounds):  # side by side, alternating
            ours.extend(added(config, arguments.events, 1))
            raw.append(commands(arguments.events))
    ours_us, raw_us = statistics.median(ours) * 1e6, statistics.median(raw) * 1e6
    print(f"redis:  lease + journal add {ours_us:8.1f} µs CPU per event (rounds: "
          f"{', '.join(f'{s * 1e6:.0f}' for s in ours)})")
    print(f"redis:  the 4 commands by hand  {raw_us:8.1f} µs CPU (rounds: "
          f"{', '.join(f'{s * 1e6:.0f}' for s in raw)})")
    print(f"ratio {ours_us / raw_us:.2f}x (lease + journal / the same commands by hand)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
