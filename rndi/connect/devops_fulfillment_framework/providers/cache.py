"""Provides ``cache``: the driver named by ``CACHE_DRIVER`` (see :mod:`rndi.cache`)."""

from typing import Any, Mapping

from rndi.cache.adapters.sqlite.adapter import provide_sqlite_cache_adapter  # noqa: F401
from rndi.cache.contracts import Cache
from rndi.cache.provider import provide_cache
from rndi.dicontainer.adapter import BaseServiceProvider


class CacheServiceProvider(BaseServiceProvider):
    """``cache`` = ``provide_cache(config, logger)``: ``none``, ``file``, ``sqlite`` or
    ``redis``, chosen by ``CACHE_DRIVER``."""

    def provide_cache(self, config: Mapping[str, Any], logger: Any) -> Cache:
        return provide_cache(config, logger)
