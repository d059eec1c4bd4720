"""Flows for the other handlers of an extension: draft-request validation, other
interactive events, and scheduled tasks.

Each runs with what a ``Saga`` runs with (the same providers, container, middlewares and
request-bound logger) and, like it, is written once as steps (``steps.py``): ``resolve``
makes them in a ``def`` handler, ``aresolve`` awaits them in an ``async def`` one.
Unlike a saga, which picks one transaction, a flow runs its transactions in order, each
on what the previous one left, until one answers ``fail``.
"""

import functools
import logging
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Tuple

from connect.eaas.core.enums import ResultType
from connect.eaas.core.responses import (
    InteractiveResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)

from rndi.connect.business_transactions.adapters import (
    TupleInteractiveTransaction,
    TupleScheduledTransaction,
    TupleValidationTransaction,
)
from rndi.connect.business_transactions.contracts import (
    InteractiveTransaction,
    ScheduledTransaction,
    ValidationTransaction,
)
from rndi.connect.business_transactions.exceptions import (
    InvalidTransaction,
    TransactionNotSelected,
)
from rndi.connect.business_transactions.steps import Steps, arun_steps, call_off_loop, run_steps
from rndi.connect.devops_fulfillment_framework._base import Flow
from rndi.connect.devops_fulfillment_framework._kinds import _a
from rndi.connect.devops_fulfillment_framework._worlds import achain, chain, name_of
from rndi.connect.devops_fulfillment_framework.exceptions import InvalidResponse
from rndi.connect.devops_logger_adapter._secrets import event_masker
from rndi.dicontainer.adapter import BaseServiceProvider
from rndi.telemetry import _hooks as tracing

__all__ = ["InteractiveFlow", "ScheduledFlow", "ValidationFlow"]


def _part(transaction: Any) -> str:
    """A transaction as a message names it: a functional one by the name it was given."""
    if isinstance(transaction, (TupleInteractiveTransaction, TupleScheduledTransaction)):
        return str(transaction.name())
    return name_of(transaction)


class _OrderedFlow(Flow):
    """Runs the listed transactions in order until one fails (the shared core)."""

    # what each kind of flow calls, answers and hands on: set by the three flows
    response_type: ClassVar[type] = InteractiveResponse
    method: ClassVar[str] = "execute"
    roles: ClassVar[Tuple[str, ...]] = ("execution",)
    argument: ClassVar[str] = "request"
    tuple_adapter: ClassVar[Callable[..., Any]] = TupleInteractiveTransaction
    tuple_shape: ClassVar[str] = "(name, execution)"

    def __init__(self, providers: Optional[Dict[str, BaseServiceProvider]] = None) -> None:
        super().__init__(providers)
        self.ran: List[Any] = []  # the transactions that ran, in order

    # the parts each flow defines ---------------------------------------------------------

    def _accepted(self, transaction: Any, answer: Any, current: dict) -> Any:
        """``answer`` when the runner can send it, else ``InvalidResponse``."""
        if not isinstance(answer, self.response_type):
            raise InvalidResponse(_part(transaction), self.method, answer,
                                  self.response_type.__name__)
        return answer

    def _carried(self, response: Any, current: dict) -> dict:
        """What the next transaction gets: the same request (changed in place, if at all)."""
        return current

    def _nothing_listed(self, request: dict) -> Any:
        raise TransactionNotSelected(
            f"{type(self).__name__}.transactions() lists no transaction for "
            f"{self.argument} {request.get('id', '(no id)')!r}; list at least one.")

    # the flow, once for both drivers -----------------------------------------------------

    def _adapt(self, entry: Any) -> Any:
        contract = type(self).contract
        if isinstance(entry, contract):
            return entry
        if isinstance(entry, tuple) and len(entry) == 2:
            return self.tuple_adapter(*entry)
        raise InvalidTransaction(
            f"{type(self).__name__}.transactions() lists {_a(type(entry).__name__)}; list "
            f"{contract.__name__} classes, instances or {self.tuple_shape} tuples.")

    @tracing.transactions
    def _steps(self, entries: List[Any], request: dict, right: bool = False) -> "Steps[Any]":
        """Run each transaction on what the previous one left, stop at a ``fail``, log.
        ``right``: every entry is known to be a class this flow runs (see
        ``_checked_parts``), built straight through the container as the run reaches it."""
        current, response = request, None
        self.ran = []
        candidates = map(self._container.build, entries) if right else self._candidates(entries)
        for entry in candidates:
            if not entry:
                continue
            transaction = self._adapt(entry)
            answer = yield functools.partial(getattr(transaction, self.method), current)
            response = self._accepted(transaction, answer, current)
            self.ran.append(transaction)
            if response.status == ResultType.FAIL:
                break
            current = self._carried(response, current)
        if response is None:
            response = self._nothing_listed(request)
        self._log_outcome(response, request)
        return response

    def _log_outcome(self, response: Any, request: dict) -> None:
        logger = self._request_logger(request, logging.INFO)
        if logger is None:
            return
        names = ", ".join(repr(transaction.name()) for transaction in self.ran) or "none"
        detail = f" ({response.output})" if response.output else ""
        detail = event_masker(self._container.bound("config"), request)(detail) if detail else ""
        logger.info("%s answered %s%s; ran: %s.", type(self).__name__, response.status,
                    detail, names, extra={"transactions": [t.name() for t in self.ran],
                                          "outcome": response.status})

    @tracing.delivery
    def resolve(self, request: dict) -> Any:
        """Run the transactions in order inside the middlewares, in a sync (``def``)
        handler.

        Raises:
            SyncAsyncMismatch: made with an ``AsyncConnectClient``, or a middleware or
                transaction is ``async def`` (use ``aresolve``); raised before any part
                runs.
            InvalidTransaction: an entry is not a transaction of this kind of flow (the
                message names the flow that runs it).
            InvalidResponse: a transaction or middleware answered something the runner
                cannot send for this kind of event.
        """
        middlewares, entries, right = self._parts(request, "resolve", (self.method,),
                                                  self.roles, self.argument)
        stack = chain(middlewares,
                      lambda request: run_steps(self._steps(entries, request, right)),
                      self.response_type)
        return stack(request)

    @tracing.adelivery
    async def aresolve(self, request: dict) -> Any:
        """``resolve`` for an ``async def`` handler (the runner gives it an
        ``AsyncConnectClient``): the same order, stop and checks. A transaction's method
        may be ``async def`` (awaited) or sync (run in a worker thread); middlewares
        follow the rules of ``Saga.aresolve``."""
        middlewares, entries, right = self._parts(request, "aresolve")

        async def run_flow(request: dict) -> Any:
            return await arun_steps(self._steps(entries, request, right), call_off_loop)

        return await achain(middlewares, run_flow, self.response_type)(request)


class ValidationFlow(_OrderedFlow):
    """Validates a draft request (``asset_purchase_request_validation``,
    ``tier_config_setup_request_validation`` …) with ``ValidationTransaction``s.

    Each validator gets the request as the previous one left it (the ``body`` of its
    ``ValidationResponse.done(request)``): one sets a parameter's ``value_error``, the
    next fills a value. The first ``fail`` stops the chain. The answer is the last
    ``ValidationResponse``, carrying the validated request; with no validator listed,
    ``ValidationResponse.done(request)`` (nothing to validate for this request).

    Entries: ``ValidationTransaction`` classes (built through the container), instances,
    or ``(name, execution)`` tuples.
    """

    contract = ValidationTransaction
    kind = "ValidationFlow"
    response_type = ValidationResponse
    tuple_adapter = TupleValidationTransaction

    def _accepted(self, transaction: Any, answer: Any, current: dict) -> Any:
        response = super()._accepted(transaction, answer, current)
        if response.status == ResultType.FAIL and response.body is None:
            # the draft goes back to the user with their values: carry what we have
            return ValidationResponse.fail(current, response.output)
        if not isinstance(response.body, dict):
            raise InvalidResponse(
                _part(transaction), self.method, answer, "ValidationResponse",
                problem=(f"a ValidationResponse whose body is {_a(type(response.body).__name__)}"
                         ", not the validated request"))
        return response

    def _carried(self, response: Any, current: dict) -> dict:
        return response.body

    def _nothing_listed(self, request: dict) -> Any:
        return ValidationResponse.done(request)


class InteractiveFlow(_OrderedFlow):
    """Handles another interactive event (``product_action_execution``,
    ``product_custom_event_processing`` …) with ``InteractiveTransaction``s.

    Each transaction gets the request the runner handed the handler; the first ``fail``
    stops; the answer is the last ``InteractiveResponse``. With no transaction listed,
    ``TransactionNotSelected``.

    Entries: ``InteractiveTransaction`` classes, instances, or ``(name, execution)``
    tuples (a ``ValidationTransaction`` belongs in a ``ValidationFlow``).
    """

    contract = InteractiveTransaction
    kind = "InteractiveFlow"


class ScheduledFlow(_OrderedFlow):
    """Runs a scheduled task (a ``@schedulable`` method) with ``ScheduledTransaction``s.

    ``make(config, client, logger, schedule)`` also binds ``schedule`` (the schedule
    object the runner hands the method), besides ``request``. Each transaction's
    ``handle(schedule)`` runs in order; the first ``fail`` stops; the answer is the last
    ``ScheduledExecutionResponse``. With no transaction listed, ``TransactionNotSelected``.

    Entries: ``ScheduledTransaction`` classes, instances, or ``(name, handle)`` tuples.
    """

    contract = ScheduledTransaction
    kind = "ScheduledFlow"
    response_type = ScheduledExecutionResponse
    method = "handle"
    roles = ("handle",)
    argument = "schedule"
    tuple_adapter = TupleScheduledTransaction
    tuple_shape = "(name, handle)"

    @staticmethod
    def event_providers(config: Mapping[str, Any], client: Any, logger: Any,
                        request: Optional[dict] = None) -> Dict[str, BaseServiceProvider]:
        """``config`` and ``connect`` as for a saga, and ``schedule`` bound to the
        schedule when one is given."""
        providers = Flow.event_providers(config, client, logger, request)
        if request is not None:
            providers["schedule"] = BaseServiceProvider({"schedule": {"to_instance": request}})
        return providers
