"""aresolve(): one saga class, sync and async parts, through a real AsyncConnectClient."""

import asyncio
import logging
import threading

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.exceptions import ClientMismatch
from rndi.connect.business_objects import Request
from rndi.connect.business_transactions import (
    BackgroundTransaction,
    SyncAsyncMismatch,
    TransactionNotSelected,
)
from rndi.connect.devops_fulfillment_framework import InvalidResponse, Saga
from rndi.connect.devops_fulfillment_framework.providers import OfflineServiceProvider
from rndi.connect.request_offline_criteria import DefaultOnMatchTransaction, OfflineCriteria
from rndi.connect.testing import ConnectAPI, FakeHTTPService
from rndi.dicontainer import BaseServiceProvider
from tests.conftest import PR

LOGGER = logging.getLogger("tests.async_saga")
TEMPLATE = "TL-ASYNC"


class Vendor(FakeHTTPService):
    """A vendor that creates one tenant per POST and counts them."""

    def __init__(self):
        super().__init__()
        self.tenants = []
        self.route("POST", "/tenants", self._create)

    def _create(self, call):
        self.tenants.append(call.body["request"])
        return 201, {"id": f"TEN-{len(self.tenants)}"}, {}


class VendorProvider(BaseServiceProvider):
    def __init__(self, vendor):
        super().__init__()
        self.vendor = vendor

    def provide_vendor(self):
        return self.vendor


def create_tenant(vendor, request):
    import requests

    return requests.post(f"{vendor.url}/tenants", json={"request": request["id"]},
                         timeout=30).json()["id"]


class CreateTenant(BackgroundTransaction, WithAssetFacade):
    """Sync, as the published style writes it: vendor call, then Connect."""

    def __init__(self, client, vendor):
        self.client = client
        self.vendor = vendor

    def should_execute(self, request):
        return not Request(request).asset().param("CAT_SUBSCRIPTION_ID", "value")

    def execute(self, request):
        tenant = create_tenant(self.vendor, request)
        self.update_asset_request_parameters(
            request, [{"id": "CAT_SUBSCRIPTION_ID", "value": tenant}])
        return BackgroundResponse.reschedule()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class ACreateTenant(CreateTenant):
    """The same step for an async handler: the awaitable facade twin."""

    async def execute(self, request):
        tenant = await asyncio.to_thread(create_tenant, self.vendor, request)
        await self.aupdate_asset_request_parameters(
            request, [{"id": "CAT_SUBSCRIPTION_ID", "value": tenant}])
        return BackgroundResponse.reschedule()


class AApprove(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client):
        self.client = client

    async def should_execute(self, request):
        return bool(Request(request).asset().param("CAT_SUBSCRIPTION_ID", "value"))

    async def execute(self, request):
        await self.aapprove_asset_request(request, TEMPLATE)
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        return BackgroundResponse.fail(f"approval failed: {e}")


class TenantSaga(Saga):
    steps = [CreateTenant]

    def transactions(self, request):
        return self.steps


class ATenantSaga(TenantSaga):
    steps = [ACreateTenant, AApprove]


def make(saga, api, vendor, request, client=None):
    client = client if client is not None else api.async_client()
    return saga({**saga.event_providers({}, client, LOGGER, request),
                 "vendor": VendorProvider(vendor)})


@pytest.fixture
def vendor():
    with Vendor() as vendor:
        yield vendor


@pytest.mark.anyio
async def test_an_async_saga_creates_one_tenant_and_approves(api, vendor, asset_purchase):
    for expected in ("reschedule", "success"):
        request = api.request(PR)  # each delivery reads the request as Connect has it
        response = await make(ATenantSaga, api, vendor, request).aresolve(request)
        assert response.status == expected
    assert vendor.tenants == [PR]
    assert api.request(PR)["status"] == "approved"
    (approve,) = api.calls_to("POST", f"requests/{PR}/approve")
    assert approve.body == {"template_id": TEMPLATE}


def test_resolve_on_an_async_client_creates_no_tenant_on_any_delivery(api, vendor):
    """An async handler calling resolve(): before, four deliveries made four vendor
    tenants (the facade's coroutine was never awaited, compensate rescheduled). Now the
    first delivery raises before anything runs, and so does every other."""
    for _ in range(4):
        request = api.request(PR)
        with pytest.raises(SyncAsyncMismatch, match=r"await TenantSaga\.make\(.*aresolve"):
            make(TenantSaga, api, vendor, request).resolve(request)
    assert vendor.tenants == []
    assert vendor.calls == []
    assert api.calls == []


def test_without_the_saga_guard_the_facade_still_refuses_the_async_client(api, vendor):
    """The step the four tenants came from, run by hand: the facade raises instead of
    answering a coroutine nobody awaits (the vendor call before it has happened)."""
    step = CreateTenant(api.async_client(), vendor)
    with pytest.raises(ClientMismatch, match="only run when awaited"):
        step.execute(api.request(PR))
    assert api.calls == []


@pytest.mark.parametrize("async_part", ["should_execute", "execute", "compensate"])
def test_resolve_refuses_any_async_part_before_anything_runs(api, async_part):
    ran = []

    class Step(BackgroundTransaction):
        def should_execute(self, request):
            ran.append("should_execute")
            return True

        def execute(self, request):
            ran.append("execute")
            return BackgroundResponse.done()

        def compensate(self, request, e):
            return BackgroundResponse.done()

    async def async_method(self, *args):
        ran.append(async_part)

    class Mixed(Step):
        pass

    setattr(Mixed, async_part, async_method)

    class MixedSaga(Saga):
        def transactions(self, request):
            return [Step, Mixed]

    request = api.request(PR)
    with pytest.raises(SyncAsyncMismatch, match=f"Mixed: {async_part} is async def"):
        MixedSaga.make({}, api.client(), LOGGER, request).resolve(request)
    assert ran == []


def test_resolve_refuses_an_async_middleware_and_async_tuple_functions(api):
    ran = []

    class AsyncAround:
        async def __call__(self, request, next_):
            ran.append("middleware")
            return await next_(request)

    async def applies(request):
        ran.append("predicate")
        return True

    class WithMiddleware(Saga):
        def middlewares(self, request):
            return [AsyncAround]

        def transactions(self, request):
            return [("sync", lambda r: True, lambda r: BackgroundResponse.done())]

    class WithTuple(Saga):
        def transactions(self, request):
            return [("async predicate", applies, lambda r: BackgroundResponse.done())]

    request = api.request(PR)
    with pytest.raises(SyncAsyncMismatch, match=r"middleware .*AsyncAround: its __call__"):
        WithMiddleware.make({}, api.client(), LOGGER, request).resolve(request)
    with pytest.raises(SyncAsyncMismatch, match="predicate is async def"):
        WithTuple.make({}, api.client(), LOGGER, request).resolve(request)
    assert ran == []


def test_a_sync_part_answering_a_coroutine_in_resolve_is_refused_unrun(api):
    ran = []

    async def approve(request):
        ran.append("approve")
        return BackgroundResponse.done()

    class Sneaky(Saga):
        def transactions(self, request):
            return [("sneaky", lambda r: True, lambda r: approve(r))]

    with pytest.raises(SyncAsyncMismatch, match="answered an awaitable in sync code"):
        Sneaky.make({}, api.client(), LOGGER).resolve(api.request(PR))
    assert ran == []


# the same saga, resolve() and aresolve() side by side -------------------------------------

class Journal:
    def __init__(self):
        self.lines = []


class JournalProvider(BaseServiceProvider):
    def provide_journal(self):
        return Journal()


class Step(BackgroundTransaction):
    step = None

    def __init__(self, journal):
        self.journal = journal

    def should_execute(self, request):
        self.journal.lines.append(f"{self.name()}.should_execute")
        return request.get("step") == self.step

    def execute(self, request):
        self.journal.lines.append(f"{self.name()}.execute")
        if request.get("explode"):
            raise RuntimeError("vendor down")
        if request.get("answer_none"):
            return None
        return BackgroundResponse.reschedule(countdown=90)

    def compensate(self, request, e):
        self.journal.lines.append(f"{self.name()}.compensate:{e}")
        return None if request.get("compensate_none") else BackgroundResponse.fail(f"{e}")


class One(Step):
    step = 1


class Two(Step):
    step = 2


class Around:
    def __init__(self, journal):
        self.journal = journal

    def __call__(self, request, next_):
        self.journal.lines.append("around")
        return next_(request)


class SideBySide(Saga):
    providers = {**Saga.providers, "journal": JournalProvider}

    def middlewares(self, request):
        return [Around]

    def transactions(self, request):
        return [One, Two]


def outcome(run, request):
    saga = SideBySide.make({}, None, LOGGER, request)
    try:
        response = run(saga, request)
        result = (response.status, response.output, response.countdown)
    except Exception as error:
        result = (type(error).__name__, str(error),
                  type(error.__cause__).__name__ if error.__cause__ else None)
    return result, saga.container.get(Around).journal.lines, saga.selected and saga.selected.name()


@pytest.mark.parametrize("request_", [
    {"id": "PR-1", "step": 2},
    {"id": "PR-1", "step": 1, "explode": True},
    {"id": "PR-1", "step": 9},
    {"id": "PR-1", "step": 1, "answer_none": True},
    {"id": "PR-1", "step": 2, "explode": True, "compensate_none": True},
], ids=["selected", "compensated", "none-applies", "bad-answer", "bad-compensation"])
def test_aresolve_selects_compensates_and_refuses_as_resolve_does(request_, caplog):
    caplog.set_level(logging.INFO)
    expected = outcome(lambda saga, r: saga.resolve(r), dict(request_))
    # (a compensated error's traceback, after the first line, shows each driver's frames)
    sync_lines = [record.getMessage().splitlines()[0] for record in caplog.records]
    caplog.clear()
    got = outcome(lambda saga, r: asyncio.run(saga.aresolve(r)), dict(request_))
    assert got == expected
    assert [record.getMessage().splitlines()[0] for record in caplog.records] == sync_lines


def test_the_info_line_is_the_same_in_aresolve(caplog):
    caplog.set_level(logging.INFO)
    asyncio.run(SideBySide.make({}, None, LOGGER, {"id": "PR-7", "step": 2})
                .aresolve({"id": "PR-7", "step": 2}))
    (line,) = [r for r in caplog.records if r.name == LOGGER.name]
    assert line.getMessage() == "PR-7 Transaction 'Two' answered reschedule (countdown 90 s)."
    assert (line.transaction, line.outcome) == ("Two", "reschedule")


@pytest.mark.anyio
async def test_sync_parts_run_in_worker_threads_and_async_ones_on_the_loop():
    loop_thread = threading.get_ident()
    seen = {}

    class Mixed(BackgroundTransaction):
        def should_execute(self, request):
            seen["should_execute"] = threading.get_ident()
            return True

        async def execute(self, request):
            seen["execute"] = threading.get_ident()
            raise RuntimeError("boom")

        def compensate(self, request, e):
            seen["compensate"] = threading.get_ident()
            return BackgroundResponse.skip(str(e))

    class MixedSaga(Saga):
        def transactions(self, request):
            return [Mixed]

    response = await MixedSaga.make({}, None, LOGGER).aresolve({"id": "PR-1"})
    assert (response.status, response.output) == ("skip", "boom")
    assert seen["execute"] == loop_thread
    assert seen["should_execute"] != loop_thread and seen["compensate"] != loop_thread


@pytest.mark.anyio
async def test_a_slow_sync_execute_does_not_block_the_loop():
    release = threading.Event()
    ticks = []

    class Slow(BackgroundTransaction):
        def should_execute(self, request):
            return True

        def execute(self, request):
            if not release.wait(60):  # released by the loop: impossible if it were blocked
                raise TimeoutError("the event loop was blocked")
            return BackgroundResponse.done()

        def compensate(self, request, e):
            raise e

    class SlowSaga(Saga):
        def transactions(self, request):
            return [Slow]

    async def ticker():
        ticks.append("tick")
        release.set()

    resolving = asyncio.create_task(SlowSaga.make({}, None, LOGGER).aresolve({"id": "PR-1"}))
    await asyncio.sleep(0)
    await ticker()
    assert (await resolving).status == "success"
    assert ticks == ["tick"]


@pytest.mark.anyio
async def test_async_middleware_awaits_next_and_a_sync_pass_through_runs_inside_it():
    order = []

    class Timing:
        async def __call__(self, request, next_):
            order.append("timing:before")
            response = await next_(request)
            order.append(f"timing:after:{response.status}")
            return response

    def pass_through(request, next_):
        order.append("pass-through")
        return next_(request)

    class Saga2(Saga):
        def middlewares(self, request):
            return [Timing, pass_through]

        def transactions(self, request):
            return [("only", lambda r: True, lambda r: BackgroundResponse.done())]

    assert (await Saga2.make({}, None, LOGGER).aresolve({"id": "PR-1"})).status == "success"
    assert order == ["timing:before", "pass-through", "timing:after:success"]


def _both(saga, request):
    """What ``resolve`` answers and what ``aresolve`` answers (or raises), side by side."""
    def outcome(run):
        try:
            response = run()
        except Exception as e:  # the outcome under test may be an error
            return type(e).__name__, str(e)
        return response.status, response.output

    def in_a_loop():
        return asyncio.run(saga.make({}, None, LOGGER, request).aresolve(dict(request)))

    return (outcome(lambda: saga.make({}, None, LOGGER, request).resolve(dict(request))),
            outcome(in_a_loop))


def test_a_sync_middleware_catching_the_error_of_next_means_the_same_in_both_drivers():
    class Retrying:  # the pattern authors write: a vendor outage becomes a reschedule
        def __call__(self, request, next_):
            try:
                return next_(request)
            except ConnectionError:
                return BackgroundResponse.reschedule()

    def vendor_down(request):
        raise ConnectionError("vendor down")

    class Outage(Saga):
        def middlewares(self, request):
            return [Retrying]

        def transactions(self, request):
            return [("only", lambda r: True, vendor_down)]  # no compensate: it re-raises

    assert _both(Outage, {"id": "PR-1"}) == (("reschedule", None), ("reschedule", None))


def test_a_sync_middleware_finally_runs_after_the_transaction_in_both_drivers():
    order = []

    def audit(request, next_):
        order.append("before")
        try:
            response = next_(request)
            order.append(f"answer:{response.status}")
            return response
        finally:
            order.append("finally")

    class Audited(Saga):
        def middlewares(self, request):
            return [audit]

        def transactions(self, request):
            return [("only", lambda r: True,
                     lambda r: order.append("execute") or BackgroundResponse.done())]

    assert _both(Audited, {"id": "PR-1"}) == (("success", None), ("success", None))
    assert order == ["before", "execute", "answer:success", "finally"] * 2


def test_a_sync_middleware_calling_next_and_answering_itself_matches_resolve():
    ran = []

    def gate(request, next_):
        next_(request)
        return BackgroundResponse.skip("closed")

    class Gated(Saga):
        def middlewares(self, request):
            return [gate]

        def transactions(self, request):
            return [("only", lambda r: ran.append("execute") or True,
                     lambda r: BackgroundResponse.done())]

    assert _both(Gated, {"id": "PR-1"}) == (("skip", "closed"), ("skip", "closed"))
    assert ran == ["execute", "execute"]  # next() ran the rest, in each driver


@pytest.mark.anyio
async def test_a_middleware_answering_a_non_response_is_named():
    class Bad:
        async def __call__(self, request, next_):
            await next_(request)
            return "ok"

    class Saga5(Saga):
        def middlewares(self, request):
            return [Bad]

        def transactions(self, request):
            return [("only", lambda r: True, lambda r: BackgroundResponse.done())]

    with pytest.raises(InvalidResponse, match=r"Bad\.__call__\(\) returned a str"):
        await Saga5.make({}, None, LOGGER).aresolve({"id": "PR-1"})


@pytest.mark.anyio
async def test_cancellation_propagates_and_is_never_compensated():
    started = asyncio.Event()
    compensated = []

    class Forever(BackgroundTransaction):
        def should_execute(self, request):
            return True

        async def execute(self, request):
            started.set()
            await asyncio.Event().wait()

        async def compensate(self, request, e):
            compensated.append(e)
            return BackgroundResponse.reschedule()

    class ForeverSaga(Saga):
        def transactions(self, request):
            return [Forever]

    task = asyncio.create_task(ForeverSaga.make({}, None, LOGGER).aresolve({"id": "PR-1"}))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert compensated == []


@pytest.mark.anyio
async def test_no_transaction_applies_in_aresolve():
    class Nothing(Saga):
        def transactions(self, request):
            return [("never", lambda r: False, lambda r: BackgroundResponse.done())]

    with pytest.raises(TransactionNotSelected, match="considered: never"):
        await Nothing.make({}, None, LOGGER).aresolve({"id": "PR-1"})
    with pytest.raises(TypeError, match=r"aresolve\(\) takes the request dict"):
        await Nothing.make({}, None, LOGGER).aresolve("PR-1")


# offline mode ----------------------------------------------------------------------------

class ApproveOffline(OfflineServiceProvider):
    def register(self):
        self.bind_class("on_match", DefaultOnMatchTransaction)


class OfflineSaga(Saga):
    providers = {**Saga.providers, "offline": ApproveOffline}

    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return [ACreateTenant]


@pytest.mark.anyio
async def test_offline_requests_are_approved_through_the_async_client(asset_purchase, vendor):
    request = Request(asset_purchase).with_type("cancel")
    request.asset().with_param("offline_mode", asset_purchase["asset"]["id"])
    request = request.raw()
    with ConnectAPI([request]) as api:
        saga = OfflineSaga({**OfflineSaga.event_providers(
            {"ACTIVATION_TEMPLATE": TEMPLATE}, api.async_client(), LOGGER, request),
            "vendor": VendorProvider(vendor)})
        response = await saga.aresolve(request)
        assert response.status == "success"
        (approve,) = api.calls_to("POST", f"requests/{request['id']}/approve")
        assert approve.body == {"template_id": TEMPLATE}
        assert api.request(request["id"])["status"] == "approved"
    assert vendor.calls == []


@pytest.mark.anyio
async def test_default_on_match_as_an_async_transaction(asset_purchase):
    class OfflineOnly(Saga):
        def transactions(self, request):
            return [DefaultOnMatchTransaction]

    with ConnectAPI([asset_purchase]) as api:
        saga = OfflineOnly.make({"ACTIVATION_TEMPLATE": TEMPLATE}, api.async_client(),
                                LOGGER, asset_purchase)
        response = await saga.aresolve(asset_purchase)
        assert response.status == "success"
        assert api.request(PR)["status"] == "approved"
