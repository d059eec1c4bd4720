"""Running sync code off the event loop, without losing track of it.

``aresolve()`` runs each sync part of a saga (a transaction's method, a journal step, a
cache call of the lease) in a worker thread. Two things the plain ``asyncio.to_thread``
does not give:

- A cancelled await leaves its thread running (a thread cannot be stopped). The work a
  delivery started is counted in its ``Pending``, so that the lease of the delivery is
  released only when the last of its threads has ended, never beside a step still running.
- A ``StopIteration`` cannot cross a future (asyncio refuses to set it, and the await
  never ends) nor leave a coroutine (Python turns it into a ``RuntimeError``): it is
  carried across in ``StoppedIteration``, and the flow driver throws the original into
  the flow, so ``aresolve`` answers what ``resolve`` answers.
"""

import asyncio
import contextlib
import contextvars
import threading
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")


class Pending:
    """The worker threads one delivery started that may still run, and what the last of
    them to finish answered (``answer``): a delivery cancelled while its sync part runs
    on learns that part's answer only this way."""

    __slots__ = ("_count", "_lock", "_then", "answer")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._then: Optional[Callable[[], Any]] = None
        self.answer: Any = None

    def enter(self) -> None:
        with self._lock:
            self._count += 1

    def leave(self) -> None:
        with self._lock:
            self._count -= 1
            then = self._then if self._count == 0 else None
            if then is not None:
                self._then = None
        if then is not None:
            then()  # in the thread that ended last

    def running(self) -> bool:
        with self._lock:
            return self._count > 0

    def then(self, action: Callable[[], Any]) -> None:
        """Run ``action`` once no thread of the delivery runs: in the last one to end, or
        at once in a thread of its own when none runs any more (never on the loop)."""
        with self._lock:
            if self._count > 0:
                self._then = action
                return
        threading.Thread(target=action, name="rndi-release", daemon=True).start()


# the Pending of the delivery this code runs for, if a lease tracks one
_pending: contextvars.ContextVar[Optional[Pending]] = contextvars.ContextVar(
    "rndi_pending_work", default=None)


def tracking(pending: Pending) -> contextvars.Token:
    """Count the threads started from here on (in this context) in ``pending``."""
    return _pending.set(pending)


def untrack(token: contextvars.Token) -> None:
    _pending.reset(token)


def tracked() -> Optional[Pending]:
    """The ``Pending`` of the delivery this code runs for, if a lease tracks one: work
    that must end before the lease is released (a record made again off the loop) enters it
    too."""
    return _pending.get()


class StoppedIteration(RuntimeError):
    """A sync call made off the loop raised ``StopIteration`` (kept as ``error``), which
    neither a future nor a coroutine can pass on as it is: a ``RuntimeError``, as Python
    makes of a ``StopIteration`` leaving a coroutine."""

    def __init__(self, error: StopIteration) -> None:
        super().__init__("a sync call made in a worker thread raised StopIteration")
        self.error = error


async def in_thread(call: Callable[[], T]) -> T:
    """``await`` ``call()`` made in a worker thread (the loop's default executor, context
    variables copied). Its error is raised here, a ``StopIteration`` included; when the
    await is cancelled, the thread runs on and is still counted as the delivery's work.

    Raises:
        StoppedIteration: ``call`` raised ``StopIteration``.
    """
    pending = _pending.get()
    context = contextvars.copy_context()
    # a call still queued for a busy executor when the await is cancelled never starts:
    # it is then no work of the delivery, and must not hold its lease for ever
    lock, state = threading.Lock(), {"started": False, "dropped": False}

    def run() -> T:
        with lock:
            if state["dropped"]:
                raise asyncio.CancelledError()
            state["started"] = True
        answered = False
        try:
            result = context.run(call)
            answered = True
            return result
        except StopIteration as e:
            raise StoppedIteration(e) from None
        finally:
            if pending is not None:
                if answered:
                    pending.answer = result
                pending.leave()

    if pending is not None:
        pending.enter()
    try:
        future = asyncio.get_running_loop().run_in_executor(None, run)
    except BaseException:
        if pending is not None:
            pending.leave()
        raise
    try:
        return await future
    except asyncio.CancelledError:
        with lock:
            dropped = state["dropped"] = not state["started"]
        if dropped and pending is not None:
            pending.leave()
        raise


def in_own_thread(call: Callable[[], T], loop: asyncio.AbstractEventLoop
                  ) -> "asyncio.Future[T]":
    """``call()`` in a new thread, not one of the executor's: for code that waits on the
    loop itself (a sync middleware waiting for the rest of the saga), which would starve
    the executor's few threads. Counted as the delivery's work like ``in_thread``."""
    pending = _pending.get()
    context = contextvars.copy_context()
    future: asyncio.Future[T] = loop.create_future()

    def settle(error: Optional[BaseException], result: Any) -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        error: Optional[BaseException] = None
        result: Any = None
        try:
            result = context.run(call)
        except StopIteration as e:
            error = StoppedIteration(e)
        except BaseException as e:  # handed to the awaiting side, whatever it is
            error = e
        finally:
            if pending is not None:
                if error is None:
                    pending.answer = result
                pending.leave()
        # a loop closed meanwhile raises RuntimeError: nobody awaits the answer then
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, error, result)

    if pending is not None:
        pending.enter()
    try:
        threading.Thread(target=run, name="rndi-middleware", daemon=True).start()
    except BaseException:
        if pending is not None:
            pending.leave()
        raise
    return future
