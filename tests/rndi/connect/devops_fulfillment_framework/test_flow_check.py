"""check, explain and the saga_check fixture on validation, interactive and scheduled flows."""

import pytest
from connect.eaas.core.responses import ScheduledExecutionResponse, ValidationResponse

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_transactions import ScheduledTransaction, ValidationTransaction
from rndi.connect.devops_fulfillment_framework import (
    InteractiveFlow,
    Saga,
    ScheduledFlow,
    ValidationFlow,
)
from rndi.dicontainer.adapter import BaseServiceProvider


class VendorProvider(BaseServiceProvider):
    def provide_vendor(self, vendor_api_url):
        raise RuntimeError("a provider method must never run during a check")


class CheckOrderType(ValidationTransaction):
    def __init__(self, vendor, logger):
        raise RuntimeError("a constructor must never run during a check")

    def execute(self, request):
        return ValidationResponse.done(request)


class CheckDomain(ValidationTransaction):
    def __init__(self, vendr):  # misspelled
        self.vendor = vendr

    def execute(self, request):
        return ValidationResponse.done(request)


class PurchaseValidation(ValidationFlow):
    providers = {**ValidationFlow.providers, "vendor": VendorProvider}

    def transactions(self, request):
        return [CheckOrderType, CheckDomain]


def test_a_validation_flow_is_checked_like_a_saga_on_a_draft_request():
    (problem,) = PurchaseValidation.check({"VENDOR_API_URL": "https://vendor.example"})
    assert (problem.kind, problem.name, problem.path) == (
        "missing", "vendr", ("CheckDomain", "vendr"))
    assert "did you mean 'vendor'?" in problem.message
    assert PurchaseValidation.explain({}).splitlines()[:4] == [
        "PurchaseValidation, for purchase request PR-0000-0000-0000-001:",
        "  transactions()",
        "    CheckOrderType",
        "      vendor <- provide_vendor() of VendorProvider (providers['vendor'])",
    ]


class Reconcile(ScheduledTransaction, WithAssetFacade):
    def __init__(self, schedule, cache, client):
        self.client = client

    async def handle(self, request):
        self.approve_asset_request(request, "TL-1")  # sync facade call in async code
        return ScheduledExecutionResponse.done()


class Nightly(ScheduledFlow):
    def transactions(self, schedule):
        return [Reconcile]


def test_a_scheduled_flow_is_checked_with_a_sample_schedule_bound_as_schedule():
    (problem,) = Nightly.check({})
    assert (problem.kind, problem.path) == ("async", ("Reconcile", "handle"))
    assert "write await self.aapprove_asset_request(...)" in problem.message
    explained = Nightly.explain({})
    assert explained.startswith("Nightly, for schedule EFS-0000-0000-0000:\n")
    assert ("      schedule <- an instance of dict from BaseServiceProvider "
            "(providers['schedule'])") in explained


@pytest.mark.parametrize(("flow", "listed", "message"), [
    (Saga, CheckDomain, "Listed.transactions() lists CheckDomain, which is a "
                        "ValidationTransaction: a Saga runs BackgroundTransactions. List it in "
                        "a ValidationFlow"),
    (InteractiveFlow, Reconcile, "lists Reconcile, which is a ScheduledTransaction: an "
                                 "InteractiveFlow runs InteractiveTransactions. List it in a "
                                 "ScheduledFlow"),
    (ValidationFlow, ("name", print, print), "Listed.transactions() lists a tuple, which is "
                                             "neither a transaction class, a transaction, nor "
                                             "a (name, execution) tuple."),
    (ScheduledFlow, dict, "lists dict, which is not a ScheduledTransaction subclass; list "
                          "transaction classes, instances or (name, handle) tuples."),
], ids=["validation-in-saga", "scheduled-in-interactive", "long-tuple", "not-a-transaction"])
def test_check_reports_an_entry_that_does_not_belong_in_the_flow(flow, listed, message):
    class Listed(flow):
        def transactions(self, request):
            return [listed]

    problems = Listed.check({})
    assert [problem.kind for problem in problems if problem.kind == "invalid"] == ["invalid"]
    assert any(message in problem.message for problem in problems), problems


def test_saga_check_accepts_a_flow(saga_check):
    class Complete(ValidationFlow):
        def transactions(self, request):
            return [("accept", ValidationResponse.done)]

    saga_check(Complete, {})
    with pytest.raises(pytest.fail.Exception, match=r"PurchaseValidation has 1 wiring "
                                                    r"problem:\n  missing: CheckDomain -> vendr"):
        saga_check(PurchaseValidation, {"VENDOR_API_URL": "https://vendor.example"})
