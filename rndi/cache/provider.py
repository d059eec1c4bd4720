"""Choosing the cache adapter from configuration: the one place that knows every driver."""

import logging
from typing import Any, Callable, Dict, Mapping, Optional, Union

from rndi.cache.adapters.fs.adapter import provide_fs_cache_adapter
from rndi.cache.adapters.null.adapter import (  # noqa: F401 - the published name too
    NullCacheAdapter,
    provide_none_cache_adapter,
    provide_null_cache_adapter,
)
from rndi.cache.adapters.redis import redis_driver
from rndi.cache.adapters.sqlite.adapter import provide_sqlite_cache_adapter
from rndi.cache.contracts import Cache
from rndi.cache.exceptions import shown_value
from rndi.connect.devops_logger_adapter._secrets import mask_text

CacheDriver = Callable[[Mapping[str, Any]], Cache]

# CACHE_DRIVER's value -> the driver name it means (stripped, lower case)
_NAMES: Dict[str, str] = {}

# redis-py is imported by the redis driver itself, only when a configuration picks it
BUILTIN_DRIVERS: Dict[str, CacheDriver] = {
    "none": provide_null_cache_adapter,
    "file": provide_fs_cache_adapter,
    "sqlite": provide_sqlite_cache_adapter,
    "redis": redis_driver,
}


def provide_cache(
    config: Mapping[str, Any],
    logger: Union[logging.Logger, logging.LoggerAdapter],
    drivers: Optional[Dict[str, CacheDriver]] = None,
) -> Cache:
    """The cache named by ``CACHE_DRIVER`` (``none`` by default).

    Args:
        config: the extension configuration.
        logger: where a failing or unknown driver is reported.
        drivers: extra drivers, ``name -> fn(config) -> Cache``, next to the built-in
            ``none``, ``file``, ``sqlite`` and ``redis``; a name given here replaces the
            built-in driver of that name.

    Returns:
        The driver's adapter; the null adapter (after logging an error naming the driver
        and the cause) when the driver is unknown or fails to start, because a
        fulfillment must not die because its cache did.
    """
    if not isinstance(config, dict) and not isinstance(config, Mapping):
        raise TypeError("provide_cache() expects the configuration mapping, got a "
                        f"{type(config).__name__}.")
    raw = config.get("CACHE_DRIVER")
    name = _NAMES.get(raw) if type(raw) is str else None  # the same value on every event
    if name is None:
        name = str(raw or "none").strip().lower()
        # only a value that names a built-in driver is remembered: an unknown one may be
        # anything an operator pasted there (a URL with its password)
        if type(raw) is str and name in BUILTIN_DRIVERS and len(_NAMES) < 64:
            _NAMES[raw] = name
    driver = drivers.get(name) if drivers else None
    if driver is None:
        driver = BUILTIN_DRIVERS.get(name)
    if driver is None:
        available = {**BUILTIN_DRIVERS, **(drivers or {})}
        # the setting named, never its value: an operator may have pasted a secret there
        logger.error("Unknown cache driver in CACHE_DRIVER (%s); available: %s. Using the "
                     "null cache.", shown_value(raw), ", ".join(sorted(available)))
        return NullCacheAdapter()
    try:
        cache = driver(config)
    except Exception as e:
        # messages end with a period of their own; the log line adds its own sentence
        logger.error("Cache driver %r failed to start: %s: %s. Using the null cache.",
                     name, type(e).__name__, mask_text(str(e), config).rstrip("."))
        return NullCacheAdapter()
    logger.debug("Cache service configured with %s driver.", name)  # the published line
    return cache
