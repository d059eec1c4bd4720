"""Saga.check and Saga.explain read the wiring without building or calling anything."""

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.connect.devops_fulfillment_framework.wiring import Problem
from rndi.connect.request_offline_criteria import OfflineCriteria
from rndi.dicontainer.adapter import BaseServiceProvider

CALLED = []


class Transaction(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class VendorProvider(BaseServiceProvider):
    def provide_vendor(self, vendor_api_ulr):  # misspelled: the config key is VENDOR_API_URL
        CALLED.append("provide_vendor")
        raise RuntimeError("a provider method must never run during a check")


class CreateSubscription(Transaction):
    def __init__(self, client, vendor, cache, retries=3):
        CALLED.append("CreateSubscription")
        raise RuntimeError("a constructor must never run during a check")


class ApproveRequest(Transaction):
    def __init__(self, client, activation_template):
        CALLED.append("ApproveRequest")


class PurchaseSaga(Saga):
    providers = {**Saga.providers, "vendor": VendorProvider}

    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return [CreateSubscription, ApproveRequest]


CONFIG = {"VENDOR_API_URL": "https://vendor.example", "ACTIVATION_TEMPLATE": "TL-1"}


def test_a_misspelled_parameter_two_levels_deep_is_reported_with_path_and_suggestion():
    CALLED.clear()
    (problem,) = PurchaseSaga.check(CONFIG)
    assert isinstance(problem, Problem)
    assert (problem.kind, problem.name) == ("missing", "vendor_api_ulr")
    assert problem.path == ("CreateSubscription", "vendor", "vendor_api_ulr")
    assert "did you mean 'vendor_api_url'?" in problem.message
    assert problem.message.startswith("CreateSubscription -> vendor -> vendor_api_ulr:")
    assert CALLED == []  # no constructor, no provider method


def test_every_problem_is_reported_not_only_the_first():
    problems = PurchaseSaga.check({"VENDOR_API_URL": "https://vendor.example"})
    assert [(p.kind, p.name, p.path) for p in problems] == [
        ("missing", "vendor_api_ulr", ("CreateSubscription", "vendor", "vendor_api_ulr")),
        ("missing", "activation_template", ("ApproveRequest", "activation_template")),
    ]
    assert "set the config key 'ACTIVATION_TEMPLATE'" in problems[1].message


class CorrectVendor(BaseServiceProvider):
    def provide_vendor(self, vendor_api_url, vendor_api_key=""):
        raise RuntimeError("never called")


class CorrectSaga(PurchaseSaga):
    providers = {**Saga.providers, "vendor": CorrectVendor}


def test_a_correct_saga_gives_an_empty_list():
    assert CorrectSaga.check(CONFIG) == []


class A:
    def __init__(self, b):
        pass


class B:
    def __init__(self, a):
        pass


class Loop(BaseServiceProvider):
    def register(self):
        self.bind_class("a", A)
        self.bind_class("b", B)


class NeedsA(Transaction):
    def __init__(self, a):
        pass


class CycleSaga(Saga):
    providers = {**Saga.providers, "loop": Loop}

    def transactions(self, request):
        return [NeedsA]


def test_a_cycle_is_reported():
    (problem,) = CycleSaga.check({})
    assert (problem.kind, problem.name) == ("cycle", "a")
    assert problem.path == ("NeedsA", "a", "b", "a")
    assert problem.message.startswith("a -> b -> a:")


class AlsoCache(BaseServiceProvider):
    def provide_cache(self):
        return None


class DuplicateSaga(CorrectSaga):
    providers = {**CorrectSaga.providers, "second_cache": AlsoCache}


def test_a_duplicate_binding_is_reported_with_both_providers():
    (problem,) = DuplicateSaga.check(CONFIG)
    assert (problem.kind, problem.name) == ("duplicate", "cache")
    assert problem.path == ("providers['cache']", "providers['second_cache']")
    assert "CacheServiceProvider" in problem.message and "AlsoCache" in problem.message


class WrongEntries(CorrectSaga):
    def middlewares(self, request):
        return [None, 42]

    def transactions(self, request):
        return [dict, ("name", bool, bool), ApproveRequest]


def test_entries_that_are_not_transactions_or_middlewares_are_invalid():
    problems = WrongEntries.check(CONFIG)
    assert [(p.kind, p.name) for p in problems] == [("invalid", "int"), ("invalid", "dict")]
    assert "dict is not a BackgroundTransaction subclass" in problems[1].message
    assert "not callable as a middleware" in problems[0].message


class Raising(CorrectSaga):
    def transactions(self, request):
        return {"purchase": [ApproveRequest]}[request["type"]]


def test_sample_requests_are_each_checked_and_a_raising_transactions_is_reported():
    change = {"id": "PR-2", "type": "change", "asset": {}}
    problems = Raising.check(CONFIG, requests=[{"id": "PR-1", "type": "purchase"}, change])
    (problem,) = problems
    assert (problem.kind, problem.name) == ("invalid", "transactions")
    assert "Raising.transactions(request 'PR-2') raised KeyError: 'change'" in problem.message
    with pytest.raises(TypeError, match="request dicts"):
        Raising.check(CONFIG, requests=["PR-1"])


def test_explain_tells_where_each_value_comes_from():
    CALLED.clear()
    text = CorrectSaga.explain(CONFIG)
    assert text.splitlines()[0] == "CorrectSaga, for purchase request PR-0000-0000-0000-001:"
    assert "    OfflineCriteria\n      criteria <- provide_criteria() of " in text
    assert ("      vendor <- provide_vendor() of CorrectVendor (providers['vendor'])\n"
            "        vendor_api_url <- config key 'VENDOR_API_URL'\n"
            "        vendor_api_key <- its default ''") in text
    assert "      retries <- its default 3" in text
    assert "cache <- provide_cache() of CacheServiceProvider (providers['cache'])" in text
    assert "client <- an instance of PlaceholderClient from ConnectServiceProvider" in text
    assert "      activation_template <- config key 'ACTIVATION_TEMPLATE'" in text
    assert CALLED == []
    assert "vendor_api_ulr <- MISSING: nothing is bound" in PurchaseSaga.explain(CONFIG)


class Tuned(Transaction):
    def __init__(self, client, timeout=30):
        pass


class TunedSaga(Saga):
    def transactions(self, request):
        return [Tuned]


def test_a_defaulted_parameter_comes_from_its_default_even_when_a_config_key_binds_it():
    assert TunedSaga.check({"TIMEOUT": "5"}) == []
    assert "    Tuned\n      client <- " in TunedSaga.explain({"TIMEOUT": "5"})
    assert "      timeout <- its default 30" in TunedSaga.explain({"TIMEOUT": "5"})


def test_a_defaulted_parameter_is_never_walked_so_its_broken_binding_is_no_problem():
    class Broken(BaseServiceProvider):
        def provide_timeout(self, missing_thing):
            return 1

    class BrokenTimeout(TunedSaga):
        providers = {**TunedSaga.providers, "broken": Broken}

    assert BrokenTimeout.check({}) == []


def test_a_cycle_names_the_classes_and_providers_on_the_loop_and_suggests_splitting():
    (problem,) = CycleSaga.check({})
    assert ("'a' is class A, built by the container, from Loop (providers['loop']); "
            "'b' is class B, built by the container, from Loop (providers['loop'])"
            ) in problem.message
    assert "Split one of them so that it no longer needs the next" in problem.message


class ActivationSaga(Saga):
    def transactions(self, request):
        return [ApproveRequest]


def test_a_missing_config_key_is_not_answered_with_a_name_derived_from_it():
    # the offline provider's 'activation_tpl' comes from 'activation_template' itself
    (problem,) = ActivationSaga.check({})
    assert "did you mean" not in problem.message
    assert problem.message == (
        "ApproveRequest -> activation_template: nothing is bound to 'activation_template'. "
        "Bind it in a provider, set the config key 'ACTIVATION_TEMPLATE', or give the "
        "parameter a default.")


class WarehouseProvider(BaseServiceProvider):
    def provide_warehouse(self):
        return "the warehouse"


class NeedsWarehouse(Transaction):
    def __init__(self, warehouse):
        pass


class ForgotWarehouse(Saga):
    def transactions(self, request):
        return [NeedsWarehouse]


def test_a_missing_name_that_an_unregistered_provider_provides_suggests_adding_it():
    (problem,) = ForgotWarehouse.check({})
    assert (f"WarehouseProvider ({__name__}) provides it but is not among ForgotWarehouse's "
            "providers: add it to ForgotWarehouse.providers") in problem.message

    class Remembered(ForgotWarehouse):
        providers = {**Saga.providers, "warehouse": WarehouseProvider}

    assert Remembered.check({}) == []


class ShelfServiceProvider(BaseServiceProvider):
    def register(self):
        self.bind_instance("shelf", "the shelf")


class NeedsShelf(Transaction):
    def __init__(self, shelf):
        pass


class ForgotShelf(Saga):
    def transactions(self, request):
        return [NeedsShelf]


def test_a_missing_name_matching_a_provider_class_name_suggests_adding_it():
    (problem,) = ForgotShelf.check({})
    assert f"ShelfServiceProvider ({__name__}) provides it" in problem.message


def test_a_framework_provider_left_out_is_suggested():
    class NoCache(Saga):
        providers = {"offline": Saga.providers["offline"]}

        def transactions(self, request):
            return [CreateSubscription]

    messages = [p.message for p in NoCache.check(CONFIG) if p.name == "cache"]
    assert ("CacheServiceProvider (rndi.connect.devops_fulfillment_framework.providers.cache)"
            " provides it but is not among NoCache's providers") in messages[0]
