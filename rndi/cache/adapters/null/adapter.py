"""The null cache: stores nothing, so every ``get`` computes its default."""

from typing import Any, Mapping, Optional

from rndi.cache._base import check_key, check_ttl, compute_default
from rndi.cache.contracts import Cache


class NullCacheAdapter(Cache):
    """Stores nothing; ``get`` still computes and returns a callable default."""

    def has(self, key: str) -> bool:
        check_key(key)
        return False

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        return compute_default(key, default)[0]

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        return value

    def delete(self, key: str) -> None:
        check_key(key)

    def flush(self, expired_only: bool = False) -> None:
        return None


def provide_null_cache_adapter(config: Optional[Mapping[str, Any]] = None) -> Cache:
    """The null cache; it has no settings."""
    return NullCacheAdapter()


# the published name of the null driver's provider
provide_none_cache_adapter = provide_null_cache_adapter
