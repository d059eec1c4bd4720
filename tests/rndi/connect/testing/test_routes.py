"""FakeHTTPService refuses what it cannot honour: a route declared twice, calls after
stop(); and a slow route's delay lets its calls overlap, as at a real vendor."""

import re
import threading

import pytest
import requests

from rndi.connect.testing import FakeHTTPService

GENEROUS = 60  # seconds to wait for a condition on a loaded machine; never reached


def call_in_thread(method, url, outcomes, **kwargs):
    """Start ``method url`` in a thread; its status code or exception type is appended to
    ``outcomes``."""
    def run():
        try:
            outcomes.append(requests.request(method, url, timeout=GENEROUS, **kwargs)
                            .status_code)
        except requests.RequestException as e:
            outcomes.append(type(e))

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def joined(threads):
    for thread in threads:
        thread.join(GENEROUS)
    return not any(thread.is_alive() for thread in threads)


def test_a_second_route_for_the_same_method_and_path_is_refused():
    service = FakeHTTPService()
    service.route("GET", "/orders", lambda call: (200, {"first": True}, {}))
    with pytest.raises(ValueError, match=r"A route for GET /orders exists already "
                                         r"\(test_a_second.*<lambda>\); a second one would "
                                         r"never answer\. Pass replace=True to replace it\."):
        service.route("get", "/orders", lambda call: (200, {"second": True}, {}))
    service.route("POST", "/orders", lambda call: (201, {"created": True}, {}))  # another method
    with service:
        assert requests.get(f"{service.url}/orders", timeout=GENEROUS).json() == {"first": True}
        assert requests.post(f"{service.url}/orders", timeout=GENEROUS).status_code == 201


def test_a_second_route_is_refused_whether_its_pattern_is_compiled_or_not():
    service = FakeHTTPService()
    service.route("GET", re.compile("/orders"), lambda call: (200, {"first": True}, {}))
    for again in (re.compile("/orders"), "/orders"):
        with pytest.raises(ValueError, match=r"A route for GET /orders exists already"):
            service.route("GET", again, lambda call: (200, {"second": True}, {}))
    service.route("GET", re.compile("/orders"), lambda call: (200, {"third": True}, {}),
                  replace=True)
    with service:
        assert requests.get(f"{service.url}/orders", timeout=GENEROUS).json() == {"third": True}


def test_replace_true_replaces_the_first_route_in_its_place():
    service = FakeHTTPService()
    service.route("GET", "/orders/(?P<order>.+)", lambda call, order: (200, {"old": order}, {}))
    service.route("GET", "/orders/.*", lambda call: (200, {"catch-all": True}, {}))
    service.route("GET", "/orders/(?P<order>.+)", lambda call, order: (200, {"new": order}, {}),
                  replace=True)
    with service:
        # still tried before the catch-all declared after it
        assert requests.get(f"{service.url}/orders/A", timeout=GENEROUS).json() == {"new": "A"}


@pytest.mark.parametrize("delay", [-1, float("nan"), float("inf"), "2", True, None])
def test_a_delay_that_is_not_seconds_is_refused(delay):
    with pytest.raises(ValueError, match=r"route\(delay=\.\.\.\) takes a number of seconds"):
        FakeHTTPService().route("GET", "/x", lambda call: (200, None, {}), delay=delay)


def test_stop_drops_a_held_call_it_is_never_recorded_nor_applied():
    applied = []
    service = FakeHTTPService()
    service.route("POST", "/orders", lambda call: applied.append(call.body) or (201, {}, {}))
    service.start()
    outcomes = []
    held = service.hold("POST", "/orders")
    thread = call_in_thread("POST", f"{service.url}/orders", outcomes, json={"sku": "A"})
    held.wait_arrived(GENEROUS)
    service.stop()
    assert joined([thread])
    assert outcomes == [requests.ConnectionError]  # the connection closed, no answer
    assert service.calls == [] and applied == []


class SlowVendor(FakeHTTPService):
    """A vendor whose order creation is slow; its state changes only in its routes."""

    def __init__(self, delay):
        super().__init__()
        self.orders = []
        self.inside = 0      # routes running now
        self.most_inside = 0
        self.route("POST", "/orders", self.create, delay=delay)
        self.route("GET", "/health", lambda call: (200, {"ok": True}, {}))

    def create(self, call):
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        self.orders.append(f"ORD-{len(self.orders) + 1}")
        self.inside -= 1
        return 201, {"id": self.orders[-1]}, {}


def test_ten_calls_to_a_slow_route_are_all_in_flight_at_once_and_others_go_on():
    outcomes = []
    with SlowVendor(delay=3600) as vendor:  # answered after an hour: only stop() ends them
        threads = [call_in_thread("POST", f"{vendor.url}/orders", outcomes, json={})
                   for _ in range(10)]
        assert vendor.wait_in_flight(10, GENEROUS) == 10
        assert requests.get(f"{vendor.url}/health", timeout=GENEROUS).json() == {"ok": True}
        assert [call.path for call in vendor.calls] == ["/health"]
        assert outcomes == []
    assert joined(threads)  # stop() cut their delay short and dropped them
    assert outcomes == [requests.ConnectionError] * 10
    assert vendor.orders == [] and [call.path for call in vendor.calls] == ["/health"]


def test_delayed_calls_are_answered_and_recorded_with_their_effect_one_route_at_a_time():
    outcomes = []
    with SlowVendor(delay=0.05) as vendor:
        threads = [call_in_thread("POST", f"{vendor.url}/orders", outcomes, json={})
                   for _ in range(10)]
        assert joined(threads)
        assert outcomes == [201] * 10
        assert len(vendor.calls) == len(vendor.orders) == 10
        assert sorted(vendor.orders) == sorted(f"ORD-{n}" for n in range(1, 11))
        assert vendor.most_inside == 1  # handlers ran one at a time, under the lock


def test_waiting_for_calls_in_flight_that_never_come_says_so():
    with FakeHTTPService() as service, pytest.raises(
            TimeoutError, match=r"0 of 2 calls were in flight within 0\.05 s"):
        service.wait_in_flight(2, 0.05)


def test_a_stopped_service_serves_again_after_start():
    service = FakeHTTPService()
    service.route("GET", "/ping", lambda call: (200, {"pong": True}, {}))
    with service:
        pass
    with service:
        assert requests.get(f"{service.url}/ping", timeout=GENEROUS).json() == {"pong": True}


def test_a_route_may_add_a_route_while_it_runs():
    service = FakeHTTPService()

    def open_orders(call):
        service.route("GET", "/orders", lambda call: (200, [], {}), replace=True)
        return 204, None, {}

    service.route("POST", "/open", open_orders)
    with service:
        assert requests.post(f"{service.url}/open", timeout=GENEROUS).status_code == 204
        assert requests.get(f"{service.url}/orders", timeout=GENEROUS).json() == []
