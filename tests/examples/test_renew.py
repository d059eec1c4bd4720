"""The example extension renews what it purchased: a renew request of the asset renews
the vendor subscription once, then is approved; the asset stays active."""

import copy
import logging
import threading

import pytest
from purchase_extension.extension import PurchaseExtension
from purchase_extension.vendor import FakeVendorAPI

from rndi.connect.testing import ConnectAPI

LOGGER = logging.getLogger("tests.example.renew")
TEMPLATE = "TL-111-222-333"


def renew_of(purchase, subscription_id):
    """The renew request Connect sends for the asset the purchase provisioned."""
    renew = copy.deepcopy(purchase)
    renew["id"] = "PR-0000-0000-0000-101"
    renew["type"] = "renew"
    renew["status"] = "pending"
    renew["asset"]["status"] = "active"
    for param in renew["asset"]["params"]:
        if param["id"] == "CAT_SUBSCRIPTION_ID":
            param["value"] = subscription_id
    return renew


@pytest.fixture
def provisioned(purchase_request, tmp_path):
    """The Connect stand-in and the vendor, after the example provisioned the purchase."""
    with ConnectAPI([purchase_request]) as connect, FakeVendorAPI(provisioning_polls=0) as vendor:
        settings = {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
                    "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
        for _ in range(3):
            request = connect.client().requests[purchase_request["id"]].get()
            if request["status"] != "pending":
                break
            PurchaseExtension(connect.client(), LOGGER, settings).handle_purchase_request(request)
        (subscription_id,) = vendor.subscriptions
        yield connect, vendor, settings, subscription_id


def deliver(connect, settings, request_id):
    request = connect.client().requests[request_id].get()
    return PurchaseExtension(connect.client(), LOGGER, settings).handle_renew_request(request)


def test_a_renew_renews_the_vendor_subscription_and_is_approved(provisioned, purchase_request):
    connect, vendor, settings, subscription_id = provisioned
    renew = connect.add_request(renew_of(purchase_request, subscription_id))
    assert deliver(connect, settings, renew["id"]).status == "success"
    final = connect.request(renew["id"])
    assert (final["status"], final["asset"]["status"]) == ("approved", "active")
    assert vendor.subscriptions[subscription_id]["term"] == 2
    (approve,) = connect.calls_to("POST", f"requests/{renew['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}


def test_a_redelivered_renew_adds_no_second_term(provisioned, purchase_request):
    connect, vendor, settings, subscription_id = provisioned
    renew = connect.add_request(renew_of(purchase_request, subscription_id))
    results = []
    # Connect is down for the first approval: the renewal went through, the request not
    with connect.hold("POST", f"/public/v1/requests/{renew['id']}/approve") as held:
        worker = threading.Thread(target=lambda: results.append(
            deliver(connect, settings, renew["id"]).status))
        worker.start()
        held.wait_arrived(60)
        held.release((400, {"error_code": "REQ_003", "errors": ["Try again."]}, {}))
        worker.join(60)
    assert results == ["reschedule"]
    assert deliver(connect, settings, renew["id"]).status == "success"
    renewals = [call for call in vendor.calls if call.path.endswith("/renew")]
    assert len(renewals) == 1
    assert vendor.subscriptions[subscription_id]["term"] == 2


def test_a_renew_of_an_asset_without_subscription_fails_with_the_reason(
        provisioned, purchase_request):
    connect, vendor, settings, _ = provisioned
    renew = connect.add_request(renew_of(purchase_request, ""))
    assert deliver(connect, settings, renew["id"]).status == "fail"
    final = connect.request(renew["id"])
    assert final["status"] == "failed"
    assert final["reason"] == "The asset has no vendor subscription to renew."
    assert not [call for call in vendor.calls if call.path.endswith("/renew")]
