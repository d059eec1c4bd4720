"""The example extension's draft validation and nightly reconciliation, through its
handlers: real ConnectClient, Connect stand-in, fake vendor, a real SQLite cache."""

import logging

import pytest
from purchase_extension.extension import PurchaseExtension
from purchase_extension.schedules import NightlyReconciliation, customer_key
from purchase_extension.validation import PurchaseValidation
from purchase_extension.vendor import FakeVendorAPI

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_objects import Request
from rndi.connect.testing import ConnectAPI

LOGGER = logging.getLogger("tests.example.flows")
SCHEDULE = {"id": "EFS-0000-0000-0001", "method": "reconcile_vendor_customers",
            "parameter": {}}


@pytest.fixture
def services():
    with ConnectAPI() as connect, FakeVendorAPI(order_types=["ASC", "DESC"]) as vendor:
        yield connect, vendor


def extension(connect, vendor, tmp_path):
    return PurchaseExtension(connect.client(), LOGGER, {
        "ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": vendor.url,
        "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)})


def draft(purchase_request, order_type):
    request = Request(purchase_request).with_status("draft")
    request.asset().with_param("ORDER_TYPE", order_type)
    return request.raw()


def order_type_param(response):
    return Request(response.body).asset().param("ORDER_TYPE")


def test_an_order_type_the_vendor_does_not_offer_gets_a_value_error(
        services, tmp_path, purchase_request, caplog):
    connect, vendor = services
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    response = extension(connect, vendor, tmp_path).validate_purchase_request(
        draft(purchase_request, "RANDOM"))
    assert (response.status, response.data["http_status"]) == ("success", 200)
    param = order_type_param(response)
    assert (param["value"], param["value_error"]) == (
        "RANDOM", "The vendor does not offer the order type RANDOM.")
    assert response.body["id"] == purchase_request["id"]
    assert [f"{c.method} {c.path}" for c in vendor.calls] == ["GET /order-types/RANDOM"]
    assert connect.calls == []  # a validation answers; it changes nothing in Connect
    assert (f"{purchase_request['id']} Order type refused: The vendor does not offer the "
            "order type RANDOM.") in caplog.text


@pytest.mark.parametrize(("order_type", "error"), [
    ("DESC", ""), ("", "Choose an order type.")])
def test_an_offered_order_type_clears_the_error_and_an_empty_one_asks_for_it(
        services, tmp_path, purchase_request, order_type, error):
    connect, vendor = services
    request = draft(purchase_request, order_type)
    Request(request).asset().with_param("ORDER_TYPE", order_type, value_error="stale")
    response = extension(connect, vendor, tmp_path).validate_purchase_request(request)
    assert response.status == "success"
    assert order_type_param(response)["value_error"] == error


def test_an_unreachable_vendor_fails_the_validation_with_the_request(
        tmp_path, purchase_request):
    with ConnectAPI() as connect, FakeVendorAPI() as vendor:
        down = extension(connect, vendor, tmp_path)
    response = down.validate_purchase_request(draft(purchase_request, "ASC"))
    assert (response.status, response.data["http_status"]) == ("fail", 400)
    assert response.output.startswith("The vendor could not be asked about ASC: Vendor API "
                                      "unreachable")
    assert response.body["id"] == purchase_request["id"]


def test_the_reconciliation_removes_a_cached_customer_the_vendor_no_longer_knows(
        services, tmp_path, make_purchase):
    connect, vendor = services
    ext = extension(connect, vendor, tmp_path)
    first, second = (connect.add_request(make_purchase(n, customer_id=f"TA-{n}"))
                     for n in (1, 2))
    for request in (first, second):  # orders placed: customers cached, still pending
        assert ext.handle_purchase_request(connect.request(request["id"])).status == (
            "reschedule")
    cache = SQLiteCacheAdapter(str(tmp_path))
    gone = cache.get(customer_key("TA-1"))
    del vendor.customers["TA-1"]  # the vendor removed that customer

    response = ext.reconcile_vendor_customers(dict(SCHEDULE))
    assert (response.status, response.output) == (
        "success", "2 cached vendor customers checked, 1 no longer known to the vendor "
                   "removed.")
    assert cache.get(customer_key("TA-1")) is None
    assert cache.get(customer_key("TA-2")) == vendor.customers["TA-2"]["id"]
    assert f"GET /customers/{gone}" in [f"{c.method} {c.path}" for c in vendor.calls]
    # Connect was asked for the pending requests, the way the client filters
    (listing,) = [call for call in connect.calls if call.path.endswith("/requests")]
    assert listing.query.startswith("eq(status,pending)")


def test_the_flows_wiring_is_complete(saga_check, purchase_request):
    config = {"VENDOR_API_URL": "http://vendor", "CACHE_DRIVER": "sqlite"}
    saga_check(PurchaseValidation, config, [draft(purchase_request, "ASC")])
    saga_check(NightlyReconciliation, config)
