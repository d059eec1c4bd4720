"""lookup and claim: the reads and the atomic add of the caches, telling a fault from a
miss. Real stores; the faults are real too (another process holding the lock, a stopped
redis-server, an entry that is a directory)."""

import logging
import os
import signal

import pytest

from rndi.cache import CacheUnavailable
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.testing import RedisServer
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.doubles import PublishedStyleCache
from tests.rndi.cache.test_sqlite_hazards import Holder


def test_lookup_tells_a_live_entry_a_stored_none_and_a_miss_apart(cache, clock):
    cache.put("tenant", {"id": "TEN-1"}, 60)
    cache.put("nothing", None, 60)
    assert cache.lookup("tenant") == (True, {"id": "TEN-1"})
    assert cache.lookup("nothing") == (True, None)
    assert cache.lookup("absent") == (False, None)
    clock.advance(61)
    assert cache.lookup("tenant") == (False, None)  # expired is absent
    assert cache.has("absent") is False  # lookup stored nothing


def test_claim_stores_only_when_no_live_entry_exists(cache, clock):
    assert cache.claim("lease:PR-1", "token-a", 30) is True
    assert cache.claim("lease:PR-1", "token-b", 30) is False
    assert cache.get("lease:PR-1") == "token-a"
    clock.advance(31)
    assert cache.claim("lease:PR-1", "token-b", 30) is True
    assert cache.lookup("lease:PR-1") == (True, "token-b")


def test_the_null_cache_finds_nothing_and_grants_every_claim(null_cache):
    null_cache.put("k", "v")
    assert null_cache.lookup("k") == (False, None)
    assert null_cache.claim("k", "v") is True and null_cache.claim("k", "v") is True


def test_a_cache_written_before_lookup_existed_says_what_to_implement():
    with pytest.raises(NotImplementedError, match=r"PublishedStyleCache does not implement "
                                                  r"Cache\.lookup.*CacheUnavailable"):
        PublishedStyleCache().lookup("k")
    with pytest.raises(NotImplementedError, match=r"Cache\.claim\(key, value, ttl=None\)"):
        PublishedStyleCache().claim("k", "v")


def test_a_locked_sqlite_database_is_a_fault_for_lookup_and_claim_and_a_miss_for_get(
        tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 0.3})
    cache.put("journal:PR-1:order", {"result": "ORD-1"})
    _pool.discard(cache.path)  # an exclusive holder needs no other connection open
    holder = Holder(cache.path, "exclusive")
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            with pytest.raises(CacheUnavailable, match=r"SQLite cache .*: lookup of key #"
                                                       r"[0-9a-f]{12} failed \(OperationalError"
                                                       r"\); what it holds is unknown") as e:
                cache.lookup("journal:PR-1:order")
            assert e.value.store.startswith("SQLite cache")
            with pytest.raises(CacheUnavailable, match="claim of key #"):
                cache.claim("lease:PR-1", "token")
            assert cache.get("journal:PR-1:order") is None  # the published get: a miss
        lines = [r.getMessage() for r in caplog.records]
        assert [line.rsplit("; ", 1)[1] for line in lines] == [
            "reported as unknown.", "reported as unknown.", "treating it as a miss."]
        assert not any("PR-1" in line for line in lines)  # keys are never logged
    finally:
        holder.release()
    assert cache.lookup("journal:PR-1:order") == (True, {"result": "ORD-1"})


def test_an_unreadable_file_entry_is_a_fault_for_lookup(tmp_path):
    cache = FileSystemCacheAdapter(str(tmp_path))
    os.mkdir(cache._get_file_name("journal:PR-1:order"))  # not a file: cannot be read
    with pytest.raises(CacheUnavailable, match=r"File cache .*lookup of key #.*IsADirectory"):
        cache.lookup("journal:PR-1:order")
    assert cache.get("journal:PR-1:order", "default") == "default"


@pytest.fixture(scope="module")
def stoppable_redis():
    """A redis-server of this module's own, to stop and continue."""
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def test_a_stalled_redis_is_a_fault_for_lookup_and_claim_bounded_by_the_timeout(
        stoppable_redis, caplog):
    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port, prefix="stall:",
                              socket_timeout=0.3, retry_after=0)
    cache.put("journal:PR-1:order", {"result": "ORD-1"})
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match=r"Redis cache redis://127\.0\.0\.1:\d+/0: "
                                                      r"lookup of key #.*TimeoutError"):
            cache.lookup("journal:PR-1:order")
    finally:
        os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    assert cache.lookup("journal:PR-1:order") == (True, {"result": "ORD-1"})


def test_a_skipped_redis_server_is_a_fault_not_a_miss(stoppable_redis):
    cache = RedisCacheAdapter("127.0.0.1", port=stoppable_redis.port, prefix="skip:",
                              socket_timeout=0.3, retry_after=300)
    cache.put("lease:PR-1", "token")
    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)
    try:
        with pytest.raises(CacheUnavailable, match="TimeoutError"):
            cache.claim("lease:PR-1", "other")
    finally:
        os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    # the server answers again, but this cache skips it after the failure: still unknown
    with pytest.raises(CacheUnavailable, match="skipped after a failure"):
        cache.lookup("lease:PR-1")
    assert cache.get("lease:PR-1") is None and cache.add("lease:PR-1", "x") is False
