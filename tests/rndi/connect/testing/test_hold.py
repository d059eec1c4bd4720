"""FakeHTTPService.hold: a call held mid-way while the others go on."""

import threading

import pytest
import requests

from rndi.connect.testing import FakeHTTPService


@pytest.fixture
def service():
    service = FakeHTTPService()
    service.route("PUT", "/things/(?P<name>[^/]+)", lambda call, name: (200, {"put": name}, {}))
    service.route("GET", "/things/(?P<name>[^/]+)", lambda call, name: (200, {"got": name}, {}))
    with service:
        yield service


def test_a_held_call_waits_while_other_calls_are_answered(service):
    answers = {}
    with service.hold("PUT", "/things/a") as held:
        putting = threading.Thread(target=lambda: answers.update(
            a=requests.put(f"{service.url}/things/a", json={}, timeout=60).json()))
        putting.start()
        (arrived,) = held.wait_arrived(60)
        assert (arrived.method, arrived.path) == ("PUT", "/things/a")
        assert requests.get(f"{service.url}/things/a", timeout=60).json() == {"got": "a"}
        assert requests.put(f"{service.url}/things/b", json={}, timeout=60).json() == {"put": "b"}
        assert "a" not in answers
        assert [call.path for call in service.calls] == ["/things/a", "/things/b"]  # not yet
    putting.join(60)
    assert answers == {"a": {"put": "a"}}
    assert [call.method for call in service.calls] == ["GET", "PUT", "PUT"]


def test_waiting_for_a_call_that_never_comes_says_so(service):
    with service.hold("PUT", "/things/a") as held, pytest.raises(
            TimeoutError, match="0 of 1 PUT calls to /things/a arrived"):
        held.wait_arrived(0.05)
    assert requests.put(f"{service.url}/things/a", json={}, timeout=60).json() == {"put": "a"}


def test_released_with_an_answer_the_held_call_never_reaches_its_route(service):
    applied = []
    service.route("POST", "/apply", lambda call: applied.append(call.body) or (200, {}, {}))
    answers = {}
    with service.hold("POST", "/apply") as held:
        posting = threading.Thread(target=lambda: answers.update(
            status=requests.post(f"{service.url}/apply", json={"n": 1}, timeout=60).status_code))
        posting.start()
        held.wait_arrived(60)
        held.release((503, {"errors": ["gone"]}, {}))
    posting.join(60)
    assert answers == {"status": 503} and applied == []
    assert requests.post(f"{service.url}/apply", json={"n": 2}, timeout=60).status_code == 200
    assert applied == [{"n": 2}]


def test_a_hold_with_where_holds_only_the_calls_it_picks(service):
    service.route("POST", "/orders", lambda call: (201, call.body, {}))
    answers = {}
    with service.hold("POST", "/orders",
                      where=lambda call: call.body.get("customer") == "slow") as held:
        posting = threading.Thread(target=lambda: answers.update(slow=requests.post(
            f"{service.url}/orders", json={"customer": "slow"}, timeout=60).json()))
        posting.start()
        held.wait_arrived(60)
        assert requests.post(f"{service.url}/orders", json={"customer": "fast"},
                             timeout=60).json() == {"customer": "fast"}
        assert "slow" not in answers
        assert [call.body for call in held.arrived] == [{"customer": "slow"}]
    posting.join(60)
    assert answers == {"slow": {"customer": "slow"}}
