"""The framework under the real ``connect-extension-runner``: a saga next to a hand-written
handler doing the same Connect calls, N events delivered at once to each.

Both extensions, per event: read the offline-mode rules, take the activation template
through the SQLite cache, update one asset parameter and approve the request. The saga
does it as ``OfflineCriteria`` + two transactions; the hand-written one calls the same
functions itself. Runs alternate (hand-written, saga, hand-written, saga ...) and each
figure is the median of its runs. Prints events/s, median and p95 latency (from sending
the task to its result), worker CPU per event and peak RSS, and the saga/hand-written
ratios from this run.

    python benchmarks/runner.py [--events 200] [--rounds 2]

Needs Python 3.10 to 3.12 (the runner's range) and the dev dependencies (trustme).
"""

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any, Iterator, Optional, Tuple

EXTENSION_JSON = {"name": "bench", "description": "benchmark", "version": "1.0.0",
                  "audience": ["vendor"], "readme_url": "https://example.com/r",
                  "changelog_url": "https://example.com/c"}
EVENT = "asset_purchase_request_processing"
FIXTURE = Path(__file__).resolve().parents[1] / "examples" / "fixtures" / "asset_purchase.json"

COMMON = '''
from connect.eaas.core.decorators import event
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import BackgroundResponse
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
'''

HANDWRITTEN = COMMON + '''
from rndi.cache.provider import provide_cache
from rndi.connect.request_offline_criteria.rules import (
    composited_match_offline_asset_and_marketplace_parameter, match_request_type)


class Facade(WithAssetFacade):
    def __init__(self, client):
        self.client = client


class Extension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle(self, request):
        if (composited_match_offline_asset_and_marketplace_parameter(request)
                and match_request_type(request)):
            return BackgroundResponse.skip()
        cache = provide_cache(self.config, self.logger)
        template = cache.get("template", lambda: self.config["ACTIVATION_TEMPLATE"])
        facade = Facade(self.client)
        try:
            facade.update_asset_request_parameters(
                request, [{"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-" + request["id"]}])
            facade.approve_asset_request(request, template)
        except Exception as e:
            return BackgroundResponse.fail(str(e))
        return BackgroundResponse.done()
'''

SAGA = COMMON + '''
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.request_offline_criteria.adapters import OfflineCriteria


class Cancel(BackgroundTransaction):
    def should_execute(self, request):
        return request["type"] == "cancel"

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Approve(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client, cache, activation_template):
        self.client = client
        self.cache = cache
        self.activation_template = activation_template

    def should_execute(self, request):
        return request["type"] == "purchase"

    def execute(self, request):
        template = self.cache.get("template", lambda: self.activation_template)
        self.update_asset_request_parameters(
            request, [{"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-" + request["id"]}])
        self.approve_asset_request(request, template)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class BenchSaga(Saga):
    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return [Cancel, Approve]


class Extension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle(self, request):
        return BenchSaga.make(self.config, self.client, self.logger, request).resolve(request)
'''


def install(site: Path, name: str, source: str) -> None:
    """A minimal installed distribution: the runner finds it through its entry point."""
    package = site / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "extension.py").write_text(textwrap.dedent(source))
    (package / "extension.json").write_text(json.dumps(EXTENSION_JSON))
    info = site / f"{name}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(
        f"[connect.eaas.ext]\neventsapp = {name}.extension:Extension\n")


def requests_for(label: str, count: int) -> list:
    template = json.loads(FIXTURE.read_text())
    made = []
    for number in ["WARM", *(f"{n:04d}" for n in range(count))]:
        request = json.loads(json.dumps(template))
        request["id"] = f"PR-{label}-0000-{number}"
        request["asset"]["id"] = f"AS-{label}-{number}"
        made.append(request)
    return made


def run_once(site: Path, name: str, events: int, tls, label: str,
             config: dict | None = None) -> dict:
    """Deliver ``events`` tasks at once to a runner of the extension installed as ``name``
    (configured with ``config``, default: the SQLite cache in a fresh directory)."""
    from rndi.connect.testing import ConnectAPI
    from rndi.connect.testing.eaas import FakeEaaS
    from rndi.connect.testing.runner import ExtensionRunner, process_usage

    context, bundle = tls
    with tempfile.TemporaryDirectory() as cache_dir, \
            ConnectAPI(requests_for(label, events), ssl_context=context) as connect, \
            FakeEaaS({"ACTIVATION_TEMPLATE": "TL-1", **(config or {
                "CACHE_DRIVER": "sqlite", "CACHE_DIR": cache_dir})}) as eaas:
        site_path = site / name
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(site_path)],
                                 deadline=600, environment={
                                     "BACKGROUND_TASK_MAX_EXECUTION_TIME": "300"})
        runner.start()
        try:
            eaas.wait_ready(timeout=180)
            # the first event pays for imports and connections in both
            eaas.deliver(EVENT, f"PR-{label}-0000-WARM", timeout=120)
            roles = runner.processes()
            worker = roles["background"]
            cpu_before = process_usage(worker)["cpu_seconds"]
            ids = [f"PR-{label}-0000-{n:04d}" for n in range(events)]
            started = time.perf_counter()
            latencies, results = [], []
            for _, output in eaas.deliver_many(EVENT, ids, timeout=600):
                latencies.append(time.perf_counter() - started)
                results.append(output.get("result"))
            elapsed = time.perf_counter() - started
            cpu = process_usage(worker)["cpu_seconds"] - cpu_before
            peaks = {role: process_usage(pid)["peak_rss_bytes"] for role, pid in roles.items()}
        finally:
            runner.stop()
            runner.close()
    if results.count("success") != events:
        raise RuntimeError(f"{name}: expected {events} successes, got {results}")
    latencies.sort()
    return {"events_per_s": events / elapsed,
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "cpu_ms_per_event": cpu / events * 1000,
            "worker_peak_rss_mib": peaks["background"] / 2**20,
            "all_peak_rss_mib": sum(peaks.values()) / 2**20}


def runner_missing() -> Optional[str]:
    """Why the real runner cannot run here (printed as the benchmark's answer), or None."""
    try:
        import connect.eaas.runner  # noqa: F401
        import trustme  # noqa: F401
    except ImportError as e:
        return (f"skipped: the real runner cannot run here ({e}); it needs Python 3.10 to "
                "3.12 and the dev dependencies.")
    return None


@contextlib.contextmanager
def bench_site() -> Iterator[Tuple[Path, Tuple[Any, str]]]:
    """A temporary directory to install the benchmark extensions in, and the TLS the
    runner trusts: ``(site, (server_context, ca_bundle_path))``."""
    import ssl

    import trustme

    ca = trustme.CA()
    with tempfile.TemporaryDirectory() as directory:
        site = Path(directory)
        bundle = site / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert("127.0.0.1").configure_cert(context)
        yield site, (context, str(bundle))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    missing = runner_missing()
    if missing:
        print(missing)
        return 0
    with bench_site() as (site, tls):
        install(site / "hand_written", "bench_hand_written", HANDWRITTEN)
        install(site / "saga", "bench_saga", SAGA)
        runs: dict = {"hand_written": [], "saga": []}
        for round_number in range(arguments.rounds):
            for name in runs:
                label = f"{name[:4].upper()}{round_number}"
                runs[name].append(run_once(site, name, arguments.events, tls, label))
                print(f"round {round_number + 1} {name}: "
                      + ", ".join(f"{k} {v:.2f}" for k, v in runs[name][-1].items()),
                      flush=True)
    medians = {name: {key: statistics.median(run[key] for run in results)
                      for key in results[0]} for name, results in runs.items()}
    print(f"\n{arguments.events} events delivered at once, median of {arguments.rounds} runs")
    print(f"{'':22}{'hand-written':>14}{'saga':>12}{'saga/hand':>11}")
    for key in medians["saga"]:
        hand, saga = medians["hand_written"][key], medians["saga"][key]
        print(f"{key:22}{hand:14.2f}{saga:12.2f}{saga / hand:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
