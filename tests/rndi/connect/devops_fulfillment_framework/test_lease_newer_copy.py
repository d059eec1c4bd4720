"""A request Connect put back to pending after an inquiry is a newer copy: the lease's
record of the inquiry's ``done`` does not answer it (the stand-in, like Connect, moves
``updated`` on every change), and it is worked on again."""

import json
import logging
from pathlib import Path

from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from rndi.connect.testing import ConnectAPI
from rndi.dicontainer import BaseServiceProvider

FIXTURE = Path(__file__).resolve().parents[4] / "examples" / "fixtures" / "asset_purchase.json"


class Provide(BaseServiceProvider):
    def __init__(self, cache):
        super().__init__()
        self.cache = cache

    def register(self):
        self.bind_instance("cache", self.cache)


class InquireThenApprove(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client):
        self.client = client

    def should_execute(self, request):
        return True

    def execute(self, request):
        if not request.get("note"):  # the customer has not answered yet
            self.inquire_asset_request(request, "TL-INQUIRE")
        else:
            self.approve_asset_request(request, "TL-1")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class InquireSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [InquireThenApprove]


def test_a_request_pending_again_after_an_inquiry_is_worked_on_again(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    with ConnectAPI([json.loads(FIXTURE.read_text())]) as connect:
        request_id = next(iter(connect.asset_requests))
        client = connect.client()
        for answer in (None, "the customer's answer"):
            if answer:  # the customer answered: Connect puts the request back to pending
                client.requests[request_id].update({"note": answer})
                client.requests[request_id]("pend").post(payload={})
            saga = InquireSaga({**InquireSaga.event_providers({}, client,
                                                              logging.getLogger("inquiry")),
                                "cache": Provide(cache)})
            assert saga.resolve(connect.request(request_id)).status == "success"
        # a newer copy (Connect moved 'updated'), so not answered from the record
        assert connect.request(request_id)["status"] == "approved"


class SetThenApprove(BackgroundTransaction, WithAssetFacade):
    """The example's two steps in one: record the subscription, then approve once it is
    recorded (outside any journal, as the documentation writes it)."""

    def __init__(self, client):
        self.client = client

    def should_execute(self, request):
        return True

    def execute(self, request):
        subscription = next(p for p in request["asset"]["params"]
                            if p["id"] == "CAT_SUBSCRIPTION_ID")
        if not subscription["value"]:
            self.update_asset_request_parameters(
                request, [{"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-1"}])
            return BackgroundResponse.reschedule()
        self.approve_asset_request(request, "TL-1")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class SetThenApproveSaga(InquireSaga):
    def transactions(self, request):
        return [SetThenApprove]


def test_an_older_copy_than_the_one_answered_approves_nothing(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    with ConnectAPI([json.loads(FIXTURE.read_text())]) as connect:
        request_id = next(iter(connect.asset_requests))

        def deliver(copy):
            saga = SetThenApproveSaga({**SetThenApproveSaga.event_providers(
                {}, connect.client(), logging.getLogger("older")), "cache": Provide(cache)})
            return saga.resolve(copy).status

        first, overlapping = connect.request(request_id), connect.request(request_id)
        assert deliver(first) == "reschedule"  # the subscription recorded: 'updated' moves
        older = connect.request(request_id)  # a replica fetched it, then waited
        # a delivery of a copy from before the record records it again (a journaled
        # step answers the same subscription): 'updated' moves once more
        assert deliver(overlapping) == "reschedule"
        assert deliver(connect.request(request_id)) == "success"  # approved
        assert deliver(older) == "success"  # answered done, not approved again
        assert len(connect.calls_to("POST", f"requests/{request_id}/approve")) == 1
