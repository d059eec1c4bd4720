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
    assert problems[1].message == (
        "WrongEntries.transactions() lists dict, which is not a BackgroundTransaction "
        "subclass; list transaction classes, instances or (name, predicate, execution) "
        "tuples.")
    assert problems[0].message.startswith(
        "WrongEntries.middlewares() lists an int, which is not callable as a middleware; ")


class NotATransaction:
    pass


class ListsAnInstanceOfNothing(CorrectSaga):
    def transactions(self, request):
        return [NotATransaction(), ApproveRequest]


def test_an_entry_that_is_no_transaction_is_named_by_its_type():
    (problem,) = ListsAnInstanceOfNothing.check(CONFIG)
    assert problem.message.startswith(
        "ListsAnInstanceOfNothing.transactions() lists a NotATransaction, which is neither "
        "a transaction class, a transaction, nor a (name, predicate, execution")


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


def diamond_saga(layers):
    """A saga whose transaction needs two bindings, each needing the same two of the next
    layer, and so on: 2**layers paths to the bottom."""
    bindings = {}
    for layer in range(layers, 0, -1):
        below = ("bottom",) if layer == layers else (f"left{layer + 1}", f"right{layer + 1}")
        for side in ("left", "right"):
            source = f"def __init__(self, {', '.join(below)}):\n    pass\n"
            namespace: dict = {}
            exec(source, namespace)  # noqa: S102 - a class with these parameter names
            bindings[f"{side}{layer}"] = type(f"{side}{layer}", (), namespace)

    class Layers(BaseServiceProvider):
        def register(self):
            for name, cls in bindings.items():
                self.bind_class(name, cls)
            self.bind_instance("bottom", 1)

    class Top(Transaction):
        def __init__(self, left1, right1):
            pass

    Top.__qualname__ = "Top"

    class DiamondSaga(Saga):
        providers = {**Saga.providers, "layers": Layers}

        def transactions(self, request):
            return [Top, Top]

    return DiamondSaga


def test_explain_prints_a_shared_subtree_once_and_refers_back_to_it():
    text = diamond_saga(22).explain({})
    lines = text.splitlines()
    assert len(lines) < 200  # one line per appearance: 2 per layer and side, not 2**22
    assert "      left1 <- class left1, built by the container, from Layers" in text
    assert ("        left2 <- class left2, built by the container, from Layers "
            "(providers['layers'])\n") in text
    assert ("        left2 <- class left2, built by the container, from Layers "
            "(providers['layers']) (its parameters: see above, under Top)") in text
    second_top = lines.index("    Top", lines.index("    Top") + 1)
    assert lines[second_top + 1].endswith("(its parameters: see above, under Top)")
    assert sum("bottom <- an instance of int" in line for line in lines) == 2


def test_explain_prints_a_chain_of_thousands_of_bindings_with_bounded_indentation():
    text = chain_saga(3_000).explain({})
    lines = text.splitlines()
    assert lines[-1].endswith("[3000] link2999 <- an instance of int from Chain "
                              "(providers['chain'])")
    assert max(len(line) for line in lines) < 200


def chain_saga(length):
    bindings = {}
    for number in range(length - 1):
        namespace: dict = {}
        exec(f"def __init__(self, link{number + 1}):\n    pass\n", namespace)  # noqa: S102
        bindings[f"link{number}"] = type(f"Link{number}", (), namespace)

    class Chain(BaseServiceProvider):
        def register(self):
            for name, cls in bindings.items():
                self.bind_class(name, cls)
            self.bind_instance(f"link{length - 1}", 1)

    class Start(Transaction):
        def __init__(self, link0):
            pass

    class ChainSaga(Saga):
        providers = {**Saga.providers, "chain": Chain}

        def transactions(self, request):
            return [Start]

    return ChainSaga


class SecretDefaults(Transaction):
    def __init__(self, vendor_api_key="sk-live-S3cretPW",
                 vendor_url="https://bob:S3cretPW@vendor.example", notes="x" * 500):
        pass


class SecretDefaultsSaga(Saga):
    def transactions(self, request):
        return [SecretDefaults]


def test_explain_masks_secret_defaults_and_cuts_long_ones_short():
    text = SecretDefaultsSaga.explain({})
    assert "S3cretPW" not in text
    assert "vendor_api_key <- its default *********" in text
    assert "vendor_url <- its default 'https://bob:*********@vendor.example'" in text
    assert "notes <- its default 'xxxx" in text and "x" * 100 not in text


# the lease and the journal ------------------------------------------------------------------

class Journaled(Transaction):
    def __init__(self, journal):
        pass


def _once_saga(lease):
    from rndi.connect.devops_fulfillment_framework import RequestLease

    class OnceSaga(Saga):
        def middlewares(self, request):
            return [RequestLease] if lease else []

        def transactions(self, request):
            return [Journaled]

    return OnceSaga


def test_a_lease_and_a_journal_on_the_null_cache_are_reported():
    problems = _once_saga(lease=True).check({})
    assert [(p.kind, p.name) for p in problems] == [("unsafe", "RequestLease"),
                                                    ("unsafe", "journal")]
    assert "RequestLease on the null cache (CACHE_DRIVER is 'none'), which shares nothing" in (
        problems[0].message)
    assert "Set CACHE_DRIVER to sqlite or file (one host) or redis" in problems[1].message
    assert _once_saga(lease=True).check({"CACHE_DRIVER": "sqlite"}) == []


def test_an_unknown_cache_driver_is_reported_as_the_null_cache_it_falls_back_to():
    # make() logs an error and uses the null cache for a driver it does not know, so the
    # lease and the journal protect nothing there either; the value is never shown
    problems = _once_saga(lease=True).check({"CACHE_DRIVER": "sqlite3-s3cret"})
    assert [(p.kind, p.name) for p in problems] == [("unsafe", "RequestLease"),
                                                    ("unsafe", "journal")]
    assert ("RequestLease on the null cache (CACHE_DRIVER names no built-in driver: none, "
            "file, sqlite, redis), which shares nothing") in problems[0].message
    assert all("s3cret" not in p.message for p in problems)
    assert _once_saga(lease=True).check({"CACHE_DRIVER": " SQLite "}) == []


def test_a_journal_without_the_lease_is_reported():
    (problem,) = _once_saga(lease=False).check({"CACHE_DRIVER": "redis"})
    assert problem.kind == "unsafe"
    assert problem.message.endswith("without RequestLease: two overlapping deliveries can "
                                    "both run a step before either records it. List "
                                    "RequestLease first in middlewares().")


def test_the_docstrings_and_the_readme_list_every_kind_of_problem():
    import ast
    import inspect
    from pathlib import Path

    from rndi.connect.devops_fulfillment_framework import wiring

    kinds = {node.args[0].value for node in ast.walk(ast.parse(inspect.getsource(wiring)))
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem"
             and isinstance(node.args[0], ast.Constant)}
    assert kinds == {"missing", "cycle", "duplicate", "invalid", "async", "unsafe"}
    checking = (Path(__file__).resolve().parents[4] / "docs" / "checking.md").read_text()
    for text in (Saga.check.__doc__, Problem.__doc__, checking):
        assert all(f"`{kind}`" in text for kind in kinds), text
    # and what each kind covers, the same in both docstrings: every setting of seconds
    # make() refuses, and a multi-step transaction without the lease
    from rndi.connect.devops_fulfillment_framework._settings import SETTINGS_OF_SECONDS

    for text in (Saga.check.__doc__, Problem.__doc__):
        flat = " ".join(text.split())
        assert all(f"``{key}``" in flat for key in SETTINGS_OF_SECONDS), flat
        assert "a journal or a multi-step transaction without the lease" in flat
