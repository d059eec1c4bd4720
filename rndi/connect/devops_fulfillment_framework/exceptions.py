"""Errors a saga raises when a part of it breaks the contract of a fulfillment."""

from typing import Any, Optional


class SagaError(Exception):
    """Base of the errors a saga raises itself."""


# how to build each answer the runner sends, for the messages
_HOW = {
    "BackgroundResponse": "BackgroundResponse.done(), .reschedule(), .skip() or "
                          ".fail(message)",
    "ValidationResponse": "ValidationResponse.done(request) or .fail(request, output=message)",
    "InteractiveResponse": "InteractiveResponse.done(body=...) or .fail(body=..., "
                           "output=message)",
    "ScheduledExecutionResponse": "ScheduledExecutionResponse.done() or .fail(message)",
}


class InvalidResponse(SagaError, TypeError):
    """A transaction or middleware answered with something the runner cannot send to
    Connect: not the response type of its flow (a ``BackgroundResponse`` for a saga, a
    ``ValidationResponse``, ``InteractiveResponse`` or ``ScheduledExecutionResponse`` for
    the other flows), or, for a validation, one without the validated request.

    Attributes:
        source: the transaction or middleware at fault.
        stage: what was called (``execute``, ``compensate``, ``handle``, ``__call__``).
        returned: what it returned.
        expected: the name of the response type its flow answers.
    """

    def __init__(self, source: str, stage: str, returned: Any,
                 expected: str = "BackgroundResponse", problem: Optional[str] = None) -> None:
        self.source = source
        self.stage = stage
        self.returned = returned
        self.expected = expected
        how = _HOW.get(expected, expected)
        if problem is None:
            # only the type: a returned value may hold anything, a secret included
            got = "None" if returned is None else f"a {type(returned).__name__}"
            article = "an" if expected[:1] in "AEIOU" else "a"
            super().__init__(f"{source}.{stage}() returned {got}; it must return {article} "
                             f"{expected} ({how}).")
        else:
            super().__init__(f"{source}.{stage}() returned {problem}; answer with {how}.")


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
