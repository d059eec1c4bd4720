"""The per-step cost of a ``MultiStepTransaction`` against the same steps written by hand
as ``journal.once`` calls in one ``execute``, measured in the same run.

Each event is a new request (every step runs and is recorded), then the same request
again (every step is replayed). Four instant steps per event. Two caches: SQLite (what
an extension uses on one host: the cache's own cost is part of both sides) and a dict
(no storage cost: the framework's own overhead, the worst case for the ratio). The step
log lines are measured apart: with the logger off (WARNING) and on (INFO, to a handler
that drops the records).

    python benchmarks/multistep.py

Target: ratio at most 1.2x with the logger off.
"""

import itertools
import logging
import sys
import tempfile
import time
import timeit
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).parent))

from _timing import report
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.contracts import Cache
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import MultiStepTransaction, Step, StepJournal

STEPS = 4


class DictCache(Cache):
    """Storage that costs nothing: a dict, no expiry."""

    def __init__(self) -> None:
        self.data: dict = {}

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None, ttl: Optional[int] = None) -> Any:
        return self.data.get(key, default)

    def put(self, key: str, value: Any, ttl: Optional[int] = None) -> Any:
        self.data[key] = value
        return value

    def lookup(self, key: str) -> Any:
        return (True, self.data[key]) if key in self.data else (False, None)

    def add(self, key: str, value: Any, ttl: Optional[int] = None) -> bool:
        return self.data.setdefault(key, value) is value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def flush(self, expired_only: bool = False) -> None:
        self.data.clear()


def step(request: dict) -> str:
    return "R-" + request["id"]


class ByHand(BackgroundTransaction):
    def __init__(self, journal: StepJournal) -> None:
        self.journal = journal

    def should_execute(self, request: dict) -> bool:
        return True

    def execute(self, request: dict) -> BackgroundResponse:
        once = self.journal.once
        once("customer", lambda: step(request))
        once("subscription", lambda: step(request))
        once("licences", lambda: step(request))
        once("approve", lambda: step(request))
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        raise e


class InSteps(MultiStepTransaction):
    def should_execute(self, request: dict) -> bool:
        return True

    def steps(self, request: dict) -> list:
        return [Step("customer", step), Step("subscription", step), Step("licences", step),
                Step("approve", step)]


def cpu_microseconds(fn: Any, number: int) -> float:
    return timeit.timeit(fn, number=number, timer=time.process_time) / number * 1e6


# one sequence for the whole run: every event is a request no run has recorded yet
IDS = itertools.count()


def measure(cache: Cache, logger: logging.Logger, number: int, rounds: int = 7) -> None:
    ids = IDS

    def event_of(make: Any) -> Any:
        def event() -> None:
            request = {"id": f"PR-{next(ids)}", "type": "purchase"}
            journal = StepJournal(cache, request["id"])
            make(journal).execute(request)  # every step runs
            make(journal).execute(request)  # every step is replayed
        return event

    hand = event_of(ByHand)
    steps = event_of(lambda journal: InSteps(journal, None, logger, {}))
    # alternated, best of each, in CPU time: a shared machine's load hits both alike
    best_hand = best_steps = float("inf")
    for _ in range(rounds):
        best_hand = min(best_hand, cpu_microseconds(hand, number))
        best_steps = min(best_steps, cpu_microseconds(steps, number))
    name = type(cache).__name__
    lines = "off" if logger.level > logging.INFO else "on, 2 lines a step"
    report(f"{name}, step log {lines}: per step", best_steps / (2 * STEPS),
           best_hand / (2 * STEPS), "journal.once by hand")


def main() -> None:
    logger = logging.getLogger("bench.multistep")
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    with tempfile.TemporaryDirectory() as directory:
        for cache, number in ((DictCache(), 2000), (SQLiteCacheAdapter(directory), 200)):
            for level in (logging.WARNING, logging.INFO):
                logger.setLevel(level)
                measure(cache, logger, number)


if __name__ == "__main__":
    main()
