import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from rndi.cache import CacheConfigurationError, provide_cache
from rndi.cache._base import shown_key
from rndi.cache.adapters.null.adapter import NullCacheAdapter

redis = pytest.importorskip("redis")

from rndi.cache.adapters.redis.adapter import (  # noqa: E402 - needs the redis extra
    DEFAULT_PREFIX,
    RedisCacheAdapter,
    provide_redis_cache_adapter,
)


@pytest.fixture
def raw(redis_server):
    client = redis.Redis(host="127.0.0.1", port=redis_server.port, decode_responses=True)
    yield client
    client.close()


def test_every_key_lives_under_the_prefix(make_redis, raw):
    cache = make_redis(prefix="orders:")
    cache.put("a", 1)
    cache.put("b", {"x": 2})
    assert sorted(raw.scan_iter(match="orders:*")) == ["orders:a", "orders:b"]
    assert raw.get("orders:b") == '{"x":2}'
    cache.flush()


def test_flush_leaves_other_applications_keys_alone(make_redis, raw):
    raw.set("billing:invoice", "keep")
    raw.set("app[1]:x", "keep too")  # would match a naive, unescaped glob of our prefix
    raw.set("app1:y", "keep as well")
    cache = make_redis(prefix="app[1]*:")
    for i in range(2500):  # more than one SCAN/UNLINK batch
        cache.put(f"k{i}", i)
    cache.flush()
    assert list(raw.scan_iter(match="app\\[1\\]\\*:*")) == []
    assert raw.get("billing:invoice") == "keep"
    assert raw.get("app[1]:x") == "keep too"
    assert raw.get("app1:y") == "keep as well"


def test_expiry_is_relative_and_set_on_the_key(make_redis, raw):
    cache = make_redis(prefix="ttl:")
    cache.put("k", "v", ttl=120)
    assert 119_000 < raw.pttl("ttl:k") <= 120_000
    cache.get("k", ttl=600)
    assert 599_000 < raw.pttl("ttl:k") <= 600_000
    cache.flush()


def test_flush_expired_only_is_a_no_op(make_redis, raw):
    cache = make_redis(prefix="noop:")
    cache.put("k", "v")
    cache.flush(expired_only=True)
    assert raw.get("noop:k") == '"v"'
    cache.flush()


def test_crafted_jsonpickle_entry_comes_back_as_plain_data(make_redis, raw, monkeypatch):
    cache = make_redis(prefix="crafted:")
    raw.set("crafted:token",
            '{"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}')
    calls = []
    monkeypatch.setattr(os, "getcwd", lambda: calls.append("called") or "/")
    assert cache.get("token") == {"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}
    assert calls == []


def test_corrupt_entry_is_a_logged_miss(make_redis, raw, caplog):
    cache = make_redis(prefix="corrupt:")
    raw.set("corrupt:k", "{not json")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k", "fresh") == "fresh"
    assert f"{shown_key('k')} cannot be decoded" in caplog.text
    assert raw.get("corrupt:k") == '"fresh"'


def test_adapters_of_one_process_share_one_pool(redis_server):
    first = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix="a:")
    second = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix="b:")
    assert first._client.connection_pool is second._client.connection_pool


REPLICA = textwrap.dedent("""
    import json, sys, time
    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    port, prefix = int(sys.argv[1]), sys.argv[2]
    cache = RedisCacheAdapter("127.0.0.1", port=port, prefix=prefix)
    cache.put("from-replica-2", {"written_by": "replica-2"})
    cache.put("short-lived", "soon gone", ttl=0.3)
    deadline = time.monotonic() + 20
    while cache.get("from-replica-1") is None and time.monotonic() < deadline:
        time.sleep(0.01)
    print(json.dumps(cache.get("from-replica-1")))
""")


def test_two_replicas_share_what_they_write_and_expiry_is_honoured(redis_server):
    prefix = f"replicas:{os.getpid()}:"
    replica_1 = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix=prefix)
    replica_2 = subprocess.Popen(
        [sys.executable, "-c", REPLICA, str(redis_server.port), prefix],
        stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while replica_1.get("from-replica-2") is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert replica_1.get("from-replica-2") == {"written_by": "replica-2"}
    replica_1.put("from-replica-1", {"written_by": "replica-1"})
    out, _ = replica_2.communicate(timeout=30)
    assert replica_2.returncode == 0
    assert json.loads(out) == {"written_by": "replica-1"}
    deadline = time.monotonic() + 20  # written with a 0.3 s ttl: gone soon, however slow
    while replica_1.get("short-lived") is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert replica_1.get("short-lived") is None
    replica_1.flush()


def test_a_stopped_server_turns_operations_into_logged_misses_then_recovers(caplog):
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        # retry_after=0: every operation tries the server again
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="outage:",
                                  password=None, retry_after=0)
        cache.put("k", "before")
        server.stop()
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            assert cache.get("k") is None
            assert cache.get("k", lambda: "computed") == "computed"
            assert cache.has("k") is False
            cache.delete("k")
            cache.flush()
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        # get, get (whose computed value is not put: the store just failed), has, delete,
        # flush: one line each
        assert len(errors) == 5
        assert all("treating it as a miss" in r.getMessage() for r in errors)
        server.start()
        cache.put("k", "after")
        assert cache.get("k") == "after"


def test_password_never_appears_in_logs(caplog):
    from rndi.cache.testing import free_port

    cache = RedisCacheAdapter("127.0.0.1", port=free_port(), password="s3cr3t-pw",
                              username="app", prefix="x:")
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        cache.get("k")
    assert caplog.records and "s3cr3t-pw" not in caplog.text


def test_provider_reads_config_strings(redis_server):
    cache = provide_redis_cache_adapter({
        "CACHE_REDIS_HOST": "127.0.0.1", "CACHE_REDIS_PORT": str(redis_server.port),
        "CACHE_REDIS_DB": "2", "CACHE_TTL": "30", "CACHE_REDIS_PREFIX": "svc:"})
    assert (cache.ttl, cache.prefix) == (30, "svc:")
    assert cache.server == f"redis://127.0.0.1:{redis_server.port}/2"
    cache.put("k", 1)
    assert cache.get("k") == 1
    cache.flush()


def test_provider_defaults():
    cache = provide_redis_cache_adapter({})
    assert (cache.server, cache.prefix, cache.ttl) == ("redis://localhost:6379/0",
                                                      DEFAULT_PREFIX, 900)


def test_provider_accepts_urls_including_tls(redis_server):
    cache = provide_redis_cache_adapter(
        {"CACHE_REDIS_URL": f"redis://:pw@127.0.0.1:{redis_server.port}/1"})
    assert cache.server == f"redis://127.0.0.1:{redis_server.port}/1"
    tls = provide_redis_cache_adapter({"CACHE_REDIS_URL": "rediss://user:pw@cache.example:6380/0"})
    assert tls.server == "rediss://cache.example:6380/0"
    pool = tls._client.connection_pool
    assert issubclass(pool.connection_class, redis.SSLConnection)


@pytest.mark.parametrize(("key", "value"), [
    ("CACHE_REDIS_PORT", "abc"), ("CACHE_REDIS_PORT", "0"), ("CACHE_REDIS_DB", "-1"),
    ("CACHE_REDIS_URL", "http://nope:1"), ("CACHE_TTL", "never"),
])
def test_nonsense_config_names_the_key_never_the_value(key, value):
    with pytest.raises(CacheConfigurationError) as error:
        provide_redis_cache_adapter({key: value})
    assert key in str(error.value) and f"{value!r}" not in str(error.value)
    assert f"(a str of {len(value)} characters)" in str(error.value)


def test_empty_prefix_and_bad_urls_are_rejected():
    with pytest.raises(ValueError, match="prefix must be a non-empty"):
        RedisCacheAdapter(prefix="")
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        RedisCacheAdapter(url="memcached://x")


def test_cache_driver_redis_is_built_into_the_cache_provider(redis_server):
    cache = provide_cache({"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
                           "CACHE_REDIS_PORT": redis_server.port}, logging.getLogger("t"))
    assert isinstance(cache, RedisCacheAdapter)


MISSING_EXTRA = textwrap.dedent("""
    import logging, sys
    sys.modules["redis"] = None  # as if the redis extra were not installed
    from rndi.cache import provide_cache
    from rndi.connect.devops_fulfillment_framework.providers.cache import CacheServiceProvider
    logging.basicConfig(level=logging.ERROR, format="%(message)s", stream=sys.stdout)
    cache = provide_cache({"CACHE_DRIVER": "redis"}, logging.getLogger("x"))
    print(type(cache).__name__)
""")


def test_without_the_redis_extra_the_driver_explains_and_falls_back_to_null():
    out = subprocess.run([sys.executable, "-c", MISSING_EXTRA], capture_output=True,
                         text=True, check=True).stdout
    assert 'pip install "rndi-connect-devops-fulfillment-framework[redis]"' in out
    assert out.strip().endswith(NullCacheAdapter.__name__)


@pytest.mark.parametrize("url", [
    "user:S3cretPW@redis:6379/0",               # no scheme
    "redis://user:S3c#retPW@redis:6379/0",      # '#' in the password
    "redis://user:S3c/ret@PW@redis:6379/0",     # '/' and '@' in the password
    "redis://:S3cretPW@:6379/0",                # empty host
    "memcached://admin:S3cretPW@cache:11211",   # wrong scheme
])
def test_a_redis_url_of_any_shape_never_shows_its_password(url, caplog):
    with caplog.at_level(logging.ERROR):
        cache = provide_cache({"CACHE_DRIVER": "redis", "CACHE_REDIS_URL": url},
                              logging.getLogger("t"))
        if "@:" in url:  # an empty host is redis-py's default host: accepted
            assert "S3c" not in RedisCacheAdapter(url=url).server
        else:
            with pytest.raises(ValueError, match="Redis URL") as error:
                RedisCacheAdapter(url=url)
            assert "S3c" not in str(error.value) and error.value.__cause__ is None
    assert "S3c" not in caplog.text
    assert "S3c" not in getattr(cache, "server", "")  # refused, or kept without credentials



@pytest.mark.parametrize(("url", "server"), [
    # '@' in an option's value: the query, not the end of credentials
    ("rediss://127.0.0.1:6380/0?ssl_password=S3c@retPW", "rediss://127.0.0.1:6380/0"),
    ("rediss://user:pw@127.0.0.1:6380/0?ssl_password=S3c@retPW", "rediss://127.0.0.1:6380/0"),
    # a URL redis-py cannot read: shown without its options either
    ("redis://cache.example:bad/0?client_name=S3cretName", "redis://cache.example:bad/0"),
])
def test_a_redis_url_never_shows_an_options_value(url, server, caplog):
    with caplog.at_level(logging.ERROR):
        cache = provide_cache({"CACHE_DRIVER": "redis", "CACHE_REDIS_URL": url},
                              logging.getLogger("t"))
        if isinstance(cache, RedisCacheAdapter):
            assert cache.server == server
            cache.get("k")  # nothing listens there: a fault line naming the server
        else:
            assert f"{server!r} cannot be used" in caplog.text
    assert caplog.records and "S3c" not in caplog.text and "retPW" not in caplog.text


class StalledServer:
    """A TCP server that accepts connections and never answers: a stalled Redis."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                self.accepted.append(self.listener.accept()[0])

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def test_after_a_timeout_the_server_is_skipped_and_logged_once(caplog):
    stalled = StalledServer()
    try:
        cache = RedisCacheAdapter("127.0.0.1", port=stalled.port, prefix="stall:",
                                  socket_timeout=0.5, retry_after=3600)
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            # the get times out once; the put of the computed value is skipped
            assert cache.get("k", lambda: "computed") == "computed"
            assert cache.has("k") is False
            cache.put("k", "v")
            cache.delete("k")
            cache.flush()
            assert cache.get("k") is None
        assert len(stalled.accepted) == 1  # one attempt, then no connection at all
        (record,) = caplog.records
        assert "TimeoutError" in record.getMessage()
        assert "skipping the server for 3600 s" in record.getMessage()
    finally:
        stalled.close()


def test_a_skipped_server_is_tried_again_after_retry_after(caplog):
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="back:",
                                  retry_after=0.2)
        server.stop()
        assert cache.get("k", "miss") == "miss"
        server.start()
        deadline = time.monotonic() + 60
        while cache.get("k") is None and time.monotonic() < deadline:
            cache.put("k", "back")
        assert cache.get("k") == "back"


def test_scoped_connection_sees_only_this_caches_keys(make_redis, raw):
    cache = make_redis(prefix="scoped:")
    cache.put("x", "v", 300)
    raw.set("x", "not ours")
    assert cache.connection.get("x") == b'"v"'
    assert 299 <= cache.connection.ttl("x") <= 300
    assert cache.connection.exists("x", "y") == 1
    assert cache.connection.expiretime("x") == raw.expiretime("scoped:x")
    with pytest.raises(AttributeError, match="not a command of one cache's keys"):
        cache.connection.flushdb()
    assert raw.get("x") == "not ours"


def test_a_sub_millisecond_ttl_refresh_keeps_the_live_entry(make_redis, raw):
    cache = make_redis(prefix="short:")
    cache.put("k", "live", 600)
    # Redis counts whole milliseconds and refuses 0: the refresh rounds up, so the live
    # value is answered and never replaced by the recomputed default
    assert cache.get("k", lambda: "recomputed", ttl=0.0005) == "live"
    assert raw.get("short:k") in ('"live"', None)  # expired 1 ms later at the latest
