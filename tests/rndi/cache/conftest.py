import itertools
import os
import shutil

import pytest

from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter


class Clock:
    """A controllable time source: tests move time instead of sleeping.

    Adapters whose store keeps its own time (Redis) register a listener that moves the
    store's clock along.
    """

    def __init__(self, now: float = 1_000_000.0):
        self.now = now
        self.listeners = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for listener in self.listeners:
            listener(seconds)


@pytest.fixture
def clock():
    return Clock()


def redis_server_or_skip():
    if shutil.which("redis-server"):
        return
    reason = "redis-server is not installed (apt-get install redis-server)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the Redis tests")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_server():
    redis_server_or_skip()
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        yield server


_prefixes = itertools.count()


def shift_redis_time(client, prefix, seconds):
    """Move the server's clock for our keys: Redis cannot be told another time."""
    for name in client.scan_iter(match=prefix + "*"):
        left = client.pttl(name)
        if left > 0:
            left -= int(seconds * 1000)
            if left <= 0:
                client.delete(name)
            else:
                client.pexpire(name, left)


@pytest.fixture
def make_redis(redis_server, clock):
    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

    def make(prefix=None, **kwargs):
        prefix = prefix or f"test:{os.getpid()}:{next(_prefixes)}:"
        cache = RedisCacheAdapter("127.0.0.1", port=redis_server.port, prefix=prefix, **kwargs)
        clock.listeners.append(lambda seconds: shift_redis_time(cache._client, prefix, seconds))
        return cache

    return make


PERSISTENT = ("fs", "sqlite", "redis")


@pytest.fixture(params=PERSISTENT)
def cache(request, tmp_path, clock):
    if request.param == "fs":
        return FileSystemCacheAdapter(str(tmp_path / "fs"), ttl=900, clock=clock)
    if request.param == "sqlite":
        return SQLiteCacheAdapter(str(tmp_path / "sqlite"), ttl=900, clock=clock)
    return request.getfixturevalue("make_redis")()


@pytest.fixture
def null_cache():
    return NullCacheAdapter()
