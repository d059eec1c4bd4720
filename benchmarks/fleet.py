"""A fleet of replicas on one Redis: how throughput grows with workers, and where the
ceiling is.

It starts a real ``redis-server``, the Connect API stand-in and the vendor stand-in of
``examples/purchase_extension``, then fleets of 1, 2, 4 and 8 worker processes. Each
worker runs the guarded purchase saga in process, as a replica's runner would: it reads
the request (as the runner does before calling the handler; a request no longer pending
is skipped), then ``make()`` + ``resolve()``: ``RequestLease``, the vendor order through
``journal.once``, the parameter update and the approval through the stand-in. Every
request is delivered twice, to two different workers (one worker: twice to it), at the
same moment of their runs.

For each fleet size it prints events/s (an event is one delivery), p50/p99 latency per
event, worker CPU per event, Redis commands per event (``INFO commandstats``) and Redis
CPU per event (``INFO cpu``), and vendor calls per request, which must be exactly 1. It
ends with a projection: at the measured Redis CPU per event, the events/s one Redis core
carries, and so how many replicas, each as busy as one worker here, one Redis serves
before it saturates.

    python benchmarks/fleet.py [--requests 200] [--workers 1,2,4,8]

Needs redis-server on the PATH and the redis extra.
"""

import argparse
import collections
import contextlib
import copy
import json
import logging
import multiprocessing
import os
import queue
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "purchase_extension"
FIXTURE = ROOT / "examples" / "fixtures" / "asset_purchase.json"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from connect.eaas.core.responses import BackgroundResponse  # noqa: E402
from purchase_extension.saga import ORDER_STEP, SUBSCRIPTION_PARAM, VendorServiceProvider  # noqa: E402
from purchase_extension.vendor import VendorClient  # noqa: E402

from rndi.connect.api_facades.assets.mixins import WithAssetFacade  # noqa: E402
from rndi.connect.business_objects.adapters import Request  # noqa: E402
from rndi.connect.business_transactions.contracts import BackgroundTransaction  # noqa: E402
from rndi.connect.devops_fulfillment_framework import RequestLease, StepJournal  # noqa: E402
from rndi.connect.devops_fulfillment_framework.application import Saga  # noqa: E402

TEMPLATE = "TL-000-000-000"
# what this benchmark's own connection sends to Redis, not counted as the fleet's
OURS = ("cmdstat_info", "cmdstat_config|resetstat", "cmdstat_config")


class OrderAndApprove(BackgroundTransaction, WithAssetFacade):
    """The vendor order, recorded once per request, then the parameter and the approval."""

    def __init__(self, client: Any, vendor: VendorClient, journal: StepJournal,
                 activation_template: str) -> None:
        self.client = client
        self.vendor = vendor
        self.journal = journal
        self.activation_template = activation_template

    def should_execute(self, request: dict) -> bool:
        return request["type"] == "purchase"

    def execute(self, request: dict) -> BackgroundResponse:
        purchase = Request(request)
        asset = purchase.asset()
        items = [{"mpn": item["mpn"], "quantity": item["quantity"]} for item in asset.items()]
        subscription = self.journal.once(ORDER_STEP, lambda: self.vendor.create_subscription(
            "CUS-0001", asset.id() or "", items, self.journal.idempotency_key(ORDER_STEP)))
        self.update_asset_request_parameters(
            purchase, [{"id": SUBSCRIPTION_PARAM, "value": subscription["id"]}])
        self.approve_asset_request(purchase, self.activation_template)
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.reschedule()  # approved meanwhile by the other delivery


class FleetSaga(Saga):
    providers = {**Saga.providers, "vendor": VendorServiceProvider}

    def middlewares(self, request: dict) -> list:
        return [RequestLease]

    def transactions(self, request: dict) -> list:
        return [OrderAndApprove]


def _deliver(config: Dict[str, str], client: Any, logger: Any, request_id: str) -> str:
    """One delivery as a runner makes it: read the request, run the saga if pending."""
    request = client.requests[request_id].get()
    if request["status"] != "pending":
        return "skip"  # the runner does not call the handler
    return str(FleetSaga.make(config, client, logger, request).resolve(request).status)


def _worker(config: Dict[str, str], endpoint: str, warm_up: str, request_ids: List[str],
            ready: Any, start: Any, results: Any) -> None:
    """One replica: its deliveries, one after another, as its runner would run them."""
    try:
        from connect.client import ConnectClient

        logger = logging.getLogger("fleet")
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        client = ConnectClient("ApiKey SU-000:local", endpoint=endpoint, use_specs=False)
        _deliver(config, client, logger, warm_up)  # imports, connections: not measured
        ready.wait(300)
        start.wait(300)
        events = []
        cpu = time.process_time()
        for request_id in request_ids:
            began = time.perf_counter()
            outcome = _deliver(config, client, logger, request_id)
            events.append((time.perf_counter() - began, outcome))
        results.put((events, time.process_time() - cpu))
    except BaseException as e:  # the parent reports it instead of waiting for ever
        results.put(f"{type(e).__name__}: {e}")
        raise


def deliveries(request_ids: Sequence[str], workers: int) -> List[List[str]]:
    """Per worker, the requests it is delivered: request k goes to workers k and k+1
    (mod the fleet size), at the same place in both lists, so both deliveries of a
    request run at about the same moment."""
    lists: List[List[str]] = [[] for _ in range(workers)]
    for k, request_id in enumerate(request_ids):
        first, second = k % workers, (k + 1) % workers
        lists[first].append(request_id)
        lists[second].append(request_id)  # one worker: both deliveries go to it
    return lists


def _purchase(fixture: dict, request_id: str, number: int) -> dict:
    request = copy.deepcopy(fixture)
    request["id"] = request_id
    request["asset"]["id"] = f"AS-FLEET-{number:06d}"
    return request


def _percentile(values: List[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _redis_calls(server: Any) -> Dict[str, int]:
    return {name: stats["calls"] for name, stats in server.info("commandstats").items()
            if name.startswith("cmdstat_") and name not in OURS}


def _redis_cpu(server: Any) -> float:
    cpu = server.info("cpu")
    return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def _idle_cpu_rate(server: Any, seconds: float = 1.0) -> float:
    """Redis CPU per second while nobody calls it (its timers): subtracted from a run's,
    so that a slow fleet is not charged for the time Redis spent waiting for it."""
    before, began = _redis_cpu(server), time.perf_counter()
    time.sleep(seconds)
    return (_redis_cpu(server) - before) / (time.perf_counter() - began)


def _gather(processes: List[Any], results: Any) -> List[Any]:
    gathered = []
    while len(gathered) < len(processes):
        try:
            answer = results.get(timeout=1)
        except queue.Empty:
            if not all(process.is_alive() for process in processes):
                raise RuntimeError("a worker died without answering") from None
            continue
        if isinstance(answer, str):
            raise RuntimeError(f"a worker failed: {answer}")
        gathered.append(answer)
    return gathered


def run_fleet(workers: int, requests: int, redis_port: int, connect: Any, vendor: Any,
              fixture: dict) -> Dict[str, Any]:
    """One fleet size: its figures, and what the stand-ins saw (per request)."""
    import redis

    server = redis.Redis(host="127.0.0.1", port=redis_port, decode_responses=True)
    idle = _idle_cpu_rate(server)
    request_ids = [f"PR-FLEET-{workers:02d}-{k:05d}" for k in range(requests)]
    warm_ups = [f"PR-FLEET-{workers:02d}-WARM-{w:02d}" for w in range(workers)]
    assets = {}
    for k, request_id in enumerate(warm_ups + request_ids):
        assets[request_id] = connect.add_request(
            _purchase(fixture, request_id, workers * 100_000 + k))["asset"]["id"]
    config = {"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
              "CACHE_REDIS_PORT": str(redis_port), "ACTIVATION_TEMPLATE": TEMPLATE,
              "VENDOR_API_URL": vendor.url}
    context = multiprocessing.get_context("spawn")  # a replica shares nothing with us
    ready, start = context.Barrier(workers + 1), context.Barrier(workers + 1)
    results = context.Queue()
    processes = [context.Process(target=_worker, daemon=True,
                                 args=(config, connect.endpoint, warm_up, mine, ready, start,
                                       results))
                 for warm_up, mine in zip(warm_ups, deliveries(request_ids, workers),
                                          strict=True)]
    for process in processes:
        process.start()
    try:
        ready.wait(300)  # every worker has made one delivery of its own: warm
        server.config_resetstat()
        cpu_before = _redis_cpu(server)
        start.wait(300)
        began = time.perf_counter()
        gathered = _gather(processes, results)
        elapsed = time.perf_counter() - began
        redis_cpu = _redis_cpu(server) - cpu_before - idle * elapsed
        calls = _redis_calls(server)
    finally:
        for process in processes:
            process.join(60)
            if process.is_alive():
                process.kill()
        server.close()
    events = [event for worker_events, _ in gathered for event in worker_events]
    latencies = [latency for latency, _ in events]
    orders = collections.Counter(call.body["external_id"] for call in vendor.calls
                                 if call.method == "POST" and call.path == "/subscriptions")
    vendor_calls = [orders[assets[request_id]] for request_id in request_ids]
    approved = sum(connect.request(request_id)["status"] == "approved"
                   for request_id in request_ids)
    # commandstats counts the commands a script runs too: each release runs a GET, then
    # (it finds its own token, as every holder here does) a SET of the done record or a DEL
    sent = sum(calls.values()) - 2 * calls.get("cmdstat_evalsha", 0)
    return {
        "workers": workers, "requests": requests, "events": len(events),
        "events_per_s": len(events) / elapsed,
        "p50_ms": _percentile(latencies, 0.50) * 1e3,
        "p99_ms": _percentile(latencies, 0.99) * 1e3,
        "worker_cpu_ms": sum(cpu for _, cpu in gathered) / len(events) * 1e3,
        "redis_commands": sum(calls.values()) / len(events),
        "redis_sent": sent / len(events),
        "redis_cpu_us": max(redis_cpu, 0.0) / len(events) * 1e6,
        "vendor_calls": (min(vendor_calls), max(vendor_calls)),
        "approved": approved,
        "outcomes": dict(collections.Counter(outcome for _, outcome in events)),
    }


def run(sizes: Sequence[int], requests: int, report: Any = print) -> List[Dict[str, Any]]:
    """Every fleet size on one redis-server and one pair of stand-ins."""
    from purchase_extension.vendor import FakeVendorAPI

    from rndi.cache.testing import RedisServer
    from rndi.connect.testing import ConnectAPI

    fixture = json.loads(FIXTURE.read_text(encoding="utf-8"))
    rows = []
    with RedisServer() as redis_server, ConnectAPI() as connect, FakeVendorAPI() as vendor, \
            _optimized_workers():
        for workers in sizes:
            row = run_fleet(workers, requests, redis_server.port, connect, vendor, fixture)
            rows.append(row)
            report(_line(row))
    return rows


@contextlib.contextmanager
def _optimized_workers() -> Iterator[None]:
    """Workers start with ``PYTHONOPTIMIZE=1``, as the runner tests start runners:
    connect-openapi-client imports inflect, whose typeguard decorators otherwise compile
    it again in every process (seconds of CPU per worker, before it is ready)."""
    before = os.environ.get("PYTHONOPTIMIZE")
    os.environ["PYTHONOPTIMIZE"] = "1"
    try:
        yield
    finally:
        if before is None:
            del os.environ["PYTHONOPTIMIZE"]
        else:
            os.environ["PYTHONOPTIMIZE"] = before


HEADER = (f"{'workers':>7} {'events/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'cpu ms/ev':>9} "
          f"{'redis cmd/ev':>12} {'sent/ev':>7} {'redis µs/ev':>11} {'vendor/req':>10} "
          f"{'approved':>9}  outcomes")


def _line(row: Dict[str, Any]) -> str:
    low, high = row["vendor_calls"]
    vendor = f"{low}" if low == high else f"{low}..{high}"
    return (f"{row['workers']:>7} {row['events_per_s']:>9.1f} {row['p50_ms']:>7.1f} "
            f"{row['p99_ms']:>7.1f} {row['worker_cpu_ms']:>9.2f} {row['redis_commands']:>12.2f} "
            f"{row['redis_sent']:>7.2f} {row['redis_cpu_us']:>11.1f} {vendor:>10} "
            f"{row['approved']:>4}/{row['requests']:<4}  "
            + " ".join(f"{name} {count}" for name, count in sorted(row["outcomes"].items())))


def projection(rows: List[Dict[str, Any]]) -> str:
    """Events/s one Redis core carries at the measured cost, and the replicas it serves."""
    cpu_us = statistics.median(row["redis_cpu_us"] for row in rows)
    commands = statistics.median(row["redis_commands"] for row in rows)
    per_core = 1e6 / cpu_us
    single = min(rows, key=lambda row: row["workers"])
    per_replica = single["events_per_s"] / single["workers"]
    return (f"projection: {commands:.2f} Redis commands and {cpu_us:.1f} µs of Redis CPU per "
            f"event (median over the fleets): one Redis core carries about {per_core:,.0f} "
            f"events/s; a replica as busy as one worker here ({per_replica:.1f} events/s) "
            f"is {per_replica / per_core:.2%} of it, so one Redis serves about "
            f"{per_core / per_replica:,.0f} such replicas before it saturates.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200,
                        help="requests per fleet size, each delivered twice (200)")
    parser.add_argument("--workers", default="1,2,4,8",
                        help="fleet sizes, comma-separated (1,2,4,8)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.workers.split(",") if size.strip()]
    if arguments.requests < 1 or not sizes or min(sizes) < 1:
        parser.error("--requests and every --workers size must be at least 1")
    print(f"{arguments.requests} requests per fleet, each delivered twice at once; "
          f"{multiprocessing.cpu_count()} CPUs")
    print(HEADER)
    started = time.perf_counter()
    rows = run(sizes, arguments.requests)
    print(projection(rows))
    print(f"(took {time.perf_counter() - started:.0f} s)")
    broken = [row["workers"] for row in rows if row["vendor_calls"] != (1, 1)
              or row["approved"] != row["requests"]]
    if broken:
        print(f"NOT exactly once for fleets of {broken} workers")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
