"""Two replicas of the example extension under the real runner, sharing one cache."""

import contextlib
import json
import time
from pathlib import Path

from purchase_extension.vendor import FakeVendorAPI

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
TEMPLATE = "TL-REPLICAS-001"
LEASE_TTL = 8  # longer than replica A's background timeout, short enough to wait out


def purchase(series, number):
    request = json.loads(FIXTURE.read_text())
    request["id"] = f"PR-{series}-0000-0000-{number:03d}"
    request["asset"]["id"] = f"AS-{series}-0000-{number:04d}"
    return request


@contextlib.contextmanager
def replicas(installed_extension, tls, cache_config, timeouts=("3", "60"),
             deadline=400):
    """FakeEaaS with runners ``INS-A`` and ``INS-B`` (background timeouts ``timeouts``),
    the Connect API stand-in and the fake vendor; ``cache_config`` may override any
    setting (``LEASE_TTL``…)."""
    context, bundle = tls
    config = {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_KEY": "k", "LEASE_TTL": str(LEASE_TTL),
              **cache_config}
    # the vendor provisions at once: create, then approve (the waiting step is not the point)
    with ConnectAPI(ssl_context=context) as connect, \
            FakeVendorAPI(provisioning_polls=0) as vendor, \
            FakeEaaS({**config, "VENDOR_API_URL": vendor.url}) as eaas:
        runners = {name: ExtensionRunner(
            eaas, connect, bundle, python_path=[str(installed_extension)], deadline=deadline,
            instance_id=f"INS-{name}",
            environment={"BACKGROUND_TASK_MAX_EXECUTION_TIME": timeout}).start()
            for name, timeout in zip("AB", timeouts, strict=True)}
        try:
            for runner in runners.values():
                runner.wait_ready(timeout=120)
            yield connect, vendor, eaas, runners
        finally:
            for runner in runners.values():
                # what these replicas prove is done: no need to wait for a graceful
                # shutdown (seconds per runner; test_async_runner.py proves that one)
                runner.kill()
                runner.close()


def orders_of(vendor, request):
    return [s for s in vendor.subscriptions.values()
            if s["external_id"] == request["asset"]["id"]]


def deliver_to_both_until_approved(connect, eaas, requests, rounds=25):
    """Each pending request to both replicas (every connected one) at the same moment,
    round after round."""
    outputs = []
    pending = [request["id"] for request in requests]
    for _ in range(rounds):
        futures = [future for request_id in pending
                   for future in eaas.send_to_all(EVENT, request_id, timeout=60).values()]
        outputs += [future.result(180) for future in futures]
        pending = [i for i in pending if connect.request(i)["status"] == "pending"]
        if not pending:
            break
    return pending, outputs


def wait_until(condition, limit=120.0):
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {limit} s")
        time.sleep(0.05)
