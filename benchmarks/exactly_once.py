"""The cost of ``RequestLease`` and the step journal under the real
``connect-extension-runner``: the same saga with and without them, on SQLite and on Redis.

The saga: ``OfflineCriteria`` and two transactions; the one that applies runs one vendor
step (local, instant) then updates an asset parameter and approves the request through
the Connect API stand-in. The guarded variant lists ``RequestLease`` first and runs the
vendor step through ``journal.once``: one lease taken and released and one journal read
and write per event. Runs alternate (plain, guarded, plain, guarded ...) per store, and
each figure is the median of its runs: events/s and worker CPU per event, and the
guarded/plain ratios from this run.

    python benchmarks/exactly_once.py [--events 200] [--rounds 3]

Needs Python 3.10 to 3.12 (the runner's range), the dev dependencies (trustme) and, for
Redis, redis-server on the PATH.
"""

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from runner import COMMON, bench_site, install, run_once, runner_missing

SAGA = COMMON + '''
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.request_offline_criteria.adapters import OfflineCriteria

GUARDED = {guarded}


def order(request):
    return "SUB-" + request["id"]


class Cancel(BackgroundTransaction):
    def should_execute(self, request):
        return request["type"] == "cancel"

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Approve(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client, journal, activation_template):
        self.client = client
        self.journal = journal
        self.activation_template = activation_template

    def should_execute(self, request):
        return request["type"] == "purchase"

    def execute(self, request):
        if GUARDED:
            subscription = self.journal.once("order", lambda: order(request))
        else:
            subscription = order(request)
        self.update_asset_request_parameters(
            request, [{{"id": "CAT_SUBSCRIPTION_ID", "value": subscription}}])
        self.approve_asset_request(request, self.activation_template)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class BenchSaga(Saga):
    def middlewares(self, request):
        return [RequestLease, OfflineCriteria] if GUARDED else [OfflineCriteria]

    def transactions(self, request):
        return [Cancel, Approve]


class Extension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle(self, request):
        return BenchSaga.make(self.config, self.client, self.logger, request).resolve(request)
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    missing = runner_missing()
    if missing:
        print(missing)
        return 0
    from rndi.cache.testing import RedisServer

    stores = ["sqlite"] + (["redis"] if shutil.which("redis-server") else [])
    with bench_site() as (site, tls), \
            (RedisServer() if "redis" in stores else contextlib.nullcontext()) as redis:
        install(site / "plain", "bench_plain", SAGA.format(guarded=False))
        install(site / "guarded", "bench_guarded", SAGA.format(guarded=True))
        runs: dict = {(store, name): [] for store in stores for name in ("plain", "guarded")}
        for round_number in range(arguments.rounds):
            for store, name in runs:
                config = ({"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
                           "CACHE_REDIS_PORT": str(redis.port)} if store == "redis" else
                          {"CACHE_DRIVER": "sqlite", "CACHE_DIR": tempfile.mkdtemp(dir=site)})
                label = f"{store[:2].upper()}{name[:2].upper()}{round_number}"
                result = run_once(site, name, arguments.events, tls, label, config)
                runs[(store, name)].append(result)
                print(f"round {round_number + 1} {store} {name}: events/s "
                      f"{result['events_per_s']:.1f}, cpu ms/event "
                      f"{result['cpu_ms_per_event']:.2f}", flush=True)
    print(f"\n{arguments.events} events delivered at once, median of {arguments.rounds} runs")
    print(f"{'':8}{'':22}{'plain':>10}{'guarded':>10}{'guarded/plain':>15}")
    for store in stores:
        for key in ("events_per_s", "cpu_ms_per_event"):
            plain = statistics.median(run[key] for run in runs[(store, "plain")])
            guarded = statistics.median(run[key] for run in runs[(store, "guarded")])
            print(f"{store:8}{key:22}{plain:10.2f}{guarded:10.2f}{guarded / plain:14.3f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
