"""Per-event cost of ``make()`` + ``resolve()`` here and in the published packages.

The same saga (1 transaction, then 50 of which the last applies, no middleware, the null
cache) is timed in this process and in a second interpreter whose ``rndi`` is the
published stack, in the same run; each figure is the best of alternating rounds of CPU
time. The published stack needs a virtual environment of its own (it cannot share one
with this package, see ``rndi-saga doctor``); make one as the compatibility guide says
and name its interpreter:

    python benchmarks/published.py --published /path/to/published-venv/bin/python

Without ``--published`` (or ``RNDI_PUBLISHED_PYTHON``), only this stack is timed.
"""

import argparse
import json
import logging
import os
import subprocess
import time
import timeit
from pathlib import Path

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga

CONFIG = {"ACTIVATION_TEMPLATE": "TL-1", "CACHE_DRIVER": "none", "VENDOR_URL": "x"}
CLIENT = object()
LOGGER = logging.getLogger("bench")
REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending", "asset": {"id": "AS-1"}}
SIZES = (1, 50)


class Skip(BackgroundTransaction):
    def __init__(self, client, logger, cache):
        self.client, self.logger, self.cache = client, logger, cache

    def name(self):  # abstract in the published contract
        return type(self).__name__

    def should_execute(self, request):
        return False

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class Approve(Skip):
    def __init__(self, client, logger, cache, activation_template):
        super().__init__(client, logger, cache)
        self.template = activation_template

    def should_execute(self, request):
        return request["type"] == "purchase"


def saga_of(size):
    # distinct classes: a saga listing one class 50 times would flatter a per-class cache
    skips = [type(f"Skip{n}", (Skip,), {}) for n in range(size - 1)]

    class Bench(Saga):
        def middlewares(self, request):  # abstract in the published Saga
            return []

        def transactions(self, request):
            return [*skips, Approve]

    return Bench


def best_microseconds(size, rounds=15):
    saga = saga_of(size)

    def event():
        return saga.make(CONFIG, CLIENT, LOGGER).resolve(REQUEST)

    assert event().status == "success"
    number = max(20, 4_000 // size)
    best = min(timeit.repeat(event, number=number, repeat=rounds, timer=time.process_time))
    return best / number * 1e6


def published_microseconds(python):
    """The figures of the published stack, timed by this file in ``python``."""
    run = subprocess.run([python, "-I", __file__, "--measure"], check=True,  # noqa: S603
                         capture_output=True, text=True)
    return {int(size): us for size, us in json.loads(run.stdout.splitlines()[-1]).items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--published", default=os.environ.get("RNDI_PUBLISHED_PYTHON"),
                        help="the interpreter of a virtual environment of the published stack")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:  # the child: this interpreter's stack only
        print(json.dumps({size: best_microseconds(size) for size in SIZES}))
        return
    import rndi.connect.devops_fulfillment_framework as ours

    here = Path(ours.__file__).resolve()
    # this stack is timed before and after the published one, the best of both kept: a
    # burst of the machine's other work during one of them does not decide the ratio
    before = {size: best_microseconds(size) for size in SIZES}
    published = published_microseconds(arguments.published) if arguments.published else {}
    for size in SIZES:
        mine = min(before[size], best_microseconds(size))
        line = f"{size:>2} transaction(s): make() + resolve() {mine:9.2f} µs"
        if size in published:
            line += (f"   published stack: {published[size]:10.2f} µs   "
                     f"{published[size] / mine:6.1f}x cheaper here")
        print(line)
    if not published:
        print(f"(only {here.parent}; give --published to time the published stack too)")


if __name__ == "__main__":
    main()
