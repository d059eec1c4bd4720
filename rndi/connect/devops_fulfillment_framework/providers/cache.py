"""Provides ``cache``: the driver named by ``CACHE_DRIVER`` (see :mod:`rndi.cache`)."""


from rndi.cache.adapters.sqlite.adapter import provide_sqlite_cache_adapter  # noqa: F401
from rndi.cache.contracts import Cache  # noqa: F401 - published name
from rndi.cache.provider import provide_cache
from rndi.dicontainer.adapter import BaseServiceProvider
from rndi.dicontainer.adapter import (  # noqa: F401 - published name
    BaseServiceProvider as ServiceProvider,
)


class CacheServiceProvider(BaseServiceProvider):
    """``cache`` = ``provide_cache(config, logger)``: ``none``, ``file``, ``sqlite`` or
    ``redis``, chosen by ``CACHE_DRIVER``."""

    # the function itself, not a method calling it: one call less on every event
    provide_cache = staticmethod(provide_cache)
