"""The cache operations of a lease and a step journal, written once for both worlds.

Their logic is a generator that yields each cache operation it needs as a ``CacheCall``
and is sent its answer or thrown its error (as a saga's flow yields its calls). Sync code
makes the calls in place (``made``). Under ``aresolve()``, ``awaited_call`` awaits them on the
event loop when the cache is an ``AwaitableCache`` (Redis: no worker thread, which costs
as much CPU as the round trip itself), and makes them in a worker thread otherwise, so
the loop is never blocked by a store.
"""

import asyncio
import functools
from typing import Any, Callable, Dict, Generator, TypeVar

from rndi.cache._base import made_in_place
from rndi.cache.contracts import AwaitableCache
from rndi.connect.business_transactions._threads import tracked
from rndi.connect.business_transactions.steps import call_off_loop

T = TypeVar("T")
CacheSteps = Generator[Any, Any, T]


class CacheCall(functools.partial):
    """One operation of a cache, ``CacheCall(cache.claim, key, token, ttl)``: called in
    place by sync code; on an ``AwaitableCache`` its awaited twin (the method's name with
    an ``a`` before it) is awaited instead. A ``functools.partial``: made and called
    without a line of Python, as each event makes several."""

    __slots__ = ()


class ShieldedCacheCall(CacheCall):
    """A ``CacheCall`` made to its end even when the await of it is cancelled (made again
    in a worker thread: it must be one that can be made twice): the record of a step that
    ran must not be dropped by the runner's timeout."""

    __slots__ = ()


def made(steps: "CacheSteps[T]") -> T:
    """Drive ``steps`` in sync code: each call made in place, its error thrown in."""
    return made_in_place(steps, _called)


def _called(call: Callable[[], Any]) -> Any:
    return call()


# cache types by whether they await their operations on the loop (a few types, asked on
# every operation of every event)
_AWAITS: Dict[type, bool] = {}


def awaits_on_the_loop(cache: Any) -> bool:
    """Whether ``cache``'s operations are awaited on the event loop, with no worker
    thread: an ``AwaitableCache`` whose configuration can be (``awaitable``)."""
    kind = type(cache)
    known = _AWAITS.get(kind)
    if known is None:
        known = isinstance(cache, AwaitableCache)
        if len(_AWAITS) < 1024:  # classes made at run time must not grow it
            _AWAITS[kind] = known
    return known and cache.awaitable  # per instance: per configuration


async def awaited_call(call: Callable[[], Any]) -> Any:
    """Make one call of a core under ``aresolve()``: a ``CacheCall`` on an awaitable
    cache is awaited on the loop (made again off it when it must end and its await was
    cut short); anything else goes through ``call_off_loop`` (an ``async def`` awaited,
    a sync call in a worker thread)."""
    kind = type(call)
    if kind is CacheCall or kind is ShieldedCacheCall:
        method = call.func  # type: ignore[attr-defined]
        cache = method.__self__
        if awaits_on_the_loop(cache):
            awaited = getattr(cache, "a" + method.__name__)(*call.args)  # type: ignore[attr-defined]
            if kind is CacheCall:
                return await awaited
            try:
                # awaited in place, no task of its own: a task and a shield cost the
                # event three turns of the loop more
                return await awaited
            except asyncio.CancelledError:
                # the runner's timeout, or the loop ending: its command may have reached
                # the server (its reply unread), or not yet; made again in a worker
                # thread, where a call made twice changes nothing more (the journal's
                # record of one step: the second answers no)
                made_off_loop(call)
                raise
    return await call_off_loop(call)


def made_off_loop(call: Callable[..., Any], *args: Any) -> None:
    """``call(*args)`` in a worker thread, not awaited: counted as work of the delivery
    while it runs (a delivery cancelled meanwhile keeps its lease until it ends, so that
    no other delivery reads the journal before a step's record is in), and waited for by
    the loop's shutdown. Its error was logged by the cache or the journal."""
    pending = tracked()

    def made() -> None:
        try:
            call(*args)
        finally:
            if pending is not None:  # in this thread: what waits for it runs here
                pending.leave()

    if pending is not None:
        pending.enter()
    try:
        thread = asyncio.get_running_loop().run_in_executor(None, made)
    except BaseException:  # pragma: no cover - the executor shut down: nothing runs
        if pending is not None:
            pending.leave()
        raise
    thread.add_done_callback(_retrieved)


def _retrieved(future: "asyncio.Future[Any]") -> None:
    """Retrieved, so that asyncio does not log again an error logged already."""
    if not future.cancelled():
        future.exception()
