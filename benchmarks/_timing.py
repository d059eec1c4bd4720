"""Shared timing helper: best-of-N microseconds per call, robust to a noisy machine."""

import time
import timeit
from typing import Callable, Tuple


def microseconds(fn: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    """Best time per call in µs over ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def report(label: str, measured: float, baseline: float, baseline_label: str) -> None:
    print(f"{label:<44} {measured:9.2f} µs   {baseline_label}: {baseline:8.2f} µs   "
          f"ratio {measured / baseline:6.2f}x")


def paired_microseconds(measured: Callable[[], object], baseline: Callable[[], object],
                        number: int = 2_000, rounds: int = 30) -> Tuple[float, float]:
    """Best µs per call of ``measured`` and of ``baseline``, timed in alternating rounds,
    in CPU time, so that other processes on the machine change neither much."""
    best_measured = best_baseline = float("inf")
    cpu = time.process_time
    for _ in range(rounds):
        best_measured = min(best_measured, timeit.timeit(measured, number=number, timer=cpu))
        best_baseline = min(best_baseline, timeit.timeit(baseline, number=number, timer=cpu))
    return best_measured / number * 1e6, best_baseline / number * 1e6
