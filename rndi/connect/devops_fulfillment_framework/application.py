"""The saga: pick the transaction that applies to a request and run it inside middleware."""

import functools
import logging
import traceback
from abc import abstractmethod
from typing import Any, Callable, Dict, List, Optional, Tuple, cast

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transaction_middleware.middleware import (  # noqa: F401 - published names
    Middleware,
    make_middleware_callstack,
)
from rndi.connect.business_transactions.adapters import (  # noqa: F401 - published names
    prepare,
    select,
    selecting,
)
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.business_transactions.steps import (
    Steps,
    arun_steps,
    call_off_loop,
    run_steps,
)
from rndi.connect.devops_fulfillment_framework._base import Flow, ProviderSpec
from rndi.connect.devops_fulfillment_framework._worlds import (
    achain,
    chain,
    name_of,
)
from rndi.connect.devops_fulfillment_framework.exceptions import (
    InvalidResponse,
    JournalUnavailable,
)
from rndi.connect.devops_fulfillment_framework.multistep import MultiStepTransaction
from rndi.connect.devops_fulfillment_framework.providers.cache import (  # noqa: F401 - published name
    CacheServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.configuration import (  # noqa: F401 - published name
    ConfigurationServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.connect import (  # noqa: F401 - published name
    ConnectServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.offline import (  # noqa: F401 - published name
    OfflineServiceProvider,
)
from rndi.connect.devops_logger_adapter._secrets import event_masker
from rndi.dicontainer.adapter import (  # noqa: F401 - published names
    BaseServiceProvider as ServiceProvider,
)
from rndi.dicontainer.adapter import Container  # noqa: F401 - published name
from rndi.telemetry import _hooks as tracing


def __getattr__(name: str) -> Any:
    # the published module exported AnyConnectClient and the client classes it imported;
    # they are imported on demand (see providers.connect: connect.client takes seconds)
    if name in ("AnyConnectClient", "ConnectClient", "AsyncConnectClient"):
        from rndi.connect.devops_fulfillment_framework.providers import connect

        return getattr(connect, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


Outcome = Tuple[BackgroundResponse, Optional[Exception]]


@functools.lru_cache(maxsize=4096)  # per class: an ABC's isinstance costs more per event
def _is_multistep(kind: type) -> bool:
    return issubclass(kind, MultiStepTransaction)


@tracing.transaction
def _running(transaction: BackgroundTransaction, request: dict) -> "Steps[Outcome]":
    """``prepare(transaction)(request)`` as steps (execute; compensate when it raised),
    refusing an answer the runner cannot send. Returns the answer and the error that
    was compensated, if any. A journal that cannot tell whether a step ran answers
    ``reschedule`` (the step did not run), without ``compensate``."""
    # a transaction that is steps itself (a MultiStepTransaction) has them made by this
    # flow's driver: in place under resolve(), awaited or in worker threads under aresolve()
    try:
        if _is_multistep(type(transaction)):
            response = yield from cast(MultiStepTransaction, transaction).executing(request)
        else:
            response = yield functools.partial(transaction.execute, request)
    except JournalUnavailable as e:  # the step did not run: nothing to compensate
        return BackgroundResponse.reschedule(), e
    except Exception as e:
        response = yield functools.partial(transaction.compensate, request, e)
        if not isinstance(response, BackgroundResponse):
            raise InvalidResponse(name_of(transaction), "compensate", response) from e
        return response, e
    if not isinstance(response, BackgroundResponse):
        raise InvalidResponse(name_of(transaction), "execute", response)
    return response, None


def _masked_traceback(error: BaseException, mask: Callable[[str], str]) -> str:
    """The traceback of ``error``, masked (an exception message may quote a secret)."""
    return mask("".join(traceback.format_exception(error)).rstrip())


def _as_it_is(text: str) -> str:
    return text


def _describe(response: BackgroundResponse) -> str:
    if response.status == "reschedule" and response.countdown:
        return f"reschedule (countdown {response.countdown} s)"
    if response.output:
        return f"{response.status} ({response.output})"
    return str(response.status)


class Saga(Flow):
    """The flow of a background event: of its transactions, the first that applies runs
    inside the middlewares and answers a ``BackgroundResponse`` (its ``compensate`` does
    when ``execute`` raises). Built and given providers as every ``Flow`` is, the
    request's step ``journal`` included.
    """

    providers: Dict[str, ProviderSpec] = dict(Flow.providers)
    # the transaction the last resolve() selected (None before)
    selected: Optional[BackgroundTransaction] = None

    @abstractmethod
    def transactions(self, request: dict) -> List[Any]:
        """The candidate transactions for ``request``, in the order they are tried."""

    def middlewares(self, request: dict) -> List[Any]:
        """The middlewares around the selected transaction, outermost first.

        Optional: a saga without middleware need not define it (none by default).
        """
        return []

    def _flow(self, entries: List[Any], request: dict, right: bool = False,
              ) -> "Steps[BackgroundResponse]":
        """Select, run, log: the whole of one event, as steps that ``resolve`` makes in
        place and ``aresolve`` awaits. ``right``: every entry is known to be a class this
        flow runs (see ``_checked_parts``), built as the selection reaches it."""
        build = self._container.build if right else self._candidate
        self.selected = selected = yield from selecting(entries, request, build)
        response, compensated = yield from _running(selected, request)
        self._log_outcome(selected, response, request, compensated)
        return response

    def _log_outcome(self, selected: BackgroundTransaction, response: BackgroundResponse,
                     request: dict, compensated: Optional[Exception]) -> None:
        logger = self._request_logger(request, logging.WARNING if compensated else logging.INFO)
        if logger is None or (compensated is None and _is_multistep(type(selected))):
            return  # not logged; a multi-step one's own line says how far its steps got
        name = selected.name()
        after = f" after {type(compensated).__name__}" if compensated else ""
        # the answer's message may quote what the transaction caught: masked as every
        # line is, by the secrets of the configuration and of the request's parameters
        mask = (event_masker(self._container.bound("config"), request)
                if response.output or compensated is not None else _as_it_is)
        logger.info("Transaction %r answered %s%s.", name, mask(_describe(response)), after,
                    extra={"transaction": name, "outcome": response.status})
        if isinstance(compensated, JournalUnavailable):
            logger.warning("Transaction %r did not run journal step %r: the cache (%s) could "
                           "not tell whether it ran; answering reschedule.", name,
                           compensated.step, compensated.store,
                           extra={"transaction": name, "outcome": response.status})
        elif compensated is not None:  # what compensate handled must leave a trace
            logger.warning("Transaction %r raised %s, which its compensate answered with "
                           "%s:\n%s", name, type(compensated).__name__, response.status,
                           _masked_traceback(compensated, mask),
                           extra={"transaction": name, "outcome": response.status})

    @tracing.delivery
    def resolve(self, request: dict) -> BackgroundResponse:
        """Run the first transaction that applies to ``request`` inside the middlewares,
        in a sync (``def``) handler.

        Selection happens inside the middleware stack, so a middleware (offline mode,
        for one) can answer a request before any transaction is built.

        Raises:
            SyncAsyncMismatch: the saga was made with an ``AsyncConnectClient``, or a
                middleware or transaction is ``async def`` (use ``aresolve``); raised
                before any part runs.
            TransactionNotSelected: no transaction applies.
            InvalidTransaction: an entry of ``transactions()`` is not a transaction.
            InvalidResponse: a transaction or middleware answered with something that is
                not a ``BackgroundResponse`` (when ``compensate`` did, the error that
                ``execute`` raised is its ``__cause__``).
        """
        middlewares, entries, right = self._parts(request, "resolve")
        if not middlewares:  # nothing to chain: the flow itself
            return run_steps(self._flow(entries, request, right))
        stack = chain(middlewares,
                      lambda request: run_steps(self._flow(entries, request, right)))
        return stack(request)

    @tracing.adelivery
    async def aresolve(self, request: dict) -> BackgroundResponse:
        """``resolve`` for an ``async def`` handler (the runner gives it an
        ``AsyncConnectClient``): the same selection, compensation and checks.

        A transaction's ``should_execute``, ``execute`` and ``compensate`` may each be
        ``async def`` (awaited) or sync (run in a worker thread, so it never blocks the
        event loop). A middleware may be ``async def __call__(self, request, next)`` and
        ``await next(request)``; a sync one runs in a thread of its own, where
        ``next(request)`` waits for the rest of the saga and answers its response, so it
        means what it means under ``resolve``. Cancellation (the runner cancels a task at
        its timeout) propagates and is never compensated.

        Raises:
            InvalidResponse: as ``resolve``.
            TransactionNotSelected: as ``resolve``.
        """
        middlewares, entries, right = self._parts(request, "aresolve")

        if not middlewares:  # nothing to chain: the flow itself
            return await arun_steps(self._flow(entries, request, right), call_off_loop)

        async def run_flow(request: dict) -> BackgroundResponse:
            return await arun_steps(self._flow(entries, request, right), call_off_loop)

        return await achain(middlewares, run_flow)(request)
