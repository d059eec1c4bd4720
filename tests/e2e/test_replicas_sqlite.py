"""Two runners on one machine sharing the SQLite cache: overlapping deliveries order once."""

import pytest

from tests.e2e.replicas import deliver_to_both_until_approved, orders_of, purchase, replicas

pytestmark = pytest.mark.e2e


def test_fifty_requests_delivered_to_both_runners_at_once_order_once_each(
        installed_extension, tls, tmp_path_factory):
    cache = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path_factory.mktemp("shared"))}
    with replicas(installed_extension, tls, cache, timeouts=("60", "60")) as cluster:
        connect, vendor, eaas, runners = cluster
        requests = [connect.add_request(purchase(7400, number)) for number in range(50)]
        pending, _ = deliver_to_both_until_approved(connect, eaas, requests)
        assert pending == [], runners["A"].output_tail()
        for request in requests:
            assert connect.request(request["id"])["status"] == "approved"
            assert len(orders_of(vendor, request)) == 1
        assert len(vendor.subscriptions) == 50
