"""StepJournal: a step's result recorded once per request, on a real SQLite cache."""

import logging
import threading
import uuid

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction, SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework import (
    RequestLease,
    Saga,
    StepJournal,
    StepNotReplayable,
    UnrecordableResult,
)
from rndi.dicontainer import BaseServiceProvider

LOGGER = logging.getLogger("tests.journal")
PR = "PR-2000-0000-0000-001"


@pytest.fixture
def cache(tmp_path):
    return SQLiteCacheAdapter(str(tmp_path))


class Vendor:
    def __init__(self):
        self.created = []

    def create(self, name):
        self.created.append(name)
        return {"id": f"TEN-{len(self.created)}", "name": name}


def test_a_recorded_step_is_answered_without_calling_it_again(cache):
    vendor = Vendor()
    first = StepJournal(cache, PR).once("create-tenant", lambda: vendor.create("acme"))
    # a later delivery: a new journal, the same request
    again = StepJournal(cache, PR).once("create-tenant", lambda: vendor.create("acme"))
    assert first == again == {"id": "TEN-1", "name": "acme"}
    assert vendor.created == ["acme"]
    assert StepJournal(cache, "PR-other").once("create-tenant", lambda: vendor.create("x")) == {
        "id": "TEN-2", "name": "x"}


def test_a_recorded_none_is_a_result_too(cache):
    calls = []
    for _ in range(2):
        assert StepJournal(cache, PR).once("notify", lambda: calls.append(1)) is None
    assert calls == [1]


def test_a_step_that_raises_records_nothing(cache):
    journal = StepJournal(cache, PR)

    def fails():
        raise ConnectionError("vendor down")

    with pytest.raises(ConnectionError):
        journal.once("create-tenant", fails)
    assert journal.recorded("create-tenant") == (False, None)
    assert journal.once("create-tenant", lambda: "TEN-9") == "TEN-9"


def test_a_result_json_cannot_hold_is_refused_naming_the_step(cache):
    journal = StepJournal(cache, PR)
    with pytest.raises(UnrecordableResult,
                       match="step 'create-tenant' answered a value of type object") as e:
        journal.once("create-tenant", object)
    assert e.value.step == "create-tenant" and isinstance(e.value, TypeError)
    with pytest.raises(UnrecordableResult, match="answered a value of type float"):
        journal.once("ratio", lambda: float("nan"))


def test_a_step_whose_result_was_unrecordable_is_never_run_again_unasked(cache):
    calls = []

    def order():
        calls.append(1)
        return {"licences"}  # a set: JSON cannot hold it

    with pytest.raises(UnrecordableResult):
        StepJournal(cache, PR).once("order", order)
    for _ in range(3):  # three redeliveries: a new journal each, the same request
        with pytest.raises(StepNotReplayable, match=r"step 'order' ran on an earlier delivery"
                           r".*of type set.*journal\.forget\('order'\)") as e:
            StepJournal(cache, PR).once("order", order)
        assert (e.value.step, e.value.result_type) == ("order", "set")
    assert calls == [1]
    journal = StepJournal(cache, PR)
    journal.forget("order")  # the author checked the vendor
    assert journal.once("order", lambda: ["L-1"]) == ["L-1"]


def test_forget_lets_a_compensation_undo_a_step(cache):
    journal = StepJournal(cache, PR)
    assert journal.once("create-tenant", lambda: "TEN-1") == "TEN-1"
    journal.forget("create-tenant")
    assert journal.once("create-tenant", lambda: "TEN-2") == "TEN-2"


class LoopWatchingCache(SQLiteCacheAdapter):
    """Notes the thread of each read and delete of the journal's records."""

    def __init__(self, directory):
        super().__init__(directory)
        self.threads = []

    def lookup(self, key):
        self.threads.append(threading.get_ident())
        return super().lookup(key)

    def delete(self, key):
        self.threads.append(threading.get_ident())
        return super().delete(key)


@pytest.mark.anyio
async def test_arecorded_and_aforget_answer_as_the_sync_ones_off_the_event_loop(tmp_path):
    cache = LoopWatchingCache(str(tmp_path))
    journal = StepJournal(cache, PR)
    assert await journal.arecorded("create-tenant") == (False, None)
    assert journal.once("create-tenant", lambda: {"id": "TEN-1"}) == {"id": "TEN-1"}
    assert await journal.arecorded("create-tenant") == (True, {"id": "TEN-1"}) == \
        journal.recorded("create-tenant")
    await journal.aforget("create-tenant")
    assert journal.recorded("create-tenant") == (False, None)
    loop_thread = threading.get_ident()
    # the two reads and the delete made from the loop ran elsewhere; the sync ones here
    assert [thread == loop_thread for thread in cache.threads] == [
        False, True, False, True, False, True]


@pytest.mark.anyio
async def test_arecorded_raises_what_recorded_raises(cache):
    journal = StepJournal(cache, PR)
    with pytest.raises(UnrecordableResult):
        journal.once("order", lambda: {"a set"})
    with pytest.raises(StepNotReplayable, match="order"):
        await journal.arecorded("order")
    with pytest.raises(ValueError, match="bound to no request"):
        await StepJournal(cache, None).arecorded("step")


def test_idempotency_keys_are_stable_per_request_and_step(cache):
    key = StepJournal(cache, PR).idempotency_key("create-tenant")
    assert key == StepJournal(SQLiteCacheAdapter(str(cache.directory_path)),
                              PR).idempotency_key("create-tenant")
    assert uuid.UUID(key).version == 5
    assert key != StepJournal(cache, PR).idempotency_key("create-subscription")
    assert key != StepJournal(cache, "PR-other").idempotency_key("create-tenant")


def test_records_expire_after_the_journal_ttl(cache):
    journal = StepJournal(cache, PR, ttl=0.2)
    journal.once("step", lambda: 1)
    waited = threading.Event()
    for _ in range(400):
        if not journal.recorded("step")[0]:
            break
        waited.wait(0.05)
    assert journal.once("step", lambda: 2) == 2


def test_bad_steps_and_functions_are_refused(cache):
    journal = StepJournal(cache, PR)
    with pytest.raises(ValueError, match="non-empty string"):
        journal.once("", lambda: 1)
    with pytest.raises(TypeError, match="fn must be callable"):
        journal.once("step", "not callable")
    with pytest.raises(ValueError, match="bound to no request"):
        StepJournal(cache, None).once("step", lambda: 1)


@pytest.mark.anyio
async def test_async_steps_with_once_and_aonce(cache):
    vendor = Vendor()

    async def create():
        return vendor.create("acme")

    journal = StepJournal(cache, PR)
    assert await journal.once("create-tenant", create) == {"id": "TEN-1", "name": "acme"}
    assert await journal.aonce("create-tenant", create) == {"id": "TEN-1", "name": "acme"}
    assert await journal.aonce("sync-step", lambda: "plain") == "plain"
    assert vendor.created == ["acme"]


def test_a_sync_step_answering_a_coroutine_is_refused_unrun(cache):
    ran = []

    async def create():
        ran.append(1)
        return "TEN-1"

    with pytest.raises(SyncAsyncMismatch, match="answered an awaitable"):
        StepJournal(cache, PR).once("create-tenant", lambda: create())
    assert ran == [] and StepJournal(cache, PR).recorded("create-tenant") == (False, None)


# injected into a saga ----------------------------------------------------------------------

class CreateTenant(BackgroundTransaction):
    def __init__(self, journal, vendor):
        self.journal = journal
        self.vendor = vendor

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.journal.once("create-tenant", lambda: self.vendor.create(request["id"]))
        if request.get("connect_fails"):
            raise ConnectionError("Connect answered 502 to the parameter update")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class Services(BaseServiceProvider):
    def __init__(self, cache, vendor):
        super().__init__()
        self.cache, self.vendor = cache, vendor

    def register(self):
        self.bind_instance("cache", self.cache)
        self.bind_instance("vendor", self.vendor)


class TenantSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [CreateTenant]


def make(cache, vendor, request, config=None):
    return TenantSaga({**TenantSaga.event_providers(config or {}, None, LOGGER, request),
                       "cache": Services(cache, vendor)})


def test_a_redelivery_after_a_failed_connect_update_creates_no_second_tenant(cache):
    vendor = Vendor()
    request = {"id": PR, "connect_fails": True}
    assert make(cache, vendor, request).resolve(request).status == "reschedule"
    request = {"id": PR}
    assert make(cache, vendor, request).resolve(request).status == "success"
    assert vendor.created == [PR]


def test_the_injected_journal_is_bound_to_the_request_and_its_ttl_configurable(cache):
    vendor = Vendor()
    journal = make(cache, vendor, {"id": PR}, {"JOURNAL_TTL": "60"}).container.get(
        CreateTenant).journal
    assert (journal.request_id, journal.ttl, journal.cache) == (PR, 60, cache)
    assert make(cache, vendor, {"id": PR}).container.get(CreateTenant).journal.ttl == 30 * 86400
    unbound = TenantSaga({**TenantSaga.event_providers({}, None, LOGGER),
                          "cache": Services(cache, vendor)}).container.get(CreateTenant)
    with pytest.raises(ValueError, match=r"make\(config, client, logger, request\)"):
        unbound.journal.once("step", lambda: 1)


def test_a_journal_binding_of_your_own_wins(cache):
    mine = object()

    class OwnJournal(TenantSaga):
        providers = {**TenantSaga.providers,
                     "audit": BaseServiceProvider({"journal": {"to_instance": mine}})}

    saga = OwnJournal({**OwnJournal.event_providers({}, None, LOGGER, {"id": PR}),
                       "cache": Services(cache, Vendor())})
    assert saga.container.get(CreateTenant).journal is mine
