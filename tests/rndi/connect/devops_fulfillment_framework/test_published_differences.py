"""What a saga does differently from the published framework, on purpose.

The published saga built every listed transaction and selected one before any middleware
ran. This one builds the transactions one at a time, inside the middlewares, and stops at
the selected one. Each test below pins one consequence that an extension can observe.
"""

import logging

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_objects import Asset, Request
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.connect.devops_fulfillment_framework.providers import OfflineServiceProvider
from rndi.connect.devops_logger_adapter import ExtensionLoggerAdapter
from rndi.connect.request_offline_criteria import OfflineCriteria
from rndi.dicontainer import BaseServiceProvider

LOGGER = logging.getLogger("tests.saga.differences")


class Calls(list):
    """What ran, in order."""


class CallsProvider(BaseServiceProvider):
    def __init__(self, calls):
        super().__init__({"calls": {"to_instance": calls}})


class Traced(BackgroundTransaction):
    handles = "purchase"

    def __init__(self, calls):
        calls.append(f"build {type(self).__name__}")
        self.calls = calls

    def should_execute(self, request):
        self.calls.append(f"select {type(self).__name__}")
        return request["type"] == self.handles

    def execute(self, request):
        self.calls.append(f"execute {type(self).__name__}")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e


class Purchase(Traced):
    pass


class NeedsWhatNobodyBinds(Traced):
    def __init__(self, calls, vendor_that_is_not_bound):
        super().__init__(calls)


class Outer:
    def __init__(self, calls):
        self.calls = calls

    def __call__(self, request, next):
        self.calls.append("middleware")
        return next(request)


class TracedSaga(Saga):
    def transactions(self, request):
        return [Purchase, NeedsWhatNobodyBinds]

    def middlewares(self, request):
        return [Outer, OfflineCriteria]


class PurchaseOnly(TracedSaga):
    def transactions(self, request):
        return [Purchase]


def resolve(request, saga_class=TracedSaga):
    calls = Calls()
    saga = saga_class({**saga_class.event_providers({}, None, LOGGER, request),
                       "calls": CallsProvider(calls)})
    return saga.resolve(request), calls


def offline_cancel():
    asset = Asset().with_id("AS-1").with_param("offline_mode", "AS-1")
    return Request().with_id("PR-1").with_type("cancel").with_asset(asset).raw()


def test_an_offline_request_that_no_transaction_handles_is_skipped():
    # published: TransactionNotSelected, raised while selecting before the middlewares ran
    response, calls = resolve(offline_cancel(), PurchaseOnly)
    assert response.status == "skip"
    assert calls == ["middleware"]  # no transaction was built


def test_a_broken_transaction_after_the_selected_one_does_not_fail_the_event():
    # published: DependencyBuildingFailure for NeedsWhatNobodyBinds, before anything ran
    response, calls = resolve(Request().with_id("PR-2").with_type("purchase").raw())
    assert response.status == "success"
    assert "build NeedsWhatNobodyBinds" not in calls


def test_middlewares_run_before_transactions_are_built_and_selected():
    # published order: build Purchase, build NeedsWhatNobodyBinds, select Purchase,
    # middleware, execute Purchase
    _, calls = resolve(Request().with_id("PR-3").with_type("purchase").raw())
    assert calls == ["middleware", "build Purchase", "select Purchase", "execute Purchase"]


class Logs:
    def __init__(self, logger):
        self.logger = logger


def test_make_binds_the_injected_logger_to_the_request_and_resolve_logs_one_info_line(
        caplog):
    # published: the logger given to make() is injected as it is, and resolve() logs nothing
    request = Request().with_id("PR-4").with_type("purchase").raw()
    saga = TracedSaga.make({}, None, LOGGER, request)
    logger = saga.container.get(Logs).logger
    assert isinstance(logger, ExtensionLoggerAdapter) and logger.logger is LOGGER
    assert logger.extra["request_id"] == "PR-4"

    class Plain(Saga):
        def transactions(self, request):
            return [("purchase", lambda r: True, lambda r: BackgroundResponse.done())]

    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        Plain.make({}, None, LOGGER, request).resolve(request)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.INFO, "PR-4 Transaction 'purchase' answered success.")]


class ApprovingOffline(OfflineServiceProvider):
    def provide_on_match(self):
        return lambda request: BackgroundResponse.skip(f"approved {request['id']} offline")


def test_offline_criteria_takes_the_bound_on_match_and_alone_still_skips():
    # published: on_match has a default, so the container never injected the binding
    request = offline_cancel()
    saga = PurchaseOnly({**PurchaseOnly.event_providers({}, None, LOGGER, request),
                         "calls": CallsProvider(Calls()), "offline": ApprovingOffline()})
    assert saga.resolve(request).output == "approved PR-1 offline"
    criteria = saga.container.get(OfflineCriteria)
    assert criteria.on_match(request).output == "approved PR-1 offline"
    assert OfflineCriteria([lambda r: True])(request).status == "skip"
