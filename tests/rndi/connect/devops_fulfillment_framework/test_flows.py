"""ValidationFlow, InteractiveFlow and ScheduledFlow: the same providers as a saga, the
transactions in order until a fail, their answers checked; resolve and aresolve alike."""

import asyncio
import logging
import threading

import pytest
from connect.eaas.core.responses import (
    BackgroundResponse,
    InteractiveResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_objects import Request
from rndi.connect.business_transactions import (
    BackgroundTransaction,
    InteractiveTransaction,
    InvalidTransaction,
    ScheduledTransaction,
    SyncAsyncMismatch,
    TransactionNotSelected,
    ValidationTransaction,
)
from rndi.connect.devops_fulfillment_framework import (
    InteractiveFlow,
    InvalidResponse,
    Saga,
    ScheduledFlow,
    ValidationFlow,
)
from rndi.connect.testing import ConnectAPI
from rndi.dicontainer import BaseServiceProvider
from rndi.dicontainer.exceptions import DependencyBuildingFailure

LOGGER = logging.getLogger("tests.flows")
ORDER_TYPES = ("ASC", "DESC")


def resolve(flow, request):
    return flow.resolve(request)


def aresolve(flow, request):
    return asyncio.run(flow.aresolve(request))


DRIVERS = pytest.mark.parametrize("run", [resolve, aresolve], ids=["resolve", "aresolve"])


def draft(order_type="ASC", request_id="PR-1000-0000-0000-001"):
    return (Request().with_id(request_id).with_type("purchase").with_status("draft")
            .with_param("ORDER_TYPE", order_type).with_param("QUANTITY", "").raw())


class OrderTypes(BaseServiceProvider):
    def provide_order_types(self):
        return ORDER_TYPES


class CheckOrderType(ValidationTransaction):
    def __init__(self, order_types, logger):
        self.order_types = order_types
        self.logger = logger

    def execute(self, request):
        value = Request(request).param("ORDER_TYPE", "value")
        if value not in self.order_types:
            self.logger.info("Order type %s refused.", value)
            Request(request).with_param("ORDER_TYPE", value,
                                        value_error=f"{value} is not offered")
            return ValidationResponse.fail(request, output="ORDER_TYPE refused")
        return ValidationResponse.done(request)


class FillQuantity(ValidationTransaction):
    """Reads what the previous validator left and fills another parameter."""

    def execute(self, request):
        order_type = Request(request).param("ORDER_TYPE", "value")
        filled = Request(request).with_param("QUANTITY", "10" if order_type == "ASC" else "1")
        return ValidationResponse.done(filled.raw())


class NeverBuilt(ValidationTransaction):
    def __init__(self, not_bound_anywhere):
        raise AssertionError("a validator after a fail must not be built")

    def execute(self, request):
        raise AssertionError("never")


class PurchaseValidation(ValidationFlow):
    providers = {**ValidationFlow.providers, "order_types": OrderTypes}

    def transactions(self, request):
        return [CheckOrderType, FillQuantity, NeverBuilt]


class Recorder:
    """A middleware that records the calls around the flow."""

    def __init__(self):
        self.seen = []

    def __call__(self, request, next_):
        self.seen.append(request["id"])
        return next_(request)


@DRIVERS
def test_validators_run_in_order_on_the_request_the_previous_one_left(run):
    class TwoSteps(PurchaseValidation):
        def transactions(self, request):
            return [CheckOrderType, FillQuantity]

    flow = TwoSteps.make({}, None, LOGGER, draft("ASC"))
    response = run(flow, draft("ASC"))
    assert isinstance(response, ValidationResponse)
    assert (response.status, response.data["http_status"]) == ("success", 200)
    assert Request(response.body).param("QUANTITY", "value") == "10"
    assert [type(t) for t in flow.ran] == [CheckOrderType, FillQuantity]


@DRIVERS
def test_a_fail_stops_the_chain_and_answers_with_the_annotated_request(run, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    request = draft("RANDOM")
    response = run(PurchaseValidation.make({}, None, LOGGER, request), request)
    assert (response.status, response.output) == ("fail", "ORDER_TYPE refused")
    assert response.data["http_status"] == 400
    assert Request(response.body).param("ORDER_TYPE", "value_error") == "RANDOM is not offered"
    # the injected logger is bound to the request, and the flow says what ran
    assert "PR-1000-0000-0000-001 Order type RANDOM refused." in caplog.text
    assert ("PR-1000-0000-0000-001 PurchaseValidation answered fail (ORDER_TYPE refused); "
            "ran: 'CheckOrderType'.") in caplog.text


@DRIVERS
def test_a_fail_without_a_body_carries_the_request_as_it_was_left(run):
    def refuse(request):
        return ValidationResponse.fail(output="no")

    class Refusing(ValidationFlow):
        def transactions(self, request):
            return [FillQuantity, ("refuse", refuse)]

    response = run(Refusing.make({}, None, LOGGER), draft("DESC"))
    assert response.status == "fail"
    assert Request(response.body).param("QUANTITY", "value") == "1"


@DRIVERS
def test_middlewares_run_around_the_validators(run):
    recorder = Recorder()

    class Watched(PurchaseValidation):
        def middlewares(self, request):
            return [recorder]

        def transactions(self, request):
            return [FillQuantity]

    assert run(Watched.make({}, None, LOGGER), draft()).status == "success"
    assert recorder.seen == ["PR-1000-0000-0000-001"]


@DRIVERS
def test_with_no_validator_for_a_request_it_is_answered_unchanged(run):
    class Nothing(ValidationFlow):
        def transactions(self, request):
            return []

    request = draft()
    response = run(Nothing.make({}, None, LOGGER), request)
    assert (response.status, response.body) == ("success", request)


@DRIVERS
@pytest.mark.parametrize(("answer", "message"), [
    (BackgroundResponse.done(), "Wrong.execute() returned a BackgroundResponse; it must "
                                "return a ValidationResponse (ValidationResponse.done(request)"),
    (None, "Wrong.execute() returned None; it must return a ValidationResponse"),
    (ValidationResponse.done(None), "Wrong.execute() returned a ValidationResponse whose body "
                                    "is a NoneType, not the validated request; answer with "
                                    "ValidationResponse.done(request)"),
], ids=["background-response", "none", "done-without-the-request"])
def test_a_validator_answering_what_the_runner_cannot_send_is_named(run, answer, message):
    class Wrong(ValidationTransaction):
        def execute(self, request):
            return answer

    class Flow(ValidationFlow):
        def transactions(self, request):
            return [Wrong]

    with pytest.raises(InvalidResponse) as raised:
        run(Flow.make({}, None, LOGGER), draft())
    assert str(raised.value).startswith("test_a_validator_answering_what_the_runner_cannot_"
                                        "send_is_named.<locals>." + message)
    assert raised.value.expected == "ValidationResponse"


@DRIVERS
def test_a_middleware_answering_a_background_response_to_a_validation_is_named(run):
    def skipping(request, next_):
        return BackgroundResponse.skip()

    class Flow(PurchaseValidation):
        def middlewares(self, request):
            return [skipping]

    with pytest.raises(InvalidResponse, match=r"^test_a_middleware_answering.*skipping"
                                              r"\.__call__\(\) returned a BackgroundResponse; "
                                              r"it must return a ValidationResponse"):
        run(Flow.make({}, None, LOGGER), draft())


class Provision(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e


class Nightly(ScheduledTransaction):
    def handle(self, request):
        return ScheduledExecutionResponse.done()


class ProductAction(InteractiveTransaction):
    def execute(self, request):
        return InteractiveResponse.done(body={"url": "https://vendor.example/console"})


@pytest.mark.parametrize(("flow", "listed", "message"), [
    (Saga, CheckOrderType, "Listed.transactions() lists CheckOrderType, which is a "
                           "ValidationTransaction: a Saga runs BackgroundTransactions. List "
                           "it in a ValidationFlow"),
    (Saga, Nightly(), "Listed.transactions() lists a Nightly, which is a ScheduledTransaction: "
                      "a Saga runs BackgroundTransactions. List it in a ScheduledFlow"),
    (ValidationFlow, Provision, "lists Provision, which is a BackgroundTransaction: a "
                                "ValidationFlow runs ValidationTransactions. List it in a Saga"),
    (ScheduledFlow, CheckOrderType, "a ScheduledFlow runs ScheduledTransactions. List it in a "
                                    "ValidationFlow"),
    (InteractiveFlow, CheckOrderType, "lists CheckOrderType, which is a ValidationTransaction: "
                                      "an InteractiveFlow runs InteractiveTransactions. List it "
                                      "in a ValidationFlow"),
    (ValidationFlow, ProductAction, "which is an InteractiveTransaction: a ValidationFlow runs "
                                    "ValidationTransactions. List it in an InteractiveFlow"),
], ids=["saga-validation", "saga-scheduled", "validation-background",
        "scheduled-validation", "interactive-validation", "validation-interactive"])
def test_a_transaction_in_the_wrong_kind_of_flow_is_refused_naming_the_right_one(
        flow, listed, message):
    class Listed(flow):
        providers = {**flow.providers, "order_types": OrderTypes}

        def transactions(self, request):
            return [listed]

    with pytest.raises(InvalidTransaction) as raised:
        Listed.make({}, None, LOGGER).resolve(draft())
    assert message in str(raised.value)


def test_an_entry_that_is_no_transaction_is_refused_with_the_shapes_accepted():
    class Odd(ScheduledFlow):
        def transactions(self, request):
            return [("name", "not callable")]

    with pytest.raises(InvalidTransaction, match="'name': the handle function must be "
                                                 "callable, got a str"):
        Odd.make({}, None, LOGGER).resolve({"id": "EFS-1"})

    class Odder(ScheduledFlow):
        def transactions(self, request):
            return [42]

    with pytest.raises(InvalidTransaction, match=r"lists an int; list ScheduledTransaction "
                                                 r"classes, instances or \(name, handle\)"):
        Odder.make({}, None, LOGGER).resolve({"id": "EFS-1"})


# scheduled -------------------------------------------------------------------------------

class Reconcile(ScheduledTransaction):
    """Reads the schedule and the cache, both injected."""

    def __init__(self, schedule, cache):
        self.schedule = schedule
        self.cache = cache

    def handle(self, request):
        assert request is self.schedule
        count = self.cache.get("runs", 0) + 1
        self.cache.put("runs", count)
        return ScheduledExecutionResponse.done()


class Report(ScheduledTransaction):
    def __init__(self, cache):
        self.cache = cache

    def handle(self, request):
        return ScheduledExecutionResponse.fail(f"{self.cache.get('runs')} run(s) so far")


class Nightly2(ScheduledFlow):
    def transactions(self, schedule):
        return [Reconcile, Report, NeverBuilt]


SCHEDULE = {"id": "EFS-000-001", "method": "nightly", "parameter": {}}


@DRIVERS
def test_a_scheduled_flow_runs_its_tasks_with_the_schedule_and_the_cache(run, tmp_path):
    config = {"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)}
    schedule = dict(SCHEDULE)
    response = run(Nightly2.make(config, None, LOGGER, schedule), schedule)
    assert isinstance(response, ScheduledExecutionResponse)
    assert (response.status, response.output) == ("fail", "1 run(s) so far")
    assert SQLiteCacheAdapter(str(tmp_path)).get("runs") == 1


@DRIVERS
def test_a_scheduled_task_answering_another_type_is_named(run):
    class Wrong(ScheduledFlow):
        def transactions(self, schedule):
            return [("Reconcile", lambda schedule: BackgroundResponse.done())]

    with pytest.raises(InvalidResponse, match=r"^Reconcile\.handle\(\) returned a "
                                              r"BackgroundResponse; it must return a "
                                              r"ScheduledExecutionResponse"):
        run(Wrong.make({}, None, LOGGER), dict(SCHEDULE))


@DRIVERS
@pytest.mark.parametrize("flow", [ScheduledFlow, InteractiveFlow])
def test_a_flow_listing_nothing_to_run_says_so(run, flow):
    class Empty(flow):
        def transactions(self, request):
            return [None]

    with pytest.raises(TransactionNotSelected, match=r"Empty.transactions.. lists no "
                                                     r"transaction for .*'EFS-000-001'"):
        run(Empty.make({}, None, LOGGER), dict(SCHEDULE))


def test_a_schedule_is_bound_only_when_given():
    assert ScheduledFlow.event_providers({}, None, LOGGER).keys() == {"config", "connect"}
    flow = Nightly2.make({}, None, LOGGER, SCHEDULE)
    assert flow.container.bound("schedule") is SCHEDULE
    assert flow.container.bound("request") is SCHEDULE


# interactive -----------------------------------------------------------------------------

@DRIVERS
def test_an_interactive_flow_answers_its_last_transaction_and_stops_at_a_fail(run):
    seen = []

    def remember(request):
        seen.append(request["id"])
        return InteractiveResponse.done()

    def refuse(request):
        return InteractiveResponse.fail(body={"error": "no"}, output="refused")

    class Actions(InteractiveFlow):
        def transactions(self, request):
            return [("remember", remember), ProductAction, ("refuse", refuse), NeverBuilt]

    class Done(InteractiveFlow):
        def transactions(self, request):
            return [("remember", remember), ProductAction]

    response = run(Done.make({}, None, LOGGER), {"id": "PRD-1"})
    assert response.data == {"http_status": 200, "headers": None,
                             "body": {"url": "https://vendor.example/console"}}
    failed = run(Actions.make({}, None, LOGGER), {"id": "PRD-1"})
    assert (failed.status, failed.data["http_status"], failed.output) == ("fail", 400, "refused")
    assert seen == ["PRD-1", "PRD-1"]


# sync and async --------------------------------------------------------------------------

class ACheckOrderType(CheckOrderType):
    async def execute(self, request):
        await asyncio.sleep(0)
        return super().execute(request)


def test_aresolve_awaits_async_validators_and_runs_sync_ones_off_the_loop():
    threads = {}

    class Where(ValidationTransaction):
        def execute(self, request):
            threads["sync"] = threading.current_thread()
            return ValidationResponse.done(request)

    class Mixed(PurchaseValidation):
        def transactions(self, request):
            return [ACheckOrderType, Where]

    async def main():
        threads["loop"] = threading.current_thread()
        return await Mixed.make({}, None, LOGGER).aresolve(draft())

    assert asyncio.run(main()).status == "success"
    assert threads["sync"] is not threads["loop"]


@pytest.mark.parametrize(("flow", "argument"), [(PurchaseValidation, "request"),
                                                (Nightly2, "schedule")])
def test_resolve_refuses_async_parts_and_the_async_client_before_anything_runs(
        flow, argument):
    class AsyncFlow(flow):
        def transactions(self, request):
            return [ACheckOrderType] if flow is PurchaseValidation else [
                ("nightly", _async_handle)]

    with pytest.raises(SyncAsyncMismatch) as raised:
        AsyncFlow.make({}, None, LOGGER).resolve(draft())
    assert f"await AsyncFlow.make(self.config, self.client, self.logger, {argument})" \
           f".aresolve({argument})" in str(raised.value)
    with ConnectAPI() as connect:
        with pytest.raises(SyncAsyncMismatch, match="was given an AsyncConnectClient"):
            flow.make({}, connect.async_client(), LOGGER).resolve(draft())
        assert connect.calls == []


async def _async_handle(schedule):
    return ScheduledExecutionResponse.done()


def test_a_broken_dependency_is_reported_when_its_validator_is_reached():
    class Broken(PurchaseValidation):
        def transactions(self, request):
            return [FillQuantity, NeverBuilt]

    with pytest.raises(DependencyBuildingFailure, match="not_bound_anywhere"):
        Broken.make({}, None, LOGGER).resolve(draft())


def test_flows_refuse_what_is_not_a_request_dict():
    with pytest.raises(TypeError, match=r"PurchaseValidation.resolve\(\) takes the request "
                                        r"dict, got a str"):
        PurchaseValidation.make({}, None, LOGGER).resolve("PR-1")


@DRIVERS
def test_an_interactive_transaction_answering_another_type_is_named(run):
    class Wrong(InteractiveFlow):
        def transactions(self, request):
            return [("open console", lambda request: ScheduledExecutionResponse.done())]

    with pytest.raises(InvalidResponse, match=r"^open console\.execute\(\) returned a "
                                              r"ScheduledExecutionResponse; it must return an "
                                              r"InteractiveResponse \(InteractiveResponse"
                                              r"\.done\(body=\.\.\.\)"):
        run(Wrong.make({}, None, LOGGER), {"id": "PRD-1"})


def test_nothing_is_logged_when_info_is_off(caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER.name):
        assert PurchaseValidation.make({}, None, LOGGER).resolve(draft("RANDOM")).status == (
            "fail")
    assert not [record for record in caplog.records if hasattr(record, "transactions")]


def test_the_outcome_line_carries_what_ran_and_goes_to_the_framework_logger_unbound(caplog):
    class Twice(ValidationFlow):
        def transactions(self, request):
            return [FillQuantity, ("again", ValidationResponse.done)]

    with caplog.at_level(logging.INFO):
        Twice.make({}, None, None).resolve(draft())
    (record,) = [r for r in caplog.records if hasattr(r, "transactions")]
    assert record.name == "rndi.connect.devops_fulfillment_framework.application"
    assert (record.transactions, record.outcome) == (["FillQuantity", "again"], "success")
    assert record.getMessage() == ("PR-1000-0000-0000-001 Twice answered success; ran: "
                                   "'FillQuantity', 'again'.")
