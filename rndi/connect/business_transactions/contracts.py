"""Transaction contracts and the callable shapes that stand in for them."""

from abc import ABC, abstractmethod
from typing import Callable, Optional, Tuple, TypeAlias, Union

from connect.eaas.core.responses import (
    BackgroundResponse,
    InteractiveResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)

TBackgroundResponse: TypeAlias = BackgroundResponse
FnBackgroundPredicate = Callable[[dict], bool]
FnBackgroundExecution = Callable[[dict], TBackgroundResponse]
FnBackgroundCompensation = Callable[[dict, Exception], TBackgroundResponse]
FnBackgroundTransaction = Tuple[
    str,
    FnBackgroundPredicate,
    FnBackgroundExecution,
    Optional[FnBackgroundCompensation],
]

TInteractiveResponse: TypeAlias = InteractiveResponse
FnInteractiveExecution = Callable[[dict], TInteractiveResponse]
FnInteractiveTransaction = Tuple[str, FnInteractiveExecution]

TValidationResponse: TypeAlias = ValidationResponse
FnValidationExecution = Callable[[dict], TValidationResponse]
FnValidationTransaction = Tuple[str, FnValidationExecution]

TScheduledResponse: TypeAlias = ScheduledExecutionResponse
FnScheduledExecution = Callable[[dict], TScheduledResponse]
FnScheduledTransaction = Tuple[str, FnScheduledExecution]


class BackgroundTransaction(ABC):
    """One step of a fulfillment: applies to some requests, executes, compensates."""

    def name(self) -> str:
        """A human name for logs; the class name unless overridden."""
        return type(self).__name__

    @abstractmethod
    def should_execute(self, request: dict) -> bool:
        """Whether this transaction is the one to run for ``request``."""

    @abstractmethod
    def execute(self, request: dict) -> BackgroundResponse:
        """Do the work and say what Connect should do with the request next."""

    @abstractmethod
    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        """Undo or report after ``execute`` raised ``e``; the result is the event's answer."""


class InteractiveTransaction(ABC):
    """A synchronous handler of an interactive event."""

    def name(self) -> str:
        """A human name for logs; the class name unless overridden."""
        return type(self).__name__

    @abstractmethod
    def execute(self, request: dict) -> InteractiveResponse:
        """Handle the request and answer it."""


class ValidationTransaction(InteractiveTransaction):
    """A draft-request validation handler."""

    @abstractmethod
    def execute(self, request: dict) -> ValidationResponse:
        """Validate the draft request; answer with the (possibly annotated) request."""


class ScheduledTransaction(ABC):
    """A scheduled task."""

    def name(self) -> str:
        """A human name for logs; the class name unless overridden."""
        return type(self).__name__

    @abstractmethod
    def handle(self, request: dict) -> ScheduledExecutionResponse:
        """Run the scheduled task (``request`` is the schedule the runner sends)."""


AnyBackgroundTransaction = Union[BackgroundTransaction, FnBackgroundTransaction]
AnyInteractiveTransaction = Union[InteractiveTransaction, FnInteractiveTransaction]
AnyValidationTransaction = Union[ValidationTransaction, FnValidationTransaction]
AnyScheduledTransaction = Union[ScheduledTransaction, FnScheduledTransaction]
