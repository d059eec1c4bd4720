"""A small cache contract with null, file, SQLite and Redis adapters."""

from rndi.cache.contracts import Cache
from rndi.cache.exceptions import (
    CacheConfigurationError,
    CacheError,
    CacheUnavailable,
    UnserializableValue,
)
from rndi.cache.provider import BUILTIN_DRIVERS, CacheDriver, provide_cache

__all__ = [
    "BUILTIN_DRIVERS",
    "Cache",
    "CacheConfigurationError",
    "CacheDriver",
    "CacheError",
    "CacheUnavailable",
    "UnserializableValue",
    "provide_cache",
]
