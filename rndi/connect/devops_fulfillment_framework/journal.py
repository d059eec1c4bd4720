"""A journal of a request's steps: a side effect recorded once is answered, not repeated.

A step that calls a vendor and then fails before Connect records the outcome (a 5xx on
the parameter update, a crash, a timeout) would run again on the next delivery. Run it
through ``journal.once(step, fn)``: its result is recorded in the cache, per request, and
every later delivery gets the recorded result back without calling ``fn``.
"""

import inspect
import json
import uuid
from typing import Any, Callable, Optional, Tuple, cast

from rndi.cache.contracts import Cache
from rndi.connect.business_transactions.steps import Steps, arun_steps, run_steps
from rndi.connect.devops_fulfillment_framework.exceptions import UnrecordableResult

JOURNAL_TTL = "JOURNAL_TTL"
DEFAULT_JOURNAL_TTL = 30 * 24 * 3600.0  # a slow fulfillment may take weeks
# the namespace of idempotency keys: the same request and step give the same key anywhere
_KEYS = uuid.UUID("9f2e4d1c-6b3a-5e8f-a7c4-1d0b2e3f4a5b")
# (the caches take fractional seconds too: ttl is typed int only in the published contract)


class StepJournal:
    """The recorded results of one request's steps, kept in the cache for ``ttl`` seconds.

    Injected as ``journal`` (bound to the request ``make(..., request)`` was given). Pair
    it with ``RequestLease``: the journal records a step once; the lease keeps two
    deliveries from running the same step at the same moment.

    What it does not cover: a crash between the vendor's answer and the journal's write.
    There, pass ``journal.idempotency_key(step)`` to a vendor API that accepts one.
    """

    def __init__(self, cache: Cache, request_id: Optional[str], ttl: float = DEFAULT_JOURNAL_TTL,
                 logger: Any = None) -> None:
        self.cache = cache
        self.request_id = request_id
        self.ttl = ttl
        self.logger = logger

    def _key(self, step: str) -> str:
        if not isinstance(step, str) or not step:
            raise ValueError(f"A journal step is named by a non-empty string, got a "
                             f"{type(step).__name__}.")
        if not self.request_id:
            raise ValueError("The journal is bound to no request: build the saga with "
                             "make(config, client, logger, request).")
        return f"journal:{self.request_id}:{step}"

    def recorded(self, step: str) -> Tuple[bool, Any]:
        """``(True, result)`` when ``step`` is recorded for this request, else
        ``(False, None)``."""
        entry = self.cache.get(self._key(step))
        if isinstance(entry, dict) and "result" in entry:
            return True, entry["result"]
        return False, None

    def _steps(self, step: str, fn: Callable[[], Any]) -> "Steps[Any]":
        found, result = self.recorded(step)
        if found:
            return result
        if not callable(fn):
            raise TypeError(f"journal.once({step!r}, fn): fn must be callable with no "
                            f"arguments, got a {type(fn).__name__}.")
        result = yield fn
        self._record(step, result)
        return result

    def _record(self, step: str, result: Any) -> None:
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            raise UnrecordableResult(step, result) from None
        stored = self.cache.add(self._key(step), {"result": result}, cast(int, self.ttl))
        if not stored and self.logger:
            self.logger.error("Step %r of request %s could not be recorded in the journal "
                              "(the cache failed, or it was recorded meanwhile): a "
                              "redelivery may run it again.", step, self.request_id)

    def once(self, step: str, fn: Callable[[], Any]) -> Any:
        """The recorded result of ``step`` for this request; else ``fn()``, recorded.

        With an ``async def`` fn it answers an awaitable (``await journal.once(step,
        fn)``), as ``aonce`` does. An error of ``fn`` records nothing and propagates.

        Raises:
            UnrecordableResult: ``fn`` answered a value JSON cannot hold (named by step).
            SyncAsyncMismatch: a sync ``fn`` answered an awaitable (use ``aonce``).
        """
        if inspect.iscoroutinefunction(fn):
            return self.aonce(step, fn)
        return run_steps(self._steps(step, fn))

    async def aonce(self, step: str, fn: Callable[[], Any]) -> Any:
        """``once`` for async code: ``fn`` may be ``async def`` (awaited) or sync."""
        return await arun_steps(self._steps(step, fn))

    def idempotency_key(self, step: str) -> str:
        """A key that is the same for this request and step on every delivery and replica
        (a UUID), for vendor APIs that accept one."""
        return str(uuid.uuid5(_KEYS, self._key(step)))

    def forget(self, step: str) -> None:
        """Remove the record of ``step``: for a compensation that undid it."""
        self.cache.delete(self._key(step))
