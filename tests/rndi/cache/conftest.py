import pytest

from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter


class Clock:
    """A controllable time source: tests move time instead of sleeping."""

    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def make_fs(tmp_path, clock):
    return FileSystemCacheAdapter(str(tmp_path / "fs"), ttl=900, clock=clock)


def make_sqlite(tmp_path, clock):
    return SQLiteCacheAdapter(str(tmp_path / "sqlite"), ttl=900, clock=clock)


# Every persistent adapter; the redis tests add theirs to this map through their fixture.
PERSISTENT = {"fs": make_fs, "sqlite": make_sqlite}


@pytest.fixture(params=sorted(PERSISTENT))
def cache(request, tmp_path, clock):
    return PERSISTENT[request.param](tmp_path, clock)


@pytest.fixture
def null_cache():
    return NullCacheAdapter()
