"""Every event makes its flow, and so its cache adapter: on Redis the adapters of one
configuration share their clients and script, and those of two configurations never do."""

import logging
import multiprocessing

import pytest

from rndi.cache import CacheConfigurationError
from rndi.cache.testing import RedisServer
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease
from rndi.connect.devops_fulfillment_framework.application import Saga

redis = pytest.importorskip("redis")

from rndi.cache.adapters.redis import _pool  # noqa: E402 - needs the redis extra
from rndi.cache.adapters.redis.adapter import (  # noqa: E402 - needs the redis extra
    RedisCacheAdapter,
    provide_redis_cache_adapter,
)

LOGGER = logging.getLogger("test.redis.reuse")


class Noop(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return "done"

    def compensate(self, request, e):
        raise e


class GuardedSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Noop]


def config_of(server, **overrides):
    return {"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
            "CACHE_REDIS_PORT": str(server.port), "CACHE_REDIS_PREFIX": "reuse:",
            **overrides}


def cache_of_an_event(config, request_id="PR-1"):
    request = {"id": request_id}
    # the lease as the saga builds it for this event, with the cache it was given
    return GuardedSaga.make(config, None, LOGGER, request).container.get(RequestLease).cache


def shared_parts(cache):
    return cache._client, cache._raw_client, cache._delete_if_equal_script


def test_two_events_of_one_configuration_share_the_clients_and_the_script(redis_server):
    first = cache_of_an_event(config_of(redis_server), "PR-1")
    second = cache_of_an_event(config_of(redis_server), "PR-2")
    assert first is not second  # an adapter per event, as before
    assert all(a is b for a, b in zip(shared_parts(first), shared_parts(second), strict=True))
    # both still work, through the one client: strings for the cache, bytes for connection
    assert first.add("lease:PR-1", "token") is True
    assert second.get("lease:PR-1") == "token"
    assert second.connection.get("lease:PR-1") == b'"token"'
    assert second.delete_if_equal("lease:PR-1", "token") is True
    assert first.has("lease:PR-1") is False


@pytest.mark.parametrize("difference", [
    {"CACHE_REDIS_DB": "1"},
    {"CACHE_REDIS_PASSWORD": "not-used-by-this-server"},
    {"CACHE_REDIS_USERNAME": "someone"},
    {"CACHE_REDIS_PREFIX": "other:"},
    {"CACHE_REDIS_TIMEOUT": "2.5"},
    {"CACHE_REDIS_ENCODING": "latin-1"},
], ids=lambda difference: next(iter(difference)))
def test_configurations_that_differ_never_share_a_client(redis_server, difference):
    ours = provide_redis_cache_adapter(config_of(redis_server))
    theirs = provide_redis_cache_adapter(config_of(redis_server, **difference))
    assert not any(a is b for a, b in zip(shared_parts(ours), shared_parts(theirs), strict=True))


def test_a_url_naming_another_server_never_shares_a_client(redis_server):
    by_host = provide_redis_cache_adapter(config_of(redis_server))
    by_url = provide_redis_cache_adapter({
        "CACHE_REDIS_URL": f"redis://localhost:{redis_server.port}/0",
        "CACHE_REDIS_PREFIX": "reuse:"})
    assert by_url._client is not by_host._client
    assert by_url._client.connection_pool is not by_host._client.connection_pool


def test_a_server_restarting_between_two_events_is_reconnected_on_the_next_operation(caplog):
    with RedisServer() as server:
        # a long retry_after: had the first operation after the restart failed, every
        # later one would be skipped and answer a miss
        config = config_of(server, CACHE_REDIS_TIMEOUT="5", CACHE_REDIS_RETRY_AFTER="3600")
        before = cache_of_an_event(config, "PR-1")
        assert before.add("journal:PR-1", "ordered") is True  # a pooled connection now
        server.stop()
        server.start()  # the same port, a new process: the pooled connection is dead
        after = cache_of_an_event(config, "PR-2")
        assert after._client is before._client
        with caplog.at_level(logging.WARNING, logger="rndi.cache"):
            assert after.add("lease:PR-2", "token") is True
            assert after.get("lease:PR-2") == "token"
        assert [r.getMessage() for r in caplog.records] == []  # no fault, no skip


def _clients_in_a_child(port, parents_client, answers):
    forgotten = _pool._connected == {}
    cache = RedisCacheAdapter("127.0.0.1", port=port, prefix="reuse:")
    answers.put((forgotten, cache._client is not parents_client,
                 cache.put("forked", "child") == "child" and cache.get("forked") == "child"))


def test_a_forked_child_makes_clients_of_its_own(redis_server):
    parent = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix="reuse:")
    parent.get("warm")  # a connection of the parent's is in the pool
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    child = context.Process(target=_clients_in_a_child,
                            args=(redis_server.port, parent._client, answers))
    child.start()
    forgotten, its_own, worked = answers.get(timeout=60)
    child.join(60)
    assert child.exitcode == 0
    assert (forgotten, its_own, worked) == (True, True, True)
    assert parent.get("forked") == "child"  # and the parent's client still works


def test_settings_read_once_still_tell_a_true_port_from_port_1_and_name_bad_values():
    assert provide_redis_cache_adapter({"CACHE_REDIS_PORT": 1}).port == 1
    with pytest.raises(CacheConfigurationError, match="CACHE_REDIS_PORT"):
        provide_redis_cache_adapter({"CACHE_REDIS_PORT": True})  # equal to 1, not a port
    for _ in range(2):  # an unhashable value is read each time, and named each time
        with pytest.raises(CacheConfigurationError, match="CACHE_REDIS_DB"):
            provide_redis_cache_adapter({"CACHE_REDIS_DB": ["0"]})


def test_an_event_reads_the_settings_of_its_own_configuration(redis_server):
    first = provide_redis_cache_adapter(config_of(redis_server, CACHE_TTL="60"))
    second = provide_redis_cache_adapter(config_of(redis_server, CACHE_TTL="120"))
    assert (first.ttl, second.ttl) == (60, 120)
    assert first._client is second._client  # the ttl is the adapter's, not the client's
