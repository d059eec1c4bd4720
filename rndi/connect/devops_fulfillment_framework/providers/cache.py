"""Provides ``cache``: the driver named by ``CACHE_DRIVER``, SQLite and Redis included."""

from typing import Any, Dict, Mapping

from rndi.cache.adapters.sqlite.adapter import provide_sqlite_cache_adapter
from rndi.cache.contracts import Cache
from rndi.cache.provider import CacheDriver, provide_cache
from rndi.dicontainer.adapter import BaseServiceProvider


def _drivers() -> Dict[str, CacheDriver]:
    drivers: Dict[str, CacheDriver] = {"sqlite": provide_sqlite_cache_adapter}
    try:
        from rndi.cache.adapters.redis.adapter import provide_redis_cache_adapter
    except ImportError:  # the redis extra is not installed; see rndi.cache.provider
        from rndi.cache.adapters.redis import missing_redis_driver

        drivers["redis"] = missing_redis_driver
    else:
        drivers["redis"] = provide_redis_cache_adapter
    return drivers


DRIVERS = _drivers()


class CacheServiceProvider(BaseServiceProvider):
    """``cache`` = ``provide_cache(config, logger)`` with ``sqlite`` and ``redis`` added."""

    def provide_cache(self, config: Mapping[str, Any], logger: Any) -> Cache:
        return provide_cache(config, logger, DRIVERS)
