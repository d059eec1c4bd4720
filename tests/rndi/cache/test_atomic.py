"""``add``, ``delete_if_equal`` and ``replace_if_equal``: what a lease is built from.
Semantics on every store, then races of many threads and many processes for one key:
exactly one wins, every time."""

import logging
import multiprocessing
import threading
import uuid

import pytest

from rndi.cache import UnserializableValue
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from tests.rndi.cache.doubles import PublishedStyleCache

ROUNDS = 20
THREADS = 16
PROCESSES = 4  # enough to race: each round, every process calls at once (a barrier)


def test_add_stores_only_when_no_entry_exists(cache):
    assert cache.add("lease", "first") is True
    assert cache.add("lease", "second") is False
    assert cache.get("lease") == "first"


def test_add_honours_its_ttl_and_an_expired_entry_counts_as_absent(cache, clock):
    assert cache.add("lease", "first", ttl=10) is True
    clock.advance(9)
    assert cache.add("lease", "second", ttl=10) is False
    clock.advance(2)
    assert cache.has("lease") is False
    assert cache.add("lease", {"holder": "second"}, ttl=10) is True
    assert cache.get("lease") == {"holder": "second"}
    clock.advance(11)
    assert cache.get("lease") is None


def test_add_without_ttl_uses_the_default_ttl(cache, clock):
    assert cache.add("lease", "v") is True
    clock.advance(899)
    assert cache.add("lease", "other") is False
    clock.advance(2)
    assert cache.add("lease", "other") is True


def test_add_is_blocked_by_a_put_and_a_stored_none(cache):
    cache.put("k", "put")
    cache.put("none", None)
    assert cache.add("k", "added") is False
    assert cache.add("none", "added") is False
    assert cache.get("k") == "put"


def test_delete_if_equal_removes_only_the_entry_holding_that_value(cache):
    token = uuid.uuid4().hex
    assert cache.add("lease", token) is True
    assert cache.delete_if_equal("lease", "someone else's token") is False
    assert cache.get("lease") == token
    assert cache.delete_if_equal("lease", token) is True
    assert cache.has("lease") is False
    assert cache.delete_if_equal("lease", token) is False
    assert cache.add("lease", "next holder") is True


def test_delete_if_equal_does_not_remove_an_expired_entry_it_no_longer_holds(cache, clock):
    cache.put("lease", "mine", ttl=5)
    clock.advance(6)
    assert cache.delete_if_equal("lease", "mine") is False
    assert cache.add("lease", "theirs", ttl=60) is True
    assert cache.delete_if_equal("lease", "mine") is False
    assert cache.get("lease") == "theirs"


def test_delete_if_equal_compares_structured_values(cache):
    cache.put("k", {"a": [1, 2], "b": None})
    assert cache.delete_if_equal("k", {"a": [1, 2], "b": False}) is False
    assert cache.delete_if_equal("k", {"a": [1, 2], "b": None}) is True
    assert cache.get("k") is None


def test_add_ttl_zero_stores_nothing_live(cache):
    assert cache.add("k", "v", ttl=0) is True
    assert cache.has("k") is False
    cache.put("live", "v")
    assert cache.add("live", "other", ttl=0) is False
    assert cache.get("live") == "v"


def test_add_and_delete_if_equal_check_their_arguments(cache):
    with pytest.raises(TypeError, match="keys are strings"):
        cache.add(1, "v")
    with pytest.raises(TypeError, match="keys are strings"):
        cache.delete_if_equal(None, "v")
    with pytest.raises(ValueError, match="a century"):
        cache.add("k", "v", ttl=float("inf"))
    with pytest.raises(UnserializableValue):
        cache.add("k", object())
    with pytest.raises(UnserializableValue):
        cache.delete_if_equal("k", object())
    assert cache.has("k") is False


def test_the_null_cache_lets_everyone_in(null_cache):
    assert null_cache.add("lease", "a") is True
    assert null_cache.add("lease", "b") is True
    assert null_cache.delete_if_equal("lease", "anything") is True
    assert "shares nothing between processes" in type(null_cache).__doc__
    with pytest.raises(ValueError, match="ttl"):
        null_cache.add("k", 1, ttl="soon")
    with pytest.raises(TypeError):
        null_cache.delete_if_equal(1, "v")


def test_a_subclass_without_the_atomic_primitives_instantiates_and_says_what_to_implement():
    cache = PublishedStyleCache()
    with pytest.raises(NotImplementedError, match=r"PublishedStyleCache does not implement "
                                                  r"Cache\.add\(key, value, ttl=None\)"):
        cache.add("k", "v")
    with pytest.raises(NotImplementedError,
                       match=r"PublishedStyleCache does not implement Cache\.delete_if_equal"):
        cache.delete_if_equal("k", "v")


def test_a_storage_fault_answers_false_and_is_logged(tmp_path, caplog):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where the cache directory should be")
    stores = [FileSystemCacheAdapter(str(blocker / "fs")),
              SQLiteCacheAdapter(str(blocker / "sqlite"))]
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        for store in stores:
            assert store.add("lease", "token") is False
            assert store.delete_if_equal("lease", "token") is False
    messages = [r.getMessage() for r in caplog.records]
    assert sum("add of" in m for m in messages) == 2
    assert sum("delete_if_equal of" in m for m in messages) == 2


def test_an_unreachable_redis_answers_false_and_is_logged(caplog):
    pytest.importorskip("redis")
    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    from rndi.cache.testing import free_port

    cache = RedisCacheAdapter("127.0.0.1", port=free_port(), prefix="down:", retry_after=0)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        assert cache.add("lease", "token") is False
        assert cache.delete_if_equal("lease", "token") is False
    messages = [r.getMessage() for r in caplog.records]
    assert any("add of" in m for m in messages)
    assert any("delete_if_equal of" in m for m in messages)


# --- races -------------------------------------------------------------------------------

def build(spec):
    """An adapter from a picklable description, so each process builds its own."""
    kind, location = spec
    if kind == "fs":
        return FileSystemCacheAdapter(location)
    if kind == "sqlite":
        return SQLiteCacheAdapter(location)
    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

    port, prefix = location
    return RedisCacheAdapter("127.0.0.1", port=port, prefix=prefix)


@pytest.fixture(params=["fs", "sqlite", "redis"])
def spec(request, tmp_path):
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        return ("redis", (server.port, f"race:{uuid.uuid4().hex}:"))
    return (request.param, str(tmp_path / request.param))


def check_one_winner_per_round(spec, wins):
    """``wins``: (worker, round) pairs answered True. Each round has one, whose token is
    what the store holds."""
    cache = build(spec)
    for round_ in range(ROUNDS):
        winners = [worker for worker, won_round in wins if won_round == round_]
        assert len(winners) == 1, f"round {round_}: winners {winners}"
        assert cache.get(f"lease:{round_}") == f"token-{winners[0]}"


def test_threads_racing_add_on_one_key_have_exactly_one_winner(spec):
    cache = build(spec)
    barrier = threading.Barrier(THREADS)
    wins, failures = [], []

    def race(worker):
        try:
            for round_ in range(ROUNDS):
                barrier.wait(timeout=60)
                if cache.add(f"lease:{round_}", f"token-{worker}", ttl=600):
                    wins.append((worker, round_))
        except Exception as e:  # reported below: a thread cannot fail the test itself
            failures.append(e)

    threads = [threading.Thread(target=race, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    check_one_winner_per_round(spec, wins)


def _race_in_a_process(spec, worker, barrier, results):
    cache = build(spec)
    wins = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=60)
        if cache.add(f"lease:{round_}", f"token-{worker}", ttl=600):
            wins.append((worker, round_))
    results.put(wins)


def raced(spec, race):
    """What ``PROCESSES`` processes running ``race(spec, worker, barrier, results)`` at
    once put in ``results``, one list after the other, once every one has ended well."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [context.Process(target=race, args=(spec, worker, barrier, results))
                 for worker in range(PROCESSES)]
    for process in processes:
        process.start()
    gathered = [item for _ in processes for item in results.get(timeout=120)]
    for process in processes:
        process.join(60)
    assert [p.exitcode for p in processes] == [0] * PROCESSES
    return gathered


def test_processes_racing_add_on_one_key_have_exactly_one_winner(spec):
    check_one_winner_per_round(spec, raced(spec, _race_in_a_process))


def _release_race(spec, worker, barrier, results):
    cache = build(spec)
    released = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=60)
        if cache.delete_if_equal(f"lease:{round_}", "held"):
            released.append(round_)
    results.put(released)


def test_processes_racing_delete_if_equal_release_a_lease_once(spec):
    cache = build(spec)
    for round_ in range(ROUNDS):
        cache.put(f"lease:{round_}", "held", 600)
    released = sorted(raced(spec, _release_race))
    assert released == list(range(ROUNDS))
    assert not any(cache.has(f"lease:{round_}") for round_ in range(ROUNDS))


def _replace_race(spec, worker, barrier, results):
    cache = build(spec)
    wins = []
    for round_ in range(ROUNDS):
        barrier.wait(timeout=60)
        if cache.replace_if_equal(f"lease:{round_}", {"copy": "older"}, f"token-{worker}",
                                  600):
            wins.append((worker, round_))
    results.put(wins)


def test_processes_racing_replace_if_equal_on_one_record_have_exactly_one_winner(spec):
    cache = build(spec)
    for round_ in range(ROUNDS):
        cache.put(f"lease:{round_}", {"copy": "older"}, 600)
    check_one_winner_per_round(spec, raced(spec, _replace_race))
