"""A saga always answers with a BackgroundResponse or raises an error naming the part at
fault; configuration keys cannot take over the framework's own bindings."""

import asyncio
import logging
import re

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import BackgroundTransaction, InvalidTransaction
from rndi.connect.devops_fulfillment_framework import (
    ConfigurationServiceProvider,
    InvalidResponse,
    Saga,
)
from rndi.connect.devops_fulfillment_framework.providers import configuration
from rndi.dicontainer import BaseServiceProvider, Container

LOGGER = logging.getLogger("tests.saga.failures")


class Answers(BackgroundTransaction):
    """Executes into ``request['answer']``; raises first when ``request['explode']``."""

    def should_execute(self, request):
        return True

    def execute(self, request):
        if request.get("explode"):
            raise RuntimeError("vendor down")
        return request["answer"]

    def compensate(self, request, e):
        return request["compensation"]


class OneSaga(Saga):
    def transactions(self, request):
        return [Answers]


@pytest.mark.parametrize(("answer", "got"), [(None, "None"), ("done", "a str")])
def test_execute_answering_with_a_non_response_names_the_transaction(answer, got):
    with pytest.raises(InvalidResponse) as error:
        OneSaga.make({}, None, LOGGER).resolve({"answer": answer})
    assert str(error.value).startswith(f"Answers.execute() returned {got}; it must return "
                                       "a BackgroundResponse")
    assert (error.value.source, error.value.stage, error.value.returned) == (
        "Answers", "execute", answer)


def test_compensate_answering_none_keeps_the_original_error_as_its_cause():
    with pytest.raises(InvalidResponse, match=r"Answers\.compensate\(\) returned None") as error:
        OneSaga.make({}, None, LOGGER).resolve({"explode": True, "compensation": None})
    assert isinstance(error.value.__cause__, RuntimeError)
    assert str(error.value.__cause__) == "vendor down"


def test_a_returned_value_is_never_printed():
    with pytest.raises(InvalidResponse) as error:
        OneSaga.make({}, None, LOGGER).resolve({"answer": {"api_key": "sk-S3cretPW"}})
    assert "S3cretPW" not in str(error.value) and "a dict" in str(error.value)


def test_a_middleware_answering_none_is_named():
    class Forgetful:
        def __call__(self, request, next_):
            next_(request)  # forgot the return

    def swallow(request, next_):
        return "skip"

    chosen = []

    class WithMiddleware(OneSaga):
        def middlewares(self, request):
            return chosen

    chosen[:] = [Forgetful]
    with pytest.raises(InvalidResponse, match=r"\.Forgetful\.__call__\(\) returned None"):
        WithMiddleware.make({}, None, LOGGER).resolve({"answer": BackgroundResponse.done()})
    chosen[:] = [swallow]
    with pytest.raises(InvalidResponse, match=r"swallow\.__call__\(\) returned a str"):
        WithMiddleware.make({}, None, LOGGER).resolve({"answer": BackgroundResponse.done()})


def test_a_class_that_is_not_a_transaction_is_invalid_not_skipped():
    class Listed(Saga):
        def transactions(self, request):
            return [dict, Answers]

    with pytest.raises(InvalidTransaction, match=r"Listed.transactions\(\) lists dict"):
        Listed.make({}, None, LOGGER).resolve({"answer": BackgroundResponse.done()})


def test_a_failing_provide_method_raises_its_own_error_naming_the_binding_in_a_note():
    class VendorProvider(BaseServiceProvider):
        def provide_vendor(self, config):
            raise ConnectionError("vendor.example.com unreachable")

    class NeedsVendor:
        def __init__(self, vendor):
            self.vendor = vendor

    container = Container([VendorProvider(), BaseServiceProvider({"config": {"to_instance": {}}})])
    with pytest.raises(ConnectionError, match=r"vendor\.example\.com unreachable") as error:
        container.get(NeedsVendor)
    (note,) = error.value.__notes__
    assert note.startswith("Raised while the container built 'vendor' (")
    assert "NeedsVendor -> vendor) with " in note
    assert "VendorProvider.provide_vendor()" in note


class VendorError(Exception):
    pass


class VendorSaga(Saga):
    class Provider(BaseServiceProvider):
        def provide_vendor(self, vendor_api_key):
            raise VendorError(f"key {vendor_api_key} refused")

    class UsesVendor(Answers):
        def __init__(self, vendor):
            self.vendor = vendor

    providers = {**Saga.providers, "vendor": Provider}

    def transactions(self, request):
        return [self.UsesVendor]


def test_code_catching_its_own_error_around_a_saga_still_catches_it():
    saga = VendorSaga.make({"VENDOR_API_KEY": "s3cr3t"}, None, LOGGER)
    with pytest.raises(VendorError) as error:
        saga.resolve({"id": "PR-1", "answer": BackgroundResponse.done()})
    assert "UsesVendor -> vendor) with VendorSaga.Provider.provide_vendor()" in (
        error.value.__notes__[0])
    assert "s3cr3t" not in error.value.__notes__[0]


@pytest.fixture
def fresh_warnings(monkeypatch):
    monkeypatch.setattr(configuration, "_warned", set())


@pytest.mark.parametrize("key", ["CLIENT", "LOGGER", "CACHE", "REQUEST", "CRITERIA",
                                 "ON_MATCH", "CONFIG"])
def test_a_config_key_named_like_a_framework_binding_cannot_break_the_saga(
        key, caplog, fresh_warnings):
    config = {key: "operator value", "ACTIVATION_TEMPLATE": "TL-1"}
    request = {"id": "PR-1", "answer": BackgroundResponse.done()}
    with caplog.at_level(logging.WARNING):
        saga = OneSaga.make(config, "the client", LOGGER, request)
        assert saga.resolve(request).status == "success"
        OneSaga.make(config, "the client", LOGGER, request)  # a second event: no new line
    container = saga.container
    assert container.bound("client") == "the client"
    assert container.bound("config") is config  # the key stays readable there
    assert container.bound("config")[key] == "operator value"
    assert container.bound("activation_template") == "TL-1"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"Configuration key '{key}' is not injected" in warnings[0]


def test_two_keys_binding_one_name_warn_and_the_later_wins(caplog, fresh_warnings):
    config = {"ACTIVATION_TEMPLATE": "TL-UPPER", "activation_template": "TL-lower"}
    with caplog.at_level(logging.WARNING):
        container = Container([ConfigurationServiceProvider(config)])
    # as in the published provider, where each key overwrote the one before
    assert container.bound("activation_template") == "TL-lower"
    assert ("Configuration keys 'ACTIVATION_TEMPLATE' and 'activation_template' both bind "
            "'activation_template'; 'activation_template' is injected") in caplog.text
    reversed_keys = {"activation_template": "TL-lower", "ACTIVATION_TEMPLATE": "TL-UPPER"}
    reversed_container = Container([ConfigurationServiceProvider(reversed_keys)])
    assert reversed_container.bound("activation_template") == "TL-UPPER"


def test_a_compensated_error_is_named_and_its_traceback_logged_masked(caplog):
    import logging

    from connect.eaas.core.responses import BackgroundResponse

    from rndi.connect.business_transactions import BackgroundTransaction
    from rndi.connect.devops_fulfillment_framework import Saga

    class Lookup(BackgroundTransaction):
        def should_execute(self, request):
            return True

        def execute(self, request):
            return {"a": 1}[f"https://user:hunter22@vendor/{request['token']}"]

        def compensate(self, request, e):
            return BackgroundResponse.reschedule()

    class LookupSaga(Saga):
        def transactions(self, request):
            return [Lookup]

    caplog.set_level(logging.INFO)
    request = {"id": "PR-9", "token": "s3cr3t-value"}
    logger = logging.getLogger("tests.compensated")
    LookupSaga.make({"VENDOR_TOKEN": "s3cr3t-value"}, None, logger, request).resolve(request)
    info, warning = [r for r in caplog.records if r.name == logger.name]
    assert info.getMessage() == (
        "PR-9 Transaction 'Lookup' answered reschedule (countdown 30 s) after KeyError.")
    text = warning.getMessage()
    assert warning.levelname == "WARNING"
    assert text.startswith("PR-9 Transaction 'Lookup' raised KeyError, which its compensate "
                           "answered with reschedule:\nTraceback (most recent call last):")
    assert "in execute" in text and "KeyError" in text.splitlines()[-1]
    assert "s3cr3t-value" not in text and "hunter22" not in text


@pytest.mark.parametrize(("role", "answer", "said"), [
    ("middlewares", None, "middlewares() answered None, not a list (is a return missing?)"),
    ("middlewares", {dict}, "middlewares() answered a set, not a list: a set has no order"),
    ("transactions", dict, "transactions() answered the class dict, not a list; write "
                           "return [dict]"),
    ("transactions", "Approve", "transactions() answered a str, not a list of entries"),
])
def test_a_flow_answering_no_list_is_refused_before_anything_runs(role, answer, said):
    ran = []
    request = {"id": "PR-1", "type": "purchase", "status": "pending"}

    class Runs(BackgroundTransaction):
        def should_execute(self, request):
            ran.append("should_execute")
            return True

        def execute(self, request):
            ran.append("execute")
            return BackgroundResponse.done()

        def compensate(self, request, e):
            return BackgroundResponse.fail()

    class Answers(Saga):
        def middlewares(self, request):
            return answer if role == "middlewares" else []

        def transactions(self, request):
            return answer if role == "transactions" else [Runs]

    with pytest.raises(TypeError, match=re.escape(f"Answers.{said}")):
        Answers.make({}, None, LOGGER).resolve(request)
    with pytest.raises(TypeError, match=re.escape(f"Answers.{said}")):
        asyncio.run(Answers.make({}, None, LOGGER).aresolve(request))
    assert ran == []
    # a tuple, or a generator of transactions, is a list of entries too
    tuple_saga = type("Tuples", (Saga,), {"middlewares": lambda self, r: (),
                                           "transactions": lambda self, r: (t for t in [Runs])})
    assert tuple_saga.make({}, None, LOGGER).resolve(
        request).status == "success"
