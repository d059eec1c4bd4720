"""The example extension end to end: real ConnectClient, Connect stand-in, fake vendor."""

import io
import logging
from types import SimpleNamespace

import pytest
from purchase_extension.extension import PurchaseExtension
from purchase_extension.saga import PurchaseSaga
from purchase_extension.vendor import FakeVendorAPI, VendorClient

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_objects import Request
from rndi.connect.testing import ConnectAPI, HTTPError

LOGGER = logging.getLogger("tests.example")
TEMPLATE = "TL-111-222-333"


@pytest.fixture
def services():
    with ConnectAPI() as connect, FakeVendorAPI(provisioning_polls=1) as vendor:
        yield connect, vendor


def config(vendor, tmp_path):
    return {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
            "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}


def deliver_until_done(connect, vendor, tmp_path, request_id, limit=8):
    """Deliver like Connect does: fetch the pending request, hand it to the handler."""
    results = []
    for _ in range(limit):
        client = connect.client()
        request = client.requests[request_id].get()
        if request["status"] != "pending":
            break
        extension = PurchaseExtension(client, LOGGER, config(vendor, tmp_path))
        results.append(extension.handle_purchase_request(request).status)
    return results


def test_purchase_goes_from_pending_to_approved_over_three_deliveries(
        services, tmp_path, purchase_request):
    connect, vendor = services
    connect.add_request(purchase_request)
    request_id = purchase_request["id"]
    results = deliver_until_done(connect, vendor, tmp_path, request_id)
    assert results == ["reschedule", "reschedule", "success"]
    final = connect.request(request_id)
    assert final["status"] == "approved"
    (subscription_id,) = vendor.subscriptions
    assert Request(final).asset().param("CAT_SUBSCRIPTION_ID", "value") == subscription_id
    (update,) = connect.calls_to("PUT", f"requests/{request_id}")
    assert update.body == {"asset": {"params": [
        {"id": "CAT_SUBSCRIPTION_ID", "value": subscription_id}]}}
    (approve,) = connect.calls_to("POST", f"requests/{request_id}/approve")
    assert approve.body == {"template_id": TEMPLATE}
    assert approve.headers["Authorization"].startswith("ApiKey")
    assert [c.method + " " + c.path for c in vendor.calls] == [
        "POST /customers", "POST /subscriptions",
        f"GET /subscriptions/{subscription_id}", f"GET /subscriptions/{subscription_id}"]


def test_vendor_customer_ids_are_cached_across_events(services, tmp_path, make_purchase):
    connect, vendor = services
    for number in (1, 2):
        connect.add_request(make_purchase(number, customer_id="TA-SAME-CUSTOMER"))
        assert deliver_until_done(connect, vendor, tmp_path,
                                  f"PR-0000-0000-0000-{number:03d}")[-1] == "success"
    assert [c.path for c in vendor.calls].count("/customers") == 1
    cached = SQLiteCacheAdapter(str(tmp_path)).get("vendor-customer:TA-SAME-CUSTOMER")
    assert cached == vendor.customers["TA-SAME-CUSTOMER"]["id"]


def test_vendor_refusal_fails_the_request_through_compensation(tmp_path, purchase_request):
    with ConnectAPI([purchase_request]) as connect, \
            FakeVendorAPI(reject_reason="Unknown product MPN-CAT-IMG") as vendor:
        client = connect.client()
        extension = PurchaseExtension(client, LOGGER, config(vendor, tmp_path))
        response = extension.handle_purchase_request(purchase_request)
        assert response.status == "fail"
        assert "Unknown product MPN-CAT-IMG" in response.output
        (fail,) = connect.calls_to("POST", f"requests/{purchase_request['id']}/fail")
        assert "Unknown product MPN-CAT-IMG" in fail.body["reason"]
        assert connect.request(purchase_request["id"])["status"] == "failed"


def test_offline_asset_is_approved_without_any_vendor_call(services, tmp_path,
                                                           purchase_request):
    connect, vendor = services
    asset_id = purchase_request["asset"]["id"]
    Request(purchase_request).asset().with_configuration_param(
        "offline_mode_list", [asset_id])
    connect.add_request(purchase_request)
    results = deliver_until_done(connect, vendor, tmp_path, purchase_request["id"])
    assert results == ["success"]
    assert vendor.calls == []
    (approve,) = connect.calls_to("POST", f"requests/{purchase_request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}


def test_saga_selects_by_request_state(services, tmp_path, purchase_request):
    connect, vendor = services
    saga = PurchaseSaga.make(config(vendor, tmp_path), connect.client(), LOGGER)
    request = Request(purchase_request)
    assert saga.resolve(request.raw()) is not None
    assert saga.selected.name() == "Create subscription"


def test_demo_prints_every_delivery_and_ends_approved():
    import demo  # examples/demo.py, found through the examples path below

    out = io.StringIO()
    assert demo.run(out=out) == "approved"
    text = out.getvalue()
    blocks = text.split("\ndelivery ")[1:]
    assert [block.split(":", 1)[0] for block in blocks] == ["1", "2", "3"]
    assert "result:  transaction 'Create subscription' -> reschedule" in blocks[0]
    # the vendor call of a delivery is printed in that delivery's block, not the next one
    assert "vendor:  POST /subscriptions" in blocks[0]
    assert "vendor:  POST /subscriptions" not in blocks[1]
    assert "result:  transaction 'Approve request' -> success" in blocks[2]
    assert '/approve {"template_id": "TL-662-440-096"}' in blocks[2]
    # the vendor numbers each kind of record on its own
    assert "CAT_SUBSCRIPTION_ID=SUB-0001" in text


def test_the_saga_wiring_is_complete_for_every_sample(saga_check, purchase_request):
    config = {"ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": "http://vendor",
              "CACHE_DRIVER": "sqlite"}
    cancel = {**purchase_request, "id": "PR-0000-0000-0000-002", "type": "cancel"}
    saga_check(PurchaseSaga, config, [purchase_request, cancel])


def test_without_the_activation_template_check_names_every_consumer():
    problems = PurchaseSaga.check({"VENDOR_API_URL": "http://vendor", "CACHE_DRIVER": "sqlite"})
    assert [p.path for p in problems] == [
        ("OfflineCriteria", "on_match", "activation_tpl", "activation_template"),
        ("ApproveRequest", "activation_template"),
    ]


def test_on_the_null_cache_check_says_the_lease_and_journal_protect_nothing():
    problems = PurchaseSaga.check({"VENDOR_API_URL": "http://vendor", "ACTIVATION_TEMPLATE": "T"})
    assert [(p.kind, p.name) for p in problems] == [("unsafe", "RequestLease"),
                                                    ("unsafe", "journal")]


class FlakyConnect(ConnectAPI):
    """Connect answering 502 to a first parameter update and its three retries (the
    client's own), after the vendor order."""

    bad_gateways = 4

    def _update_asset_request(self, call, object_id):
        if self.bad_gateways:
            self.bad_gateways -= 1
            raise HTTPError(502, {"error_code": "HTTP_502", "errors": ["Bad gateway"]})
        return super()._update_asset_request(call, object_id)


def test_a_failed_parameter_update_does_not_order_a_second_subscription(tmp_path,
                                                                        purchase_request,
                                                                        monkeypatch):
    # the client waits a second before each of its retries: the retries are the point here
    import connect.client.mixins

    monkeypatch.setattr(connect.client.mixins, "time", SimpleNamespace(sleep=lambda _: None))
    with FlakyConnect([purchase_request]) as connect, FakeVendorAPI() as vendor:
        results = deliver_until_done(connect, vendor, tmp_path, purchase_request["id"])
    assert results == ["reschedule", "reschedule", "reschedule", "success"]
    assert len(connect.calls_to("PUT", f"requests/{purchase_request['id']}")) == 4 + 1
    orders = [call for call in vendor.calls if call.path == "/subscriptions"]
    assert len(orders) == 1 and len(vendor.subscriptions) == 1
    assert len(orders[0].headers["Idempotency-Key"]) == 36  # the journal's key, a UUID
    assert connect.request(purchase_request["id"])["status"] == "approved"


def test_the_vendor_answers_a_repeated_order_key_with_the_first_subscription():
    with FakeVendorAPI() as vendor:
        client = VendorClient(vendor.url)
        first = client.create_subscription("CUS-1", "AS-1", [], idempotency_key="k-1")
        again = client.create_subscription("CUS-1", "AS-1", [], idempotency_key="k-1")
        other = client.create_subscription("CUS-1", "AS-1", [])
    assert first["id"] == again["id"] != other["id"]
    assert len(vendor.subscriptions) == 2
