"""RequestLease: one delivery at a time per request, on a real SQLite cache."""

import asyncio
import logging
import threading
from types import MappingProxyType

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from rndi.connect.devops_fulfillment_framework._settings import SETTINGS_OF_SECONDS
from rndi.dicontainer import BaseServiceProvider
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held

LOGGER = logging.getLogger("tests.lease")
REQUEST = {"id": "PR-1000-0000-0000-001", "type": "purchase", "status": "pending"}
KEY = f"lease:{REQUEST['id']}"


class Gate:
    """Lets a test hold a transaction inside execute() until it says go."""

    def __init__(self):
        self.entered = threading.Event()
        self.go = threading.Event()
        self.executed = []


class Work(BackgroundTransaction):
    def __init__(self, gate):
        self.gate = gate

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.gate.executed.append(threading.get_ident())
        self.gate.entered.set()
        if not self.gate.go.wait(60):
            raise TimeoutError("never released")
        if request.get("explode"):
            raise RuntimeError("vendor down")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e


class Provide(BaseServiceProvider):
    def __init__(self, cache, gate):
        super().__init__()
        self.cache, self.gate = cache, gate

    def register(self):
        self.bind_instance("cache", self.cache)
        self.bind_instance("gate", self.gate)


class LeasedSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Work]


def saga(cache, gate, config=None):
    return LeasedSaga({**LeasedSaga.event_providers(config or {}, None, LOGGER),
                       "cache": Provide(cache, gate)})


@pytest.fixture
def cache(tmp_path):
    return SQLiteCacheAdapter(str(tmp_path))


def test_a_second_delivery_reschedules_and_runs_nothing_while_the_first_holds(cache, caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    gate = Gate()
    first = {}
    holder = threading.Thread(target=lambda: first.update(
        response=saga(cache, gate).resolve(dict(REQUEST))))
    holder.start()
    assert gate.entered.wait(60)
    second = saga(cache, gate).resolve(dict(REQUEST))
    assert second.status == "reschedule"
    assert len(gate.executed) == 1
    assert f"Another delivery holds request {REQUEST['id']}" in caplog.text
    gate.go.set()
    holder.join(60)
    assert first["response"].status == "success"
    assert not lease_held(cache, REQUEST["id"])  # released by its holder
    assert saga(cache, gate).resolve(dict(REQUEST)).status == "success"


def test_sixteen_deliveries_at_once_run_the_step_once(cache):
    gate = Gate()
    barrier = threading.Barrier(16)
    answers = []

    def deliver():
        barrier.wait(60)
        answers.append(saga(cache, gate).resolve(dict(REQUEST)).status)

    threads = [threading.Thread(target=deliver) for _ in range(16)]
    for thread in threads:
        thread.start()
    waited = threading.Event()
    for _ in range(1200):  # the other fifteen answer while the one holder waits
        if len(answers) == 15:
            break
        waited.wait(0.05)
    gate.go.set()
    for thread in threads:
        thread.join(60)
    assert len(gate.executed) == 1
    assert sorted(answers) == ["reschedule"] * 15 + ["success"]


def test_the_lease_is_released_when_the_saga_raises(cache):
    gate = Gate()
    gate.go.set()
    with pytest.raises(RuntimeError, match="vendor down"):
        saga(cache, gate).resolve({**REQUEST, "explode": True})
    assert not cache.has(KEY)


def test_only_the_holder_releases_the_lease(cache, caplog):
    gate = Gate()

    class Usurp(Work):
        def execute(self, request):
            cache.put(KEY, "someone-else")  # e.g. the lease expired and another took it
            return BackgroundResponse.done()

    class UsurpedSaga(LeasedSaga):
        def transactions(self, request):
            return [Usurp]

    UsurpedSaga({**UsurpedSaga.event_providers({}, None, LOGGER),
                 "cache": Provide(cache, gate)}).resolve(dict(REQUEST))
    assert cache.get(KEY) == "someone-else"
    assert "was no longer this delivery's when it ended" in caplog.text


def test_a_dead_holders_lease_expires_by_its_ttl(cache):
    gate = Gate()
    gate.go.set()
    cache.put(KEY, "a-holder-that-died", 0.3)
    assert saga(cache, gate, {"LEASE_TTL": "30"}).resolve(dict(REQUEST)).status == "reschedule"
    waited = threading.Event()
    for _ in range(600):  # the entry's expiry, with a generous limit
        if not cache.has(KEY):
            break
        waited.wait(0.05)
    assert saga(cache, gate).resolve(dict(REQUEST)).status == "success"


def test_the_ttl_comes_from_lease_ttl(cache):
    gate = Gate()
    lease = saga(cache, gate, {"LEASE_TTL": "12.5"}).container.get(RequestLease)
    assert lease.ttl == 12.5
    assert saga(cache, gate).container.get(RequestLease).ttl == 330
    with pytest.raises(ValueError, match="'LEASE_TTL' must be a positive number"):
        saga(cache, gate, {"LEASE_TTL": "soon"}).container.get(RequestLease)
    with pytest.raises(ValueError, match="'LEASE_ON_CACHE_FAILURE' must be one of"):
        saga(cache, gate, {"LEASE_ON_CACHE_FAILURE": "maybe"}).container.get(RequestLease)


@pytest.fixture
def broken_cache(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    return SQLiteCacheAdapter(str(blocker / "cache"))


def test_when_the_cache_cannot_answer_the_default_is_to_reschedule(broken_cache, caplog):
    gate = Gate()
    gate.go.set()
    assert saga(broken_cache, gate).resolve(dict(REQUEST)).status == "reschedule"
    assert gate.executed == []
    assert "could not grant the lease" in caplog.text and "=reschedule" in caplog.text


def test_lease_on_cache_failure_proceed_keeps_fulfilling(broken_cache, caplog):
    gate = Gate()
    gate.go.set()
    config = {"LEASE_ON_CACHE_FAILURE": "Proceed"}
    assert saga(broken_cache, gate, config).resolve(dict(REQUEST)).status == "success"
    assert len(gate.executed) == 1
    assert "going on without it (LEASE_ON_CACHE_FAILURE=proceed)" in caplog.text


def test_the_null_cache_grants_every_lease():
    gate = Gate()
    gate.go.set()
    for _ in range(2):
        assert saga(NullCacheAdapter(), gate).resolve(dict(REQUEST)).status == "success"
    assert len(gate.executed) == 2


def test_a_request_without_an_id_is_refused(cache):
    with pytest.raises(ValueError, match="needs the request's 'id'"):
        saga(cache, Gate()).resolve({"type": "purchase"})


def test_used_outside_a_saga_without_next_it_says_how_to_use_it(cache):
    with pytest.raises(ValueError, match="use it as a middleware"):
        RequestLease(cache, LOGGER, {})(dict(REQUEST))
    assert not cache.has(KEY)


# aresolve -------------------------------------------------------------------------------

class AsyncWork(BackgroundTransaction):
    def __init__(self, gate):
        self.gate = gate

    async def should_execute(self, request):
        return True

    async def execute(self, request):
        self.gate.executed.append("async")
        self.gate.entered.set()
        await asyncio.Event().wait()  # until cancelled

    async def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class AsyncLeasedSaga(LeasedSaga):
    def transactions(self, request):
        return [AsyncWork]


@pytest.mark.anyio
async def test_in_aresolve_the_lease_is_held_while_awaited_and_released_on_cancellation(cache):
    gate = Gate()

    def make():
        return AsyncLeasedSaga({**AsyncLeasedSaga.event_providers({}, None, LOGGER),
                                "cache": Provide(cache, gate)})

    task = asyncio.create_task(make().aresolve(dict(REQUEST)))
    while not gate.entered.is_set():
        await asyncio.sleep(0.01)
    assert cache.has(KEY)
    assert (await make().aresolve(dict(REQUEST))).status == "reschedule"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not cache.has(KEY)
    assert gate.executed == ["async"]


@pytest.mark.parametrize("key", sorted(SETTINGS_OF_SECONDS))
def test_make_checks_every_setting_of_seconds(key):
    # make() looks each of these keys up by name; one added to the settings must be
    # checked too, before any step runs
    class Plain(Saga):
        def transactions(self, request):
            return [Work]

    with pytest.raises(ValueError, match=f"'{key}' must be a positive number"):
        Plain.make({key: "-1"}, None, LOGGER)
    with pytest.raises(ValueError, match=f"'{key}' must be a positive number"):
        Plain.make(MappingProxyType({key: "soon"}), None, LOGGER)
    assert Plain.make({key: "30"}, None, LOGGER).container.bound("config") == {key: "30"}
