"""Errors a saga raises when a part of it breaks the contract of a fulfillment."""

from typing import Any, Optional

from rndi.cache.exceptions import CacheUnavailable


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
            "JSON cannot hold, so a redelivery could not have it back (that the step ran "
            "is recorded: it will not run again unasked). Answer what you need later as "
            "plain data (an id, a dict of strings and numbers).")


class StepNotReplayable(SagaError):
    """A journaled step ran on an earlier delivery, but its result could not be recorded
    (JSON cannot hold it): the step is not run again, and its result cannot be given back.

    Attributes:
        step: the step's name.
        result_type: the type of the result that could not be recorded.
    """

    def __init__(self, step: str, result_type: str) -> None:
        self.step = step
        self.result_type = result_type
        super().__init__(
            f"Journal step {step!r} ran on an earlier delivery, but its result (of type "
            f"{result_type}) could not be recorded, so it is not run again. Make the step "
            "answer plain JSON data; then check at the vendor what the earlier run did, "
            f"and call journal.forget({step!r}) to let it run again.")


class JournalUnavailable(SagaError, CacheUnavailable):
    """The cache could not tell whether a journaled step ran (a fault, a stall), so the
    step was not run. A saga answers ``reschedule`` for it (logged at WARNING), without
    calling ``compensate``: nothing ran, and the next delivery asks again.

    Attributes:
        step: the step's name.
        store: the cache, as log lines name it.
    """

    def __init__(self, step: str, store: str) -> None:
        self.step = step
        self.store = store
        self.operation = f"lookup of journal step {step!r}"
        Exception.__init__(
            self, f"The cache ({store}) could not tell whether journal step {step!r} ran, "
            "so it was not run; the delivery answers reschedule and the next one asks again. "
            "If it lasts while the store is healthy, the step's record is damaged: check at "
            f"the vendor what the step did, then call journal.forget({step!r}).")


__all__ = ["InvalidResponse", "JournalUnavailable", "SagaError", "StepNotReplayable",
           "UnrecordableResult"]
