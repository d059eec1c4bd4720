"""What a saga remembers between events (its class-level bindings, which parts are sync)
never changes what an event gets."""

import asyncio
import functools
import gc
import logging
import weakref
from unittest import mock

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.connect.devops_fulfillment_framework._settings import seconds
from rndi.dicontainer import BaseServiceProvider, DependencyBuildingFailure, DuplicateBinding
from tests.rndi.connect.devops_fulfillment_framework.doubles import Done

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


class Answer(Done):
    def __init__(self, vendor):
        self.vendor = vendor


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

    VendorProvider.built = 0
    for _ in range(2):
        assert Plain.make({}, CLIENT, LOGGER).container.bound("vendor").name == "unhashable"
    assert VendorProvider.built == 0  # the instance given is the one used, every time


def test_two_saga_classes_do_not_share_their_bindings():
    class Other(VendorProvider):
        def provide_vendor(self):
            return Vendor("other")

    class First(VendorSaga):
        pass

    class Second(VendorSaga):
        providers = {**Saga.providers, "vendor": Other}

    for _ in range(2):
        assert First.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
        assert Second.make({}, CLIENT, LOGGER).container.bound("vendor").name == "other"


def test_a_subclass_does_not_use_what_its_parent_remembered():
    class Parent(VendorSaga):
        pass

    assert Parent.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"

    class Child(Parent):
        providers = {**Parent.providers, "vendor": VendorProvider("child")}

    class Inheriting(Parent):  # the parent's providers, its own bindings
        pass

    assert Child.make({}, CLIENT, LOGGER).container.bound("vendor").name == "child"
    assert Inheriting.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    assert Parent.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    assert vars(Child)["_bindings_memo"] is not vars(Parent)["_bindings_memo"]


class Configured(Done):
    def __init__(self, activation_template, client, logger, request):
        self.template, self.client, self.logger, self.request = (
            activation_template, client, logger, request)


class ConfiguredSaga(Saga):
    def transactions(self, request):
        return [Configured]


def test_a_change_of_configuration_between_events_is_seen():
    config = {"ACTIVATION_TEMPLATE": " TL-1 "}
    for template in ("TL-1", "TL-2", "TL-2", "TL-1"):
        config["ACTIVATION_TEMPLATE"] = f" {template} "  # the same mapping, changed
        saga = ConfiguredSaga.make(config, CLIENT, LOGGER, REQUEST)
        saga.resolve(REQUEST)
        assert saga.selected.template == template
        assert saga.container.bound("config") is config


def test_an_event_injects_the_configuration_values_it_was_made_with():
    # make(config, ...) is cls({'config': ConfigurationServiceProvider(config), ...}): the
    # values are the configuration's when the event is made, whichever way it is made
    class OwnInit(ConfiguredSaga):
        def __init__(self, providers=None):
            super().__init__(providers)

    for flow in (OwnInit, ConfiguredSaga):
        config = {"ACTIVATION_TEMPLATE": "TL-1"}
        saga = flow.make(config, CLIENT, LOGGER, REQUEST)
        config["ACTIVATION_TEMPLATE"] = "TL-2"  # the next configuration, in the same mapping
        saga.resolve(REQUEST)
        assert (flow.__name__, saga.selected.template) == (flow.__name__, "TL-1")


def test_equal_values_of_another_type_are_bound_as_they_are():
    for value in (1, True, 1.0):
        bound = ConfiguredSaga.make({"RETRIES": value}, CLIENT, LOGGER).container.bound("retries")
        assert bound == value and type(bound) is type(value)


def test_each_event_gets_its_own_client_logger_and_request():
    for number in range(3):
        client, logger = object(), logging.getLogger(f"tests.cost.{number}")
        request = {**REQUEST, "id": f"PR-{number}"}
        saga = ConfiguredSaga.make({"ACTIVATION_TEMPLATE": "TL"}, client, logger, request)
        saga.resolve(request)
        assert saga.selected.client is client
        assert saga.selected.request is request
        assert saga.selected.logger.logger is logger  # bound to the request
        assert saga.selected.logger.extra["request_id"] == f"PR-{number}"


class CountingConfig(dict):
    """A configuration that counts how often each key is read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads = {}

    def __getitem__(self, key):
        self.reads[key] = self.reads.get(key, 0) + 1
        return super().__getitem__(key)


def test_an_event_reads_each_configuration_key_once_when_it_is_made():
    # as ConfigurationServiceProvider reads them: a mapping that decrypts on __getitem__
    # is read through it, at make(), and the event injects what it read then
    config = CountingConfig({"ACTIVATION_TEMPLATE": " TL-1 ", "UNUSED": "x", "OTHER": 1,
                             "not-a-name": "y"})
    saga = ConfiguredSaga.make(config, CLIENT, LOGGER, REQUEST)
    assert config.reads == {"ACTIVATION_TEMPLATE": 1, "UNUSED": 1, "OTHER": 1}
    saga.resolve(REQUEST)
    assert saga.selected.template == "TL-1"
    assert saga.container.bound("unused") == "x" and saga.container.bound("other") == 1
    assert config.reads == {"ACTIVATION_TEMPLATE": 1, "UNUSED": 1, "OTHER": 1}


def test_a_configuration_that_cannot_be_read_fails_at_make_naming_no_value():
    class Failing(dict):
        def __getitem__(self, key):
            raise LookupError(f"the store has no {key}")

    with pytest.raises(LookupError) as raised:
        ConfiguredSaga.make(Failing({"ACTIVATION_TEMPLATE": "s3cr3t"}), CLIENT, LOGGER,
                            REQUEST)
    assert "s3cr3t" not in str(raised.value)


def test_what_holds_the_values_of_an_event_is_never_listed_as_a_bound_name():
    class NeedsVendor(Configured):
        def __init__(self, vendor_key):
            pass

    class Missing(Saga):
        def transactions(self, request):
            return [NeedsVendor]

    with pytest.raises(DependencyBuildingFailure) as raised:
        Missing.make({"ACTIVATION_TEMPLATE": "TL-1"}, CLIENT, LOGGER, REQUEST).resolve(REQUEST)
    assert ("Bound names: activation_template, activation_tpl, cache, client, config, "
            "criteria, journal, logger, on_match, request. Bind 'vendor_key'") in str(raised.value)
    assert "configuration's values" not in str(raised.value) and "TL-1" not in str(raised.value)


def test_nothing_of_an_event_is_kept_alive_by_what_is_remembered():
    class Client:
        pass

    class Config(dict):
        pass

    client, config = Client(), Config({"ACTIVATION_TEMPLATE": "TL"})
    request = {**REQUEST}
    saga = ConfiguredSaga.make(config, client, LOGGER, request)
    saga.resolve(request)
    remembered = [weakref.ref(client), weakref.ref(config), weakref.ref(saga)]
    del client, config, saga
    gc.collect()
    assert [ref() for ref in remembered] == [None, None, None]
    # the request is a plain dict (no weak reference): no remembered table holds it
    assert not any(value is request for value in gc.get_referrers(request)
                   if isinstance(value, dict) and value is not globals())


def test_a_config_key_that_clashes_with_a_class_binding_is_refused_on_every_event():
    for _ in range(2):
        with pytest.raises(DuplicateBinding, match="vendor"):
            VendorSaga.make({"VENDOR": "x"}, CLIENT, LOGGER)


def test_a_flow_whose_init_or_event_providers_is_its_own_is_made_through_them():
    seen = []

    class Own(VendorSaga):
        def __init__(self, providers=None):
            seen.append(sorted(providers))
            super().__init__(providers)

    class Extra(VendorSaga):
        @staticmethod
        def event_providers(config, client, logger, request=None):
            providers = Saga.event_providers(config, client, logger, request)
            providers["extra"] = BaseServiceProvider({"extra": {"to_instance": "given"}})
            return providers

    assert Own.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    assert seen == [["config", "connect"]]
    assert Extra.make({}, CLIENT, LOGGER).container.bound("extra") == "given"


def test_a_flow_with_its_own_metaclass_call_or_new_is_made_through_them():
    # make() is cls(providers): a metaclass's __call__ and a __new__ of the flow's own
    # see every event, and __new__ gets the providers make() adds, as it always did
    seen = []

    class Counting(type(Saga)):
        def __call__(cls, *args, **kwargs):
            seen.append("call")
            return super().__call__(*args, **kwargs)

    class Counted(VendorSaga, metaclass=Counting):
        pass

    class Newed(VendorSaga):
        def __new__(cls, providers):
            seen.append(sorted(providers))
            return super().__new__(cls)

    assert Counted.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    assert Newed.make({}, CLIENT, LOGGER).container.bound("vendor").name == "class-level"
    assert seen == ["call", ["config", "connect"]]


def test_a_wrong_request_is_refused_by_make():
    with pytest.raises(TypeError, match="request must be the request dict"):
        VendorSaga.make({}, CLIENT, LOGGER, ["PR-1"])


def test_a_setting_of_seconds_is_checked_on_every_event_it_is_wrong():
    for _ in range(2):
        with pytest.raises(ValueError, match="JOURNAL_TTL"):
            VendorSaga.make({"JOURNAL_TTL": "soon"}, CLIENT, LOGGER)
    assert seconds({"JOURNAL_TTL": "60"}, "JOURNAL_TTL", 1.0) == 60.0
    with pytest.raises(ValueError, match="got a list"):  # unhashable: read, not remembered
        seconds({"JOURNAL_TTL": ["60"]}, "JOURNAL_TTL", 1.0)
    for raw, expected in (("60", 60.0), (" 60 ", 60.0), ("", 1.0), (60, 60.0)):
        assert seconds({"JOURNAL_TTL": raw}, "JOURNAL_TTL", 1.0) == expected


class Passing:
    def __call__(self, request, next):
        return next(request)


class AsyncPassing:
    async def __call__(self, request, next):
        response = await next(request)
        return BackgroundResponse.done() if response.status == "success" else response


class Twin(Passing):
    async def acall(self, request, next):
        return BackgroundResponse.skip("twin")


class OverridesTwin(Twin):
    def __call__(self, request, next):
        return next(request)


class AsyncAnswer(Answer):
    async def execute(self, request):
        return BackgroundResponse.skip("awaited")


def _decorated(method):
    @functools.wraps(method)
    async def wrapper(self, request):
        return await method(self, request)

    return wrapper


class DecoratedAnswer(Answer):
    @_decorated
    async def execute(self, request):
        return BackgroundResponse.skip("decorated")


def test_how_aresolve_calls_each_part_is_read_per_class_and_stays_right():
    class Parts(VendorSaga):
        listed = ([], [Answer])

        def middlewares(self, request):
            return self.listed[0]

        def transactions(self, request):
            return self.listed[1]

    def answer(middlewares, transactions):
        Parts.listed = (middlewares, transactions)
        response = asyncio.run(Parts.make({}, CLIENT, LOGGER).aresolve(dict(REQUEST)))
        return response.status, response.output

    for _ in range(2):  # the second event answers from what the first one remembered
        assert answer([Passing], [Answer]) == ("success", None)
        assert answer([AsyncPassing], [AsyncAnswer]) == ("skip", "awaited")
        assert answer([Twin], [Answer]) == ("skip", "twin")
        assert answer([Passing, AsyncPassing], [DecoratedAnswer]) == ("skip", "decorated")
        instance = Passing()
        instance.acall = Twin.acall.__get__(instance)  # an instance's own twin is honoured
        assert answer([instance], [Answer]) == ("skip", "twin")
        with pytest.raises(SyncAsyncMismatch, match="OverridesTwin overrides __call__"):
            answer([OverridesTwin], [Answer])


def test_a_client_that_passes_for_an_async_one_is_refused_by_resolve_every_time():
    from connect.client import AsyncConnectClient

    assert VendorSaga.make({}, CLIENT, LOGGER).resolve(REQUEST).status == "success"
    for _ in range(2):
        with pytest.raises(SyncAsyncMismatch, match="AsyncConnectClient"):
            VendorSaga.make({}, mock.Mock(spec=AsyncConnectClient), LOGGER).resolve(REQUEST)


def test_a_misplaced_class_is_refused_whenever_it_is_reached_however_often_listed():
    from connect.eaas.core.responses import ValidationResponse

    from rndi.connect.business_transactions import InvalidTransaction, ValidationTransaction

    class Draft(ValidationTransaction):
        def __init__(self, vendor):
            self.vendor = vendor

        def execute(self, request):
            return ValidationResponse.done(request)

    class Unreached(VendorSaga):  # Answer applies first: Draft is never built
        def transactions(self, request):
            return [Answer, Draft]

    class Reached(VendorSaga):
        def transactions(self, request):
            return [Draft, Answer]

    for _ in range(3):  # the lists are remembered after the first event: still refused
        saga = Unreached.make({}, CLIENT, LOGGER)
        assert saga.resolve(REQUEST).status == "success"
        assert type(saga.selected) is Answer
        with pytest.raises(InvalidTransaction, match="Draft, which is a ValidationTransaction"):
            Reached.make({}, CLIENT, LOGGER).resolve(REQUEST)
        with pytest.raises(InvalidTransaction, match="Draft, which is a ValidationTransaction"):
            asyncio.run(Reached.make({}, CLIENT, LOGGER).aresolve(REQUEST))
        assert asyncio.run(Unreached.make({}, CLIENT, LOGGER).aresolve(REQUEST)).status == \
            "success"


def test_classes_listed_are_built_as_the_selection_reaches_them_on_every_event():
    built = []

    class Counted(Answer):
        def __init__(self, vendor):
            built.append(type(self).__name__)
            super().__init__(vendor)

    class Never(Counted):
        def should_execute(self, request):
            return False

    class After(Counted):
        pass

    class Listing(VendorSaga):
        def transactions(self, request):
            return [Never, Counted, After]

    for _ in range(3):
        saga = Listing.make({}, CLIENT, LOGGER)
        saga.resolve(REQUEST)
        assert type(saga.selected) is Counted and saga.selected.vendor.name == "class-level"
        asyncio.run(Listing.make({}, CLIENT, LOGGER).aresolve(REQUEST))
    assert built == ["Never", "Counted"] * 6  # After is never built


def test_an_ordered_flow_builds_each_class_as_reached_and_refuses_a_misplaced_one_each_event():
    from connect.eaas.core.responses import ValidationResponse

    from rndi.connect.business_transactions import InvalidTransaction, ValidationTransaction
    from rndi.connect.devops_fulfillment_framework import ValidationFlow

    built = []

    class Check(ValidationTransaction):
        verdict = "done"

        def __init__(self, vendor):
            built.append(type(self).__name__)
            self.vendor = vendor

        def execute(self, request):
            return getattr(ValidationResponse, self.verdict)(request)

    class Refuse(Check):
        verdict = "fail"

    class Stops(ValidationFlow):  # Refuse fails first: Answer (a saga's) is never reached
        providers = {**ValidationFlow.providers, "vendor": VendorProvider}

        def transactions(self, request):
            return [Check, Refuse, Answer]

    class Reaches(Stops):
        def transactions(self, request):
            return [Check, Answer, Refuse]

    class Right(Stops):
        def transactions(self, request):
            return [Check, Refuse, Check]

    def events(flow):
        yield lambda: flow.make({}, CLIENT, LOGGER).resolve(dict(REQUEST))
        yield lambda: asyncio.run(flow.make({}, CLIENT, LOGGER).aresolve(dict(REQUEST)))

    for _ in range(3):  # the lists are remembered after the first event: still refused
        for event in events(Stops):
            built.clear()
            assert event().status == "fail"
            assert built == ["Check", "Refuse"]  # each built once, in order
        for event in events(Right):
            built.clear()
            # every entry a right class: built straight through the container, as a saga's
            with mock.patch.object(Right, "_candidate", side_effect=AssertionError):
                assert event().status == "fail"
            assert built == ["Check", "Refuse"]
        for event in events(Reaches):
            built.clear()
            with pytest.raises(InvalidTransaction, match="lists Answer"):
                event()
            assert built == ["Check"]  # refused as it is reached, Refuse never built


# how an event's container built each class, remembered for the next event's -----------

class Uses(Done):
    def __init__(self, client, vendor, activation_template, request=None):
        self.client, self.vendor = client, vendor
        self.template, self.request = activation_template, request


class UsesSaga(VendorSaga):
    def transactions(self, request):
        return [Uses]


def test_a_remembered_build_still_builds_each_events_own_lazy_bindings():
    built = []
    for name, template in (("first", "TL-1"), ("second", "TL-2"), ("third", " TL-3 ")):
        client = object()
        saga = UsesSaga.make({"ACTIVATION_TEMPLATE": template}, client, LOGGER)
        if name == "second":  # built before the class asks: the next event builds it
            assert saga.container.bound("vendor").name == "class-level"
        saga.resolve(REQUEST)
        built.append(saga.selected)
        assert saga.selected.client is client
        assert saga.selected.vendor is saga.container.bound("vendor")
        assert saga.selected.template == template.strip()
        assert saga.selected.request is None  # a default kept: nothing bound to request
    assert len({id(uses.vendor) for uses in built}) == 3


def test_a_remembered_build_with_a_request_is_not_the_one_without():
    class Bound(Done):
        def __init__(self, request, vendor):
            self.request = request

    class BoundSaga(VendorSaga):
        def transactions(self, request):
            return [Bound]

    for _ in range(2):
        request = {**REQUEST}
        saga = BoundSaga.make({}, CLIENT, LOGGER, request)
        saga.resolve(request)
        assert saga.selected.request is request
        # made without the request, the same class has nothing bound to ask for
        with pytest.raises(DependencyBuildingFailure, match="'request'"):
            BoundSaga.make({}, CLIENT, LOGGER).resolve(request)


def test_a_class_whose_init_changes_between_events_is_built_by_its_new_init():
    UsesSaga.make({"ACTIVATION_TEMPLATE": "TL"}, CLIENT, LOGGER).resolve(REQUEST)

    def init(self, vendor, client):
        self.client, self.vendor, self.template, self.request = client, vendor, None, None

    with mock.patch.object(Uses, "__init__", init):
        saga = UsesSaga.make({}, CLIENT, LOGGER)  # no ACTIVATION_TEMPLATE: not asked now
        saga.resolve(REQUEST)
        assert saga.selected.template is None
        assert saga.selected.vendor.name == "class-level"
    with pytest.raises(DependencyBuildingFailure, match="activation_template"):
        UsesSaga.make({}, CLIENT, LOGGER).resolve(REQUEST)  # its own __init__ again


def test_a_failing_lazy_binding_of_a_remembered_build_names_the_class():
    class Failing(VendorProvider):
        def provide_vendor(self):
            raise RuntimeError("the vendor is down")

    class FailingSaga(UsesSaga):
        providers = {**Saga.providers, "vendor": Failing}

    FailingSaga.make({"ACTIVATION_TEMPLATE": "TL"}, CLIENT, LOGGER).container.bound("client")
    for _ in range(2):  # the first event builds the full way, the second as remembered
        with pytest.raises(RuntimeError, match="the vendor is down") as raised:
            FailingSaga.make({"ACTIVATION_TEMPLATE": "TL"}, CLIENT, LOGGER).resolve(REQUEST)
        assert any("'vendor' (Uses -> vendor)" in note for note in raised.value.__notes__)
