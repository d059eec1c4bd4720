"""What every storing adapter shares: argument checks, the read-through ``get``, and the
rule that a storage fault is a logged miss, never an error of the fulfillment."""

import contextvars
import logging
import time
from abc import abstractmethod
from typing import Any, Callable, Generator, Optional, Tuple, TypeVar

from rndi.cache import _codec
from rndi.cache.contracts import AwaitableCache, Cache
from rndi.cache.exceptions import CacheUnavailable, shown_key

logger = logging.getLogger("rndi.cache")

# Marks a miss: ``None`` cannot, a stored JSON ``null`` decodes to it.
MISS: Any = object()

# What a ``get`` whose read failed answers, so that it does not store its default.
_FAULT: Any = object()

# The operations that raise ``CacheUnavailable`` instead of answering a miss.
_TELLING = frozenset({"lookup", "claim", "replace_if_equal"})

# The longest ttl any store takes (Redis counts milliseconds in a signed 64-bit number,
# and a cache entry is not meant to outlive a century).
MAX_TTL = 100 * 365 * 24 * 3600

T = TypeVar("T")


def check_key(key: Any) -> None:
    if not isinstance(key, str):
        raise TypeError(f"Cache keys are strings, got a {type(key).__name__}.")
    if not key.isascii():
        try:
            key.encode("utf-8")
        except UnicodeEncodeError as e:  # no store can write it: refused, never a lost put
            raise ValueError(
                f"Cache {shown_key(key)} holds a lone surrogate at index {e.start}, which "
                "no store can write; keys are text UTF-8 can hold (decode bytes with "
                "errors='replace', or hash them).") from None


def check_ttl(key: str, ttl: Any) -> None:
    # no lower bound: a ttl computed as ``expires_at - now - margin`` may come out
    # negative, and means an entry that is already expired, as 0 does
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))
                            or not ttl <= MAX_TTL):
        shown = ttl if isinstance(ttl, (int, float)) else f"a {type(ttl).__name__}"
        raise ValueError(
            f"Cannot cache {shown_key(key)}: ttl must be a number of seconds up to {MAX_TTL} "
            f"(a century; 0 or less stores an already expired entry), or None for the "
            f"default; got {shown!r}."
        )


def lifetime(ttl: Optional[float], default: float) -> float:
    """The seconds an entry lives: ``default`` for ``None``; 0 (already expired) for a
    negative ttl."""
    return max(default if ttl is None else ttl, 0)


def expiry(now: float, ttl: float) -> float:
    """When an entry stored ``now`` for ``ttl`` seconds expires. A whole ttl gives a whole
    second, as the published adapters store it; a fractional one keeps its precision."""
    if ttl >= 1 and float(ttl).is_integer():
        return round(now + ttl)
    return now + ttl


def compute_default(key: str, default: Any) -> Tuple[Any, Any]:
    """Resolve a ``get`` default into ``(value, ttl)``: a callable is called, and a tuple
    (given, or answered by the callable) is unpacked as ``(value, ttl)``.

    Raises:
        ValueError: the tuple does not have two items, or its ttl is not one.
    """
    value = default() if callable(default) else default
    if not isinstance(value, tuple):
        return value, None
    if len(value) != 2:
        # the published adapters unpack it the same way, and raise the same error type
        problem = "too many" if len(value) > 2 else "not enough"
        raise ValueError(
            f"The default of cache {shown_key(key)} is a tuple of {len(value)} items: a tuple "
            f"default means (value, ttl) ({problem} values to unpack (expected 2)). Wrap a "
            f"tuple you mean to store: ((a, b, c), ttl)."
        )
    value, ttl = value
    check_ttl(key, ttl)
    return value, ttl


class DamagedEntry(Exception):
    """A stored entry that cannot be decoded, met by an operation that tells a fault from
    a miss (``lookup``): something was stored there, so it is not absent."""


# set while ``lookup`` reads: a damaged entry is then a fault, not a (removed) miss
_telling: contextvars.ContextVar[bool] = contextvars.ContextVar("rndi_cache_telling",
                                                                default=False)


def decode(key: str, raw: Any, shown: Optional[str] = None) -> Any:
    """Decode a stored value; one that cannot be decoded (corrupt, not UTF-8, nested too
    deep) is a miss, logged (naming the key as ``shown``, by default by its digest),
    except for ``lookup``, which raises ``DamagedEntry``."""
    try:
        return _codec.loads(raw)
    except (_codec.DecodeError, TypeError, ValueError, RecursionError):
        if _telling.get():
            raise DamagedEntry("the stored entry cannot be decoded") from None
        logger.warning("Cache entry of %s cannot be decoded; treating it as a miss.",
                       shown or shown_key(key))
        return MISS


def made_in_place(steps: Generator[Any, Any, T], make: Callable[[Any], Any]) -> T:
    """Drive ``steps``, a generator of what it needs made (a cache call, a store's
    command), in sync code: each made by ``make`` at once, its answer sent back or its
    error thrown in; the generator's return value. Its async drivers await each
    instead."""
    try:
        step = next(steps)
        while True:
            try:
                answer = make(step)
            except Exception as error:
                step = steps.throw(error)
            else:
                step = steps.send(answer)
    except StopIteration as done:
        return done.value


class StoredCache(Cache):
    """A cache that stores JSON text. Subclasses implement the storage primitives
    (``_load``, ``_store``, ``_has``, ``_delete``, ``_flush``, ``_add``,
    ``_delete_if_equal``, ``_replace_if_equal``), which may raise whatever their store
    raises: here each fault is logged, once per operation, and answered as a miss, except
    by ``lookup``, ``claim`` and ``replace_if_equal``, which raise ``CacheUnavailable``.
    They are typed ``Any``: a store whose ``_attempt`` sends the commands itself has them
    answer the commands to send, as the Redis store does."""

    def __init__(self, ttl: int = 900, clock: Callable[[], float] = time.time) -> None:
        check_ttl("(default)", ttl)
        self.ttl = ttl
        self.clock = clock

    @abstractmethod
    def _describe(self) -> str:
        """The store, for log lines (``file cache /tmp/cache``); never a secret."""

    @abstractmethod
    def _load(self, key: str, ttl: Optional[float]) -> Any:
        """The live value of ``key`` or ``MISS``; with ``ttl``, refresh its expiry."""

    @abstractmethod
    def _store(self, key: str, encoded: str, ttl: float) -> Any:
        """Write (insert or replace) one entry that lives ``ttl`` seconds from now."""

    @abstractmethod
    def _has(self, key: str) -> Any:
        """Whether a live entry exists, whatever its value (``null`` included)."""

    @abstractmethod
    def _delete(self, key: str) -> Any: ...

    @abstractmethod
    def _flush(self, expired_only: bool) -> Any: ...

    @abstractmethod
    def _add(self, key: str, encoded: str, ttl: float) -> Any:
        """Write the entry only when no live one exists, atomically; whether it wrote."""

    @abstractmethod
    def _delete_if_equal(self, key: str, encoded: str) -> Any:
        """Remove the entry only when it is live and its stored text is ``encoded``,
        atomically; whether it removed it."""

    @abstractmethod
    def _replace_if_equal(self, key: str, expected: str, encoded: str, ttl: float) -> Any:
        """Write the entry (living ``ttl`` seconds from now) only when the live one's
        stored text is ``expected``, atomically; whether it wrote."""

    def _attempt(self, operation: str, key: Optional[str], call: Callable[[], T]) -> T:
        """Run one storage primitive (on ``key``, or on the whole store for ``None``); a
        fault is logged and raised as ``CacheUnavailable``."""
        try:
            return call()
        except Exception as e:  # any storage fault: what the store holds is unknown
            self._fault(operation, key, e)
            raise CacheUnavailable(self._describe(), self._operation(operation, key),
                                   type(e).__name__) from e

    def _guard(self, operation: str, key: Optional[str], call: Callable[[], T],
               fallback: T) -> T:
        """``_attempt``, a fault answered with ``fallback``: the cache must not fail."""
        try:
            return self._attempt(operation, key, call)
        except CacheUnavailable:
            return fallback

    @staticmethod
    def _operation(operation: str, key: Optional[str]) -> str:
        """``put of key #1a2b…`` for log lines: never the key itself."""
        return operation if key is None else f"{operation} of {shown_key(key)}"

    def _fault(self, operation: str, key: Optional[str], error: Exception) -> None:
        # lookup, claim and replace_if_equal tell their caller, which decides; the
        # others answer a miss
        outcome = ("reported as unknown" if operation in _TELLING
                   else "treating it as a miss")
        logger.error("%s: %s failed (%s: %s); %s.", self._describe(),
                     self._operation(operation, key), type(error).__name__,
                     self._told(error), outcome)

    def _told(self, error: Exception) -> str:
        """What a log line says of ``error``: its text (a string: a record kept must not
        keep the error's frames); a store whose errors may repeat what it was sent says
        less."""
        return str(error)

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        refresh = None if ttl is None else lifetime(ttl, self.ttl)
        value = self._guard("get", key, lambda: self._load(key, refresh), _FAULT)
        if value is not MISS and value is not _FAULT:  # a stored None is a hit too
            return value
        computed, computed_ttl = compute_default(key, default)
        # after a fault the store is not asked again: a locked or stalled store would make
        # this one get pay its timeout twice
        if computed is not None and value is not _FAULT:
            self.put(key, computed, computed_ttl if computed_ttl is not None else ttl)
        return computed

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        check_key(key)
        check_ttl(key, ttl)
        encoded = _codec.dumps(key, value)
        seconds = lifetime(ttl, self.ttl)
        self._guard("put", key, lambda: self._store(key, encoded, seconds), None)
        return value

    # The operations a lease and a step journal are built from: each checks its arguments
    # and encodes its values in a function of its own, which answers the storage
    # primitive's call, so that a store that can await its primitives on the event loop
    # (``AwaitedStoredCache``) makes the same checks for its awaited twins.

    def _adding(self, key: str, value: Any, ttl: Optional[int]) -> Callable[[], Any]:
        check_key(key)
        check_ttl(key, ttl)
        encoded = _codec.dumps(key, value)
        seconds = lifetime(ttl, self.ttl)
        return lambda: self._add(key, encoded, seconds)

    def _looking_up(self, key: str) -> Callable[[], Any]:
        check_key(key)
        return lambda: self._load(key, None)

    def _deleting_if_equal(self, key: str, value: Any) -> Callable[[], Any]:
        check_key(key)
        encoded = _codec.dumps(key, value)
        return lambda: self._delete_if_equal(key, encoded)

    def _replacing_if_equal(self, key: str, expected: Any, value: Any,
                            ttl: Optional[int]) -> Callable[[], Any]:
        check_key(key)
        check_ttl(key, ttl)
        old, new = _codec.dumps(key, expected), _codec.dumps(key, value)
        seconds = lifetime(ttl, self.ttl)
        return lambda: self._replace_if_equal(key, old, new, seconds)

    def _deleting(self, key: str) -> Callable[[], Any]:
        check_key(key)
        return lambda: self._delete(key)

    def add(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        return self._guard("add", key, self._adding(key, value, ttl), False)

    def lookup(self, key: str) -> Tuple[bool, Any]:
        load = self._looking_up(key)
        token = _telling.set(True)
        try:
            value = self._attempt("lookup", key, load)
        finally:
            _telling.reset(token)
        return (False, None) if value is MISS else (True, value)

    def claim(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        return self._attempt("claim", key, self._adding(key, value, ttl))

    def delete_if_equal(self, key: str, value: Any) -> bool:
        return self._guard("delete_if_equal", key, self._deleting_if_equal(key, value), False)

    def replace_if_equal(self, key: str, expected: Any, value: Any,
                         ttl: Optional[int] = None) -> bool:
        return self._attempt("replace_if_equal", key,
                             self._replacing_if_equal(key, expected, value, ttl))

    def has(self, key: str) -> bool:
        check_key(key)
        return self._guard("has", key, lambda: self._has(key), False)

    def delete(self, key: str) -> None:
        self._guard("delete", key, self._deleting(key), None)

    def flush(self, expired_only: bool = False) -> None:
        self._guard("flush", None, lambda: self._flush(expired_only), None)


class AwaitedStoredCache(StoredCache, AwaitableCache):
    """A stored cache that can await its storage primitives on the event loop (a store
    with an asyncio client): the operations of a lease and a step journal, awaited, with
    the same checks, encoding and fault rules as the sync ones. A subclass implements
    ``_aattempt``, ``_attempt`` awaited: it runs the call a sync operation would make,
    without blocking the loop, and raises ``CacheUnavailable`` on a fault."""

    @abstractmethod
    async def _aattempt(self, operation: str, key: Optional[str], call: Callable[[], Any]
                        ) -> Any:
        """``_attempt`` on the event loop."""

    async def _aguard(self, operation: str, key: Optional[str], call: Callable[[], Any],
                      fallback: Any) -> Any:
        try:
            return await self._aattempt(operation, key, call)
        except CacheUnavailable:
            return fallback

    async def alookup(self, key: str) -> Tuple[bool, Any]:
        load = self._looking_up(key)
        token = _telling.set(True)
        try:
            value = await self._aattempt("lookup", key, load)
        finally:
            _telling.reset(token)
        return (False, None) if value is MISS else (True, value)

    async def aclaim(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        return bool(await self._aattempt("claim", key, self._adding(key, value, ttl)))

    async def aadd(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        return bool(await self._aguard("add", key, self._adding(key, value, ttl), False))

    async def adelete_if_equal(self, key: str, value: Any) -> bool:
        return bool(await self._aguard("delete_if_equal", key,
                                       self._deleting_if_equal(key, value), False))

    async def areplace_if_equal(self, key: str, expected: Any, value: Any,
                                ttl: Optional[int] = None) -> bool:
        return bool(await self._aattempt("replace_if_equal", key,
                                         self._replacing_if_equal(key, expected, value, ttl)))

    async def adelete(self, key: str) -> None:
        await self._aguard("delete", key, self._deleting(key), None)
