"""A stale copy never acts twice when the transaction approves through the asset facade
(outside any journal, as the README writes it): the facade records the new status on the
request dict it was given, so the copy the lease remembers must be the one it took the
lease with, not the dict as the saga left it."""

import json
import logging
from pathlib import Path

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, Saga
from rndi.connect.testing import ConnectAPI
from rndi.dicontainer import BaseServiceProvider

FIXTURE = Path(__file__).resolve().parents[4] / "examples" / "fixtures" / "asset_purchase.json"


class Approve(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client):
        self.client = client

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.approve_asset_request(request, "TL-1")
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.reschedule()


class Provide(BaseServiceProvider):
    def __init__(self, cache):
        super().__init__()
        self.cache = cache

    def register(self):
        self.bind_instance("cache", self.cache)


class ApproveSaga(Saga):
    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [Approve]


@pytest.mark.xfail(strict=True, reason="RequestLease records copy_of(request) after the saga "
                   "ran; the facade has set the dict's status to 'approved' by then, so a "
                   "stale 'pending' copy never matches the record and approves again")
def test_a_stale_copy_of_a_request_approved_through_the_facade_approves_nothing(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    with ConnectAPI([json.loads(FIXTURE.read_text())]) as connect:
        request_id = next(iter(connect.asset_requests))
        # two deliveries fetched the pending request; the second waited for the lease
        first, stale = connect.request(request_id), connect.request(request_id)
        for delivery in (first, stale):
            saga = ApproveSaga({**ApproveSaga.event_providers({}, connect.client(),
                                                              logging.getLogger("stale")),
                                "cache": Provide(cache)})
            assert saga.resolve(delivery).status == "success"
        assert len(connect.calls_to("POST", f"requests/{request_id}/approve")) == 1


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


class InquireSaga(ApproveSaga):
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
