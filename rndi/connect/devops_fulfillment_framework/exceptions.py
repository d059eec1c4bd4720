"""Errors a saga raises when a part of it breaks the contract of a fulfillment."""

from typing import Any


class SagaError(Exception):
    """Base of the errors a saga raises itself."""


class InvalidResponse(SagaError, TypeError):
    """A transaction or middleware answered with something that is not a
    ``BackgroundResponse``: the runner cannot send it to Connect.

    Attributes:
        source: the transaction or middleware at fault.
        stage: what was called (``execute``, ``compensate``, ``__call__``).
        returned: what it returned.
    """

    def __init__(self, source: str, stage: str, returned: Any) -> None:
        self.source = source
        self.stage = stage
        self.returned = returned
        # only the type: a returned value may hold anything, a secret included
        got = "None" if returned is None else f"a {type(returned).__name__}"
        super().__init__(
            f"{source}.{stage}() returned {got}; it must return a BackgroundResponse "
            "(BackgroundResponse.done(), .reschedule(), .skip() or .fail(message)).")


class UnrecordableResult(SagaError, TypeError):
    """A journaled step answered a value JSON cannot hold, so it cannot be recorded.

    Attributes:
        step: the step's name.
    """

    def __init__(self, step: str, result: Any) -> None:
        self.step = step
        super().__init__(
            f"Journal step {step!r} answered a value of type {type(result).__name__}, which "
            "JSON cannot hold, so a redelivery could not have it back. Answer what you need "
            "later as plain data (an id, a dict of strings and numbers).")


__all__ = ["InvalidResponse", "SagaError", "UnrecordableResult"]
