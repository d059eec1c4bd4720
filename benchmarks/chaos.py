"""Exactly once under faults, at scale: ``tests/e2e/chaos.py`` with 500 purchases (two
replicas of the example extension under the real runner, one redis-server, each request
delivered to both; Redis stopped three times for longer than ``CACHE_REDIS_TIMEOUT``,
replica A killed inside a vendor order and started again, a vendor order outliving the
handler timeout).

First the same number of purchases without faults, on the same replicas, as the
baseline; then with the faults. Prints, for each: requests, duplicates (vendor orders and
approves beyond one per request), lost (requests not ending approved with their order),
the time taken, and the faulty/baseline time ratio.

    python benchmarks/chaos.py [--requests 500]

Needs Python 3.10 to 3.12 (the runner's range), the dev dependencies (trustme) and
redis-server on the PATH.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
# the chaos of the end-to-end tests, and the example's vendor it uses
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples" / "purchase_extension"))

from runner import bench_site, runner_missing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    arguments = parser.parse_args()
    missing = runner_missing() or (None if shutil.which("redis-server") else
                                   "skipped: redis-server is not on the PATH.")
    if missing:
        print(missing)
        return 0
    from rndi.cache.testing import RedisServer
    from tests.e2e import chaos
    from tests.e2e.conftest import EXAMPLE, install

    # as in the tests: inflect's typeguard re-compiles itself on each runner process start
    # unless Python is optimized; the runner, its client and this package use no assert
    os.environ.setdefault("PYTHONOPTIMIZE", "1")

    count = arguments.requests
    limit = 60.0 + 3.0 * count  # generous: a slow machine, not a stuck run, takes long
    with bench_site() as (site, tls), RedisServer() as redis:
        extension = install(EXAMPLE, site / "example")
        with chaos.cluster(extension, tls, redis, deadline=4 * limit) as cluster:
            outcomes = {}
            for series, (name, faults) in enumerate((("baseline", False), ("faults", True))):
                outcomes[name] = outcome = chaos.run(cluster, count, 8100 + series,
                                                     faults=faults, limit=limit)
                print(f"{name}: {outcome.requests} requests, {outcome.duplicates} duplicates "
                      f"({outcome.duplicate_orders} vendor orders, "
                      f"{outcome.duplicate_approves} approves), {outcome.lost} lost, "
                      f"{outcome.seconds:.1f} s; {len(outcome.outputs)} deliveries answered, "
                      f"{outcome.lost_deliveries} lost (a killed replica, a dropped "
                      f"websocket), {outcome.fault_lines} cache faults met by the lease or "
                      "the journal", flush=True)
    baseline, faulty = outcomes["baseline"], outcomes["faults"]
    print(f"\n{'':10}{'requests':>10}{'duplicates':>12}{'lost':>6}{'seconds':>10}")
    for name, outcome in outcomes.items():
        print(f"{name:10}{outcome.requests:10}{outcome.duplicates:12}{outcome.lost:6}"
              f"{outcome.seconds:10.1f}")
    print(f"faults/baseline time: {faulty.seconds / baseline.seconds:.2f}x")
    return 1 if faulty.duplicates or faulty.lost else 0


if __name__ == "__main__":
    sys.exit(main())
