"""Saga.check and explain on sagas with async parts."""

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga


class Approve(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client, activation_template):
        self.client = client
        self.template = activation_template

    async def should_execute(self, request):
        return True

    async def execute(self, request):
        await self.aapprove_asset_request(request, self.template)
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        await self.afail_asset_request(request, str(e))
        return BackgroundResponse.fail(str(e))


class Timing:
    def __init__(self, logger):
        self.logger = logger

    async def __call__(self, request, next_):
        return await next_(request)


class AsyncSaga(Saga):
    def middlewares(self, request):
        return [Timing]

    def transactions(self, request):
        return [Approve]


def test_a_correct_async_saga_has_no_problems_and_explains():
    assert AsyncSaga.check({"ACTIVATION_TEMPLATE": "TL-1"}) == []
    tree = AsyncSaga.explain({"ACTIVATION_TEMPLATE": "TL-1"})
    assert "    Timing\n      logger <- " in tree
    assert "    Approve\n      client <- " in tree
    assert "activation_template <- config key 'ACTIVATION_TEMPLATE'" in tree


def test_a_sync_facade_call_and_a_missing_await_in_async_methods_are_reported():
    class Mistaken(Approve):
        async def execute(self, request):
            self.approve_asset_request(request, self.template)
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            self.afail_asset_request(request, str(e))
            return BackgroundResponse.fail(str(e))

    class MistakenSaga(AsyncSaga):
        def transactions(self, request):
            return [Mistaken]

    problems = MistakenSaga.check({"ACTIVATION_TEMPLATE": "TL-1"})
    assert [(p.kind, p.path) for p in problems] == [
        ("async", ("test_a_sync_facade_call_and_a_missing_await_in_async_methods_are_reported"
                   ".<locals>.Mistaken", "execute")),
        ("async", ("test_a_sync_facade_call_and_a_missing_await_in_async_methods_are_reported"
                   ".<locals>.Mistaken", "compensate")),
    ]
    assert problems[0].message.endswith(
        "execute (async def) calls self.approve_asset_request(...), which refuses the "
        "AsyncConnectClient of an async handler: write await self.aapprove_asset_request(...).")
    assert problems[1].message.endswith(
        "compensate (async def) calls self.afail_asset_request(...) without await: it would "
        "never run. Write await self.afail_asset_request(...).")


def test_sync_methods_may_call_sync_operations():
    class SyncApprove(BackgroundTransaction, WithAssetFacade):
        def __init__(self, client):
            self.client = client

        def should_execute(self, request):
            return True

        def execute(self, request):
            self.approve_asset_request(request, "TL-1")
            return BackgroundResponse.done()

        def compensate(self, request, e):
            return BackgroundResponse.reschedule()

    class SyncSaga(Saga):
        def transactions(self, request):
            return [SyncApprove]

    assert SyncSaga.check({}) == []


def test_twins_awaited_through_gather_ensure_future_or_later_raise_no_alarm():
    import asyncio

    class Gathering(Approve):
        async def execute(self, request):
            await asyncio.gather(self.aapprove_asset_request(request, self.template),
                                 *[self.afind_asset(asset) for asset in ("AS-1", "AS-2")])
            future = asyncio.ensure_future(self.afind_asset_request(request["id"]))
            task = asyncio.get_running_loop().create_task(self.afind_asset("AS-3"))
            later = self.afail_asset_request(request, "reason")
            pending = {"update": self.aupdate_asset_request_parameters(request, [])}
            self.kept = self.ainquire_asset_request(request, "TL-INQUIRE")
            await future, task, later, pending["update"], self.kept
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            return self.afail_asset_request(request, str(e))  # the caller awaits it

    class GatheringSaga(AsyncSaga):
        def transactions(self, request):
            return [Gathering]

    assert GatheringSaga.check({"ACTIVATION_TEMPLATE": "TL-1"}) == []


def test_a_twin_kept_in_a_name_never_read_is_reported():
    class Forgetting(Approve):
        async def execute(self, request):
            approved = self.aapprove_asset_request(request, self.template)  # noqa: F841
            return BackgroundResponse.done()

    class ForgettingSaga(AsyncSaga):
        def transactions(self, request):
            return [Forgetting]

    (problem,) = ForgettingSaga.check({"ACTIVATION_TEMPLATE": "TL-1"})
    assert (problem.kind, problem.path[1]) == ("async", "execute")
    assert problem.message.endswith("calls self.aapprove_asset_request(...) without await: "
                                    "it would never run. Write await "
                                    "self.aapprove_asset_request(...).")


def test_a_twin_stored_again_before_its_name_is_read_is_reported():
    class Overwriting(Approve):
        async def execute(self, request):
            pending = self.aapprove_asset_request(request, self.template)
            reason = "approved twice"
            pending = self.aapprove_asset_request(request, reason)
            await pending
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            for asset in request["assets"]:
                found = self.afind_asset(asset)
                found = self.afind_asset(asset["id"])
                await found
            return BackgroundResponse.fail(str(e))

    class OverwritingSaga(AsyncSaga):
        def transactions(self, request):
            return [Overwriting]

    problems = OverwritingSaga.check({"ACTIVATION_TEMPLATE": "TL-1"})
    assert [(p.kind, p.path[1]) for p in problems] == [("async", "execute"),
                                                        ("async", "compensate")]
    assert problems[0].message.endswith(
        "execute (async def) calls self.aapprove_asset_request(...) without await: it would "
        "never run. Write await self.aapprove_asset_request(...).")
    assert problems[1].message.endswith(
        "compensate (async def) calls self.afind_asset(...) without await: it would never "
        "run. Write await self.afind_asset(...).")


def test_a_twin_stored_again_after_a_read_or_maybe_read_first_raises_no_alarm():
    import asyncio
    from contextlib import suppress

    class ReadBetween(Approve):
        async def execute(self, request):
            pending = self.aapprove_asset_request(request, self.template)
            await pending
            pending = self.aapprove_asset_request(request, self.template)
            await pending
            found = self.afind_asset(request["asset"]["id"])
            found = await found
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            if request["status"] == "pending":
                pending = self.afail_asset_request(request, str(e))
            else:
                pending = self.afail_asset_request(request, "other")
            await pending
            return BackgroundResponse.fail(str(e))

    class InLoops(Approve):
        async def execute(self, request):
            found = self.afind_asset("AS-0")
            for asset in request["assets"]:
                await found
                found = self.afind_asset(asset)
            await found
            for asset in request["assets"]:
                first = self.afind_asset(asset)
                if asset == "AS-1":
                    break
                first = self.afind_asset(asset)
                await first
            await first
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            step = self.afind_asset("AS-0")
            while request["assets"]:
                step = self.afind_asset(request["assets"].pop())
                if request["assets"]:
                    continue
                await step
            return BackgroundResponse.fail(str(e))

    class InTry(Approve):
        async def execute(self, request):
            pending = self.aapprove_asset_request(request, self.template)
            try:
                int(request["id"])
                pending = self.aapprove_asset_request(request, "TL-OTHER")
            except ValueError:
                await pending
                raise
            await pending
            try:
                found = self.afind_asset("AS-1")
                int(request["id"])
                found = self.afind_asset("AS-2")
            except ValueError:
                pass
            finally:
                await found
            return BackgroundResponse.done()

        async def compensate(self, request, e):
            try:
                pending = self.afail_asset_request(request, str(e))
                int(request["id"])
                pending = self.afail_asset_request(request, "other")
            finally:
                await pending
            return BackgroundResponse.fail(str(e))

    class InWith(Approve):
        async def execute(self, request):
            with suppress(ValueError):
                pending = self.aapprove_asset_request(request, self.template)
                int(request["id"])
                pending = self.aapprove_asset_request(request, "TL-OTHER")
            await pending
            with suppress(ValueError):
                found = self.afind_asset("AS-1")
            found = self.afind_asset("AS-2")
            await found
            return BackgroundResponse.done()

    class InClosure(Approve):
        async def execute(self, request):
            async def finish():
                await pending

            pending = self.aapprove_asset_request(request, self.template)
            await finish()
            pending = self.aapprove_asset_request(request, "TL-OTHER")
            await pending
            both = kept = self.afind_asset("AS-1")
            both = self.afind_asset("AS-2")
            await asyncio.gather(both, kept)
            return BackgroundResponse.done()

    class CarefulSaga(AsyncSaga):
        def transactions(self, request):
            return [ReadBetween, InLoops, InTry, InWith, InClosure]

    assert CarefulSaga.check({"ACTIVATION_TEMPLATE": "TL-1"}) == []
