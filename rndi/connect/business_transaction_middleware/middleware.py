"""Middleware: callables wrapped around a transaction, outermost first."""

import inspect
from typing import Any, Callable, Optional, Sequence

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


def _takes_next(middleware: Middleware) -> bool:
    """Whether ``middleware`` can be called as ``mw(request, next)``; a callable whose
    signature cannot be read is taken to."""
    try:
        inspect.signature(middleware).bind(None, None)
    except TypeError:
        return False
    except ValueError:
        return True
    return True


def make_middleware_callstack(
    middlewares: Sequence[Middleware],
    transaction: Optional[FnBackgroundExecution] = None,
) -> FnBackgroundExecution:
    """Chain middlewares around a transaction into one callable ``fn(request)``.

    The first middleware is the outermost and the transaction the innermost; each
    middleware is called as ``mw(request, next)``. Without a transaction, the last
    middleware receives ``next=None``, unless it takes the request alone
    (``fn(request)``, a transaction placed last): then it is called with the request.

    Raises:
        TypeError: a middleware or the transaction is not callable, or there is nothing
            to call at all.
    """
    for index, middleware in enumerate(middlewares):
        if not callable(middleware):
            raise TypeError(
                f"middlewares[{index}] must be callable as mw(request, next), "
                f"got a {type(middleware).__name__}."
            )
    if transaction is not None and not callable(transaction):
        raise TypeError("The transaction must be callable as fn(request), "
                        f"got a {type(transaction).__name__}.")
    if not middlewares:
        if transaction is None:
            raise TypeError("Nothing to call: give at least one middleware or a transaction.")
        return transaction
    call: Optional[Callable[..., Any]] = transaction
    if transaction is None and not _takes_next(middlewares[-1]):
        call, middlewares = middlewares[-1], middlewares[:-1]
    for middleware in reversed(middlewares):
        call = _link(middleware, call)
    return call  # type: ignore[return-value]  # not None: middlewares is non-empty
