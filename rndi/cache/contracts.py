"""The cache contract every adapter implements."""

from abc import ABC, abstractmethod
from typing import Any, Optional


class Cache(ABC):
    """A key-value cache with per-entry expiry.

    ``get`` on a miss computes a callable ``default`` (a result ``(value, ttl)`` means that
    ttl) and stores the value when it is not ``None``. Expired entries are misses.
    """

    @abstractmethod
    def has(self, key: str) -> bool:
        """Whether a live entry with a non-``None`` value exists for ``key``."""

    @abstractmethod
    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        """The value of ``key``; with ``ttl``, a hit also pushes its expiry to now + ttl."""

    @abstractmethod
    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        """Store ``value`` for ``ttl`` seconds (the adapter's default when ``None``)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove ``key`` if present."""

    @abstractmethod
    def flush(self, expired_only: bool = False) -> None:
        """Remove every entry, or only the expired ones."""
