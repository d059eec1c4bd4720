"""Two replicas of the example extension (RequestLease + StepJournal) on one real
redis-server: overlapping deliveries, a step slower than the runner's timeout, and a
replica killed mid-way never order a subscription twice."""

import pytest

from rndi.cache.adapters.redis.adapter import provide_redis_cache_adapter
from tests.e2e import chaos
from tests.e2e.replicas import (
    EVENT,
    deliver_to_both_until_approved,
    orders_of,
    purchase,
    wait_until,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def cluster(redis_replicas):
    """The replicas ``test_chaos.py`` uses too (``chaos.SETTINGS``: A and B give up on a
    task after 3 s, a lease lasts 10 s)."""
    revived = chaos.revived(redis_replicas)
    return revived.connect, revived.vendor, revived.eaas, revived.runners


@pytest.fixture(scope="module")
def cache_config(redis_replicas):
    return {**chaos.SETTINGS, "CACHE_REDIS_PORT": str(redis_replicas.redis.port)}


def test_twenty_requests_delivered_to_both_replicas_at_once_order_once_each(cluster):
    connect, vendor, eaas, runners = cluster
    ordered_before = len(vendor.subscriptions)  # the vendor is the chaos test's too
    # forty deliveries at once; test_chaos.py delivers thirty requests to both, faults and all
    requests = [connect.add_request(purchase(7100, number)) for number in range(20)]
    pending, outputs = deliver_to_both_until_approved(connect, eaas, requests)
    assert pending == [], runners["A"].output_tail()
    for request in requests:
        assert connect.request(request["id"])["status"] == "approved"
        assert len(orders_of(vendor, request)) == 1
    # skip: the other replica had approved the request by the time the runner looked
    assert {output["result"] for output in outputs} <= {"success", "reschedule", "retry", "skip"}
    assert len(vendor.subscriptions) - ordered_before == 20  # and no other order


def test_an_overlapping_redelivery_while_a_slow_step_runs_reschedules(cluster):
    connect, vendor, eaas, _ = cluster
    request = connect.add_request(purchase(7200, 1))
    with vendor.hold("POST", "/subscriptions") as held:
        slow = eaas.send(EVENT, request["id"], timeout=60, instance="INS-A")
        held.wait_arrived(120)  # A is inside the vendor order, holding the lease
        # A's runner gives up on the task at its 3 s timeout; its thread goes on
        assert slow.result(120)["result"] == "retry"
        redelivered = eaas.deliver(EVENT, request["id"], timeout=120, instance="INS-B")
        assert redelivered["result"] == "reschedule"
        assert orders_of(vendor, request) == []
    # released: A's thread orders once, journals it and records it on the request
    wait_until(lambda: connect.request(request["id"])["asset"]["params"][1]["value"])
    pending, _ = deliver_to_both_until_approved(connect, eaas, [request])
    assert pending == []
    assert len(orders_of(vendor, request)) == 1


def test_a_replica_killed_after_the_order_was_journaled_orders_nothing_more(cluster,
                                                                           cache_config):
    connect, vendor, eaas, runners = cluster
    request = connect.add_request(purchase(7300, 1))
    path = f"/public/v1/requests/{request['id']}"
    with connect.hold("PUT", path) as held:
        eaas.send(EVENT, request["id"], timeout=60, instance="INS-A")
        held.wait_arrived(120)  # ordered and journaled; recording it on the request
        runners["A"].kill()
        assert runners["A"].wait_ended(120)
        held.release((502, {"errors": ["the client went away"]}, {}))  # never applied
    assert len(orders_of(vendor, request)) == 1
    assert not connect.request(request["id"])["asset"]["params"][1]["value"]
    # the dead replica's lease holds the request until it expires
    assert eaas.deliver(EVENT, request["id"], timeout=120, instance="INS-B")["result"] == (
        "reschedule")
    cache = provide_redis_cache_adapter(cache_config)
    lease = f"lease:{request['id']}"
    assert 0 < cache.connection.pttl(lease) <= chaos.LEASE_TTL * 1000  # LEASE_TTL's expiry
    # its expiry comes now rather than seconds later: Redis keeps the time, so the lease's
    # clock is moved (as tests/rndi/cache moves Redis time) instead of waited out
    cache.connection.pexpire(lease, 1)
    wait_until(lambda: not cache.has(lease))
    results = []
    while connect.request(request["id"])["status"] == "pending" and len(results) < 10:
        results.append(eaas.deliver(EVENT, request["id"], timeout=120,
                                    instance="INS-B")["result"])
    assert results == ["reschedule", "success"]  # the journaled order, then approve
    assert len(orders_of(vendor, request)) == 1
