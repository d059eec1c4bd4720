"""Exactly once under faults, under the real runner (see ``chaos.py``): 30 purchases,
each delivered to both replicas, while Redis stalls three times, replica A dies inside a
vendor order and comes back, and a vendor order outlives the handler timeout. Every
request ends approved, with one vendor order and one approve. ``benchmarks/chaos.py``
runs the same with 500."""

import pytest

from tests.e2e import chaos

# the longest proof of the suite: left out of the default run, run by pytest -m slow
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# enough for every fault to meet requests in flight (the test below checks that it did);
# the throughput of a long run is the benchmark's
REQUESTS = 30


@pytest.fixture(scope="module")
def outcome(redis_replicas):
    return chaos.run(chaos.revived(redis_replicas), REQUESTS, series=7500)


def test_every_request_ends_approved_with_one_vendor_order(outcome):
    assert outcome.lost == 0, [i for i, s in outcome.statuses.items() if s != "approved"]
    assert set(outcome.statuses.values()) == {"approved"}
    # vendor side effects: the distinct orders the vendor created
    assert set(outcome.orders.values()) == {1}
    assert {output["result"] for _, _, output in outcome.outputs} <= {
        "success", "reschedule", "retry", "skip"}


@pytest.mark.xfail(strict=False, reason="the documented limit: a done answer whose record is "
                   "lost to a Redis pause at the moment it is written lets an older copy "
                   "approve again (Connect refuses it: a 400). Most runs pass")
def test_every_request_is_approved_once(outcome):
    # the extension approves outside any journal: only the lease stands in the way
    assert {i: n for i, n in outcome.approves.items() if n != 1} == {}
    assert outcome.duplicates == 0


def test_the_faults_met_requests_in_flight(outcome):
    faults = outcome.faults
    assert sorted(faults.happened) == sorted([
        "redis paused", "redis paused", "redis paused",
        "replica A killed inside a vendor order and restarted",
        "vendor order outlived the handler timeout"])
    assert all(pending > 0 for pending in faults.paused_while_pending)
    assert outcome.fault_lines > 0  # the lease or the journal met a stalled Redis
    assert outcome.lost_deliveries > 0  # deliveries died with replica A
    # the runner gave up on the slow order's delivery; its thread went on and ordered
    assert "retry" in {output["result"] for _, output in
                       faults.deliveries.answered(faults.slow_id)}
    assert outcome.orders[faults.slow_id] == 1
    # A died inside the order and the vendor took it: a redelivery ordered again, with
    # the same idempotency key, and got the same subscription back
    assert outcome.order_calls[faults.crashed_id] >= 2
    assert outcome.orders[faults.crashed_id] == 1
