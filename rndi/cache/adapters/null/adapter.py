"""The null cache: stores nothing, so every ``get`` computes its default."""

from typing import Any, Mapping, Optional, Tuple

from rndi.cache import _codec
from rndi.cache._base import check_key, check_ttl, compute_default
from rndi.cache.contracts import Cache


class NullCacheAdapter(Cache):
    """Stores nothing; ``get`` still computes and returns a callable default.

    What no store can keep (a value JSON cannot hold, a key with a lone surrogate) is
    refused as every store refuses it, so an extension tried on the null cache meets the
    error it would meet on a real one. It shares nothing between processes (or between
    two calls), so nothing guarded by it is exclusive: ``add``, ``delete_if_equal`` and
    ``replace_if_equal`` always answer ``True``, and a lease or lock built on them never
    keeps anyone out.
    """

    def has(self, key: str) -> bool:
        check_key(key)
        return False

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        value = compute_default(key, default)[0]
        if value is not None:  # what a store would put
            _codec.dumps(key, value)
        return value

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        _codec.dumps(key, value)
        return value

    def delete(self, key: str) -> None:
        check_key(key)

    def flush(self, expired_only: bool = False) -> None:
        return None

    def add(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """Stores nothing and answers ``True``: every caller wins, nothing is exclusive."""
        check_key(key)
        check_ttl(key, ttl)
        _codec.dumps(key, value)
        return True

    def lookup(self, key: str) -> Tuple[bool, Any]:
        """Answers ``(False, None)``: nothing is ever stored."""
        check_key(key)
        return False, None

    def claim(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """Stores nothing and answers ``True``, as ``add`` does."""
        return self.add(key, value, ttl)

    def delete_if_equal(self, key: str, value: Any) -> bool:
        """Answers ``True``: there is nothing to keep."""
        check_key(key)
        _codec.dumps(key, value)
        return True

    def replace_if_equal(self, key: str, expected: Any, value: Any,
                         ttl: Optional[int] = None) -> bool:
        """Stores nothing and answers ``True``, as ``add`` does."""
        check_key(key)
        check_ttl(key, ttl)
        _codec.dumps(key, expected)
        _codec.dumps(key, value)
        return True


def provide_null_cache_adapter(config: Optional[Mapping[str, Any]] = None) -> Cache:
    """The null cache; it has no settings."""
    return NullCacheAdapter()


# the published name of the null driver's provider
provide_none_cache_adapter = provide_null_cache_adapter
