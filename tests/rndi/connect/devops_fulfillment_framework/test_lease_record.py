"""The record a done answer leaves in the lease key: what it answers, how long it lives,
what a newer copy does with it, and what a guarded event costs in Redis commands. Real
stores: a SQLite file, a redis-server."""

import asyncio
import logging
import os
import signal
import sqlite3

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.testing import RedisServer
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from rndi.dicontainer import BaseServiceProvider
from tests.rndi.cache.conftest import Clock, redis_server_or_skip
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    LIMIT,
    Gate,
    wait_for,
)

LOGGER = logging.getLogger("tests.lease_record")
T1, T2 = "2026-03-01T10:00:00+00:00", "2026-03-02T10:00:00+00:00"


def copy(updated, request_id="PR-7", **more):
    return {"id": request_id, "type": "purchase", "status": "pending", "updated": updated,
            **more}


class Order(BackgroundTransaction):
    def __init__(self, journal, runs):
        self.journal, self.runs = journal, runs

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.runs.append(request.get("updated"))
        self.journal.once(f"order@{request.get('updated')}", lambda: "SUB-1")
        if request.get("answer") == "reschedule":
            return BackgroundResponse.reschedule()
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e


class Provide(BaseServiceProvider):
    def __init__(self, cache, runs):
        super().__init__()
        self.cache, self.runs = cache, runs

    def register(self):
        self.bind_instance("cache", self.cache)
        self.bind_instance("runs", self.runs)


class OrderSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Order]


def deliver(cache, runs, request, config=None):
    saga = OrderSaga({**OrderSaga.event_providers(config or {}, None, LOGGER, request),
                      "cache": Provide(cache, runs)})
    return saga.resolve(dict(request)).status


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cache(tmp_path, clock):
    return SQLiteCacheAdapter(str(tmp_path), clock=clock)


def test_a_done_answer_leaves_its_copy_in_the_lease_key_for_journal_ttl(cache, clock):
    runs = []
    config = {"LEASE_TTL": "30", "JOURNAL_TTL": "3600"}
    assert deliver(cache, runs, copy(T1), config) == "success"
    assert cache.lookup("lease:PR-7") == (True, {"copy": f"pending@{T1}", "updated": T1})
    assert not lease_held(cache, "PR-7")
    clock.advance(60)  # past the lease's ttl: the record is kept for its own
    assert deliver(cache, runs, copy(T1), config) == "success"
    assert runs == [T1]  # the same copy was answered done without running
    clock.advance(3600)
    assert cache.lookup("lease:PR-7") == (False, None)  # JOURNAL_TTL ended
    assert deliver(cache, runs, copy(T1), config) == "success"
    assert runs == [T1, T1]


def test_a_newer_copy_takes_the_lease_over_the_record_and_gives_it_back_unless_done(cache):
    runs = []
    assert deliver(cache, runs, copy(T1)) == "success"
    assert deliver(cache, runs, copy(T2, answer="reschedule")) == "reschedule"
    assert runs == [T1, T2]  # newer: it ran
    # not done: the older copy's record is back, so the older copy is still answered
    assert cache.lookup("lease:PR-7") == (True, {"copy": f"pending@{T1}", "updated": T1})
    assert deliver(cache, runs, copy(T1)) == "success"
    assert runs == [T1, T2]
    assert deliver(cache, runs, copy(T2)) == "success"
    assert cache.lookup("lease:PR-7")[1]["updated"] == T2
    assert deliver(cache, runs, copy(T1)) == "success"  # older than the one answered
    assert runs == [T1, T2, T2]


def test_a_newer_copy_finds_the_lease_held_while_it_runs(cache):
    runs, answers = [], []

    class Nested(Order):
        def execute(self, request):
            # a stale copy and the same copy arrive while the newer one runs
            answers.append(deliver(cache, runs, copy(T1)))
            answers.append(deliver(cache, runs, copy(T2)))
            return super().execute(request)

    class NestedSaga(OrderSaga):
        def transactions(self, request):
            return [Nested] if request["updated"] == T2 else [Order]

    assert deliver(cache, runs, copy(T1)) == "success"
    saga = NestedSaga({**NestedSaga.event_providers({}, None, LOGGER, copy(T2)),
                       "cache": Provide(cache, runs)})
    assert saga.resolve(copy(T2)).status == "success"
    # the stale copy was answered done already: the record stays while the newer runs
    assert answers == ["success", "reschedule"]
    assert runs == [T1, T2]


class FaultyReplace(SQLiteCacheAdapter):
    """A real SQLite cache whose next ``faults`` compare-and-sets fail as a disk does."""

    faults = 0

    def _replace_if_equal(self, key, expected, encoded, ttl):
        if self.faults:
            self.faults -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return super()._replace_if_equal(key, expected, encoded, ttl)


def test_a_fault_while_recording_done_is_logged_and_the_answer_kept(tmp_path, caplog):
    cache, runs = FaultyReplace(str(tmp_path)), []
    cache.faults = 1
    with caplog.at_level(logging.WARNING):
        assert deliver(cache, runs, copy(T1), {"LEASE_TTL": "30"}) == "success"
    assert "was no longer this delivery's when it ended" in caplog.text
    assert lease_held(cache, "PR-7")  # until its ttl: nobody runs beside it meanwhile


class FaultyNewerClaim(SQLiteCacheAdapter):
    """A real SQLite cache whose next ``faults`` claims of a newer copy's lease fail as a
    disk does."""

    faults = 0

    def _add(self, key, encoded, ttl):
        if self.faults and key.endswith(":newer"):
            self.faults -= 1
            raise sqlite3.OperationalError("disk I/O error")
        return super()._add(key, encoded, ttl)


def test_a_fault_while_a_newer_copy_takes_the_lease_reschedules_and_keeps_the_record(
        tmp_path, caplog):
    cache, runs = FaultyNewerClaim(str(tmp_path)), []
    assert deliver(cache, runs, copy(T1)) == "success"
    cache.faults = 1
    with caplog.at_level(logging.WARNING):
        assert deliver(cache, runs, copy(T2)) == "reschedule"
    assert "could not grant the lease" in caplog.text
    assert runs == [T1]
    assert cache.lookup("lease:PR-7")[1] == {"copy": f"pending@{T1}", "updated": T1}
    assert deliver(cache, runs, copy(T2)) == "success"  # the store answers again
    assert runs == [T1, T2]


def test_a_newer_copy_whose_holder_died_leaves_the_record_answering_older_copies(cache,
                                                                              clock):
    runs = []
    config = {"LEASE_TTL": "30"}
    assert deliver(cache, runs, copy(T1), config) == "success"
    lease = RequestLease(cache, LOGGER, config)
    held, answer = lease._take(copy(T2))  # taken, then the process is killed
    assert answer is None and held is not None
    assert deliver(cache, runs, copy(T2), config) == "reschedule"  # held meanwhile
    clock.advance(31)  # its lease expired: the older copy's record is still there
    assert deliver(cache, runs, copy(T1), config) == "success"
    assert runs == [T1]
    assert deliver(cache, runs, copy(T2), config) == "success"
    assert runs == [T1, T2]
    assert cache.lookup("lease:PR-7")[1] == {"copy": f"pending@{T2}", "updated": T2}


def test_a_newer_copy_without_updated_keeps_answering_what_the_record_answered(cache):
    runs = []
    assert deliver(cache, runs, copy(T1)) == "success"
    # a copy without 'updated' is told by its digest: not the one answered, so it runs
    plain = {"id": "PR-7", "type": "purchase", "status": "pending", "note": "changed"}
    assert deliver(cache, runs, plain) == "success"
    assert runs == [T1, None]
    assert cache.lookup("lease:PR-7")[1]["updated"] == T1
    assert deliver(cache, runs, copy(T1)) == "success"  # still no newer than answered
    assert runs == [T1, None]


def test_a_record_without_updated_is_a_record(cache):
    runs = []
    cache.put("lease:PR-7", {"copy": f"pending@{T1}"}, 3600)  # no 'updated' at all
    assert deliver(cache, runs, copy(T1)) == "success"
    assert deliver(cache, runs, {"id": "PR-7", "status": "pending"}) == "success"
    assert runs == [None]  # the same copy answered; the other one ran
    assert cache.lookup("lease:PR-7")[1]["updated"] is None


# on Redis: the commands of a guarded event --------------------------------------------

@pytest.fixture(scope="module")
def redis_server():
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def commands(server, action):
    """The commands Redis ran for ``action``, by name (a script's own included)."""
    import redis

    monitor = redis.Redis(port=server.port)
    before = monitor.info("commandstats")
    action()
    after = monitor.info("commandstats")
    ran = {name[len("cmdstat_"):]: stats["calls"] - before.get(name, {}).get("calls", 0)
           for name, stats in after.items()}
    return {name: calls for name, calls in ran.items() if calls and name != "info"}


def test_a_done_event_sends_four_commands_and_a_repeated_copy_two(redis_server):
    cache = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix="lease-record:")
    runs = []
    deliver(cache, runs, copy(T1, "PR-6"))  # the script is loaded once, before counting
    # the lease (SET NX PX), the journal (GET, SET NX PX), the release that records done
    # (EVALSHA, which runs a GET and a SET inside: Redis counts those too)
    assert commands(redis_server, lambda: deliver(cache, runs, copy(T1))) == {
        "set": 2 + 1, "get": 1 + 1, "evalsha": 1}
    # the same copy again: the claim fails, the key is read, done is answered
    assert commands(redis_server, lambda: deliver(cache, runs, copy(T1))) == {
        "set": 1, "get": 1}
    assert runs == [T1, T1]
    assert 30 * 24 * 3600 - 60 < cache.connection.pttl("lease:PR-7") / 1000 <= 30 * 24 * 3600


class StallingNewerClaim(RedisCacheAdapter):
    """A real Redis cache whose server is stopped (SIGSTOP) as a newer copy claims its
    lease: the command waits in the socket and runs when the server goes on."""

    server_pid = None

    def _add(self, key, encoded, ttl):
        if self.server_pid is not None and key.endswith(":newer"):
            os.kill(self.server_pid, signal.SIGSTOP)
            self.server_pid = None
        return super()._add(key, encoded, ttl)


def test_a_redis_stall_while_a_newer_copy_takes_the_lease_loses_no_record(redis_server):
    cache = StallingNewerClaim("127.0.0.1", port=redis_server.port, prefix="lease-stall:",
                               socket_timeout=0.3, retry_after=0)
    runs, pid = [], redis_server.process.pid
    assert deliver(cache, runs, copy(T1)) == "success"
    cache.server_pid = pid
    try:
        assert deliver(cache, runs, copy(T2)) == "reschedule"  # unknown: nothing runs
    finally:
        os.kill(pid, signal.SIGCONT)
    # the stalled claim ran when the server went on: a lease held by nobody, for its
    # LEASE_TTL; the record beside it keeps its JOURNAL_TTL and answers the older copy
    wait_for(lambda: cache.has("lease:PR-7:newer"))
    assert cache.lookup("lease:PR-7")[1] == {"copy": f"pending@{T1}", "updated": T1}
    assert cache.connection.pttl("lease:PR-7") > 30 * 24 * 3600 * 1000 - 60_000
    assert deliver(cache, runs, copy(T1)) == "success"
    assert deliver(cache, runs, copy(T2)) == "reschedule"
    assert runs == [T1]


@pytest.mark.parametrize("answer", ["reschedule", "done"])
def test_a_newer_copy_cancelled_under_aresolve_releases_its_lease_when_its_thread_ends(
        cache, answer):
    gate, runs = Gate(), []

    class Slow(Order):
        def execute(self, request):
            gate.entered.set()
            assert gate.go.wait(LIMIT)
            return super().execute(request)

    class SlowSaga(OrderSaga):
        def transactions(self, request):
            return [Slow]

    assert deliver(cache, runs, copy(T1)) == "success"
    newer = copy(T2, answer=answer)

    async def cancelled_inside_the_newer_copy():
        saga = SlowSaga({**SlowSaga.event_providers({}, None, LOGGER, newer),
                         "cache": Provide(cache, runs)})
        task = asyncio.create_task(saga.aresolve(dict(newer)))
        await asyncio.to_thread(gate.entered.wait, LIMIT)
        task.cancel()  # the runner's timeout; the execute runs on in its thread
        with pytest.raises(asyncio.CancelledError):
            await task
        assert deliver(cache, runs, copy(T1)) == "success"  # the record answers meanwhile
        assert deliver(cache, runs, copy(T2)) == "reschedule"  # the newer one is held
        gate.go.set()
        await asyncio.to_thread(wait_for, lambda: not cache.has("lease:PR-7:newer"))

    asyncio.run(cancelled_inside_the_newer_copy())
    assert runs == [T1, T2]
    recorded = T2 if answer == "done" else T1  # what the thread answered, at its end
    assert cache.lookup("lease:PR-7")[1] == {"copy": f"pending@{recorded}",
                                             "updated": recorded}


class ReleasedMeanwhile(SQLiteCacheAdapter):
    """The holder releases between this delivery's claim and its read of the key."""

    def _load(self, key, ttl):
        if key.startswith("lease:") and self.has(key):
            self.delete(key)
        return super()._load(key, ttl)


def test_a_lease_released_between_the_claim_and_the_read_is_claimed_again(tmp_path):
    cache, runs = ReleasedMeanwhile(str(tmp_path)), []
    cache.put("lease:PR-7", "another-delivery", 30)
    assert deliver(cache, runs, copy(T1)) == "success"
    assert runs == [T1]


def test_a_newer_copy_finds_another_newer_copy_holding_the_lease_and_reschedules(cache,
                                                                                  caplog):
    runs = []
    assert deliver(cache, runs, copy(T1)) == "success"
    cache.put("lease:PR-7:newer", "another-delivery", 30)
    with caplog.at_level(logging.INFO, LOGGER.name):
        assert deliver(cache, runs, copy(T2)) == "reschedule"
        assert deliver(cache, runs, copy(T1)) == "success"  # the record still answers
    assert "Another delivery holds request PR-7" in caplog.text
    assert runs == [T1]
    assert cache.lookup("lease:PR-7:newer") == (True, "another-delivery")


# what another version, or a damaged store, may leave in the lease key ----------------

@pytest.mark.parametrize("entry", [
    None, 5, ["a"], {"token": "x"}, {"copy": 1, "updated": T1},
    {"copy": f"pending@{T1}", "updated": 20260301},
])
def test_a_lease_key_of_an_unknown_shape_is_held_never_acted_on(cache, caplog, entry):
    runs = []
    cache.put("lease:PR-7", entry, 3600)
    with caplog.at_level(logging.WARNING, LOGGER.name):
        for updated in (T1, T2):
            assert deliver(cache, runs, copy(updated)) == "reschedule"
    assert runs == []
    assert cache.lookup("lease:PR-7") == (True, entry)  # left for whoever wrote it
    assert f"The lease lease:PR-7 holds a value of an unexpected shape (a " \
           f"{type(entry).__name__})" in caplog.text
    assert "20260301" not in caplog.text and "'a'" not in caplog.text


def test_a_damaged_lease_key_is_a_fault_never_an_absent_lease(cache, caplog):
    runs = []
    assert deliver(cache, runs, copy(T1)) == "success"
    with cache.connection:  # the record's text torn in the store
        cache.connection.execute("UPDATE cache SET value = '{\"copy\": \"pend' WHERE key = ?",
                                 ("lease:PR-7",))
    with caplog.at_level(logging.WARNING):
        assert deliver(cache, runs, copy(T1)) == "reschedule"
        assert deliver(cache, runs, copy(T2)) == "reschedule"
    assert runs == [T1]
    assert "could not grant the lease of request PR-7" in caplog.text
    assert "pend" not in caplog.text.replace("pending", "")
