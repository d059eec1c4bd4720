"""Per-event cost of ``benchmarks/saga.py``'s events counted, not timed: the bytecodes and
the Python calls (generator and coroutine resumptions included) one event runs, next to
the same calls made by hand. A count does not move with the machine's load, so a change
of a few bytecodes shows where a timing would drown in noise.

Run: ``python benchmarks/bytecodes.py`` (``--top 20`` lists the functions that run the
most bytecodes of a ``resolve()`` event).
"""

import argparse
import asyncio
import collections
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, Counter, Tuple

sys.path.insert(0, str(Path(__file__).parent))

from saga import by_hand, direct, with_async_saga, with_saga

Counts = Tuple[Counter[str], Counter[str]]  # bytecodes, calls: by function


def _where(frame: Any) -> str:
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)  # Python 3.11+
    return f"{name} ({Path(code.co_filename).name}:{code.co_firstlineno})"


def _counter() -> Tuple[Counts, Callable[..., Any]]:
    bytecodes: Counter[str] = collections.Counter()
    calls: Counter[str] = collections.Counter()

    def trace(frame: Any, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        if event == "call":
            calls[_where(frame)] += 1
        elif event == "opcode":
            bytecodes[_where(frame)] += 1
        return trace

    return (bytecodes, calls), trace


def counted(event: Callable[[], Any]) -> Counts:
    """What one call of ``event`` runs, after a few calls to fill what is remembered."""
    for _ in range(20):
        event()
    counts, trace = _counter()
    previous = sys.gettrace()  # a coverage run's tracer, given back after
    sys.settrace(trace)
    try:
        event()
    finally:
        sys.settrace(previous)
    return counts


def acounted(event: Callable[[], Awaitable[Any]]) -> Counts:
    """``counted`` for an awaited event, counted from inside its event loop."""
    counts, trace = _counter()

    async def run() -> None:
        for _ in range(20):
            await event()
        previous = sys.gettrace()
        sys.settrace(trace)  # frames started from here on, this task's included
        try:
            await event()
        finally:
            sys.settrace(previous)

    asyncio.run(run())
    return counts


def report(label: str, measured: Counts, baseline: Counts) -> None:
    ran, base = sum(measured[0].values()), sum(baseline[0].values())
    calls, base_calls = sum(measured[1].values()), sum(baseline[1].values())
    print(f"{label:<34} {ran:6d} bytecodes in {calls:3d} calls   by hand: {base:5d} in "
          f"{base_calls:3d}   ratio {ran / base:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=0,
                        help="list the functions running the most bytecodes of an event")
    top = parser.parse_args().top
    sync = counted(with_saga)
    report("make() + resolve() per event", sync, counted(direct))
    report("make() + aresolve() per event", acounted(with_async_saga), acounted(by_hand))
    for where, ran in sync[0].most_common(top):
        print(f"{ran:6d} bytecodes {sync[1][where]:3d} calls  {where}")


if __name__ == "__main__":
    main()
