"""The spans of a delivery: sagas (sync and async) and the other flows, over a real
SQLite cache and a real Connect client talking HTTP to the local stand-in."""

import logging

import pytest
from connect.eaas.core.responses import (
    BackgroundResponse,
    InteractiveResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)
from opentelemetry.trace import SpanKind, StatusCode

from rndi.connect.api_facades import ConnectOpenAPIFacade
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.business_transactions.contracts import (
    InteractiveTransaction,
    ScheduledTransaction,
    ValidationTransaction,
)
from rndi.connect.devops_fulfillment_framework import (
    InteractiveFlow,
    RequestLease,
    Saga,
    ScheduledFlow,
    ValidationFlow,
)
from rndi.dicontainer import BaseServiceProvider
from rndi.telemetry.adapters.azure import generate_trace_id
from tests.conftest import PR
from tests.rndi.telemetry.conftest import named, tree

LOGGER = logging.getLogger("tests.telemetry")
SECRET = "s3cr3t-vendor-key"
CONFIG = {"ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_KEY": SECRET}


class Approve(BackgroundTransaction, ConnectOpenAPIFacade):
    def __init__(self, client, journal, activation_template):
        super().__init__(client)
        self.journal, self.template = journal, activation_template

    def name(self):
        return "Approve"

    def should_execute(self, request):
        return request["type"] == "purchase"

    def execute(self, request):
        order = self.journal.once("order", lambda: {"order": "O-1"})
        if request.get("later"):
            return BackgroundResponse.reschedule(60)
        if request.get("explode"):
            raise RuntimeError(f"vendor https://bot:hunter22@vendor.test said no to {SECRET}")
        self.approve_asset_request(request, self.template)
        return BackgroundResponse.done() if order else BackgroundResponse.fail("no order")

    def compensate(self, request, e):
        return BackgroundResponse.fail("the vendor refused")


class AsyncApprove(Approve):
    async def execute(self, request):
        await self.journal.aonce("order", lambda: {"order": "O-1"})
        await self.aapprove_asset_request(request, self.template)
        return BackgroundResponse.done()


class PurchaseSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Approve]


class AsyncPurchaseSaga(PurchaseSaga):
    def transactions(self, request):
        return [AsyncApprove]


def made(flow, client, request, cache, observer, config=CONFIG):
    providers = flow.event_providers(config, client, LOGGER, request)
    providers["cache"] = BaseServiceProvider({"cache": {"to_instance": cache}})
    providers["telemetry"] = BaseServiceProvider({"observer": {"to_instance": observer}})
    return flow(providers)


PURCHASE_TREE = """process PurchaseSaga
  lease
  transaction Approve
    journal step order
    connect approve_asset_request"""


def test_a_sync_saga_delivery_is_one_span_tree_with_the_connect_ids(
        api, asset_purchase, cache, observer, exporter):
    response = made(PurchaseSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    spans = exporter.get_finished_spans()
    assert response.status == "success"
    assert tree(spans) == PURCHASE_TREE
    delivery = named(spans, "process PurchaseSaga")
    assert delivery.kind is SpanKind.CONSUMER
    assert delivery.context.trace_id == generate_trace_id(PR)
    assert {span.context.trace_id for span in spans} == {generate_trace_id(PR)}
    assert dict(delivery.attributes) == {
        "messaging.system": "connect", "messaging.operation.type": "process",
        "messaging.operation.name": "process", "messaging.message.id": PR,
        "rndi.flow.kind": "Saga", "rndi.flow.name": "PurchaseSaga", "rndi.flow.mode": "sync",
        "vendor_id": "VA-610-138", "product_id": "PRD-568-313-088",
        "marketplace_id": asset_purchase["asset"]["marketplace"]["id"],
        "contract_id": asset_purchase["asset"]["contract"]["id"],
        "connection_id": asset_purchase["asset"]["connection"]["id"],
        "asset_id": "AS-8790-0160-2196", "request_id": PR, "request_status": "pending",
        "request_type": "purchase", "rndi.response.status": "success",
        "rndi.transaction.selected": "Approve"}
    assert named(spans, "lease").attributes["rndi.lease.decision"] == "held"
    transaction = named(spans, "transaction Approve")
    assert transaction.attributes["rndi.transaction.selected"] is True
    assert transaction.attributes["rndi.transaction.outcome"] == "success"
    assert named(spans, "journal step order").attributes["rndi.journal.outcome"] == "ran"
    call = named(spans, "connect approve_asset_request")
    assert call.kind is SpanKind.CLIENT
    assert call.attributes["rndi.connect.operation"] == "approve_asset_request"
    assert len(api.calls_to("POST", f"/requests/{PR}/approve")) == 1


@pytest.mark.anyio
async def test_an_async_saga_delivery_has_the_same_span_tree(
        api, asset_purchase, cache, observer, exporter):
    saga = made(AsyncPurchaseSaga, api.async_client(), asset_purchase, cache, observer)

    response = await saga.aresolve(asset_purchase)

    spans = exporter.get_finished_spans()
    assert response.status == "success"
    assert tree(spans) == PURCHASE_TREE.replace("PurchaseSaga", "AsyncPurchaseSaga")
    assert named(spans, "process AsyncPurchaseSaga").attributes["rndi.flow.mode"] == "async"
    assert {span.context.trace_id for span in spans} == {generate_trace_id(PR)}


def test_a_compensated_error_is_a_masked_exception_event_of_its_transaction(
        api, asset_purchase, cache, observer, exporter):
    asset_purchase["explode"] = True

    response = made(PurchaseSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    spans = exporter.get_finished_spans()
    assert response.status == "fail"
    transaction = named(spans, "transaction Approve")
    assert transaction.attributes["rndi.transaction.outcome"] == "fail"
    assert transaction.attributes["rndi.transaction.compensated"] == "RuntimeError"
    assert transaction.status.status_code is StatusCode.UNSET  # handled, not an error
    [event] = transaction.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "builtins.RuntimeError"
    text = event.attributes["exception.message"] + event.attributes["exception.stacktrace"]
    assert "vendor.test said no" in text
    assert SECRET not in text and "hunter22" not in text
    assert named(spans, "process PurchaseSaga").attributes["rndi.response.status"] == "fail"


def test_a_delivery_that_finds_the_lease_held_has_a_rescheduled_lease_span_only(
        api, asset_purchase, cache, observer, exporter):
    assert cache.claim(f"lease:{PR}", "another-delivery", 300)

    response = made(PurchaseSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    spans = exporter.get_finished_spans()
    assert response.status == "reschedule"
    assert tree(spans) == "process PurchaseSaga\n  lease"
    assert named(spans, "lease").attributes["rndi.lease.decision"] == "rescheduled"
    assert named(spans, "process PurchaseSaga").attributes["rndi.response.status"] == \
        "reschedule"
    assert api.calls_to("POST", f"/requests/{PR}/approve") == []


def test_a_redelivery_replays_the_journal_step_in_the_same_trace(
        api, asset_purchase, cache, observer, exporter):
    first = dict(asset_purchase, later=True)
    assert made(PurchaseSaga, api.client(), first, cache, observer).resolve(
        first).status == "reschedule"

    again = made(PurchaseSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    spans = exporter.get_finished_spans()
    assert again.status == "success"
    deliveries = [span for span in spans if span.name == "process PurchaseSaga"]
    assert [d.attributes["rndi.response.status"] for d in deliveries] == \
        ["reschedule", "success"]
    assert deliveries[0].attributes["rndi.response.countdown"] == 60
    assert deliveries[0].context.trace_id == deliveries[1].context.trace_id
    steps = [span for span in spans if span.name == "journal step order"]
    assert [step.attributes["rndi.journal.outcome"] for step in steps] == ["ran", "replayed"]
    assert [step.parent.span_id for step in steps] == [
        span.context.span_id for span in spans if span.name == "transaction Approve"]


# the other flows ------------------------------------------------------------------------

class Fill(ValidationTransaction):
    def name(self):
        return "Fill"

    def execute(self, request):
        return ValidationResponse.done(dict(request, filled=True))


class Check(ValidationTransaction):
    def name(self):
        return "Check"

    def execute(self, request):
        return ValidationResponse.done(request) if request.get("filled") else \
            ValidationResponse.fail(request, "not filled")


class Validate(ValidationFlow):
    def transactions(self, request):
        return [Fill, Check]


class Act(InteractiveTransaction):
    def name(self):
        return "Act"

    def execute(self, request):
        return InteractiveResponse.done()


class Refuse(InteractiveTransaction):
    def name(self):
        return "Refuse"

    def execute(self, request):
        return InteractiveResponse.fail(output="refused")


class Never(Act):
    def name(self):
        return "Never"


class Interact(InteractiveFlow):
    def transactions(self, request):
        return [Act, Refuse, Never]


class Tick(ScheduledTransaction):
    def name(self):
        return "Tick"

    async def handle(self, schedule):
        return ScheduledExecutionResponse.done()


class Nightly(ScheduledFlow):
    def transactions(self, request):
        return [Tick, ("Tock", lambda schedule: ScheduledExecutionResponse.done())]


def test_a_validation_flow_has_a_span_per_transaction(
        api, asset_purchase, cache, observer, exporter):
    draft = dict(asset_purchase, status="draft")

    response = made(Validate, api.client(), draft, cache, observer).resolve(draft)

    spans = exporter.get_finished_spans()
    assert response.status == "success"
    assert tree(spans) == "process Validate\n  transaction Fill\n  transaction Check"
    delivery = named(spans, "process Validate")
    assert delivery.attributes["rndi.flow.kind"] == "ValidationFlow"
    assert delivery.attributes["request_status"] == "draft"
    assert list(delivery.attributes["rndi.transactions.ran"]) == ["Fill", "Check"]
    assert named(spans, "transaction Check").attributes["rndi.transaction.outcome"] == "success"


def test_an_interactive_flow_stops_at_a_fail_and_traces_what_ran(
        api, cache, observer, exporter):
    action = {"jwt_payload": {"asset_id": "AS-1"}}

    response = made(Interact, api.client(), action, cache, observer).resolve(action)

    spans = exporter.get_finished_spans()
    assert response.status == "fail"
    assert tree(spans) == "process Interact\n  transaction Act\n  transaction Refuse"
    delivery = named(spans, "process Interact")
    assert delivery.context.trace_id == generate_trace_id("AS-1")
    assert delivery.attributes["rndi.response.status"] == "fail"
    assert named(spans, "transaction Refuse").attributes["rndi.transaction.outcome"] == "fail"


@pytest.mark.anyio
async def test_a_scheduled_flow_traces_async_and_functional_transactions(
        api, cache, observer, exporter):
    schedule = {"id": "EFS-1", "method": "nightly"}

    response = await made(Nightly, api.async_client(), schedule, cache, observer).aresolve(
        schedule)

    spans = exporter.get_finished_spans()
    assert response.status == "success"
    assert tree(spans) == "process Nightly\n  transaction Tick\n  transaction Tock"
    assert named(spans, "process Nightly").attributes["rndi.flow.kind"] == "ScheduledFlow"
    assert named(spans, "process Nightly").context.trace_id == generate_trace_id("EFS-1")


def test_an_error_of_a_flow_is_recorded_on_the_delivery_and_raised(
        api, cache, observer, exporter):
    class Broken(InteractiveTransaction):
        def name(self):
            return "Broken"

        def execute(self, request):
            raise ValueError(f"bad key {SECRET}")

    class Breaks(InteractiveFlow):
        def transactions(self, request):
            return [Broken]

    with pytest.raises(ValueError, match="bad key"):
        made(Breaks, api.client(), {"id": "X-1"}, cache, observer).resolve({"id": "X-1"})

    spans = exporter.get_finished_spans()
    for name in ("process Breaks", "transaction Broken"):
        span = named(spans, name)
        assert span.status.status_code is StatusCode.ERROR
        assert SECRET not in span.events[0].attributes["exception.message"]


class Rejected(Approve):
    def execute(self, request):
        password = request["asset"]["params"][-1]["value"]
        raise RuntimeError(f"the vendor rejected password {password}")


class RejectedSaga(PurchaseSaga):
    def transactions(self, request):
        return [Rejected]


def test_a_request_parameters_secret_quoted_by_an_error_is_masked_in_its_exception_event(
        api, asset_purchase, cache, observer, exporter):
    password = "ReqSecret99"
    asset_purchase["asset"]["params"].append(
        {"id": "vendor_password", "type": "password", "value": password})

    response = made(RejectedSaga, api.client(), asset_purchase, cache, observer).resolve(
        asset_purchase)

    assert response.status == "fail"
    [event] = named(exporter.get_finished_spans(), "transaction Approve").events
    text = event.attributes["exception.message"] + event.attributes["exception.stacktrace"]
    assert "the vendor rejected password *********" in text
    assert password not in text
