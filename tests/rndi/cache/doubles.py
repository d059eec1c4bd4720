"""Test doubles that several of the cache tests share."""

from typing import Any, Optional

from rndi.cache.contracts import Cache


class PublishedStyleCache(Cache):
    """A subclass written for the published contract: none of the primitives added since
    (``add``, ``delete_if_equal``, ``lookup``, ``claim``, ``replace_if_equal``)."""

    def has(self, key: str) -> bool:
        return False

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        return default

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        return value

    def delete(self, key: str) -> None:
        return None

    def flush(self, expired_only: bool = False) -> None:
        return None
