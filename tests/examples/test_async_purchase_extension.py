"""The async example extension: its async def handler on a real AsyncConnectClient, with
the fixtures of this package's pytest plugin used from async tests (anyio's plugin runs
them here; pytest-asyncio works the same way)."""

import logging

import pytest
from async_purchase_extension.extension import AsyncPurchaseExtension
from async_purchase_extension.saga import AsyncPurchaseSaga
from purchase_extension.saga import PurchaseSaga
from purchase_extension.vendor import FakeVendorAPI

from rndi.connect.business_objects import Request
from rndi.connect.business_transactions import SyncAsyncMismatch

LOGGER = logging.getLogger("tests.async_example")
TEMPLATE = "TL-444-555-666"

pytestmark = pytest.mark.anyio


@pytest.fixture
def vendor():
    with FakeVendorAPI(provisioning_polls=1) as vendor:
        yield vendor


def config(vendor, tmp_path):
    return {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
            "VENDOR_API_KEY": "k", "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}


async def deliver_until_done(connect, vendor, tmp_path, request_id, limit=8):
    """Deliver like the runner does to an async handler: an AsyncConnectClient."""
    results = []
    for _ in range(limit):
        client = connect.async_client()
        request = await client.requests[request_id].get()
        if request["status"] != "pending":
            break
        extension = AsyncPurchaseExtension(client, LOGGER, config(vendor, tmp_path))
        results.append((await extension.handle_purchase_request(request)).status)
    return results


async def test_purchase_is_approved_over_three_deliveries(connect_api, vendor, tmp_path,
                                                          purchase_request):
    connect = connect_api(purchase_request)
    request_id = purchase_request["id"]
    results = await deliver_until_done(connect, vendor, tmp_path, request_id)
    assert results == ["reschedule", "reschedule", "success"]
    final = connect.request(request_id)
    assert final["status"] == "approved"
    (subscription_id,) = vendor.subscriptions
    assert Request(final).asset().param("CAT_SUBSCRIPTION_ID", "value") == subscription_id
    (approve,) = connect.calls_to("POST", f"requests/{request_id}/approve")
    assert approve.body == {"template_id": TEMPLATE}
    assert [c.method + " " + c.path for c in vendor.calls] == [
        "POST /customers", "POST /subscriptions",
        f"GET /subscriptions/{subscription_id}", f"GET /subscriptions/{subscription_id}"]
    assert vendor.calls[0].headers["Authorization"] == "Bearer k"


async def test_vendor_refusal_fails_the_request(connect_api, tmp_path, purchase_request):
    connect = connect_api(purchase_request)
    with FakeVendorAPI(reject_reason="Unknown product MPN-CAT-IMG") as vendor:
        extension = AsyncPurchaseExtension(connect.async_client(), LOGGER,
                                           config(vendor, tmp_path))
        response = await extension.handle_purchase_request(purchase_request)
    assert response.status == "fail" and "Unknown product" in response.output
    assert connect.request(purchase_request["id"])["status"] == "failed"


async def test_offline_asset_is_approved_through_the_async_client(connect_api, vendor, tmp_path,
                                                                  purchase_request):
    Request(purchase_request).asset().with_configuration_param(
        "offline_mode_list", [purchase_request["asset"]["id"]])
    connect = connect_api(purchase_request)
    results = await deliver_until_done(connect, vendor, tmp_path, purchase_request["id"])
    assert results == ["success"]
    assert vendor.calls == []
    (approve,) = connect.calls_to("POST", f"requests/{purchase_request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}


async def test_the_sync_saga_in_an_async_handler_stops_before_the_vendor(
        connect_api, vendor, tmp_path, purchase_request):
    connect = connect_api(purchase_request)
    saga = PurchaseSaga.make(config(vendor, tmp_path), connect.async_client(), LOGGER,
                             purchase_request)
    with pytest.raises(SyncAsyncMismatch, match="aresolve"):
        saga.resolve(purchase_request)
    assert vendor.calls == [] and connect.calls == []


async def test_the_async_saga_wiring_is_complete(saga_check, vendor_api, purchase_request):
    saga_check(AsyncPurchaseSaga, {"ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": vendor_api.url,
                                   "VENDOR_API_KEY": "k", "CACHE_DRIVER": "redis"},
               [purchase_request])


async def test_the_async_handlers_validate_a_draft_and_reconcile(connect_api, vendor,
                                                                 tmp_path, purchase_request):
    from purchase_extension.schedules import customer_key

    from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter

    connect = connect_api(purchase_request)
    client = connect.async_client()
    extension = AsyncPurchaseExtension(client, LOGGER, config(vendor, tmp_path))
    vendor.order_types = {"ASC"}
    draft = Request(dict(purchase_request)).with_status("draft").raw()
    validated = await extension.validate_purchase_request(draft)
    assert Request(validated.body).asset().param("ORDER_TYPE", "value_error") == (
        "The vendor does not offer the order type RANDOM.")

    # an order placed: the customer is cached; then the vendor forgets it
    request = await client.requests[purchase_request["id"]].get()
    assert (await extension.handle_purchase_request(request)).status == "reschedule"
    tier_account = purchase_request["asset"]["tiers"]["customer"]["id"]
    vendor.customers.clear()
    done = await extension.reconcile_vendor_customers({"id": "EFS-1", "method": "x"})
    assert (done.status, done.output) == (
        "success", "1 cached vendor customer checked, 1 no longer known to the vendor removed.")
    assert SQLiteCacheAdapter(str(tmp_path)).get(customer_key(tier_account)) is None
