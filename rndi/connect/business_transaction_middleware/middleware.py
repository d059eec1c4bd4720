"""Middleware: callables wrapped around a transaction, outermost first."""

from typing import Callable, Optional, Sequence

from rndi.connect.business_transactions.contracts import (
    FnBackgroundExecution,
    TBackgroundResponse,
)

Middleware = Callable[[dict, Optional[FnBackgroundExecution]], TBackgroundResponse]


def _link(
    middleware: Middleware, following: Optional[FnBackgroundExecution]
) -> FnBackgroundExecution:
    def step(request: dict) -> TBackgroundResponse:
        return middleware(request, following)

    return step


def make_middleware_callstack(
    middlewares: Sequence[Middleware],
    transaction: Optional[FnBackgroundExecution] = None,
) -> FnBackgroundExecution:
    """Chain middlewares around a transaction into one callable ``fn(request)``.

    The first middleware is the outermost and the transaction the innermost; each
    middleware is called as ``mw(request, next)``. Without a transaction, the last
    middleware receives ``next=None``.

    Raises:
        TypeError: a middleware or the transaction is not callable, or there is nothing
            to call at all.
    """
    for index, middleware in enumerate(middlewares):
        if not callable(middleware):
            raise TypeError(
                f"middlewares[{index}] must be callable as mw(request, next), "
                f"got {middleware!r}."
            )
    if transaction is not None and not callable(transaction):
        raise TypeError(f"The transaction must be callable as fn(request), got {transaction!r}.")
    if not middlewares:
        if transaction is None:
            raise TypeError("Nothing to call: give at least one middleware or a transaction.")
        return transaction
    call = transaction
    for middleware in reversed(middlewares):
        call = _link(middleware, call)
    return call  # type: ignore[return-value]  # not None: middlewares is non-empty
