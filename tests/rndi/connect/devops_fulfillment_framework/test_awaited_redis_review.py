"""The Redis cache awaited on the event loop under faults the lease and the journal must
survive: the loop ending while a step's record is under way, and URL options the sync
client accepts. A real redis-server, stopped with SIGSTOP where the test says so."""

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import subprocess
import threading
import uuid
import warnings

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.exceptions import CacheUnavailable
from rndi.cache.testing import RedisServer, free_port
from rndi.connect.devops_fulfillment_framework import RequestLease, StepJournal
from rndi.connect.devops_fulfillment_framework._cache_calls import awaits_on_the_loop
from tests.rndi.cache.conftest import redis_server_or_skip
from tests.rndi.cache.test_redis_awaited import connections_of, until
from tests.rndi.connect.devops_fulfillment_framework.leases import lease_held
from tests.rndi.connect.devops_fulfillment_framework.test_awaited_redis import (
    Watched,
    cache_on,
    deliver,
)
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    LIMIT,
    CountingExecutor,
    Guarded,
    Vendor,
)
from tests.rndi.connect.devops_fulfillment_framework.test_exactly_once_faults import (
    deliver as sync_deliver,
)

pytest.importorskip("redis")

import redis

from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

LOGGER = logging.getLogger("tests.awaited.review")


@pytest.fixture(scope="module")
def stoppable_redis():
    redis_server_or_skip()
    with RedisServer() as server:
        yield server


def test_a_loop_ending_while_a_step_is_recorded_still_records_it(stoppable_redis):
    """The runner gives up on a delivery (its timeout) while the server stalls, then its
    loop ends (``asyncio.run`` returns, cancelling what is left): the step ran, so its
    record must be in once the loop has ended, as it is when a worker thread makes it
    (the loop's shutdown waits for its threads)."""
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    request_id = f"PR-{uuid.uuid4().hex[:8]}"
    lease = RequestLease(cache, LOGGER, {})
    journal = StepJournal(cache, request_id, logger=LOGGER)
    pid = stoppable_redis.process.pid
    others = []

    async def order():
        answer = vendor.order()
        os.kill(pid, signal.SIGSTOP)  # the record will wait for the server
        # another event on the loop reads the cache meanwhile: the record needs a
        # connection of its own
        others.append(asyncio.ensure_future(cache.alookup("another event's key")))
        return answer

    async def following(request):
        await journal.aonce("order", order)
        return BackgroundResponse.done()

    async def runner():
        task = asyncio.create_task(lease.acall({"id": request_id}, following))
        await cache.started_to("add")
        task.cancel()  # the runner's timeout
        with contextlib.suppress(asyncio.CancelledError):
            await task
        os.kill(pid, signal.SIGCONT)  # the server is back as the loop ends

    try:
        asyncio.run(runner())
    finally:
        os.kill(pid, signal.SIGCONT)
    assert vendor.orders == [1]
    # nothing runs any more: what is not in the cache now never will be
    found, entry = cache.lookup(f"journal:{request_id}:order")
    assert found and entry == {"result": {"order": "ORD-1"}}
    # and its lease is released, not left to block the request's redeliveries until it
    # expires
    assert not lease_held(cache, request_id)


def test_a_loop_ending_while_the_take_is_under_way_leaves_no_lease_behind(stoppable_redis):
    """The runner gives up on a delivery whose claim is on its way to a stalled server,
    then its loop ends: the server makes the claim once it is back, and nothing of the
    delivery is left to release it. The lease must not stay held (each redelivery would
    be rescheduled until it expires)."""
    cache, vendor = cache_on(stoppable_redis, kind=Watched), Vendor()
    request_id = f"PR-{uuid.uuid4().hex[:8]}"
    lease = RequestLease(cache, LOGGER, {})
    pid = stoppable_redis.process.pid

    async def following(request):
        vendor.order()
        return BackgroundResponse.done()

    async def runner():
        await cache.alookup("warm")  # a connection ready: the claim is sent at once
        os.kill(pid, signal.SIGSTOP)
        task = asyncio.create_task(lease.acall({"id": request_id}, following))
        await cache.started_to("claim")  # on its way to the stalled server
        task.cancel()  # the runner's timeout
        with contextlib.suppress(asyncio.CancelledError):
            await task
        os.kill(pid, signal.SIGCONT)  # the server is back as the loop ends

    try:
        asyncio.run(runner())
    finally:
        os.kill(pid, signal.SIGCONT)
    assert vendor.orders == []
    assert not lease_held(cache, request_id)
    assert asyncio.run(lease.acall({"id": request_id}, following)).status == "success"
    assert vendor.orders == [1]


def test_a_resp3_url_is_awaited_as_it_is_sent(stoppable_redis):
    """A URL the sync client works with (``?protocol=3``) works on the loop too: the
    same cache must not answer under ``aresolve()`` what it does not under
    ``resolve()``."""
    cache = RedisCacheAdapter(
        url=f"redis://127.0.0.1:{stoppable_redis.port}/0?protocol=3",
        prefix=f"resp3:{uuid.uuid4().hex}:", socket_timeout=60, retry_after=0)
    assert cache.claim("k", "v")
    assert cache.lookup("k") == (True, "v")

    async def awaited():
        return await cache.alookup("k"), await cache.aclaim("k", "w")

    assert asyncio.run(awaited()) == ((True, "v"), False)


class Cancelling(RedisCacheAdapter):
    """A Redis cache that cancels the delivery's task as its ``at``-th awaited operation
    begins or (``after``) once it has ended, and again ``again`` operations later: the
    runner's timeout landing on each await point of the take, the lookup, the step, its
    record and the release, once or twice."""

    def __init__(self, *args, at, after, again=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.at, self.after, self.again = at, after, again
        self.count = 0
        self.delivery = None

    async def _aattempt(self, operation, key, call):
        self.count += 1
        due = self.count == self.at or (self.again is not None
                                        and self.count == self.at + self.again)
        if due and not self.after and self.delivery is not None:
            self.delivery.cancel()
        try:
            return await super()._aattempt(operation, key, call)
        finally:
            if due and self.after and self.delivery is not None:
                self.delivery.cancel()


async def _until(condition):
    deadline = asyncio.get_running_loop().time() + 60
    while not await asyncio.to_thread(condition):
        assert asyncio.get_running_loop().time() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


def guarded_order(cache, request_id, sync_step):
    """``(vendor, lease, following)``: the lease of ``request_id`` on ``cache``, and the
    saga behind it, one journalled vendor order (its step sync or ``async def``)."""
    vendor = Vendor()
    journal = StepJournal(cache, request_id, logger=LOGGER)

    async def order():
        return vendor.order()

    async def following(request):
        await journal.aonce("order", vendor.order if sync_step else order)
        return BackgroundResponse.done()

    return vendor, RequestLease(cache, LOGGER, {}), following


@pytest.mark.parametrize("sync_step", [False, True], ids=["async_step", "sync_step"])
@pytest.mark.parametrize("again", [None, 1], ids=["once", "twice"])
@pytest.mark.parametrize("after", [False, True], ids=["as_it_begins", "once_ended"])
def test_a_delivery_cancelled_at_any_cache_call_never_orders_twice(stoppable_redis,
                                                                    after, again, sync_step):
    """Cancelled as each awaited cache call begins or ends (once or twice), then
    delivered again once its lease is free: the vendor is called exactly once, the
    lease is freed, and no lease token is left behind."""
    prefix = f"fuzz:{uuid.uuid4().hex}:"

    async def scenario():
        at = 1
        while True:
            cache = Cancelling("127.0.0.1", port=stoppable_redis.port, prefix=prefix,
                               socket_timeout=60, retry_after=0, at=at, after=after,
                               again=again)
            request_id = f"PR-{at}"
            vendor, lease, following = guarded_order(cache, request_id, sync_step)
            cache.delivery = asyncio.ensure_future(lease.acall({"id": request_id},
                                                               following))
            try:
                await cache.delivery
                cancelled = False
            except asyncio.CancelledError:
                cancelled = True
            # what the delivery left running (its take, a record, a release) ends first
            me = asyncio.current_task()
            for _ in range(100_000):  # generous: each pass lets the loop run
                if asyncio.all_tasks() == {me}:
                    break
                await asyncio.sleep(0.001)
            assert asyncio.all_tasks() == {me}, "the delivery's work never ended"
            await _until(lambda c=cache, r=request_id: not lease_held(c, r))
            cache.delivery = None
            answer = await lease.acall({"id": request_id}, following)
            assert answer.status == "success", (at, answer.status)
            assert vendor.orders == [1], (at, vendor.orders)
            assert not lease_held(cache, request_id)
            if not cancelled:  # the cancel came after the last cache call: all covered
                return at
            at += 1

    assert asyncio.run(scenario()) >= 4  # take, lookup, record, release at least


@pytest.mark.parametrize("sync_step", [False, True], ids=["async_step", "sync_step"])
@pytest.mark.parametrize("after", [False, True], ids=["as_it_begins", "once_ended"])
def test_a_loop_ending_at_any_cache_call_never_orders_twice(stoppable_redis, after,
                                                            sync_step):
    """The delivery cancelled as each awaited cache call begins or ends, and its loop
    ending at once (``asyncio.run`` returning): a delivery on a new loop then orders
    at most once in all, and finds no lease left behind."""
    prefix = f"ending:{uuid.uuid4().hex}:"
    at = 1
    while True:
        cache = Cancelling("127.0.0.1", port=stoppable_redis.port, prefix=prefix,
                           socket_timeout=60, retry_after=0, at=at, after=after)
        request_id = f"PR-{at}"
        vendor, lease, following = guarded_order(cache, request_id, sync_step)

        async def first(cache=cache, lease=lease, following=following, request_id=request_id):
            cache.delivery = asyncio.ensure_future(lease.acall({"id": request_id},
                                                               following))
            try:
                await cache.delivery
            except asyncio.CancelledError:
                return True  # the runner gives up, and its loop ends
            return False

        cancelled = asyncio.run(first())
        cache.delivery = None
        assert not lease_held(cache, request_id), at  # nothing left to release it
        answer = asyncio.run(lease.acall({"id": request_id}, following))
        assert answer.status == "success", (at, answer.status)
        assert vendor.orders == [1], (at, vendor.orders)
        if not cancelled:
            break
        at += 1
    assert at >= 4


class ReadOnlyReplica(RedisServer):
    """A real redis-server that is a read-only replica (of a primary that is not there):
    every write is refused with READONLY."""

    def command(self):
        return [*super().command(), "--replicaof", "127.0.0.1", "1",
                "--replica-read-only", "yes"]


def test_a_read_only_replica_is_a_fault_in_both_worlds_and_the_step_never_runs(caplog):
    redis_server_or_skip()
    with ReadOnlyReplica() as server:
        cache = RedisCacheAdapter("127.0.0.1", port=server.port, prefix="ro:",
                                  socket_timeout=60, retry_after=0)
        vendor = Vendor()
        lease = RequestLease(cache, LOGGER, {})

        async def following(request):
            vendor.order()
            return BackgroundResponse.done()

        async def awaited():
            with pytest.raises(CacheUnavailable, match="ReadOnlyError"):
                await cache.aclaim("lease", "token", 30)
            assert await cache.aadd("journal", 1) is False
            return await lease.acall({"id": "PR-RO"}, following)

        with pytest.raises(CacheUnavailable, match="ReadOnlyError"):
            cache.claim("lease", "token", 30)
        assert asyncio.run(awaited()).status == "reschedule"
        assert lease(({"id": "PR-RO"}), lambda request: vendor.order()).status == "reschedule"
    assert vendor.orders == []


def test_loops_in_threads_each_await_through_a_client_of_their_own(stoppable_redis):
    """One loop per thread (as a runner may run them): each loop's operations go
    through its own asyncio client, never another loop's, and each client is closed as
    its loop ends."""
    cache = cache_on(stoppable_redis)
    errors, clients = [], {}
    ready = threading.Barrier(4, timeout=60)

    def in_a_loop_of_its_own(n):
        async def operations():
            ready.wait()  # the loops all run at once
            for i in range(50):
                assert await cache.aclaim(f"{n}:{i}", n, 30)
                assert await cache.alookup(f"{n}:{i}") == (True, n)
            clients[n] = cache._connected.awaited[asyncio.get_running_loop()]

        try:
            asyncio.run(operations())
        except BaseException as e:  # handed to the test's thread
            errors.append(e)

    threads = [threading.Thread(target=in_a_loop_of_its_own, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert len({id(client) for client in clients.values()}) == 4
    assert cache._connected.awaited == {}  # each closed and forgotten at its loop's end


class TlsRedis(RedisServer):
    """A real redis-server that also speaks TLS on ``tls_port``, with a self-signed
    certificate (no OCSP responder named in it)."""

    def __init__(self, directory):
        super().__init__()
        self.tls_port = free_port()
        self.certificate, self.key = str(directory / "cert.pem"), str(directory / "key.pem")
        subprocess.run(
            # an EC key: made at once, where an RSA one costs a third of a second
            [shutil.which("openssl"), "req", "-x509", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", self.key, "-out", self.certificate, "-days", "1", "-subj",
             "/CN=127.0.0.1"], check=True, capture_output=True, timeout=LIMIT)

    def command(self):
        return [*super().command(), "--tls-port", str(self.tls_port), "--tls-cert-file",
                self.certificate, "--tls-key-file", self.key, "--tls-auth-clients", "no"]

    def url(self, ocsp):
        return (f"rediss://127.0.0.1:{self.tls_port}/0?ssl_cert_reqs=none"
                f"&ssl_check_hostname=false&ssl_validate_ocsp={ocsp}")


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    redis_server_or_skip()
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificate for a TLS redis-server")
    with TlsRedis(tmp_path_factory.mktemp("tls")) as server:
        yield server


def test_tls_with_the_certificate_checked_is_awaited_on_the_cache_s_own_connection(
        tls_redis, caplog):
    """``rediss://`` with the server's certificate checked against a CA file: the lease's
    commands go over TLS on the cache's own connection; without the CA, the certificate
    is refused and the operation is a fault that names no path nor value."""
    from rndi.cache.adapters.redis import _link

    url = (f"rediss://127.0.0.1:{tls_redis.tls_port}/0?ssl_ca_certs={tls_redis.certificate}"
           "&ssl_check_hostname=false")
    prefix = f"tls-checked:{uuid.uuid4().hex[:8]}:"
    checked = RedisCacheAdapter(url=url, prefix=prefix, socket_timeout=LIMIT, retry_after=0)
    unchecked = RedisCacheAdapter(url=url.split("?")[0], prefix=prefix, socket_timeout=LIMIT,
                                  retry_after=0)

    async def run():
        assert await checked.aclaim("lease", "token-value", 30) is True
        assert type(checked._connected.awaited[asyncio.get_running_loop()]) is _link.Link
        with caplog.at_level(logging.ERROR, logger="rndi.cache"), \
                pytest.raises(CacheUnavailable, match="ConnectionError"):
            await unchecked.alookup("lease")

    asyncio.run(run())
    assert checked.lookup("lease") == (True, "token-value")
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "SSLCertVerificationError" in line
    assert "token-value" not in line and "cert.pem" not in line


def test_an_ocsp_option_is_served_in_a_worker_thread_under_aresolve(tls_redis):
    """A TLS URL with an OCSP option (which redis-py's asyncio client refuses) serves a
    guarded delivery under ``aresolve()`` as under ``resolve()``: the lease and the
    journal call the sync client in a worker thread."""
    cache = RedisCacheAdapter(url=tls_redis.url("false"), prefix=f"tls:{uuid.uuid4().hex}:",
                              socket_timeout=LIMIT, retry_after=0)
    assert not awaits_on_the_loop(cache)
    vendor, executors = Vendor(), []

    async def delivered(request):
        executors.append(CountingExecutor(2))  # asyncio.run shuts each down
        asyncio.get_running_loop().set_default_executor(executors[-1])
        return await deliver(cache, vendor, request)

    assert asyncio.run(delivered({"id": "PR-TLS"})).status == "success"
    # the take, the journal's lookup and record, the release: each in a worker thread
    assert executors[0].submitted >= 4
    assert asyncio.run(delivered({"id": "PR-TLS"})).status == "success"
    assert len(vendor.orders) == 1  # the second delivery read the record
    assert sync_deliver(Guarded, cache, vendor, {"id": "PR-TLS"}).status == "success"
    assert len(vendor.orders) == 1 and not lease_held(cache, "PR-TLS")
    assert cache._connected.awaited == {}  # no asyncio client was made


def test_an_ocsp_check_is_made_in_both_worlds_never_dropped(tls_redis, caplog):
    """``ssl_validate_ocsp=true`` against a certificate no OCSP responder vouches for:
    every connection is refused by the check, in both worlds, and the step never runs
    (nothing connects without it)."""
    cache = RedisCacheAdapter(url=tls_redis.url("true"), prefix=f"tls:{uuid.uuid4().hex}:",
                              socket_timeout=LIMIT, retry_after=0)
    vendor = Vendor()
    # redis-py leaves the TLS socket of a connection its OCSP check refused to the
    # collector, which closes it and warns: expected here
    with caplog.at_level(logging.ERROR, logger="rndi.cache"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        assert asyncio.run(deliver(cache, vendor, {"id": "PR-OCSP"})).status == "reschedule"
        assert sync_deliver(Guarded, cache, vendor, {"id": "PR-OCSP"}).status == "reschedule"
        gc.collect()
    assert vendor.orders == []
    assert "TypeError" not in caplog.text
    assert "ConnectionError" in caplog.text and "ocsp" in caplog.text.lower()


def test_tls_loops_closed_without_shutdown_leave_no_connection_behind(tls_redis):
    """A TLS URL the asyncio client takes is awaited on the loop; loops closed without
    ``shutdown_asyncgens`` have their TLS connections closed as the next loop begins,
    with nothing left for the collector to warn about."""
    name = f"tls-loops-{uuid.uuid4().hex[:8]}"
    cache = RedisCacheAdapter(
        url=f"rediss://127.0.0.1:{tls_redis.tls_port}/0?ssl_cert_reqs=none"
            "&ssl_check_hostname=false", prefix=f"{name}:", socket_timeout=LIMIT,
        retry_after=0)
    assert awaits_on_the_loop(cache)
    observer = redis.Redis(port=tls_redis.port)

    async def operations():
        assert await cache.aclaim("lease", "token", 30) in (True, False)
        link = cache._connected.awaited[asyncio.get_running_loop()]
        await link.execute_command("CLIENT", "SETNAME", name)

    for _ in range(4):  # each a TLS handshake: a few show that none is left behind
        loop = asyncio.new_event_loop()
        loop.run_until_complete(operations())
        loop.close()
        assert len(cache._connected.awaited) <= 1
    asyncio.run(operations())  # releases the last closed loop's, then shuts down its own
    until(lambda: connections_of(observer, name) == 0)
    assert cache._connected.awaited == {}
    gc.collect()  # a connection left unclosed would warn now, an error in this suite
    observer.close()


class AppliedThenCut(RedisCacheAdapter):
    """A Redis cache whose awaited ``operation`` is made by the server, and whose answer
    is then still on its way when the loop ends (a reply in flight)."""

    def __init__(self, *args, operation, **kwargs):
        super().__init__(*args, **kwargs)
        self.operation = operation
        self.applied = None

    async def _aattempt(self, operation, key, call):
        answer = await super()._aattempt(operation, key, call)
        if operation == self.operation and self.applied is not None:
            self.applied.set()
            await asyncio.Event().wait()  # the reply never read: the loop ends meanwhile
        return answer


@pytest.mark.parametrize("done", [True, False], ids=["done", "rescheduled"])
def test_a_loop_ending_after_the_server_released_the_lease_warns_of_nothing(
        stoppable_redis, done, caplog):
    """The server released the lease (turned it into the done answer's record, or removed
    it), and the loop ends before its reply is read: the release made again in a worker
    thread finds it made. Nothing was lost, and no other delivery ran: no WARNING or
    ERROR says so."""
    prefix = f"cut:{uuid.uuid4().hex}:"
    cache = AppliedThenCut("127.0.0.1", port=stoppable_redis.port, prefix=prefix,
                           socket_timeout=60, retry_after=0,
                           operation="replace_if_equal" if done else "delete_if_equal")
    vendor, request_id = Vendor(), "PR-CUT"
    lease = RequestLease(cache, LOGGER, {})
    journal = StepJournal(cache, request_id, logger=LOGGER)

    async def order():
        return vendor.order()

    async def following(request):
        await journal.aonce("order", order)
        return BackgroundResponse.done() if done else BackgroundResponse.reschedule()

    async def first():
        cache.applied = asyncio.Event()
        delivery = asyncio.ensure_future(lease.acall({"id": request_id}, following))
        await asyncio.wait_for(cache.applied.wait(), LIMIT)
        delivery.cancel()  # the runner gives up, and its loop ends
        with contextlib.suppress(asyncio.CancelledError):
            await delivery

    with caplog.at_level(logging.WARNING):
        asyncio.run(first())
    cache.applied = None
    assert not lease_held(cache, request_id)
    again = asyncio.run(lease.acall({"id": request_id}, following)).status
    assert again == ("success" if done else "reschedule")
    assert vendor.orders == [1]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
            and "ended while work it started" not in r.getMessage()] == []


@pytest.mark.parametrize("operation", ["replace_if_equal", "delete_if_equal"],
                         ids=["record", "lease"])
def test_a_newer_copy_whose_loop_ends_after_the_server_released_warns_of_nothing(
        stoppable_redis, operation, caplog):
    """A newer copy's done (the older copy's record replaced, then its own lease
    removed), the loop ending after the server made either command and before its reply
    is read: the release made again in a worker thread finds it made."""
    cache = AppliedThenCut("127.0.0.1", port=stoppable_redis.port,
                           prefix=f"cut:{uuid.uuid4().hex}:", socket_timeout=60,
                           retry_after=0, operation=operation)
    lease = RequestLease(cache, LOGGER, {})

    async def following(request):
        return BackgroundResponse.done()

    older, newer = {"id": "PR-NEWER", "updated": "1"}, {"id": "PR-NEWER", "updated": "2"}
    assert asyncio.run(lease.acall(dict(older), following)).status == "success"

    async def first():
        cache.applied = asyncio.Event()
        delivery = asyncio.ensure_future(lease.acall(dict(newer), following))
        await asyncio.wait_for(cache.applied.wait(), LIMIT)
        delivery.cancel()  # the runner gives up, and its loop ends
        with contextlib.suppress(asyncio.CancelledError):
            await delivery

    with caplog.at_level(logging.WARNING):
        asyncio.run(first())
    cache.applied = None
    assert cache.lookup("lease:PR-NEWER:newer") == (False, None)
    found, record = cache.lookup("lease:PR-NEWER")
    assert found and record["updated"] == "2"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING
            and "ended while work it started" not in r.getMessage()] == []
