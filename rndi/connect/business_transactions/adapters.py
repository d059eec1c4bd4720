"""Selecting the transaction that applies to a request and running it safely."""

import functools
from typing import Any, Callable, Iterable, List, Optional, Tuple

from connect.eaas.core.responses import (
    BackgroundResponse,
    InteractiveResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)

from rndi.connect.business_transactions.contracts import (
    AnyBackgroundTransaction,
    BackgroundTransaction,
    FnBackgroundCompensation,
    FnBackgroundExecution,
    FnBackgroundPredicate,
    FnInteractiveExecution,
    FnScheduledExecution,
    FnValidationExecution,
    InteractiveTransaction,
    ScheduledTransaction,
    TBackgroundResponse,  # noqa: F401 - published name
    ValidationTransaction,
)
from rndi.connect.business_transactions.exceptions import TransactionException
from rndi.connect.business_transactions.steps import Steps, arun_steps, run_steps


class TupleBackgroundTransaction(BackgroundTransaction):
    """A transaction made of functions: ``(name, predicate, execution, compensation)``.

    Without a compensation, ``compensate`` re-raises the error ``execute`` raised.
    """

    def __init__(
        self,
        name: str,
        predicate: FnBackgroundPredicate,
        execution: FnBackgroundExecution,
        compensation: Optional[FnBackgroundCompensation] = None,
    ) -> None:
        _checked_function(name, "predicate", predicate)
        _checked_function(name, "execution", execution)
        if compensation is not None and not callable(compensation):
            raise TransactionException.invalid(
                f"{_label(name)}: the compensation must be callable or None, "
                f"got {_kind(compensation)}."
            )
        self._name = name
        self._predicate = predicate
        self._execution = execution
        self._compensation = compensation

    def name(self) -> str:
        return self._name

    def should_execute(self, request: dict) -> bool:
        return self._predicate(request)

    def execute(self, request: dict) -> BackgroundResponse:
        return self._execution(request)

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        if self._compensation is None:
            raise e
        return self._compensation(request, e)

    def _functions(self) -> Tuple[Optional[Callable[..., Any]], ...]:
        return (self._predicate, self._execution, self._compensation)


def _checked_function(name: object, role: str, fn: object) -> None:
    if not callable(fn):
        raise TransactionException.invalid(
            f"{_label(name)}: the {role} must be callable, got {_kind(fn)}.")


class TupleInteractiveTransaction(InteractiveTransaction):
    """An interactive transaction made of a function: ``(name, execution)``."""

    def __init__(self, name: str, execution: FnInteractiveExecution) -> None:
        _checked_function(name, "execution", execution)
        self._name = name
        self._execution: Callable[[dict], Any] = execution

    def name(self) -> str:
        return self._name

    def execute(self, request: dict) -> InteractiveResponse:
        return self._execution(request)

    def _functions(self) -> Tuple[Callable[..., Any], ...]:
        return (self._execution,)


class TupleValidationTransaction(TupleInteractiveTransaction, ValidationTransaction):
    """A validation made of a function: ``(name, execution)``."""

    def __init__(self, name: str, execution: FnValidationExecution) -> None:
        super().__init__(name, execution)

    def execute(self, request: dict) -> ValidationResponse:
        return self._execution(request)


class TupleScheduledTransaction(ScheduledTransaction):
    """A scheduled task made of a function: ``(name, handle)``."""

    def __init__(self, name: str, handle: FnScheduledExecution) -> None:
        _checked_function(name, "handle function", handle)
        self._name = name
        self._handle = handle

    def name(self) -> str:
        return self._name

    def handle(self, request: dict) -> ScheduledExecutionResponse:
        return self._handle(request)

    def _functions(self) -> Tuple[Callable[..., Any], ...]:
        return (self._handle,)


def _kind(value: object) -> str:
    """A value by its type only: what a message may show of it (it may hold a secret)."""
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _label(name: object) -> str:
    # a transaction's name is a label the author chose; anything else is shown by type
    return f"Transaction {name!r}" if isinstance(name, str) else (
        f"The transaction named by {_kind(name)}")


# classes whose instances are transactions, learnt as they come: an ABC's isinstance check
# costs more than the rest of a selection step, and a class never stops being a subclass
_TRANSACTION_TYPES: set = set()


def _adapt(transaction: object) -> BackgroundTransaction:
    kind = type(transaction)
    if kind in _TRANSACTION_TYPES:
        return transaction  # type: ignore[return-value]
    if isinstance(transaction, BackgroundTransaction):
        if len(_TRANSACTION_TYPES) < 4096:
            _TRANSACTION_TYPES.add(kind)
        return transaction
    if isinstance(transaction, tuple) and len(transaction) in (3, 4):
        return TupleBackgroundTransaction(*transaction)
    raise TransactionException.invalid(
        "Expected a BackgroundTransaction instance or a tuple (name, predicate, "
        f"execution[, compensation]), got {_kind(transaction)}; list transactions or "
        "such tuples."
    )


def selecting(transactions: Iterable[Any], request: dict,
              build: Optional[Callable[[Any], Any]] = None) -> "Steps[BackgroundTransaction]":
    """The selection as steps (see ``steps.py``): one ``should_execute`` call per candidate,
    in order and no further than the selected one; returns the selected transaction.

    ``build``, when given, makes each entry a candidate (a flow builds a listed class),
    as the selection reaches it: entries after the selected one are never built.

    Raises:
        InvalidTransaction: an entry is neither a transaction nor a tuple.
        TransactionNotSelected: no transaction applies.
    """
    considered: List[BackgroundTransaction] = []
    for entry in transactions:
        if build is not None:
            entry = build(entry)
        if not entry:
            continue
        transaction = entry if type(entry) in _TRANSACTION_TYPES else _adapt(entry)
        if (yield functools.partial(transaction.should_execute, request)):
            return transaction
        considered.append(transaction)
    names = ", ".join(transaction.name() for transaction in considered) or "none"
    raise TransactionException.not_selected(
        f"No transaction applies to request {request.get('id', '(no id)')!r} "
        f"(type {request.get('type')!r}, status {request.get('status')!r}); "
        f"considered: {names}."
    )


def select(
    transactions: Iterable[Optional[AnyBackgroundTransaction]], request: dict
) -> BackgroundTransaction:
    """Return the first transaction whose ``should_execute(request)`` is true.

    Entries are consumed in order and no further than the selected one, so a lazy
    iterable builds only what it must. Falsy entries are skipped, tuples adapted.

    Raises:
        InvalidTransaction: an entry is neither a transaction nor a tuple.
        TransactionNotSelected: no transaction applies.
        SyncAsyncMismatch: a ``should_execute`` is ``async def`` (use ``aselect``).
    """
    return run_steps(selecting(transactions, request))


async def aselect(
    transactions: Iterable[Optional[AnyBackgroundTransaction]], request: dict
) -> BackgroundTransaction:
    """``select`` for async code: an ``async def should_execute`` is awaited, a sync one
    called in place."""
    return await arun_steps(selecting(transactions, request))


def prepare(transaction: BackgroundTransaction) -> FnBackgroundExecution:
    """Wrap a transaction so that an error in ``execute`` returns ``compensate``'s answer."""

    def run(request: dict) -> BackgroundResponse:
        try:
            return transaction.execute(request)
        except Exception as e:
            return transaction.compensate(request, e)

    return run


class TransactionSelector:
    """Selects and prepares the transaction that applies to a request."""

    def __init__(self, transactions: Iterable[Optional[AnyBackgroundTransaction]]) -> None:
        self.transactions = list(transactions)

    def select(self, request: dict) -> FnBackgroundExecution:
        """``prepare(select(transactions, request))``."""
        return prepare(select(self.transactions, request))
