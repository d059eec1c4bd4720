"""Exactly once under faults, with the real runner: two replicas of the example extension
on one FakeEaaS and one redis-server, every purchase delivered to both, while

- Redis is stopped (SIGSTOP, then SIGCONT) for longer than ``CACHE_REDIS_TIMEOUT``,
  three times: while orders are placed, and twice while requests are approved;
- replica A is SIGKILLed inside a vendor order (the vendor takes the order after its
  client died: the crash between the vendor's answer and the journal's write) and
  started again;
- a vendor order of replica B outlives the runner's handler timeout (the runner answers
  ``retry``; the thread goes on holding the lease).

The extension approves outside any journal, as the documentation writes it. Connect's side is
``Deliveries``: each pending request to every live replica, again once both answered,
until it is pending no more. Used by ``test_chaos.py`` and ``benchmarks/chaos.py``.
"""

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from tests.e2e.replicas import EVENT, orders_of, purchase, replicas

CACHE_TIMEOUT = 0.5  # CACHE_REDIS_TIMEOUT: a Redis operation gives up after this
PAUSE = 4 * CACHE_TIMEOUT  # how long Redis stays stopped, each time
HANDLER_TIMEOUT = "3"  # BACKGROUND_TASK_MAX_EXECUTION_TIME of both replicas
# above the handler timeout and what a handler thread may take; short, because the
# requests a killed replica held wait for its leases to expire
LEASE_TTL = 10
# Connect delivers a rescheduled request again after a countdown; this keeps requests
# held by a dead replica's lease from being delivered in a tight loop meanwhile
REDELIVERY_GAP = 0.5
# Connect delivers a task again when no result came back: a worker whose websocket
# dropped under load (it reconnects) never answers what it was sent
UNANSWERED_AFTER = 60.0
SETTINGS = {"CACHE_DRIVER": "redis", "CACHE_REDIS_HOST": "127.0.0.1",
            "CACHE_REDIS_TIMEOUT": str(CACHE_TIMEOUT), "CACHE_REDIS_RETRY_AFTER": "1",
            "LEASE_TTL": str(LEASE_TTL)}
# what the runners log when the lease or the journal met a cache fault and ran nothing
FAULT_LINES = ("could not grant the lease", "could not tell whether journal step")
SLOW, CRASHED = 0, 1  # the requests whose vendor orders are held (by number)


@dataclass
class Cluster:
    connect: Any
    vendor: Any
    eaas: Any
    runners: Dict[str, Any]
    redis: Any


@contextlib.contextmanager
def cluster(installed_extension: Any, tls: Any, redis: Any,
            deadline: float = 400) -> Iterator[Cluster]:
    """The two replicas (``A`` and ``B``) on ``redis`` (a started ``RedisServer``)."""
    with replicas(installed_extension, tls, {**SETTINGS, "CACHE_REDIS_PORT": str(redis.port)},
                  timeouts=(HANDLER_TIMEOUT, HANDLER_TIMEOUT), deadline=deadline) as parts:
        yield Cluster(*parts, redis=redis)


def revived(cluster: Cluster, limit: float = 120.0) -> Cluster:
    """``cluster``, with every replica that was killed (and not started again) started
    again and ready."""
    for name, runner in cluster.runners.items():
        if runner.live_processes():
            continue
        # the EaaS server lets go of the dead replica's workers before it comes back
        wait_for(lambda name=name: f"INS-{name}" not in cluster.eaas.connected(),
                 f"replica {name}'s workers gone from the EaaS server", limit)
        runner.start()
        runner.wait_ready(timeout=limit)
    return cluster


def wait_for(condition: Callable[[], Any], what: str, limit: float = 300.0) -> Any:
    deadline = time.monotonic() + limit
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {limit} s")
        time.sleep(0.02)


# the runner's answer, the replica, its life, when it was sent
Delivery = Tuple[Future, str, int, float]


class Deliveries:
    """Connect's side: every pending request to every live replica; once all of its
    deliveries answered (or were lost with a killed replica), again, until it is pending
    no more.

    Attributes:
        outputs: ``(request id, replica, output)`` of every answered delivery.
        lost: deliveries whose replica was killed before it answered, or that could not
            be sent or got no answer (a worker's websocket dropped).
    """

    def __init__(self, cluster: Cluster, request_ids: List[str],
                 first_to: Optional[Dict[str, str]] = None) -> None:
        self.cluster = cluster
        self.request_ids = list(request_ids)
        self.first_to = dict(first_to or {})
        self.outputs: List[Tuple[str, str, Dict[str, Any]]] = []
        self.lost = 0
        self.finished: Set[str] = set()
        self._lock = threading.Lock()
        self._down: Set[str] = set()
        self._life = {name: 0 for name in cluster.runners}

    # the replicas' lives, told by the faults -------------------------------------------

    def going_down(self, name: str) -> None:
        """``name`` is about to be killed: nothing more is sent to it, and what it was
        sent is lost."""
        with self._lock:
            self._down.add(name)
            self._life[name] += 1

    def back_up(self, name: str) -> None:
        with self._lock:
            self._down.discard(name)

    def answered(self, request_id: str) -> List[Tuple[str, Dict[str, Any]]]:
        return [(replica, output) for rid, replica, output in list(self.outputs)
                if rid == request_id]

    @property
    def pending(self) -> int:
        return len(self.request_ids) - len(self.finished)

    # delivering ------------------------------------------------------------------------

    def _send(self, request_id: str, first: bool) -> List[Delivery]:
        with self._lock:
            live = [name for name in self.cluster.runners if name not in self._down]
            lives = dict(self._life)
        chosen = self.first_to.get(request_id) if first else None
        targets = [chosen] if chosen in live else live
        sent = []
        now = time.monotonic()
        for name in targets:
            try:
                future = self.cluster.eaas.send(EVENT, request_id, timeout=60,
                                                instance=f"INS-{name}")
            except Exception:  # the replica went away under us: Connect delivers again
                with self._lock:
                    self.lost += 1
                continue
            sent.append((future, name, lives[name], now))
        return sent

    def _settled(self, delivery: Delivery) -> bool:
        future, name, life, sent = delivery
        if future.done() or time.monotonic() > sent + UNANSWERED_AFTER:
            return True
        with self._lock:
            return self._life[name] != life

    def _harvest(self, request_id: str, deliveries: List[Delivery]) -> None:
        for future, name, _, _ in deliveries:
            if future.done():
                self.outputs.append((request_id, name, future.result()))
            else:
                with self._lock:
                    self.lost += 1

    def run(self, limit: float = 600.0) -> List[str]:
        """Deliver until no request is pending; the ids still pending after ``limit``
        seconds (none, when exactly-once and liveness hold)."""
        deadline = time.monotonic() + limit
        outstanding: Dict[str, List[Delivery]] = {i: [] for i in self.request_ids}
        sent_at: Dict[str, float] = {}
        while outstanding and time.monotonic() < deadline:
            now = time.monotonic()
            for request_id, deliveries in list(outstanding.items()):
                if not all(self._settled(d) for d in deliveries):
                    continue
                self._harvest(request_id, deliveries)
                outstanding[request_id] = []
                if request_id in sent_at and self.cluster.connect.request(
                        request_id)["status"] != "pending":
                    del outstanding[request_id]
                    self.finished.add(request_id)
                elif now >= sent_at.get(request_id, 0.0) + REDELIVERY_GAP:
                    outstanding[request_id] = self._send(request_id, request_id not in sent_at)
                    sent_at[request_id] = now
            waiting = [future for deliveries in outstanding.values()
                       for future, *_ in deliveries if not future.done()]
            if waiting:
                wait(waiting, timeout=0.05, return_when=FIRST_COMPLETED)
            else:  # every pending request waits out its redelivery gap
                time.sleep(0.05)
        return sorted(outstanding)


@dataclass
class Faults:
    """The faults, each started by a condition on the run's progress (never by a
    delay), in threads of their own; ``happened`` says what was done."""

    cluster: Cluster
    deliveries: Deliveries
    slow_id: str
    crashed_id: str
    limit: float = 300.0  # seconds each fault may wait for its moment
    happened: List[str] = field(default_factory=list)
    paused_while_pending: List[int] = field(default_factory=list)
    errors: List[BaseException] = field(default_factory=list)
    _threads: List[threading.Thread] = field(default_factory=list)

    def start(self, slow_hold: Any, crash_hold: Any) -> "Faults":
        for script in (lambda: self._outlive_the_timeout(slow_hold),
                       lambda: self._kill_inside_an_order(crash_hold),
                       lambda: self._stall_redis(slow_hold, crash_hold)):
            thread = threading.Thread(target=self._guarded, args=(script,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self) -> None:
        for thread in self._threads:
            thread.join(self.limit * 4)
        if self.errors:
            raise self.errors[0]

    def _guarded(self, script: Callable[[], None]) -> None:
        try:
            script()
        except BaseException as e:  # the test re-raises it from join()
            self.errors.append(e)

    # the scripts, side by side ------------------------------------------------------------

    def _outlive_the_timeout(self, hold: Any) -> None:
        """The slow request's order is held until the runner gave up on the delivery
        (``retry``); the handler's thread goes on with the lease and orders."""
        hold.wait_arrived(self.limit)
        wait_for(lambda: any(output["result"] == "retry"
                             for _, output in self.deliveries.answered(self.slow_id)),
                 f"the runner's timeout answer for {self.slow_id}", self.limit)
        hold.release()
        self.happened.append("vendor order outlived the handler timeout")

    def _kill_inside_an_order(self, hold: Any) -> None:
        """Replica A is killed inside the crashed request's order; the vendor takes the
        order after its client died; A starts again."""
        runner = self.cluster.runners["A"]
        hold.wait_arrived(self.limit)
        self.deliveries.going_down("A")
        runner.kill()
        if not runner.wait_ended(120):
            raise RuntimeError("replica A outlived its SIGKILL")
        hold.release()  # the order is taken; its answer goes to a dead client
        wait_for(lambda: "INS-A" not in self.cluster.eaas.connected(),
                 "replica A's workers gone from the EaaS server")
        runner.start()
        runner.wait_ready(timeout=self.limit)
        self.deliveries.back_up("A")
        self.happened.append("replica A killed inside a vendor order and restarted")

    def _stall_redis(self, *holds: Any) -> None:
        """Redis stops while orders are placed (once both held orders are in), then
        when a third and two thirds of the requests are approved."""
        for hold in holds:
            hold.wait_arrived(self.limit)
        total = len(self.deliveries.request_ids)
        wait_for(lambda: len(self.cluster.vendor.subscriptions) >= total / 10,
                 f"{total / 10:.0f} vendor orders", self.limit)
        self._pause_redis()
        for share in (3, 3 / 2):
            wait_for(lambda share=share: len(self.deliveries.finished) >= total / share,
                     f"{total / share:.0f} requests approved", self.limit)
            self._pause_redis()

    def _pause_redis(self) -> None:
        pid = self.cluster.redis.process.pid
        self.paused_while_pending.append(self.deliveries.pending)
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(PAUSE)  # the fault's length, not a wait for something
        finally:
            os.kill(pid, signal.SIGCONT)
        self.happened.append("redis paused")


@dataclass
class Outcome:
    statuses: Dict[str, str]
    orders: Dict[str, int]
    approves: Dict[str, int]
    order_calls: Dict[str, int]
    outputs: List[Tuple[str, str, Dict[str, Any]]]
    lost_deliveries: int
    fault_lines: int
    faults: Faults
    seconds: float

    @property
    def duplicate_orders(self) -> int:
        """Vendor orders beyond one per request."""
        return sum(max(n - 1, 0) for n in self.orders.values())

    @property
    def duplicate_approves(self) -> int:
        """Approve calls beyond one per request."""
        return sum(max(n - 1, 0) for n in self.approves.values())

    @property
    def duplicates(self) -> int:
        return self.duplicate_orders + self.duplicate_approves

    @property
    def requests(self) -> int:
        return len(self.statuses)

    @property
    def lost(self) -> int:
        """Requests that did not end approved, with their vendor order."""
        return sum(1 for i, status in self.statuses.items()
                   if status != "approved" or not self.orders[i])


def run(cluster: Cluster, count: int, series: int, faults: bool = True,
        limit: float = 600.0) -> Outcome:
    """``count`` purchases, through the faults (or, ``faults=False``, without any, for
    a baseline); what came of them."""
    connect, vendor = cluster.connect, cluster.vendor
    requests = [connect.add_request(purchase(series, number)) for number in range(count)]
    ids = [request["id"] for request in requests]
    slow, crashed = requests[SLOW], requests[CRASHED]

    def order_of(request: dict) -> Callable[[Any], bool]:
        return lambda call: (call.body or {}).get("external_id") == request["asset"]["id"]

    started = time.monotonic()
    deliveries = Deliveries(cluster, ids, first_to={slow["id"]: "B", crashed["id"]: "A"}
                            if faults else None)
    chaos = Faults(cluster, deliveries, slow["id"], crashed["id"], limit=limit)
    with vendor.hold("POST", "/subscriptions", where=order_of(slow)) as slow_hold, \
            vendor.hold("POST", "/subscriptions", where=order_of(crashed)) as crash_hold:
        if faults:
            chaos.start(slow_hold, crash_hold)
        else:
            slow_hold.release()
            crash_hold.release()
        deliveries.run(limit)
        chaos.join()
    seconds = time.monotonic() - started
    return Outcome(
        statuses={i: connect.request(i)["status"] for i in ids},
        orders={r["id"]: len(orders_of(vendor, r)) for r in requests},
        approves={i: len(connect.calls_to("POST", f"requests/{i}/approve")) for i in ids},
        order_calls={r["id"]: sum(1 for call in list(vendor.calls)
                                  if call.method == "POST" and call.path == "/subscriptions"
                                  and order_of(r)(call)) for r in requests},
        outputs=deliveries.outputs, lost_deliveries=deliveries.lost,
        fault_lines=sum(runner.output.count(line) for runner in cluster.runners.values()
                        for line in FAULT_LINES),
        faults=chaos, seconds=seconds)
