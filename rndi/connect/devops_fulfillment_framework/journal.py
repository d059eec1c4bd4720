"""A journal of a request's steps: a side effect recorded once is answered, not repeated.

A step that calls a vendor and then fails before Connect records the outcome (a 5xx on
the parameter update, a crash, a timeout) would run again on the next delivery. Run it
through ``journal.once(step, fn)``: its result is recorded in the cache, per request, and
every later delivery gets the recorded result back without calling ``fn``.

A step is never run again because the journal could not tell: a read the cache cannot
answer raises ``CacheUnavailable`` (the saga answers ``reschedule``), and a step whose
result could not be recorded leaves a record that it ran.
"""

import asyncio
import contextvars
import functools
import inspect
import json
import threading
import uuid
from typing import Any, Callable, Optional, Tuple, cast

from rndi.cache.contracts import AwaitableCache, Cache
from rndi.cache.exceptions import CacheUnavailable
from rndi.connect.business_transactions.exceptions import SyncAsyncMismatch
from rndi.connect.business_transactions.steps import (
    Steps,
    arun_steps,
    call_off_loop,
    run_steps,
)
from rndi.connect.devops_fulfillment_framework._cache_calls import (
    CacheCall,
    CacheSteps,
    ShieldedCacheCall,
    awaited_call,
    awaits_on_the_loop,
    made,
    made_off_loop,
)
from rndi.connect.devops_fulfillment_framework._settings import (
    DEFAULT_JOURNAL_TTL,
    JOURNAL_TTL,
    seconds,
)
from rndi.connect.devops_fulfillment_framework.exceptions import (
    JournalUnavailable,
    StepNotReplayable,
    UnrecordableResult,
)
from rndi.telemetry import _hooks as tracing

__all__ = ["DEFAULT_JOURNAL_TTL", "JOURNAL_TTL", "StepJournal"]

# the namespace of idempotency keys: the same request and step give the same key anywhere
_KEYS = uuid.UUID("9f2e4d1c-6b3a-5e8f-a7c4-1d0b2e3f4a5b")
# (the caches take fractional seconds too: ttl is typed int only in the published contract)


# json.dumps(value, allow_nan=False), without making an encoder on every call
_STRICT = json.JSONEncoder(allow_nan=False)
# the results whose JSON form reads back as the same value: exactly these types, not
# their subclasses (an IntEnum reads back a plain int)
_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def _part(text: str) -> str:
    """A request id or step name inside a key: ``%`` and ``:`` escaped, so that request
    ``PR-1:order`` step ``tenant`` and request ``PR-1`` step ``order:tenant`` never share
    a key (names without either, as Connect's ids are, stay as they are)."""
    return text.replace("%", "%25").replace(":", "%3A")


class StepJournal:
    """The recorded results of one request's steps, kept in the cache for ``ttl`` seconds.

    Injected as ``journal`` (bound to the request ``make(..., request)`` was given). Pair
    it with ``RequestLease``: the journal records a step once; the lease keeps two
    deliveries from running the same step at the same moment.

    What it does not cover: a crash between the vendor's answer and the journal's write.
    There, pass ``journal.idempotency_key(step)`` to a vendor API that accepts one.

    Raises:
        ValueError: ``ttl`` is not a positive number of seconds up to a century.
    """

    def __init__(self, cache: Cache, request_id: Optional[str], ttl: float = DEFAULT_JOURNAL_TTL,
                 logger: Any = None) -> None:
        self.cache = cache
        self.request_id = request_id
        self.ttl = seconds({JOURNAL_TTL: ttl}, JOURNAL_TTL, DEFAULT_JOURNAL_TTL)
        self.logger = logger

    def _key(self, step: str) -> str:
        if not isinstance(step, str) or not step:
            raise ValueError(f"A journal step is named by a non-empty string, got a "
                             f"{type(step).__name__}.")
        if not self.request_id:
            raise ValueError("The journal is bound to no request: build the saga with "
                             "make(config, client, logger, request).")
        return f"journal:{_part(self.request_id)}:{_part(step)}"

    def recorded(self, step: str) -> Tuple[bool, Any]:
        """``(True, result)`` when ``step`` is recorded for this request, else
        ``(False, None)``.

        Raises:
            JournalUnavailable: the cache cannot answer; whether the step ran is unknown.
            StepNotReplayable: the step ran, but its result could not be recorded.
        """
        return made(self._recorded(step))

    async def arecorded(self, step: str) -> Tuple[bool, Any]:
        """``recorded`` for async code: the cache is awaited on the event loop when it
        can be (Redis), read in a worker thread otherwise, so the loop is never blocked.

        Raises:
            JournalUnavailable: the cache cannot answer; whether the step ran is unknown.
            StepNotReplayable: the step ran, but its result could not be recorded.
        """
        if awaits_on_the_loop(self.cache):
            return cast(Tuple[bool, Any],
                        await arun_steps(self._recorded(step), awaited_call))
        return cast(Tuple[bool, Any],
                    await call_off_loop(functools.partial(self.recorded, step)))

    def _recorded(self, step: str) -> "CacheSteps[Tuple[bool, Any]]":
        key = self._key(step)
        try:
            found, entry = yield CacheCall(self.cache.lookup, key)
        except CacheUnavailable as e:
            raise JournalUnavailable(step, e.store) from e
        if not found or not isinstance(entry, dict):
            return False, None
        if "result" in entry:
            return True, entry["result"]
        if "unrecordable" in entry:
            raise StepNotReplayable(step, str(entry["unrecordable"]))
        return False, None

    @tracing.journal_step
    def _steps(self, step: str, fn: Callable[[], Any]) -> "Steps[Any]":
        if not callable(fn):
            raise TypeError(f"journal.once({step!r}, fn): fn must be callable with no "
                            f"arguments, got a {type(fn).__name__}.")
        found, result = yield from self._recorded(step)
        if found:
            return result
        result = yield fn
        if isinstance(result, _Recorded):  # recorded already, in fn's own thread
            return result.value
        if isinstance(result, _Handover):  # fn's thread handed its result to the loop
            result.taken = True  # the record is made below, to its end, whatever comes
            result = result.value
        return (yield from self._recording_of(step, result))

    def _recording(self, step: str, fn: Callable[[], Any]) -> Callable[[], Any]:
        """``fn`` that records its result before it answers, for a sync fn run in a
        worker thread: a cancelled await (the runner's timeout) leaves the thread running
        on, and the record must not depend on anyone awaiting it. An awaitable answer is
        left for the loop to await, then recorded."""

        def call() -> Any:
            answer = fn()
            if inspect.isawaitable(answer):
                return answer
            return _Recorded(self._record(step, answer))

        return call

    def _handing(self, step: str, fn: Callable[[], Any], handover: "_Handover"
                 ) -> Callable[[], Any]:
        """``fn`` that hands its result back through ``handover``, to be recorded on the
        loop; if nobody awaits it any more, it records the result itself, as
        ``_recording`` does."""

        def call() -> Any:
            answer = fn()
            if inspect.isawaitable(answer):
                return answer
            if handover.hand(answer):
                return handover
            return _Recorded(self._record(step, answer))

        return call

    def _record(self, step: str, result: Any) -> Any:
        """``_recording_of``, its cache calls made in place."""
        return made(self._recording_of(step, result))

    def _recording_of(self, step: str, result: Any) -> "CacheSteps[Any]":
        """Record ``result`` and answer it as a redelivery will get it back (its JSON
        form: a tuple comes back a list, an int key a string)."""
        try:
            # a string, a whole number, a bool or None reads back as it is; anything else
            # is read back through JSON (a float may be NaN, a tuple comes back a list)
            recorded = (result if type(result) in _AS_THEY_ARE
                        else json.loads(_STRICT.encode(result)))
            # the store's JSON may be stricter still (UnserializableValue, a TypeError):
            # an integer beyond 64 bits with orjson, a lone surrogate in a string
            yield from self._adding(step, {"result": recorded})
        except (TypeError, ValueError, RecursionError):
            # it ran: say so, so that no later delivery runs it again unasked
            yield from self._adding(step, {"unrecordable": type(result).__name__})
            raise UnrecordableResult(step, result) from None
        return recorded

    def _adding(self, step: str, entry: dict) -> "CacheSteps[None]":
        # shielded: the step ran, and a cancel (the runner's timeout) must not lose that
        stored = yield ShieldedCacheCall(self.cache.add, self._key(step), entry, self.ttl)
        if not stored and self.logger:
            self.logger.error("Step %r of request %s could not be recorded in the journal "
                              "(the cache failed, or it was recorded meanwhile): a "
                              "redelivery may run it again.", step, self.request_id)

    def once(self, step: str, fn: Callable[[], Any]) -> Any:
        """The recorded result of ``step`` for this request; else ``fn()``, recorded.

        With an ``async def`` fn, in async code, it answers an awaitable (``await
        journal.once(step, fn)``), as ``aonce`` does. An error of ``fn`` records nothing
        and propagates.

        Raises:
            UnrecordableResult: ``fn`` answered a value JSON cannot hold (named by step);
                that it ran is recorded.
            StepNotReplayable: an earlier delivery ran the step and could not record its
                result; ``fn`` is not called.
            JournalUnavailable: the cache cannot tell whether the step ran; ``fn`` is not
                called (a saga answers ``reschedule``).
            SyncAsyncMismatch: an ``async def`` fn outside a running event loop, or a
                sync fn that answered an awaitable (use ``aonce``); nothing is recorded.
        """
        if inspect.iscoroutinefunction(fn):
            if not _loop_running():
                raise SyncAsyncMismatch(
                    f"journal.once({step!r}, fn) was given an async def fn in sync code, "
                    "where it would never run. Make the transaction's method async def "
                    f"and write: await self.journal.aonce({step!r}, fn), in a saga run "
                    "with aresolve().")
            return self.aonce(step, fn)
        return run_steps(self._steps(step, fn), advice=(
            f"Nothing was recorded. In async code write: await self.journal.aonce({step!r}, "
            "fn)."))

    async def aonce(self, step: str, fn: Callable[[], Any]) -> Any:
        """``once`` for async code: ``fn`` may be ``async def`` (awaited) or sync (run in
        a worker thread, as ``aresolve()`` runs sync parts); the cache is awaited on the
        event loop when it can be (Redis), called in a worker thread otherwise, so the
        loop is never blocked."""
        sync_fn = callable(fn) and not inspect.iscoroutinefunction(fn)
        if awaits_on_the_loop(self.cache):
            if not sync_fn:
                return await arun_steps(self._steps(step, fn), awaited_call)
            # a sync fn runs in a worker thread and hands its result back to be recorded
            # on the loop (a command on the loop costs half one from a thread); a
            # delivery cancelled meanwhile leaves the record to that thread, or to
            # another when the result was handed back already
            handover = _Handover()
            try:
                return await arun_steps(self._steps(step, self._handing(step, fn, handover)),
                                        awaited_call)
            except asyncio.CancelledError:
                if handover.abandoned():  # handed back, and nobody records it yet
                    made_off_loop(self._record, step, handover.value)
                raise
        if not sync_fn:
            return await arun_steps(self._steps(step, fn), awaited_call)
        # a sync fn: the lookup, fn and its record run in one worker thread, one hop off
        # the loop instead of two (a hop costs as much CPU as a Redis round trip). The
        # steps keep one context of their own, so that what they set (a span) is unset in
        # the context it was set in, whichever thread goes on with them.
        context = contextvars.copy_context()
        steps = context.run(self._steps, step, self._recording(step, fn))
        outcome = await call_off_loop(functools.partial(context.run, _in_place, steps, None))
        while isinstance(outcome, _Paused):  # fn answered an awaitable: awaited here
            try:
                answer: Tuple[bool, Any] = (True, await outcome.awaitable)
            except Exception as error:
                answer = (False, error)
            outcome = await call_off_loop(functools.partial(context.run, _in_place, steps,
                                                            answer))
        return outcome

    def idempotency_key(self, step: str) -> str:
        """A key that is the same for this request and step on every delivery and replica
        (a UUID), for vendor APIs that accept one; two different (request, step) pairs
        never share one."""
        return str(uuid.uuid5(_KEYS, self._key(step)))

    def forget(self, step: str) -> None:
        """Remove the record of ``step``: for a compensation that undid it, or once the
        vendor has been checked after ``StepNotReplayable``."""
        self.cache.delete(self._key(step))

    async def aforget(self, step: str) -> None:
        """``forget`` for async code: the record is removed on the event loop when the
        cache can be awaited (Redis), in a worker thread otherwise."""
        if awaits_on_the_loop(self.cache):
            await cast(AwaitableCache, self.cache).adelete(self._key(step))
        else:
            await call_off_loop(functools.partial(self.forget, step))


class _Recorded:
    """A result ``_recording`` has recorded already (its JSON form)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class _Handover:
    """A sync fn's result, handed from its worker thread to the loop to be recorded,
    unless the delivery was cancelled first (then the thread records it)."""

    __slots__ = ("_lock", "_state", "taken", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = "running"  # then "handed" (to the loop) or "abandoned" (by it)
        self.taken = False  # the loop's record of it is under way
        self.value: Any = None

    def hand(self, value: Any) -> bool:
        """In the thread: whether the loop takes ``value`` (False: record it here)."""
        with self._lock:
            if self._state == "abandoned":
                return False
            self.value, self._state = value, "handed"
            return True

    def abandoned(self) -> bool:
        """On the loop, cancelled: whether a result was handed back that nobody records
        (the thread, if still running, records it itself)."""
        with self._lock:
            handed = self._state == "handed"
            self._state = "abandoned"
            return handed and not self.taken


class _Paused:
    """Steps stopped at a call that answered ``awaitable``, which only the loop can await
    (not itself awaitable, so that no driver awaits it on the way)."""

    __slots__ = ("awaitable",)

    def __init__(self, awaitable: Any) -> None:
        self.awaitable = awaitable


def _in_place(steps: "Steps[Any]", answer: Optional[Tuple[bool, Any]]) -> Any:
    """Make the calls of ``steps`` in place, as ``run_steps`` does, starting them or
    going on with ``answer`` (``(True, value)`` or ``(False, error)``): their result, or
    ``_Paused`` at the first call that answers an awaitable."""
    try:
        if answer is None:
            call = next(steps)
        else:
            call = steps.send(answer[1]) if answer[0] else steps.throw(answer[1])
        while True:
            try:
                result = call()
            except Exception as error:
                call = steps.throw(error)
                continue
            if inspect.isawaitable(result):
                return _Paused(result)
            call = steps.send(result)
    except StopIteration as done:
        return done.value


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
