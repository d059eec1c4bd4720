"""When a failed step is worth another delivery, and how long to wait for it.

A vendor that is down, slow or overloaded answers a later call; a vendor that refused
the order (a 4xx) answers the same refusal. ``is_retryable`` tells the two apart for the
errors the Connect client, httpx and requests raise; ``Retry`` says how many attempts a
step gets and how the countdown of each ``reschedule`` grows.
"""

import asyncio
import math
import random
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple, Type, Union

# Connect redelivers a rescheduled request no sooner than this
MIN_COUNTDOWN = 30

ErrorTest = Union[Callable[[BaseException], bool], Tuple[Type[BaseException], ...]]
# how far along __cause__ a wrapped error is looked into (a client error raised from a
# requests error raised from a socket error)
_CAUSE_DEPTH = 5


def _transient_status(status: Any) -> bool:
    return isinstance(status, int) and (status >= 500 or status == 429)


def _status_of_response(error: BaseException) -> Any:
    return getattr(getattr(error, "response", None), "status_code", None)


def _transient_one(error: BaseException) -> bool:
    # a library that was never imported raised nothing: looked up, not imported
    client = sys.modules.get("connect.client.exceptions")
    if client is not None and isinstance(error, client.ClientError):
        return _transient_status(error.status_code)
    if isinstance(error, (ConnectionError, TimeoutError, asyncio.TimeoutError)):
        return True
    httpx = sys.modules.get("httpx")
    if httpx is not None:
        if isinstance(error, httpx.TransportError):  # connect, read, write, pool, timeouts
            return True
        if isinstance(error, httpx.HTTPStatusError):
            return _transient_status(_status_of_response(error))
    requests = sys.modules.get("requests")
    if requests is not None:
        if isinstance(error, (requests.ConnectionError, requests.Timeout)):
            return True
        if isinstance(error, requests.HTTPError):
            return _transient_status(_status_of_response(error))
    return False


def is_retryable(error: BaseException) -> bool:
    """Whether ``error`` is one a later attempt may not meet: a connection error, a
    timeout, or an HTTP 5xx or 429, from the Connect client (``connect.client.ClientError``),
    httpx or requests; also when it was raised ``from`` such an error (the Connect
    client raises ``ClientError`` from the requests error of a connection that failed).
    Anything else (a 4xx, a ``KeyError``) is permanent."""
    seen = 0
    current: Optional[BaseException] = error
    while current is not None and seen < _CAUSE_DEPTH:
        if _transient_one(current):
            return True
        current, seen = current.__cause__, seen + 1
    return False


@dataclass(frozen=True)
class Retry:
    """How a step (or an undo) is retried: each retryable failure answers ``reschedule``,
    the countdown growing until ``attempts`` have been made; then the failure counts as
    permanent.

    The countdown of attempt ``n`` (1 after the first failure) is
    ``min(maximum, countdown * factor ** (n - 1))``, plus up to ``jitter`` of it at
    random (so that requests failed by one outage do not all come back together), and
    never below Connect's 30 s. With ``jitter < factor - 1`` each countdown is longer than
    the one before until ``maximum``.

    Args:
        attempts: how many times the step runs at most, the first included (1: never
            retried).
        countdown: the first countdown, in seconds (at least 30).
        factor: how much each countdown grows (at least 1).
        maximum: the longest countdown, in seconds.
        jitter: the share of a countdown added at random, from 0 to 1.
        retry_on: which errors are retried: a tuple of exception classes or a function
            of the error; ``is_retryable`` by default.

    Raises:
        ValueError: a number out of its range (named in the message).
        TypeError: ``retry_on`` is neither a tuple of exception classes nor callable.
    """

    attempts: int = 5
    countdown: float = 60.0
    factor: float = 2.0
    maximum: float = 3600.0
    jitter: float = 0.5
    retry_on: Optional[ErrorTest] = None

    def __post_init__(self) -> None:
        if isinstance(self.attempts, bool) or not isinstance(self.attempts, int) \
                or self.attempts < 1:
            raise ValueError("Retry(attempts=...) takes a whole number of attempts, at "
                             "least 1 (1: never retried).")
        _number("countdown", self.countdown, MIN_COUNTDOWN, math.inf,
                "Connect redelivers no sooner than 30 s")
        _number("factor", self.factor, 1.0, math.inf, "1 keeps the countdown as it is")
        _number("maximum", self.maximum, self.countdown, math.inf,
                "the longest countdown, no shorter than the first")
        _number("jitter", self.jitter, 0.0, 1.0, "a share of the countdown")
        test = self.retry_on
        if test is not None and not callable(test) and not (
                isinstance(test, tuple) and all(isinstance(t, type)
                                                and issubclass(t, BaseException)
                                                for t in test)):
            raise TypeError("Retry(retry_on=...) takes a tuple of exception classes or a "
                            f"function of the error, got a {type(test).__name__}.")

    def retries(self, error: BaseException) -> bool:
        """Whether ``error`` is retried under this policy (attempts aside)."""
        test = self.retry_on
        if test is None:
            return is_retryable(error)
        if isinstance(test, tuple):
            return isinstance(error, test)
        return bool(test(error))

    def countdown_for(self, attempt: int, draw: Callable[[], float] = random.random) -> int:
        """The countdown, in whole seconds, after failed attempt ``attempt`` (from 1)."""
        base = min(self.maximum, self.countdown * self.factor ** (attempt - 1))
        return max(MIN_COUNTDOWN, math.ceil(base * (1 + self.jitter * draw())))


def _number(name: str, value: Any, low: float, high: float, meaning: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not (low <= value <= high) or math.isnan(value):
        limit = f"from {low:g} to {high:g}" if high != math.inf else f"at least {low:g}"
        raise ValueError(f"Retry({name}=...) takes a number of seconds or a ratio {limit} "
                         f"({meaning}), got a {type(value).__name__} that is not one.")


__all__ = ["MIN_COUNTDOWN", "Retry", "is_retryable"]
