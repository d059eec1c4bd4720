"""The bytecode count proves what it counts: the same event counts the same every time,
each resumption of a generator is a call, nothing outside the event is counted, and a
tracer already set (a coverage run's) is given back."""

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import bytecodes  # noqa: E402 - benchmarks/ is not a package


def three_steps():
    yield 1
    yield 2
    yield 3


def drive():
    return sum(three_steps())


def test_a_generator_resumed_four_times_is_four_calls_of_it():
    ran, calls = bytecodes.counted(drive)
    (steps,) = [where for where in calls if where.startswith("three_steps ")]
    assert calls[steps] == 4  # started, resumed after each of three yields
    assert set(calls) == {steps, next(w for w in calls if w.startswith("drive "))}
    assert ran[steps] > 0


def test_an_event_counts_the_same_every_time_and_more_than_by_hand():
    first, again = bytecodes.counted(bytecodes.with_saga), bytecodes.counted(bytecodes.with_saga)
    assert first == again
    by_hand = bytecodes.counted(bytecodes.direct)
    assert sum(first[0].values()) > sum(by_hand[0].values())
    assert any("build (adapter.py:" in where for where in first[0])  # Container.build


def test_an_awaited_event_is_counted_from_inside_its_loop():
    counted = bytecodes.acounted(bytecodes.with_async_saga)
    assert any("aresolve (application.py:" in where for where in counted[1])
    assert not any("base_events.py" in where for where in counted[1])  # not the loop's own


def test_the_tracer_already_set_is_given_back():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        bytecodes.counted(drive)
        assert sys.gettrace() is tracer
        bytecodes.acounted(bytecodes.by_hand)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
