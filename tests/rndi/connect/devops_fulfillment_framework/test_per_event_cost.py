"""What a saga remembers between events (its class-level bindings, which parts are sync)
never changes what an event gets."""

import logging

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import BackgroundTransaction, SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.dicontainer import BaseServiceProvider, DuplicateBinding

LOGGER = logging.getLogger("tests.cost")
CLIENT = object()
REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending"}


class Vendor:
    def __init__(self, name):
        self.name = name


class VendorProvider(BaseServiceProvider):
    built = 0

    def __init__(self, name="class-level"):
        super().__init__()
        self.name = name
        type(self).built += 1

    def provide_vendor(self):
        return Vendor(self.name)


class Answer(BackgroundTransaction):
    def __init__(self, vendor):
        self.vendor = vendor

    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail()


class VendorSaga(Saga):
    providers = {**Saga.providers, "vendor": VendorProvider}

    def transactions(self, request):
        return [Answer]


def test_the_class_level_providers_are_built_once_for_many_events():
    VendorProvider.built = 0
    vendors = [VendorSaga.make({}, CLIENT, LOGGER).container.bound("vendor") for _ in range(3)]
    assert VendorProvider.built == 1
    # what a provider answers is still built once per event
    assert len({id(vendor) for vendor in vendors}) == 3


def test_a_provider_given_to_the_saga_replaces_the_class_one_on_every_event():
    VendorSaga.make({}, CLIENT, LOGGER).resolve(REQUEST)  # the class bindings are remembered
    for name in ("first", "second"):
        saga = VendorSaga({"vendor": VendorProvider(name)})
        saga.resolve(REQUEST)
        assert saga.selected.vendor.name == name
    saga = VendorSaga.make({}, CLIENT, LOGGER)
    saga.resolve(REQUEST)
    assert saga.selected.vendor.name == "class-level"


def test_a_change_to_the_class_providers_is_noticed():
    class Changing(VendorSaga):
        providers = dict(VendorSaga.providers)

    assert Changing.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    Changing.providers["vendor"] = VendorProvider("changed")
    assert Changing.make({}, CLIENT, LOGGER).container.bound("vendor").name == "changed"


def test_a_duplicate_binding_is_refused_on_every_event_not_only_the_first():
    class Clash(BaseServiceProvider):
        def provide_vendor(self):
            return Vendor("clash")

    for _ in range(2):
        with pytest.raises(DuplicateBinding, match="vendor"):
            VendorSaga({"clash": Clash()})


def test_a_part_that_turns_async_between_events_is_refused_all_the_same():
    class Switching(VendorSaga):
        async_part = False

        def transactions(self, request):
            return [AsyncAnswer] if self.async_part else [Answer]

    class AsyncAnswer(Answer):
        async def execute(self, request):
            return BackgroundResponse.done()

    assert Switching.make({}, CLIENT, LOGGER).resolve(REQUEST).status == "success"
    Switching.async_part = True
    with pytest.raises(SyncAsyncMismatch, match="AsyncAnswer"):
        Switching.make({}, CLIENT, LOGGER).resolve(REQUEST)


def test_an_async_client_is_refused_after_sync_events_of_the_same_parts():
    from connect.client import AsyncConnectClient

    assert VendorSaga.make({}, CLIENT, LOGGER).resolve(REQUEST).status == "success"
    client = AsyncConnectClient("key", endpoint="http://127.0.0.1:9/public/v1")
    with pytest.raises(SyncAsyncMismatch, match="AsyncConnectClient"):
        VendorSaga.make({}, client, LOGGER).resolve(REQUEST)


def test_a_class_level_provider_that_cannot_be_hashed_is_used_all_the_same():
    class Unhashable(VendorProvider):
        __hash__ = None

    class Plain(VendorSaga):
        providers = {**Saga.providers, "vendor": Unhashable("unhashable")}

    for _ in range(2):
        assert Plain.make({}, CLIENT, LOGGER).container.bound("vendor").name == "unhashable"
    assert "_bindings_by_key" not in vars(Plain)
