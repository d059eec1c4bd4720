"""The cache contract every adapter implements."""

from abc import ABC, abstractmethod
from typing import Any, Callable, Optional, Tuple


class Cache(ABC):
    """A key-value cache with per-entry expiry.

    ``get`` on a miss computes a callable ``default``; a tuple (the default, or the
    callable's answer) means ``(value, ttl)``; the value is stored when it is not ``None``.
    A stored ``None`` is an entry like any other. Expired entries are misses, and a ttl of
    0 or less stores an entry that is already expired.

    ``add``, ``delete_if_equal`` and ``replace_if_equal`` are the atomic primitives a
    lease is built from; ``lookup`` and ``claim`` are ``get`` and ``add`` telling a fault
    from a miss, for what must never read "unknown" as "absent" (a lease, a step
    journal). They are not abstract, so a subclass written before they existed still
    instantiates; it raises ``NotImplementedError`` only when one of them is called.
    """

    @abstractmethod
    def has(self, key: str) -> bool:
        """Whether a live entry exists for ``key`` (a stored ``None`` included)."""

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

    def add(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """Store ``value`` only if no live entry exists for ``key``, atomically.

        An expired entry counts as absent. ``ttl`` means what it means for ``put``.

        Returns:
            Whether this call stored the value: of several callers racing for one key,
            exactly one is answered ``True``. A storage fault answers ``False``.

        Raises:
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement Cache.add(key, value, ttl=None) -> bool: "
            "override it to store only when no live entry exists, atomically, and answer "
            "whether it stored."
        )

    def delete_if_equal(self, key: str, value: Any) -> bool:
        """Remove ``key`` only if its entry is live and holds ``value``, atomically.

        Values are compared as stored (their JSON text): use it with values written the
        same way, such as the random token of a lease.

        Returns:
            Whether this call removed the entry. A storage fault answers ``False``.

        Raises:
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement Cache.delete_if_equal(key, value) -> "
            "bool: override it to remove the entry only when it is live and holds value, "
            "atomically, and answer whether it removed it."
        )

    def lookup(self, key: str) -> Tuple[bool, Any]:
        """The live entry of ``key``, telling a fault from a miss.

        Returns:
            ``(True, value)`` for a live entry (a stored ``None`` included), ``(False,
            None)`` when there is none. Nothing is computed or stored.

        Raises:
            CacheUnavailable: the store could not answer; whether the entry exists is
                unknown.
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement Cache.lookup(key) -> (found, value): "
            "override it to answer (True, value) for a live entry, (False, None) for none, "
            "and raise rndi.cache.exceptions.CacheUnavailable when the store cannot answer."
        )

    def claim(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """``add``, telling a fault from a live entry: whether this call stored ``value``.

        Raises:
            CacheUnavailable: the store could not answer; whether anything was stored is
                unknown.
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement Cache.claim(key, value, ttl=None) -> "
            "bool: override it as add(), raising rndi.cache.exceptions.CacheUnavailable "
            "instead of answering False when the store cannot answer."
        )

    def replace_if_equal(self, key: str, expected: Any, value: Any,
                         ttl: Optional[int] = None) -> bool:
        """Store ``value`` for ``key`` only if its entry is live and holds ``expected``,
        atomically: a compare-and-set. ``ttl`` is the new entry's, as for ``put``.

        Values are compared as stored (their JSON text), as ``delete_if_equal`` compares
        them: a lease's holder turns its token into a record in one step, and never
        overwrites what another caller wrote after its lease expired.

        Returns:
            Whether this call replaced the entry.

        Raises:
            CacheUnavailable: the store could not answer; whether the entry was replaced
                is unknown.
            NotImplementedError: the subclass does not implement it.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not implement Cache.replace_if_equal(key, expected, "
            "value, ttl=None) -> bool: override it to store value only when the entry is "
            "live and holds expected, atomically, answer whether it stored, and raise "
            "rndi.cache.exceptions.CacheUnavailable when the store cannot answer."
        )


class AwaitableCache(ABC):
    """A cache whose lease and journal operations can be awaited on the event loop, with
    no worker thread (the ``redis`` cache, on a connection of its own per event loop).

    Each answers and raises what the sync operation of the same name without the ``a``
    does, within the same deadline. ``RequestLease`` and ``journal.aonce`` await them
    under ``aresolve()``; with a cache that is not an ``AwaitableCache`` they make the
    sync calls in a worker thread, so the event loop is never blocked either way.

    Attributes:
        awaitable: whether this cache's configuration can be awaited on the loop. A
            cache that says ``False`` (a Redis URL with an option only redis-py's sync
            client takes, such as ``ssl_validate_ocsp``) is called in a worker thread
            under ``aresolve()``, as a cache that is not an ``AwaitableCache`` is; its
            awaited operations still answer, made in a worker thread.
    """

    awaitable: bool = True

    @abstractmethod
    async def alookup(self, key: str) -> Tuple[bool, Any]:
        """``Cache.lookup``, awaited."""

    @abstractmethod
    async def aclaim(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """``Cache.claim``, awaited."""

    @abstractmethod
    async def aadd(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        """``Cache.add``, awaited."""

    @abstractmethod
    async def adelete_if_equal(self, key: str, value: Any) -> bool:
        """``Cache.delete_if_equal``, awaited."""

    @abstractmethod
    async def areplace_if_equal(self, key: str, expected: Any, value: Any,
                                ttl: Optional[int] = None) -> bool:
        """``Cache.replace_if_equal``, awaited."""

    @abstractmethod
    async def adelete(self, key: str) -> None:
        """``Cache.delete``, awaited."""

    @abstractmethod
    def after_answered(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` on the running loop once every operation started on it so
        far has been answered by the store, or has failed (a store whose operations wait
        their turn on a connection calls it after their replies): what ``callback`` then
        does cannot reach the store before them, even from another connection."""
