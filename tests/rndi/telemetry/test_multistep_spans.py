"""The spans of a multi-step transaction: one per step and per undo, saying whether it ran
or its journal replayed it, under resolve() and aresolve() (sync and async steps)."""

import asyncio

import pytest
from opentelemetry.trace import StatusCode

from rndi.connect.business_transactions import SyncAsyncMismatch
from rndi.dicontainer import BaseServiceProvider
from tests.rndi.connect.devops_fulfillment_framework.test_multistep import (
    LOGGER,
    AsyncPurchaseSaga,
    Down,
    Provide,
    PurchaseSaga,
    Refused,
    Vendor,
    request_,
)
from tests.rndi.telemetry.conftest import tree

SECRET = "s3cr3t-card-key"
WORLDS = ["sync", "async-sync-steps", "async-async-steps"]


@pytest.fixture(params=WORLDS)
def world(request):
    return request.param


@pytest.fixture
def vendor():
    return Vendor()


def deliver(world, cache, vendor, observer, saga=None, config=None):
    """One traced delivery, as the runner's handler makes one."""
    saga = saga or (AsyncPurchaseSaga if world == "async-async-steps" else PurchaseSaga)
    made = saga({**saga.event_providers(config or {}, None, LOGGER, request_()),
                 "cache": Provide(cache, vendor),
                 "telemetry": BaseServiceProvider({"observer": {"to_instance": observer}})})
    if world == "sync":
        return made.resolve(request_())
    return asyncio.run(made.aresolve(request_()))


def steps_of(spans):
    """(name, outcome, position) of each step and undo span, in start order."""
    return [(span.name, span.attributes["rndi.step.outcome"],
             span.attributes["rndi.step.position"])
            for span in sorted(spans, key=lambda s: s.start_time)
            if span.name.startswith(("step ", "undo "))]


def test_each_step_is_a_child_span_of_the_transaction(world, cache, vendor, observer,
                                                      exporter):
    saga = AsyncPurchaseSaga if world == "async-async-steps" else PurchaseSaga

    answer = deliver(world, cache, vendor, observer)

    spans = exporter.get_finished_spans()
    assert answer.status == "success"
    assert tree(spans) == "\n".join([
        f"process {saga.__name__}", "  lease", "  transaction Purchase",
        "    step customer", "    step subscription", "    step parameters", "    step approve"])
    assert steps_of(spans) == [("step customer", "done", 1), ("step subscription", "done", 2),
                               ("step parameters", "done", 3), ("step approve", "done", 4)]
    assert {span.attributes["rndi.step.kind"] for span in spans
            if span.name.startswith("step ")} == {"step"}
    assert {span.context.trace_id for span in spans} == {spans[0].context.trace_id}


def test_a_redelivery_replays_the_steps_done_and_a_retried_step_is_an_error(
        world, cache, vendor, observer, exporter):
    vendor.fail["write_parameters"] = [Down("no route")]
    assert deliver(world, cache, vendor, observer).status == "reschedule"
    first = steps_of(exporter.get_finished_spans())
    exporter.clear()

    assert deliver(world, cache, vendor, observer).status == "success"

    assert first == [("step customer", "done", 1), ("step subscription", "done", 2),
                     ("step parameters", "raised", 3)]
    assert steps_of(exporter.get_finished_spans()) == [
        ("step customer", "replayed", 1), ("step subscription", "replayed", 2),
        ("step parameters", "done", 3), ("step approve", "done", 4)]


def test_undos_have_spans_in_reverse_and_the_failed_step_records_its_masked_error(
        world, cache, vendor, observer, exporter):
    vendor.fail["write_parameters"] = [Refused(f"card {SECRET} refused")]

    answer = deliver(world, cache, vendor, observer, config={"VENDOR_API_KEY": SECRET})

    spans = exporter.get_finished_spans()
    assert answer.status == "fail"
    assert steps_of(spans) == [
        ("step customer", "done", 1), ("step subscription", "done", 2),
        ("step parameters", "raised", 3),
        ("undo subscription", "undone", 2), ("undo customer", "undone", 1)]
    [failed] = [span for span in spans if span.name == "step parameters"]
    assert failed.status.status_code is StatusCode.ERROR
    [event] = failed.events
    assert event.attributes["exception.type"].endswith("Refused")
    assert "refused" in event.attributes["exception.message"]
    assert SECRET not in str(dict(event.attributes)) + str(failed.status.description)
    assert {span.attributes["rndi.step.kind"] for span in spans
            if span.name.startswith("undo ")} == {"undo"}


def test_a_step_answering_a_coroutine_in_sync_code_is_named_in_the_error_when_traced(
        cache, vendor, observer, exporter):
    async def late():
        return {}

    class Sneaky(PurchaseSaga.transaction):
        def create_customer(self, request):
            return late()

    class SneakySaga(PurchaseSaga):
        transaction = Sneaky

    with pytest.raises(SyncAsyncMismatch, match=r"Sneaky\.create_customer\(\) answered an "
                                                r"awaitable"):
        deliver("sync", cache, vendor, observer, saga=SneakySaga)
    assert vendor.calls == []
    assert [span.name for span in exporter.get_finished_spans()
            if span.name.startswith("step ")] == ["step customer"]
