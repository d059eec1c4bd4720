import logging

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import (
    BackgroundTransaction,
    InvalidTransaction,
    TransactionNotSelected,
)
from rndi.connect.devops_fulfillment_framework import (
    CacheServiceProvider,
    ConfigurationServiceProvider,
    ConnectServiceProvider,
    JournalServiceProvider,
    OfflineServiceProvider,
    Saga,
)
from rndi.connect.devops_logger_adapter import ExtensionLoggerAdapter
from rndi.connect.request_offline_criteria import OfflineCriteria
from rndi.connect.request_offline_criteria.rules import (
    composited_match_offline_asset_and_marketplace_parameter,
    match_request_type,
)
from rndi.dicontainer import BaseServiceProvider, DependencyBuildingFailure

LOGGER = logging.getLogger("tests.saga")
CLIENT = object()


class Journal:
    def __init__(self):
        self.lines = []


class Recorded(BackgroundTransaction):
    """Applies when request['step'] equals its class attribute."""

    step = None

    def __init__(self, journal):
        self.journal = journal

    def should_execute(self, request):
        self.journal.lines.append(f"{self.name()}.should_execute")
        return request.get("step") == self.step

    def execute(self, request):
        self.journal.lines.append(f"{self.name()}.execute")
        if request.get("explode"):
            raise RuntimeError("vendor down")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        self.journal.lines.append(f"{self.name()}.compensate:{e}")
        return BackgroundResponse.fail(f"compensated {e}")


class First(Recorded):
    step = 1


class Second(Recorded):
    step = 2


class Broken(Recorded):
    step = 3

    def __init__(self, journal, missing_dependency):
        super().__init__(journal)


class Around:
    def __init__(self, journal):
        self.journal = journal

    def __call__(self, request, next):
        self.journal.lines.append("around:before")
        response = next(request)
        self.journal.lines.append("around:after")
        return response


class JournalProvider(BaseServiceProvider):
    def provide_journal(self):
        return Journal()


class ExampleSaga(Saga):
    providers = {**Saga.providers, "journal": JournalProvider}

    def transactions(self, request):
        return [First, Second, Broken]

    def middlewares(self, request):
        return [Around]


def make(request=None, config=None):
    return ExampleSaga.make(config or {}, CLIENT, LOGGER, request)


def journal_of(saga):
    return saga.container.get(Around).journal.lines


def test_first_applicable_transaction_runs_inside_the_middleware():
    saga = make()
    response = saga.resolve({"step": 2})
    assert response.status == "success"
    assert journal_of(saga) == ["around:before", "First.should_execute",
                                "Second.should_execute", "Second.execute", "around:after"]
    assert saga.selected.name() == "Second"


def test_compensation_answers_when_execute_raises():
    saga = make()
    response = saga.resolve({"step": 1, "explode": True})
    assert (response.status, response.output) == ("fail", "compensated vendor down")
    assert "First.compensate:vendor down" in journal_of(saga)


def test_no_transaction_selected_raises_with_candidates():
    class NothingApplies(ExampleSaga):
        def transactions(self, request):
            return [First, Second]

    with pytest.raises(TransactionNotSelected, match="First, Second"):
        NothingApplies.make({}, CLIENT, LOGGER).resolve({"id": "PR-1", "step": 9})


def test_broken_dependency_after_the_selected_transaction_does_not_fail_the_request():
    assert make().resolve({"step": 1}).status == "success"


def test_broken_dependency_of_a_transaction_that_must_be_tried_is_reported():
    with pytest.raises(DependencyBuildingFailure, match="missing_dependency"):
        make().resolve({"step": 3})


def test_instances_and_tuples_are_accepted_as_transactions_and_middlewares():
    calls = []

    class Mixed(Saga):
        def transactions(self, request):
            return [None, ("tuple", lambda r: r["go"] == "tuple",
                           lambda r: BackgroundResponse.skip("from tuple")),
                    First(Journal())]

        def middlewares(self, request):
            return [lambda r, n: calls.append("fn") or n(r), None]

    saga = Mixed.make({}, CLIENT, LOGGER)
    assert saga.resolve({"go": "tuple"}).output == "from tuple"
    assert saga.resolve({"go": "x", "step": 1}).status == "success"
    assert calls == ["fn", "fn"]


def test_invalid_transaction_entry_is_rejected():
    class Wrong(Saga):
        def transactions(self, request):
            return ["First"]

        def middlewares(self, request):
            return []

    with pytest.raises(InvalidTransaction):
        Wrong.make({}, CLIENT, LOGGER).resolve({})


def test_a_middleware_can_answer_before_any_transaction_is_built():
    built = []

    class Tracked(First):
        def __init__(self, journal):
            built.append("built")
            super().__init__(journal)

    class Gate(Saga):
        def transactions(self, request):
            return [Tracked]

        def middlewares(self, request):
            return [lambda request, next: BackgroundResponse.skip("gated")]

    assert Gate.make({}, CLIENT, LOGGER).resolve({"step": 1}).output == "gated"
    assert built == []


def test_providers_are_replaced_by_key():
    class UsesCache(BackgroundTransaction):
        def __init__(self, cache):
            self.cache = cache

        def should_execute(self, request):
            return True

        def execute(self, request):
            return BackgroundResponse.skip(type(self.cache).__name__)

        def compensate(self, request, e):
            raise e

    class CacheSaga(Saga):
        def transactions(self, request):
            return [UsesCache]

        def middlewares(self, request):
            return []

    fake = NullCacheAdapter()
    saga = CacheSaga({
        "config": ConfigurationServiceProvider({"CACHE_DRIVER": "sqlite"}),
        "connect": ConnectServiceProvider(CLIENT, LOGGER),
        "cache": BaseServiceProvider({"cache": {"to_instance": fake}}),
    })
    assert saga.container.get(UsesCache).cache is fake
    assert saga.resolve({}).output == "NullCacheAdapter"


def test_config_keys_are_bound_lower_cased_stripped_and_non_strings_kept():
    class Reads:
        def __init__(self, config, activation_template, retries, enabled, nothing):
            self.values = (activation_template, retries, enabled, nothing, config)

    config = {"ACTIVATION_TEMPLATE": "  TL-1 ", "RETRIES": 3, "ENABLED": True,
              "NOTHING": None, "not-an-identifier": "x"}
    saga = make(config=config)
    assert saga.container.get(Reads).values == ("TL-1", 3, True, None, config)


def test_config_binding_stays_the_mapping_even_with_a_key_named_config():
    class Reads:
        def __init__(self, config):
            self.config = config

    config = {"CONFIG": "a value"}
    assert make(config=config).container.get(Reads).config is config


def test_configuration_provider_rejects_non_mappings():
    with pytest.raises(TypeError, match="extension configuration"):
        ConfigurationServiceProvider(["CACHE_DRIVER"])


def test_request_is_bound_only_when_given():
    class NeedsRequest:
        def __init__(self, request):
            self.request = request

    request = {"id": "PR-1", "type": "purchase", "status": "pending", "asset": {"id": "AS-1"}}
    assert make(request).container.get(NeedsRequest).request is request
    with pytest.raises(DependencyBuildingFailure, match="'request'"):
        make().container.get(NeedsRequest)


def test_logger_is_bound_to_the_request_when_given(caplog):
    class Logs:
        def __init__(self, logger):
            self.logger = logger

    request = {"id": "PR-7", "type": "purchase", "status": "pending", "asset": {"id": "AS-7"}}
    logger = make(request).container.get(Logs).logger
    assert isinstance(logger, ExtensionLoggerAdapter)
    with caplog.at_level(logging.INFO, logger="tests.saga"):
        logger.info("hello")
    assert caplog.records[0].getMessage() == "PR-7 hello"
    assert caplog.records[0].asset_id == "AS-7"
    assert make().container.get(Logs).logger is LOGGER


def test_connect_provider_rejects_a_non_dict_request():
    with pytest.raises(TypeError, match="request dict"):
        ConnectServiceProvider(CLIENT, LOGGER, "PR-1")


def test_cache_provider_gives_sqlite_for_cache_driver_sqlite(tmp_path):
    class UsesCache:
        def __init__(self, cache):
            self.cache = cache

    saga = make(config={"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)})
    cache = saga.container.get(UsesCache).cache
    assert isinstance(cache, SQLiteCacheAdapter)
    assert saga.container.get(UsesCache).cache is cache  # one per container
    assert cache.path == str(tmp_path / "cache.sqlite")


def test_cache_defaults_to_null():
    class UsesCache:
        def __init__(self, cache):
            self.cache = cache

    assert isinstance(make().container.get(UsesCache).cache, NullCacheAdapter)


def test_offline_provider_binds_real_criteria_and_a_skipping_on_match():
    saga = make()
    criteria = saga.container.get(OfflineCriteria)
    assert criteria.criteria == [composited_match_offline_asset_and_marketplace_parameter,
                                 match_request_type]
    offline_cancel = {"id": "PR-2", "type": "cancel", "asset": {
        "id": "AS-9", "params": [{"id": "offline_mode", "value": "AS-9"}]}}
    assert criteria.on_match(offline_cancel).status == "skip"
    assert criteria.is_offline_enabled(offline_cancel) is True


def test_saga_rejects_non_dict_requests_and_providers():
    with pytest.raises(TypeError, match="request dict"):
        make().resolve("PR-1")
    with pytest.raises(TypeError, match="service provider"):
        ExampleSaga(["not", "a", "dict"])
    with pytest.raises(TypeError, match="service provider"):
        ExampleSaga([])


def test_class_level_providers_are_the_documented_ones():
    assert Saga.providers == {"cache": CacheServiceProvider, "offline": OfflineServiceProvider,
                              "journal": JournalServiceProvider}


class NoMiddlewareSaga(Saga):
    """Defines no middlewares(): none is the default."""

    providers = {**Saga.providers,
                 "journal": BaseServiceProvider({"journal": {"to_instance": Journal()}})}

    def transactions(self, request):
        return [First, Second]


def test_a_saga_without_middlewares_runs_its_transaction():
    saga = NoMiddlewareSaga.make({}, CLIENT, LOGGER)
    assert saga.middlewares({"step": 1}) == []
    assert saga.resolve({"id": "PR-1", "step": 2}).status == "success"
    assert type(saga.selected) is Second


def test_the_selected_transaction_and_its_outcome_are_logged_at_info_bound_to_the_request(
        caplog):
    request = {"id": "PR-1", "type": "purchase", "status": "pending", "step": 1,
               "explode": True}
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        NoMiddlewareSaga.make({}, CLIENT, LOGGER).resolve(request)
    (record,) = [r for r in caplog.records if hasattr(r, "transaction")]
    assert record.name == LOGGER.name and record.levelno == logging.INFO
    assert record.getMessage() == ("PR-1 Transaction 'First' answered fail "
                                   "(compensated vendor down).")
    assert (record.transaction, record.outcome, record.request_id) == ("First", "fail", "PR-1")


def test_a_reschedule_is_logged_with_its_countdown(caplog):
    class Later(First):
        def execute(self, request):
            return BackgroundResponse.reschedule(120)

    class LaterSaga(NoMiddlewareSaga):
        def transactions(self, request):
            return [Later]

    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        LaterSaga.make({}, CLIENT, LOGGER, {"id": "PR-2", "step": 1}).resolve({"step": 1})
    assert "PR-2 Transaction 'Later' answered reschedule (countdown 120 s)." in caplog.text


def test_without_a_bound_logger_the_line_goes_to_the_framework_logger(caplog):
    saga = NoMiddlewareSaga({"journal": BaseServiceProvider(
        {"journal": {"to_instance": Journal()}})})
    with caplog.at_level(logging.INFO):
        saga.resolve({"id": "PR-3", "step": 2})
    (record,) = [r for r in caplog.records if hasattr(r, "transaction")]
    assert record.name == "rndi.connect.devops_fulfillment_framework.application"
    assert record.getMessage() == "PR-3 Transaction 'Second' answered success."


def test_nothing_is_bound_for_the_line_when_info_is_off(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        NoMiddlewareSaga.make({}, CLIENT, LOGGER).resolve({"id": "PR-4", "step": 2})
    assert not [r for r in caplog.records if hasattr(r, "transaction")]
