"""A sync saga (``resolve`` in a ``def`` handler) next to the same saga async (``aresolve``
in an ``async def`` handler) under the real ``connect-extension-runner``, with a vendor
that answers each call after 2 s, N events delivered at once.

Each event: one vendor call (2 s), then the asset parameter update and the approval
through the facades (sync ones on the runner's ``ConnectClient``, the ``a…`` twins on its
``AsyncConnectClient``). The runner runs a sync handler on a pool of 100 threads and an
async one on the worker's event loop. Runs alternate (sync, async, sync, async ...) and
each figure is the median of its runs: events/s, median and p95 latency (from sending the
task to its result), the worker's peak thread count, peak RSS and CPU per event, and the
async/sync ratios from this run.

    python benchmarks/concurrency.py [--events 400] [--rounds 2] [--delay 2]

Needs Python 3.10 to 3.12 (the runner's range) and the dev dependencies (trustme).
"""

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from runner import EVENT, bench_site, install, requests_for, runner_missing

COMMON = '''
from connect.eaas.core.decorators import event
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import BackgroundResponse
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.request_offline_criteria.adapters import OfflineCriteria


class BenchSaga(Saga):
    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return [Provision]
'''

SYNC = COMMON + '''
import requests


class Provision(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client, vendor_api_url, activation_template):
        self.client = client
        self.vendor = vendor_api_url
        self.template = activation_template

    def should_execute(self, request):
        return True

    def execute(self, request):
        tenant = requests.post(self.vendor + "/tenants", json={"id": request["id"]},
                               timeout=60).json()["id"]
        self.update_asset_request_parameters(
            request, [{"id": "CAT_SUBSCRIPTION_ID", "value": tenant}])
        self.approve_asset_request(request, self.template)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Extension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle(self, request):
        return BenchSaga.make(self.config, self.client, self.logger, request).resolve(request)
'''

ASYNC = COMMON + '''
import httpx


class Provision(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client, vendor_api_url, activation_template):
        self.client = client
        self.vendor = vendor_api_url
        self.template = activation_template

    async def should_execute(self, request):
        return True

    async def execute(self, request):
        async with httpx.AsyncClient(timeout=60) as http:
            answer = await http.post(self.vendor + "/tenants", json={"id": request["id"]})
        await self.aupdate_asset_request_parameters(
            request, [{"id": "CAT_SUBSCRIPTION_ID", "value": answer.json()["id"]}])
        await self.aapprove_asset_request(request, self.template)
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Extension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    async def handle(self, request):
        saga = BenchSaga.make(self.config, self.client, self.logger, request)
        return await saga.aresolve(request)
'''


def threads_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


class PeakThreads(threading.Thread):
    """Samples a process's thread count until stopped; keeps the highest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = threads_of(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.01):
            self.peak = max(self.peak, threads_of(self.pid))


class SlowVendor:
    """The vendor: ``POST /tenants`` answered after ``delay`` seconds, every call at once
    (a thread per connection, a deep listen backlog)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.created = 0
        self.lock = threading.Lock()
        self.server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "SlowVendor":
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(vendor.delay)
                with vendor.lock:
                    vendor.created += 1
                    body = json.dumps({"id": f"TEN-{vendor.created:05d}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_once(site: Path, name: str, events: int, delay: float, tls, label: str) -> dict:
    from rndi.connect.testing import ConnectAPI
    from rndi.connect.testing.eaas import FakeEaaS
    from rndi.connect.testing.runner import ExtensionRunner, process_usage

    context, bundle = tls
    with ConnectAPI(requests_for(label, events), ssl_context=context) as connect, \
            SlowVendor(delay) as vendor, \
            FakeEaaS({"ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": vendor.url}) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(site / name)],
                                 deadline=900, environment={
                                     "BACKGROUND_TASK_MAX_EXECUTION_TIME": "600"})
        runner.start()
        try:
            eaas.wait_ready(timeout=180)
            eaas.deliver(EVENT, f"PR-{label}-0000-WARM", timeout=120)  # imports, connections
            worker = runner.processes()["background"]
            cpu_before = process_usage(worker)["cpu_seconds"]
            sampler = PeakThreads(worker)
            sampler.start()
            ids = [f"PR-{label}-0000-{n:04d}" for n in range(events)]
            started = time.perf_counter()
            latencies, results, messages = [], [], []
            for _, output in eaas.deliver_many(EVENT, ids, timeout=900):
                latencies.append(time.perf_counter() - started)
                results.append(output.get("result"))
                messages.append(output.get("message"))
            elapsed = time.perf_counter() - started
            sampler.done.set()
            sampler.join()
            usage = process_usage(worker)
        finally:
            runner.stop()
            runner.close()
    if results.count("success") != events:
        failed = next(m for r, m in zip(results, messages, strict=True) if r != "success")
        raise RuntimeError(f"{name}: expected {events} successes, got "
                           f"{ {r: results.count(r) for r in set(results)} }; {failed}")
    latencies.sort()
    return {"events_per_s": events / elapsed,
            "p50_s": statistics.median(latencies),
            "p95_s": latencies[int(0.95 * (len(latencies) - 1))],
            "worker_peak_threads": sampler.peak,
            "worker_peak_rss_mib": usage["peak_rss_bytes"] / 2**20,
            "cpu_ms_per_event": (usage["cpu_seconds"] - cpu_before) / events * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--delay", type=float, default=2.0)
    arguments = parser.parse_args()
    missing = runner_missing()
    if missing:
        print(missing)
        return 0
    with bench_site() as (site, tls):
        install(site / "sync", "bench_sync", SYNC)
        install(site / "async", "bench_async", ASYNC)
        runs: dict = {"sync": [], "async": []}
        for round_number in range(arguments.rounds):
            for name in runs:
                label = f"{name[:4].upper()}{round_number}"
                runs[name].append(run_once(site, name, arguments.events, arguments.delay,
                                           tls, label))
                print(f"round {round_number + 1} {name}: "
                      + ", ".join(f"{k} {v:.2f}" for k, v in runs[name][-1].items()),
                      flush=True)
    medians = {name: {key: statistics.median(run[key] for run in results)
                      for key in results[0]} for name, results in runs.items()}
    print(f"\n{arguments.events} events at once, vendor answering after {arguments.delay} s, "
          f"median of {arguments.rounds} runs")
    print(f"{'':22}{'sync saga':>12}{'async saga':>12}{'async/sync':>12}")
    for key in medians["sync"]:
        sync, asynchronous = medians["sync"][key], medians["async"][key]
        print(f"{key:22}{sync:12.2f}{asynchronous:12.2f}{asynchronous / sync:11.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
