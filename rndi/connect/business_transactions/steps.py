"""Running a flow written once for both worlds.

A flow (selecting a transaction, running it and compensating) is a generator that yields
each call it needs made, as a zero-argument callable, and is sent that call's answer or
thrown its error. ``run_steps`` makes the calls in place (sync code); ``arun_steps`` awaits
them (async code). The rules of the flow live only in the generator, so ``resolve`` and
``aresolve`` cannot drift apart.
"""

import functools
import inspect
import types
from typing import Any, Awaitable, Callable, Dict, Generator, TypeVar

from rndi.connect.business_transactions._threads import StoppedIteration, in_thread
from rndi.connect.business_transactions.exceptions import SyncAsyncMismatch

T = TypeVar("T")
Steps = Generator[Callable[[], Any], Any, T]
Caller = Callable[[Callable[[], Any]], Awaitable[Any]]


def name_of_call(call: Callable[[], Any]) -> str:
    """``Class.method`` of a step (a ``functools.partial`` of a bound method or function)."""
    target = getattr(call, "func", call)
    return str(getattr(target, "__qualname__", type(target).__qualname__))


# Types whose instances are never awaitable, learnt as answers come: answers are mostly
# bools and responses, and inspect.isawaitable is a costly question to ask of each.
_NEVER_AWAITABLE = {bool, type(None)}


def _awaitable(answer: Any) -> bool:
    kind = type(answer)
    if kind in _NEVER_AWAITABLE:
        return False
    if inspect.isawaitable(answer):
        return True
    # a generator is awaitable or not by its own flag, and a class may gain __await__
    # only through its type: anything else of a non-awaitable type is never awaitable
    if kind is not types.GeneratorType and len(_NEVER_AWAITABLE) < 1024:
        _NEVER_AWAITABLE.add(kind)
    return False


_ADVICE = "Run the saga with 'await saga.aresolve(request)' in an async def handler."


def run_steps(steps: "Steps[T]", advice: str = _ADVICE) -> T:
    """Drive ``steps`` in sync code: each call is made in place.

    Raises:
        SyncAsyncMismatch: a call answered an awaitable (an ``async def`` part, or a sync
            one returning a coroutine), which sync code would never run. It is closed
            unrun.
    """
    try:
        call = next(steps)
        while True:
            try:
                answer = call()
            except Exception as error:
                call = steps.throw(error)
                continue
            if type(answer) not in _NEVER_AWAITABLE and _awaitable(answer):
                getattr(answer, "close", lambda: None)()
                steps.close()
                raise SyncAsyncMismatch(
                    f"{name_of_call(call)}() answered an awaitable in sync code, where it "
                    f"would never run. {advice}")
            call = steps.send(answer)
    except StopIteration as done:
        return done.value


async def call_in_place(call: Callable[[], Any]) -> Any:
    """Make a call on the event loop; an awaitable answer is awaited."""
    try:
        answer = call()
    except StopIteration as e:  # it cannot leave a coroutine as it is
        raise StoppedIteration(e) from None
    return await answer if inspect.isawaitable(answer) else answer


# plain functions' code, by whether it is async def: a flow's steps are partials of a few
# methods, called on every delivery, and inspect unwraps each of them to ask. By code, not
# by function: a step function made per delivery (a closure over its client) is not kept
# alive, and all of them share one entry.
_ASYNC_CODES: Dict[types.CodeType, bool] = {}


def _is_async_call(call: Callable[[], Any]) -> bool:
    """``inspect.iscoroutinefunction(call)``, remembered per function for the steps a
    flow yields (a partial of a bound method or of a function)."""
    if type(call) is not functools.partial or call.__dict__:  # a marked one: ask inspect
        return inspect.iscoroutinefunction(call)
    function = getattr(call.func, "__func__", call.func)
    if type(function) is not types.FunctionType or function.__dict__:
        return inspect.iscoroutinefunction(call)
    code = function.__code__
    known = _ASYNC_CODES.get(code)
    if known is None:
        known = inspect.iscoroutinefunction(call)
        if len(_ASYNC_CODES) < 4096:  # code made at run time (exec) must not grow it
            _ASYNC_CODES[code] = known
    return known


async def call_off_loop(call: Callable[[], Any]) -> Any:
    """Await an ``async def`` call; make a sync one in a worker thread (the loop's default
    executor, context variables copied, counted as the delivery's work: see
    ``_threads``), so it cannot block the loop. A sync call that answers an awaitable (a
    coroutine it built) has it awaited."""
    if _is_async_call(call):
        return await call()
    answer = await in_thread(call)
    return await answer if inspect.isawaitable(answer) else answer


async def arun_steps(steps: "Steps[T]", caller: Caller = call_in_place) -> T:
    """Drive ``steps`` in async code: each call is made by ``caller``.

    ``asyncio.CancelledError`` (and every other ``BaseException``) is never thrown into the
    flow: a cancelled run is not compensated, it propagates. A ``StopIteration`` of a
    call made in a thread is thrown in as it is, as ``run_steps`` throws it.
    """
    off_loop = caller is call_off_loop
    try:
        call = next(steps)
        while True:
            try:
                # an async def call awaited here: one coroutine less than through caller
                answer = (await call() if off_loop and _is_async_call(call)
                          else await caller(call))
            except StoppedIteration as stopped:
                call = steps.throw(stopped.error)
            except Exception as error:
                call = steps.throw(error)
            else:
                call = steps.send(answer)
    except StopIteration as done:
        return done.value
