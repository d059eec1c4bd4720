"""µs per operation of the cache adapters, next to diskcache (JSON values) in the same run.

Run: ``python benchmarks/cache.py`` (add ``--redis`` to include the redis driver; it
starts a throwaway ``redis-server`` on a free 127.0.0.1 port).
"""

import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import diskcache
from _timing import microseconds

from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter

VALUE = {"customer_id": "C-123456", "token": "x" * 64, "scopes": ["read", "write"], "n": 42}
KEYS = [f"key-{i}" for i in range(1000)]


def operations(cache_get, cache_put):
    for key in KEYS:
        cache_put(key, VALUE)
    hit = iter(random.choices(KEYS, k=10**6))
    miss = (f"missing-{i}" for i in range(10**7))
    put = iter(random.choices(KEYS, k=10**6))
    return {
        "get-hit": lambda: cache_get(next(hit)),
        "get-miss": lambda: cache_get(next(miss)),
        "put": lambda: cache_put(next(put), VALUE),
    }


def measure(name, ops, open_first_get):
    results = {op: microseconds(fn, number=2000, repeat=5) for op, fn in ops.items()}
    results["open+first-get"] = microseconds(open_first_get, number=200, repeat=5)
    return name, results


def sqlite_rows(directory):
    cache = SQLiteCacheAdapter(directory)
    path = cache.path
    rows = [measure("rndi sqlite", operations(cache.get, cache.put),
                    lambda: SQLiteCacheAdapter(directory).get("key-1"))]

    def cold_open_first_get():
        _pool.discard(path)
        return SQLiteCacheAdapter(directory).get("key-1")

    rows.append(("rndi sqlite (cold open)",
                 {"open+first-get": microseconds(cold_open_first_get, number=200, repeat=5)}))
    return rows


def diskcache_row(directory):
    cache = diskcache.Cache(directory, disk=diskcache.JSONDisk)

    def put(key, value):
        cache.set(key, value, expire=900)

    def open_first_get():
        fresh = diskcache.Cache(directory, disk=diskcache.JSONDisk)
        fresh.get("key-1")
        fresh.close()

    return measure("diskcache (JSONDisk)", operations(cache.get, put), open_first_get)


def redis_rows():
    import json

    import redis

    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    from rndi.cache.testing import RedisServer

    with RedisServer() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="bench:")
        ours = measure("rndi redis", operations(cache.get, cache.put),
                       lambda: RedisCacheAdapter("127.0.0.1", port=server.port,
                                                 prefix="bench:").get("key-1"))
        client = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)

        def raw_get(key):
            value = client.get("raw:" + key)
            return None if value is None else json.loads(value)

        def raw_put(key, value):
            client.set("raw:" + key, json.dumps(value), ex=900)

        def raw_open_first_get():
            fresh = redis.Redis(host="127.0.0.1", port=server.port, decode_responses=True)
            fresh.get("raw:key-1")
            fresh.close()

        raw = measure("redis-py by hand (no pool reuse on open)",
                      operations(raw_get, raw_put), raw_open_first_get)
    return [ours, raw]


def main():
    random.seed(7)
    columns = ["get-hit", "get-miss", "put", "open+first-get"]
    with tempfile.TemporaryDirectory() as ours, tempfile.TemporaryDirectory() as theirs:
        baseline_name, baseline = diskcache_row(os.path.join(theirs, "dc"))
        rows = sqlite_rows(os.path.join(ours, "sq"))
        if "--redis" in sys.argv:
            rows.extend(redis_rows())
    print(f"{'µs/op':<42}" + "".join(f"{c:>16}" for c in columns))
    print(f"{baseline_name:<42}" + "".join(f"{baseline[c]:>16.2f}" for c in columns))
    for name, results in rows:
        cells = []
        for c in columns:
            if c in results:
                cells.append(f"{results[c]:>8.2f} ({results[c] / baseline[c]:4.2f}x)")
            else:
                cells.append("")
        print(f"{name:<42}" + "".join(f"{cell:>16}" for cell in cells))
    print("ratio = rndi / diskcache (below 1.00x is faster than diskcache)")


if __name__ == "__main__":
    main()
