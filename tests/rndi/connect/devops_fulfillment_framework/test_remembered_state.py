"""What a saga class remembers between events stays right when events run at once, when
equal values are distinct objects, and when a test patches a class between events."""

import asyncio
import gc
import logging
import threading
import weakref
from unittest import mock

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.devops_fulfillment_framework import Saga
from rndi.dicontainer import BaseServiceProvider
from tests.rndi.connect.devops_fulfillment_framework.doubles import Done

REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending"}


class Own(Done):
    def __init__(self, items, client, logger, request):
        self.items, self.client, self.logger, self.request = items, client, logger, request

    def execute(self, request):
        self.items.append(request["id"])  # an event changing its own value
        return BackgroundResponse.done()


class OwnSaga(Saga):
    def transactions(self, request):
        return [Own]


def run_at_once(event, threads):
    """``event(number)`` on ``threads`` threads at once; each must end (generous limit)."""
    workers = [threading.Thread(target=event, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers)


def test_equal_values_that_are_distinct_objects_are_each_events_own():
    for value in ([], {"a": 1}, {"a": True}, [1.0], [1]):
        config = {"ITEMS": value}
        assert OwnSaga.make(config, object(), logging.getLogger("t")).container.bound(
            "items") is value


def test_events_made_and_resolved_at_once_each_get_their_own_values():
    threads, rounds = 8, 40
    barrier = threading.Barrier(threads)
    failures = []

    def event(number):
        for round_ in range(rounds):
            config = {"ITEMS": []}  # equal to every other event's, not the same list
            client = object()
            logger = logging.getLogger(f"tests.remembered.{number}")
            request = {**REQUEST, "id": f"PR-{number}-{round_}"}
            barrier.wait()
            saga = OwnSaga.make(config, client, logger, request)
            barrier.wait()  # every event made before any changes its values
            saga.resolve(request)
            got = saga.selected
            if not (got.items is config["ITEMS"] and got.items == [request["id"]]
                    and got.client is client and got.request is request
                    and got.logger.logger is logger
                    and got.logger.extra["request_id"] == request["id"]):
                failures.append((number, round_, list(got.items)))

    run_at_once(event, threads)
    assert failures == []


def test_async_events_on_one_loop_each_get_their_own_values():
    async def event(number):
        config = {"ITEMS": []}
        client = object()
        request = {**REQUEST, "id": f"PR-{number}"}
        saga = OwnSaga.make(config, client, logging.getLogger("t"), request)
        await saga.aresolve(request)
        return saga.selected.items is config["ITEMS"] and saga.selected.request is request

    async def main():
        return await asyncio.gather(*(event(n) for n in range(50)))

    assert all(asyncio.run(main()))


class Vendor:
    def __init__(self, name):
        self.name = name


class VendorProvider(BaseServiceProvider):
    def provide_vendor(self):
        return Vendor("real")


class Named(Done):
    def __init__(self, vendor):
        self.vendor = vendor


class PatchedSaga(Saga):
    providers = {**Saga.providers, "vendor": VendorProvider}

    def transactions(self, request):
        return [Named]


def _vendor():
    saga = PatchedSaga.make({}, object(), logging.getLogger("t"), REQUEST)
    saga.resolve(REQUEST)
    return saga.selected.vendor.name


def test_a_provider_method_patched_between_events_is_used(monkeypatch):
    assert _vendor() == "real"
    with monkeypatch.context() as patch:
        patch.setattr(VendorProvider, "provide_vendor", lambda self: Vendor("fake"))
        assert _vendor() == "fake"
    assert _vendor() == "real"


def test_a_provider_register_patched_between_events_is_used(monkeypatch):
    assert _vendor() == "real"

    def register(self):
        self.bind_instance("vendor", Vendor("instance"))

    with monkeypatch.context() as patch:
        patch.setattr(VendorProvider, "register", register)
        patch.delattr(VendorProvider, "provide_vendor")
        assert _vendor() == "instance"
    assert _vendor() == "real"


def test_a_transaction_init_patched_between_events_is_built_as_it_is_then():
    assert _vendor() == "real"
    with mock.patch.object(Named, "__init__", return_value=None) as init:
        saga = PatchedSaga.make({}, object(), logging.getLogger("t"), REQUEST)
        saga.resolve(REQUEST)
        assert init.called
    assert _vendor() == "real"


def test_a_transaction_init_patched_on_the_first_event_is_not_remembered():
    class Late(Named):
        pass

    class LateSaga(PatchedSaga):
        def transactions(self, request):
            return [Late]

    def run():
        saga = LateSaga.make({}, object(), logging.getLogger("t"), REQUEST)
        saga.resolve(REQUEST)
        return saga.selected

    with mock.patch.object(Late, "__init__", return_value=None):
        run()
    assert run().vendor.name == "real"


class Marking:
    def __call__(self, request, next):
        return next(request)


class MarkedSaga(PatchedSaga):
    def middlewares(self, request):
        return [Marking]


def _aresolved():
    saga = MarkedSaga.make({}, object(), logging.getLogger("t"), REQUEST)
    response = asyncio.run(saga.aresolve(dict(REQUEST)))
    return response.status, response.output


def test_a_middleware_method_replaced_between_events_is_the_one_awaited(monkeypatch):
    assert _aresolved() == ("success", None)

    async def acall(self, request, next):
        return BackgroundResponse.skip("twin")

    async def call(self, request, next):
        return BackgroundResponse.skip("async call")

    with monkeypatch.context() as patch:
        patch.setattr(Marking, "acall", acall, raising=False)
        assert _aresolved() == ("skip", "twin")
    with monkeypatch.context() as patch:
        patch.setattr(Marking, "__call__", call)
        assert _aresolved() == ("skip", "async call")
    assert _aresolved() == ("success", None)


class Client:
    """An event's client (weakly referable)."""

    def touch(self):
        return {"touched": True}


def test_an_events_step_closures_are_not_kept_alive_by_what_is_remembered(tmp_path):
    from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
    from rndi.connect.devops_fulfillment_framework import MultiStepTransaction, Step

    class Cached(BaseServiceProvider):
        def register(self):
            self.bind_instance("cache", SQLiteCacheAdapter(str(tmp_path)))

    class Closures(MultiStepTransaction):
        def should_execute(self, request):
            return True

        def steps(self, request):
            client = self.client  # a step made per event, closing over the event's client
            return [Step("touch", lambda request: client.touch())]

    class ClosureSaga(Saga):
        providers = {**Saga.providers, "cache": Cached}

        def transactions(self, request):
            return [Closures]

    clients = []
    for number in range(3):
        client = Client()
        request = {**REQUEST, "id": f"PR-closure-{number}"}
        saga = ClosureSaga.make({}, client, logging.getLogger("t"), request)
        assert asyncio.run(saga.aresolve(request)).status == "success"
        clients.append(weakref.ref(client))
        del client, saga
    gc.collect()
    assert [ref() for ref in clients] == [None, None, None]


class Secret:
    """A configuration value (a secret) that can be referred to weakly."""


def test_no_configuration_value_is_kept_alive_by_what_is_remembered():
    secret = Secret()
    config = {"API_KEY": secret, "VENDOR_URL": " https://vendor "}
    saga = OwnSaga.make({**config, "ITEMS": []}, object(), logging.getLogger("t"), REQUEST)
    saga.resolve(REQUEST)
    assert saga.container.bound("api_key") is secret
    url = saga.container.bound("vendor_url")
    held = weakref.ref(secret)
    del secret, config, saga
    gc.collect()
    assert held() is None
    # a string value (no weak reference): no remembered table holds it
    assert not any(isinstance(holder, (dict, tuple)) and any(value is url for value in (
        holder.values() if isinstance(holder, dict) else holder))
        for holder in gc.get_referrers(url))


def test_a_mapping_that_is_not_a_dict_with_keys_that_are_not_strings_is_bound_each_time():
    from types import MappingProxyType

    for number in range(3):
        items = [number]
        config = MappingProxyType({"ITEMS": items, 1: "not a name", "NAN": float("nan")})
        container = OwnSaga.make(config, object(), logging.getLogger("t"), REQUEST).container
        assert container.bound("items") is items
        assert container.bound("config") is config
        assert container.bound("nan") is config["NAN"]


class Tagging:
    def __init__(self, logger):
        self.logger = logger

    def __call__(self, request, next):
        request["tagged"] = type(self).__name__
        return next(request)


class OtherTagging(Tagging):
    pass


class Other(Own):
    pass


class ChoosingSaga(Saga):
    """Middlewares and transactions chosen by the request: nothing of them by request is
    remembered."""

    def middlewares(self, request):
        return [Tagging] if request["type"] == "purchase" else [OtherTagging]

    def transactions(self, request):
        return [Own] if request["type"] == "purchase" else [Other]


def test_parts_chosen_per_request_are_each_requests_own_when_events_run_at_once():
    threads, rounds = 6, 30
    barrier = threading.Barrier(threads)
    failures = []

    def event(number):
        kind = "purchase" if number % 2 else "change"
        expected, tag = (Own, "Tagging") if kind == "purchase" else (Other, "OtherTagging")
        for round_ in range(rounds):
            request = {**REQUEST, "id": f"PR-{number}-{round_}", "type": kind}
            config = {"ITEMS": []}
            barrier.wait()
            saga = ChoosingSaga.make(config, object(), logging.getLogger("t"), request)
            barrier.wait()
            saga.resolve(request)
            if not (type(saga.selected) is expected and request["tagged"] == tag
                    and saga.selected.items is config["ITEMS"]):
                failures.append((number, round_))

    run_at_once(event, threads)
    assert failures == []
