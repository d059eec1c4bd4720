"""The multi-step example extension, sync and async handlers, in process: a real
ConnectClient (or AsyncConnectClient) on the Connect stand-in, the vendor stand-in
counting what each call did, a real SQLite cache."""

import asyncio
import logging

import pytest
from async_multistep_extension.extension import AsyncMultiStepPurchaseExtension
from async_multistep_extension.saga import AsyncMultiStepPurchaseSaga
from multistep_extension.extension import MultiStepPurchaseExtension
from multistep_extension.saga import MultiStepPurchaseSaga
from multistep_extension.vendor import FakeLicensingVendor

LOGGER = logging.getLogger("tests.multistep_example")
pytestmark = pytest.mark.anyio
TEMPLATE = "TL-777-000-001"


@pytest.fixture(params=["sync", "async"])
def world(request):
    return request.param


@pytest.fixture
def vendor():
    with FakeLicensingVendor() as vendor:
        yield vendor


async def deliver(world, connect, vendor, tmp_path, request_id):
    """One delivery, as the runner makes it: a sync handler in a thread of its own, an
    async one on the loop."""
    config = {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
              "VENDOR_API_KEY": "k", "CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
    if world == "sync":
        def handle():
            request = connect.client().requests[request_id].get()
            extension = MultiStepPurchaseExtension(connect.client(), LOGGER, config)
            return extension.handle_purchase_request(request)
        return await asyncio.to_thread(handle)
    client = connect.async_client()
    request = await client.requests[request_id].get()
    extension = AsyncMultiStepPurchaseExtension(client, LOGGER, config)
    return await extension.handle_purchase_request(request)


async def test_the_four_steps_provision_and_approve_once_each(world, connect_api, vendor, tmp_path,
                                                        purchase_request):
    connect = connect_api(purchase_request)
    answer = await deliver(world, connect, vendor, tmp_path, purchase_request["id"])
    assert answer.status == "success"
    assert connect.request(purchase_request["id"])["status"] == "approved"
    assert [entry[0] for entry in vendor.log] == [
        "create_customer", "create_subscription", "assign_licences"]
    (subscription,) = vendor.subscriptions.values()
    assert subscription["customer_id"] in vendor.customers and subscription["licences"]


async def test_a_refused_licence_undoes_subscription_then_customer(world, connect_api, vendor,
                                                             tmp_path, purchase_request):
    connect = connect_api(purchase_request)
    vendor.refuse_licences = "No seats for MPN-X"
    answer = await deliver(world, connect, vendor, tmp_path, purchase_request["id"])
    assert answer.status == "fail"
    error = "HTTPError" if world == "sync" else "HTTPStatusError"  # requests', httpx's
    assert answer.output == (f"Purchase: step 'licences' (3 of 4) failed ({error}); undone: "
                             "'subscription', 'customer'.")
    failed = connect.request(purchase_request["id"])
    assert failed["status"] == "failed" and failed["reason"] == answer.output
    assert [entry[0] for entry in vendor.log] == [
        "create_customer", "create_subscription", "cancel_subscription", "delete_customer"]
    assert vendor.customers == {} and vendor.subscriptions == {}


async def test_transient_503s_reschedule_with_growing_countdowns(world, connect_api, vendor,
                                                                tmp_path, purchase_request):
    connect = connect_api(purchase_request)
    vendor.unavailable = 2
    answers = [await deliver(world, connect, vendor, tmp_path, purchase_request["id"])
               for _ in range(3)]
    assert [a.status for a in answers] == ["reschedule", "reschedule", "success"]
    assert 60 <= answers[0].countdown < answers[1].countdown
    assert vendor.effects == {"create_customer": 1, "create_subscription": 1,
                              "assign_licences": 1}


async def test_the_sagas_are_wired_and_explain_their_steps():
    config = {"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": "http://vendor",
              "CACHE_DRIVER": "sqlite"}
    for saga in (MultiStepPurchaseSaga, AsyncMultiStepPurchaseSaga):
        assert saga.check(config) == []
        text = saga.explain(config)
        assert "3. 'licences': " in text and "subscription <- the result of step " \
            "'subscription'" in text


def test_rndi_saga_explain_lists_the_steps_and_what_each_is_given(capsys, monkeypatch):
    from rndi.connect.devops_fulfillment_framework.cli import main
    from tests.examples.conftest import MULTISTEP

    monkeypatch.chdir(MULTISTEP)
    code = main(["explain", "multistep_extension.saga:MultiStepPurchaseSaga", "--set",
                 "ACTIVATION_TEMPLATE=TL-1", "--set", "VENDOR_API_URL=http://vendor"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.split("steps(), in order:\n", 1)[1].splitlines()[:7] == [
        "        1. 'customer': Purchase.create_customer",
        "             request <- the request",
        "           undo: Purchase.delete_customer",
        "             customer <- the result of step 'customer'",
        "        2. 'subscription': Purchase.create_subscription",
        "             request <- the request",
        "             customer <- the result of step 'customer'",
    ]
