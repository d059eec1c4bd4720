"""What every storing adapter shares: argument checks and the read-through ``get``."""

import logging
import math
import time
from abc import abstractmethod
from typing import Any, Callable, Optional

from rndi.cache import _codec
from rndi.cache.contracts import Cache

logger = logging.getLogger("rndi.cache")

# Marks a miss: ``None`` cannot, a stored JSON ``null`` decodes to it.
MISS: Any = object()


def check_key(key: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"Cache keys are strings, got {key!r} ({type(key).__name__}).")


def check_ttl(key: str, ttl: Any) -> None:
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))
                            or not 0 < ttl < math.inf):
        raise ValueError(
            f"Cannot cache key {key!r}: ttl must be a positive, finite number of seconds or None, "
            f"got {ttl!r}."
        )


def compute_default(key: str, default: Any) -> tuple:
    """Resolve a ``get`` default into ``(value, ttl)``."""
    if not callable(default):
        return default, None
    result = default()
    if (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], (int, float))
            and not isinstance(result[1], bool)):
        check_ttl(key, result[1])
        return result
    return result, None


def decode(key: str, raw: Any) -> Any:
    """Decode a stored value; a corrupt one is a miss, logged."""
    try:
        return _codec.loads(raw)
    except (_codec.DecodeError, TypeError, ValueError):
        logger.warning("Cache entry %r is corrupt (not JSON); treating it as a miss.", key)
        return MISS


class StoredCache(Cache):
    """A cache that stores JSON text: subclasses implement the storage primitives."""

    def __init__(self, ttl: int = 900, clock: Callable[[], float] = time.time) -> None:
        check_ttl("(default)", ttl)
        self.ttl = ttl
        self.clock = clock

    @abstractmethod
    def _load(self, key: str, ttl: Optional[float]) -> Any:
        """The live value of ``key`` or ``MISS``; with ``ttl``, refresh its expiry."""

    @abstractmethod
    def _store(self, key: str, encoded: str, ttl: float) -> None:
        """Write (insert or replace) one entry that lives ``ttl`` seconds from now."""

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        value = self._load(key, ttl)
        if value is not MISS and value is not None:
            return value
        value, value_ttl = compute_default(key, default)
        if value is not None:
            self.put(key, value, value_ttl if value_ttl is not None else ttl)
        return value

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        encoded = _codec.dumps(key, value)
        self._store(key, encoded, self.ttl if ttl is None else ttl)
        return value
