"""replace_if_equal: the atomic compare-and-set of the caches. Real stores (a SQLite file,
the file cache, a redis-server); the faults are real too (another process holding the
lock, a stopped redis-server, an entry that is a directory)."""

import logging
import os
import signal
import threading

import pytest

from rndi.cache import CacheUnavailable, UnserializableValue
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.testing import RedisServer
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.doubles import PublishedStyleCache
from tests.rndi.cache.test_sqlite_hazards import Holder

RECORD = {"copy": "pending@2026-01-01T00:00:00+00:00", "updated": "2026-01-01T00:00:00+00:00"}


def test_it_replaces_only_the_entry_that_holds_the_expected_value(cache):
    cache.put("lease:PR-1", "token-a", 30)
    assert cache.replace_if_equal("lease:PR-1", "token-b", RECORD, 600) is False
    assert cache.lookup("lease:PR-1") == (True, "token-a")  # someone else's: kept
    assert cache.replace_if_equal("lease:PR-1", "token-a", RECORD, 600) is True
    assert cache.lookup("lease:PR-1") == (True, RECORD)
    # values compare as stored JSON, a dict included
    assert cache.replace_if_equal("lease:PR-1", dict(RECORD), "token-c", 30) is True
    assert cache.get("lease:PR-1") == "token-c"


@pytest.mark.parametrize(("stored", "expected"), [
    ({"copy": "a", "updated": "b"}, {"updated": "b", "copy": "a"}),  # another key order
    (1.0, 1), (1, True), (0, False), ("1", 1),
])
def test_values_compare_by_their_json_text_not_by_python_equality(cache, stored, expected):
    # Python says these are equal; their JSON texts differ, and so does every store
    cache.put("k", stored, 30)
    assert cache.replace_if_equal("k", expected, "new", 30) is False
    assert cache.delete_if_equal("k", expected) is False
    assert cache.lookup("k") == (True, stored)
    # what was read back compares equal: the lease compares the record it read
    assert cache.replace_if_equal("k", cache.lookup("k")[1], "new", 30) is True


def test_an_entry_expired_between_the_read_and_the_replace_is_not_replaced(cache, clock):
    cache.put("lease:PR-1", RECORD, 30)
    found, read = cache.lookup("lease:PR-1")
    clock.advance(31)
    assert found and cache.replace_if_equal("lease:PR-1", read, "token", 30) is False
    assert cache.claim("lease:PR-1", "token-b", 30) is True


def test_without_a_ttl_the_new_entry_lives_the_cache_default(cache, clock):
    cache.put("k", "a", 30)
    assert cache.replace_if_equal("k", "a", "b") is True
    clock.advance(899)
    assert cache.lookup("k") == (True, "b")
    clock.advance(2)
    assert cache.lookup("k") == (False, None)


def test_it_never_creates_an_entry_nor_revives_an_expired_one(cache, clock):
    assert cache.replace_if_equal("absent", None, "v", 30) is False
    assert cache.has("absent") is False
    cache.put("lease:PR-1", "token-a", 30)
    clock.advance(31)
    assert cache.replace_if_equal("lease:PR-1", "token-a", RECORD, 600) is False
    assert cache.lookup("lease:PR-1") == (False, None)


def test_the_new_entry_lives_its_own_ttl(cache, clock):
    cache.put("lease:PR-1", "token-a", 30)
    assert cache.replace_if_equal("lease:PR-1", "token-a", RECORD, 600) is True
    clock.advance(300)  # past the lease's 30 s: the record is the record's ttl
    assert cache.lookup("lease:PR-1") == (True, RECORD)
    clock.advance(301)
    assert cache.lookup("lease:PR-1") == (False, None)


def test_a_ttl_of_zero_or_less_leaves_no_live_entry(cache):
    cache.put("lease:PR-1", "token-a", 30)
    assert cache.replace_if_equal("lease:PR-1", "token-a", RECORD, 0) is True
    assert cache.lookup("lease:PR-1") == (False, None)
    assert cache.claim("lease:PR-1", "token-b", 30) is True


def test_of_many_threads_comparing_the_same_value_exactly_one_replaces(cache):
    cache.put("lease:PR-1", "token", 60)
    barrier, won = threading.Barrier(8), []

    def race(n):
        barrier.wait(30)
        if cache.replace_if_equal("lease:PR-1", "token", f"winner-{n}", 60):
            won.append(n)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(won) == 1
    assert cache.get("lease:PR-1") == f"winner-{won[0]}"


def test_bad_input_is_refused_before_the_store_is_asked(cache):
    cache.put("k", "v", 30)
    with pytest.raises(UnserializableValue):
        cache.replace_if_equal("k", "v", object())
    with pytest.raises(ValueError, match="ttl"):
        cache.replace_if_equal("k", "v", "w", ttl="soon")
    with pytest.raises(TypeError, match="Cache keys are strings"):
        cache.replace_if_equal(1, "v", "w")
    assert cache.get("k") == "v"


def test_the_null_cache_answers_true_and_stores_nothing(null_cache):
    assert null_cache.replace_if_equal("k", "a", "b", 30) is True
    assert null_cache.lookup("k") == (False, None)
    with pytest.raises(ValueError, match="ttl"):
        null_cache.replace_if_equal("k", "a", "b", ttl="soon")


def test_a_cache_written_before_it_existed_says_what_to_implement():
    with pytest.raises(NotImplementedError, match=r"PublishedStyleCache does not implement Cache\."
                                                  r"replace_if_equal\(key, expected, value"):
        PublishedStyleCache().replace_if_equal("k", "a", "b")


# faults raise CacheUnavailable: never read as "not replaced" ---------------------------

def test_a_locked_sqlite_database_is_a_fault(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 0.3})
    cache.put("lease:PR-1", "token")
    _pool.discard(cache.path)  # an exclusive holder needs no other connection open
    holder = Holder(cache.path, "exclusive")
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match=r"SQLite cache .*: replace_if_equal of "
                                                      r"key #[0-9a-f]{12} failed"):
            cache.replace_if_equal("lease:PR-1", "token", RECORD, 600)
        assert caplog.records[-1].getMessage().endswith("reported as unknown.")
        assert not any("PR-1" in r.getMessage() for r in caplog.records)
    finally:
        holder.release()
    assert cache.lookup("lease:PR-1") == (True, "token")


def test_an_unreadable_file_entry_is_a_fault(tmp_path):
    cache = FileSystemCacheAdapter(str(tmp_path))
    os.mkdir(cache._get_file_name("lease:PR-1"))  # not a file: cannot be read
    with pytest.raises(CacheUnavailable, match=r"File cache .*replace_if_equal of key #"):
        cache.replace_if_equal("lease:PR-1", "token", RECORD, 600)


@pytest.fixture(scope="module")
def stoppable_redis():
    """A redis-server of this module's own, to stop and continue."""
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def test_a_stalled_redis_is_a_fault_bounded_by_the_timeout(stoppable_redis):
    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port, prefix="cas-stall:",
                              socket_timeout=0.3, retry_after=0)
    cache.put("lease:PR-1", "token")
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)
    try:
        with pytest.raises(CacheUnavailable, match=r"Redis cache redis://127\.0\.0\.1:\d+/0: "
                                                   r"replace_if_equal of key #.*TimeoutError"):
            cache.replace_if_equal("lease:PR-1", "token", RECORD, 600)
    finally:
        os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    assert cache.lookup("lease:PR-1") == (True, "token")


def test_redis_replaces_with_one_script_call(make_redis, redis_server):
    import redis

    cache = make_redis()
    cache.put("lease:PR-1", "token", 30)
    monitor = redis.Redis(port=redis_server.port)
    before = monitor.info("commandstats")
    assert cache.replace_if_equal("lease:PR-1", "token", RECORD, 600) is True
    after = monitor.info("commandstats")
    calls = {name: stats["calls"] - before.get(name, {}).get("calls", 0)
             for name, stats in after.items()
             if stats["calls"] != before.get(name, {}).get("calls", 0)}
    calls.pop("cmdstat_info", None)
    assert set(calls) <= {"cmdstat_evalsha", "cmdstat_get", "cmdstat_set", "cmdstat_script"}
    assert calls["cmdstat_evalsha"] == 1
    assert 500_000 < cache.connection.pttl("lease:PR-1") <= 600_000  # the record's ttl


def test_redis_loads_its_scripts_again_when_the_server_lost_them(make_redis):
    cache = make_redis()
    cache.put("lease:PR-1", "token", 30)
    cache.connection.client.script_flush()  # as a restarted server has none
    assert cache.replace_if_equal("lease:PR-1", "token", RECORD, 600) is True
    cache.connection.client.script_flush()
    assert cache.delete_if_equal("lease:PR-1", RECORD) is True
    assert cache.lookup("lease:PR-1") == (False, None)


def test_a_read_only_redis_replica_is_a_fault(stoppable_redis, redis_server, caplog):
    import redis

    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port, prefix="cas-replica:",
                              retry_after=0)
    cache.put("lease:PR-1", "token", 30)
    admin = redis.Redis(port=stoppable_redis.port)
    admin.replicaof("127.0.0.1", redis_server.port)  # a failover left us on a replica
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match=r"replace_if_equal of key #[0-9a-f]{12} "
                                                      r"failed.*ReadOnlyError"):
            cache.replace_if_equal("lease:PR-1", "token", RECORD, 600)
        with pytest.raises(CacheUnavailable, match="claim"):
            cache.claim("lease:PR-2", "token", 30)
        assert cache.delete_if_equal("lease:PR-1", "token") is False  # a logged miss
    finally:
        admin.replicaof("NO", "ONE")
    assert "PR-1" not in caplog.text and "token" not in caplog.text
