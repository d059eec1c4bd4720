"""Shared timing helper: best-of-N microseconds per call, robust to a noisy machine."""

import timeit
from typing import Callable


def microseconds(fn: Callable[[], object], number: int = 20_000, repeat: int = 7) -> float:
    """Best time per call in µs over ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def report(label: str, measured: float, baseline: float, baseline_label: str) -> None:
    print(f"{label:<44} {measured:9.2f} µs   {baseline_label}: {baseline:8.2f} µs   "
          f"ratio {measured / baseline:6.2f}x")
