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
from typing import Any, Awaitable, Callable, Dict, Generator, TypeVar

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
    """A ``CacheCall`` made to its end even when the await of it is cancelled: the record
    of a step that ran must not be dropped by the runner's timeout."""

    __slots__ = ()


def made(steps: "CacheSteps[T]") -> T:
    """Drive ``steps`` in sync code: each call made in place, its error thrown in."""
    try:
        call = next(steps)
        while True:
            try:
                answer = call()
            except Exception as error:
                call = steps.throw(error)
            else:
                call = steps.send(answer)
    except StopIteration as done:
        return done.value


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
    cache is awaited on the loop (shielded when it must end); anything else goes through
    ``call_off_loop`` (an ``async def`` awaited, a sync call in a worker thread)."""
    kind = type(call)
    if kind is CacheCall or kind is ShieldedCacheCall:
        method = call.func  # type: ignore[attr-defined]
        cache = method.__self__
        if awaits_on_the_loop(cache):
            awaited = getattr(cache, "a" + method.__name__)(*call.args)  # type: ignore[attr-defined]
            if kind is CacheCall:
                return await awaited
            return await asyncio.shield(_ended_before_the_release(awaited, call))
    return await call_off_loop(call)


def _ended_before_the_release(awaited: Awaitable[T], call: Callable[[], T]
                              ) -> "asyncio.Future[T]":
    """``awaited`` in a task of its own, counted as work of the delivery while it runs
    (as a worker thread is): a delivery cancelled meanwhile keeps its lease until it
    ends, so that no other delivery reads the journal before the step's record is in."""
    task = asyncio.ensure_future(_made_to_its_end(awaited, call))
    pending = tracked()
    if pending is not None:
        pending.enter()
        task.add_done_callback(lambda _: pending.leave())
    return task


async def _made_to_its_end(awaited: Awaitable[T], call: Callable[[], T]) -> T:
    """``awaited``; cancelled all the same (the shield stops the delivery's cancel: this
    is the loop ending, ``asyncio.run`` cancelling what is left), ``call`` is made in a
    worker thread instead, which the loop's shutdown waits for: the step ran, and its
    record must not depend on the loop living on."""
    try:
        return await awaited
    except asyncio.CancelledError:
        return await asyncio.get_running_loop().run_in_executor(None, call)
