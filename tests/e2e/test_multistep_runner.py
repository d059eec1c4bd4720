"""The multi-step example extension under the real runner: a sync replica and an async
one (the same steps, ``async def``) sharing a SQLite cache, against the Connect stand-in
and the vendor stand-in (which counts what each call did). Overlapping deliveries to the
two run each step once; a request the sync replica died on is resumed by the async
one."""

import concurrent.futures
import json
import time
from pathlib import Path

import pytest
from multistep_extension.vendor import FakeLicensingVendor

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner
from tests.e2e.conftest import install
from tests.e2e.replicas import deliver_to_both_until_approved, wait_until

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MULTISTEP = ROOT / "examples" / "multistep_extension"
ASYNC_MULTISTEP = ROOT / "examples" / "async_multistep_extension"
FIXTURE = ROOT / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
BUDGET = 3  # SAGA_TIME_BUDGET: seconds
# a killed replica's lease lasts this long; the test that kills one looks at the cache
# from later on rather than waiting it out, so it can be long enough that no delay of a
# loaded machine outlasts it
LEASE_TTL = 60
STEPS = ["create_customer", "create_subscription", "assign_licences"]


def purchase(series, number):
    request = json.loads(FIXTURE.read_text())
    request["id"] = f"PR-{series}-0000-0000-{number:03d}"
    request["asset"]["id"] = f"AS-{series}-0000-{number:04d}"
    return request


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """The directory of the replicas' shared SQLite cache."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def cluster(tls, tmp_path_factory, cache_dir):
    """The sync replica ``INS-A`` and the async ``INS-C``, one cache."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # two pip runs side by side
        sync_site, async_site = pool.map(install, (MULTISTEP, ASYNC_MULTISTEP), (
            tmp_path_factory.mktemp("multistep-site"),
            tmp_path_factory.mktemp("async-multistep-site")))
    context, bundle = tls
    config = {"ACTIVATION_TEMPLATE": "TL-MULTI-001", "VENDOR_API_KEY": "k",
              "LEASE_TTL": str(LEASE_TTL), "SAGA_TIME_BUDGET": str(BUDGET),
              "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(cache_dir)}
    paths = {"A": [str(sync_site)], "C": [str(async_site), str(MULTISTEP)]}
    with ConnectAPI(ssl_context=context) as connect, FakeLicensingVendor() as vendor, \
            FakeEaaS({**config, "VENDOR_API_URL": vendor.url}) as eaas:
        runners = {name: ExtensionRunner(eaas, connect, bundle, python_path=path, deadline=400,
                                         instance_id=f"INS-{name}").start()
                   for name, path in paths.items()}
        try:
            for runner in runners.values():
                runner.wait_ready(timeout=120)
            yield connect, vendor, eaas, runners
        finally:
            for runner in runners.values():
                runner.kill()  # no graceful shutdown to wait for: test_async_runner.py proves it
                runner.close()


def deliver_until(eaas, request_id, instance, done=("success", "fail"), limit=8):
    """Deliver again and again (as Connect does after each reschedule) until an answer in
    ``done``; every output, in order."""
    outputs = []
    while len(outputs) < limit:
        outputs.append(eaas.deliver(EVENT, request_id, timeout=120, instance=instance))
        if outputs[-1]["result"] in done:
            break
    return outputs


@pytest.mark.parametrize("instance", ["INS-A", "INS-C"])
def test_step_three_refused_undoes_two_then_one_and_fails_naming_it(cluster, instance):
    connect, vendor, eaas, runners = cluster
    request = connect.add_request(purchase(8100, 1 if instance == "INS-A" else 2))
    vendor.refuse_licences = "No seats left"
    try:
        outputs = deliver_until(eaas, request["id"], instance)
    finally:
        vendor.refuse_licences = None
    assert outputs[-1]["result"] == "fail", runners[instance[-1]].output_tail()
    failed = connect.request(request["id"])
    assert failed["status"] == "failed"
    assert failed["reason"].startswith("Purchase: step 'licences' (3 of 4) failed (")
    assert failed["reason"].endswith("); undone: 'subscription', 'customer'.")
    assert vendor.done_for(request["asset"]["id"]) == [
        "create_customer", "create_subscription", "cancel_subscription", "delete_customer"]


@pytest.mark.parametrize("instance", ["INS-A", "INS-C"])
def test_transient_503s_reschedule_with_growing_countdowns_then_succeed(cluster, instance):
    connect, vendor, eaas, runners = cluster
    request = connect.add_request(purchase(8200, 1 if instance == "INS-A" else 2))
    vendor.unavailable = 2
    outputs = deliver_until(eaas, request["id"], instance)
    assert outputs[-1]["result"] == "success", runners[instance[-1]].output_tail()
    # a retry's countdown starts at 60 s; a spent time budget's is Connect's 30 s
    countdowns = [o["countdown"] for o in outputs if o["result"] == "reschedule"
                  and o["countdown"] >= 60]
    assert len(countdowns) == 2 and countdowns[0] < countdowns[1]
    assert connect.request(request["id"])["status"] == "approved"
    assert vendor.done_for(request["asset"]["id"]) == STEPS


def test_a_step_slower_than_the_time_budget_reschedules_and_the_next_delivery_resumes(
        cluster):
    connect, vendor, eaas, runners = cluster
    request = connect.add_request(purchase(8300, 1))
    with vendor.hold("POST", "/subscriptions") as held:
        first = eaas.send(EVENT, request["id"], timeout=120, instance="INS-A")
        held.wait_arrived(120)
        arrived = time.monotonic()
        wait_until(lambda: time.monotonic() - arrived > BUDGET + 0.5)  # the step is slow
    assert first.result(120)["result"] == "reschedule", runners["A"].output_tail()
    assert vendor.done_for(request["asset"]["id"]) == STEPS[:2]
    outputs = deliver_until(eaas, request["id"], "INS-A")
    assert outputs[-1]["result"] == "success"
    assert connect.request(request["id"])["status"] == "approved"
    assert vendor.done_for(request["asset"]["id"]) == STEPS


def test_twenty_purchases_delivered_to_both_at_once_run_each_step_once(cluster):
    connect, vendor, eaas, runners = cluster
    requests = [connect.add_request(purchase(8500, number)) for number in range(20)]
    # every round sends each pending request to A and C at the same moment
    pending, outputs = deliver_to_both_until_approved(connect, eaas, requests)
    assert pending == [], runners["A"].output_tail()
    assert len(outputs) >= 2 * len(requests)  # both replicas got every request
    for request in requests:
        assert connect.request(request["id"])["status"] == "approved"
        assert vendor.done_for(request["asset"]["id"]) == STEPS
    assert {output["result"] for output in outputs} <= {"success", "reschedule", "retry", "skip"}


# it kills replica A: the last of the module
def test_a_replica_killed_after_step_two_is_resumed_by_another_at_step_three(cluster,
                                                                              cache_dir):
    connect, vendor, eaas, runners = cluster
    request = connect.add_request(purchase(8400, 1))
    licences = r"/subscriptions/[^/]+/licences"
    with vendor.hold("POST", licences) as held:
        eaas.send(EVENT, request["id"], timeout=120, instance="INS-A")
        held.wait_arrived(120)  # steps 1 and 2 are done and journaled; A is in step 3
        runners["A"].kill()
        assert runners["A"].wait_ended(120)
        held.release((502, {"message": "the client went away"}, {}))  # never applied
    assert vendor.done_for(request["asset"]["id"]) == STEPS[:2]
    # the async C reschedules while the dead replica's lease lasts
    assert eaas.deliver(EVENT, request["id"], timeout=120, instance="INS-C")["result"] == (
        "reschedule")
    # then the lease expires: rather than waiting LEASE_TTL out, the cache is looked at
    # from LEASE_TTL later, where the dead replica's lease has expired, and the expired
    # entries are flushed (the steps' journal lasts JOURNAL_TTL, days)
    lease = f"lease:{request['id']}"
    now = SQLiteCacheAdapter(str(cache_dir))
    later = SQLiteCacheAdapter(str(cache_dir), clock=lambda: time.time() + LEASE_TTL + 1)
    assert now.has(lease) and not later.has(lease)  # held, for LEASE_TTL
    later.flush(expired_only=True)
    assert not now.has(lease)
    # C goes on at step 3
    outputs = deliver_until(eaas, request["id"], "INS-C")
    assert outputs[-1]["result"] == "success", runners["C"].output_tail()
    assert {o["result"] for o in outputs[:-1]} <= {"reschedule"}
    assert connect.request(request["id"])["status"] == "approved"
    assert vendor.done_for(request["asset"]["id"]) == STEPS
    calls = [c.path for c in vendor.calls if c.method == "POST"
             and (c.body or {}).get("external_id") == request["asset"]["id"]]
    assert calls == ["/subscriptions"]  # step 2 was never called again
