"""The fleet benchmark proves what it measures: a short run (2 workers, 20 requests, each
delivered twice at once) orders at the vendor exactly once per request."""

import os
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("redis")
if not shutil.which("redis-server"):
    if os.environ.get("CI") == "true":
        pytest.fail("redis-server is not installed; CI must run the Redis tests")
    pytest.skip("redis-server is not installed", allow_module_level=True)

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import fleet  # noqa: E402 - benchmarks/ is not a package


def test_a_short_fleet_run_calls_the_vendor_exactly_once_per_request():
    lines = []
    (row,) = fleet.run([2], 20, report=lines.append)
    assert row["vendor_calls"] == (1, 1)  # the fewest and the most calls of any request
    assert row["approved"] == 20
    assert row["events"] == 40  # every request delivered twice
    outcomes = row["outcomes"]
    # one delivery of each request approved it; the other found the lease held
    # (reschedule), the request approved already (skip), or its work done (success)
    assert outcomes["success"] >= 20
    assert sum(outcomes.values()) == 40
    assert set(outcomes) <= {"success", "reschedule", "skip"}
    assert row["redis_sent"] > 0 and row["events_per_s"] > 0
    assert lines == [fleet._line(row)]
    assert "one Redis serves about" in fleet.projection([row])


def test_each_request_goes_to_two_different_workers_at_the_same_place():
    lists = fleet.deliveries([f"PR-{k}" for k in range(8)], 4)
    for k in range(8):
        holders = [w for w, mine in enumerate(lists) if f"PR-{k}" in mine]
        assert holders == sorted({k % 4, (k + 1) % 4})
        first, second = (lists[w].index(f"PR-{k}") for w in holders)
        assert abs(first - second) <= 1  # both deliveries come up together
    assert fleet.deliveries(["PR-1"], 1) == [["PR-1", "PR-1"]]  # one worker: both to it
