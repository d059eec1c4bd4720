"""The purchase as four steps: create the vendor customer, create the subscription,
assign the licences, approve the request.

Each step runs once per request: a redelivery (after a retry, a crash, a replica taking
over) replays the steps done and goes on from the first that is not. When the vendor
refuses a step for good, the steps done before it are undone in reverse (the
subscription cancelled, then the customer deleted) and the request is failed with a
message naming the step. ``RequestLease`` keeps two deliveries of one request apart.
"""

from typing import Any, Dict, List, Mapping

from multistep_extension.vendor import LicensingVendor
from rndi.connect.business_objects.adapters import Request
from rndi.connect.devops_fulfillment_framework import (
    MultiStepTransaction,
    RequestLease,
    Saga,
    Step,
    StepJournal,
)
from rndi.dicontainer.adapter import BaseServiceProvider, Injectable


class VendorServiceProvider(BaseServiceProvider):
    """``vendor``: the vendor API client, from ``VENDOR_API_URL``/``VENDOR_API_KEY``."""

    def provide_vendor(self, vendor_api_url: str,
                       vendor_api_key: Injectable[str] = "") -> LicensingVendor:
        return LicensingVendor(vendor_api_url, vendor_api_key)


def ordered_items(request: dict) -> List[Dict[str, Any]]:
    return [{"mpn": item["mpn"], "quantity": item["quantity"]}
            for item in Request(request).asset().items()]


class Purchase(MultiStepTransaction):
    def __init__(self, journal: StepJournal, client: Any, logger: Any,
                 config: Mapping[str, Any], vendor: LicensingVendor,
                 activation_template: str) -> None:
        super().__init__(journal, client, logger, config)
        self.vendor = vendor
        self.activation_template = activation_template

    def name(self) -> str:
        return "Purchase"

    def should_execute(self, request: dict) -> bool:
        return request.get("type") == "purchase"

    def steps(self, request: dict) -> List[Step]:
        return [
            Step("customer", self.create_customer, undo=self.delete_customer),
            Step("subscription", self.create_subscription, undo=self.cancel_subscription),
            Step("licences", self.assign_licences),
            Step("approve", self.approve),
        ]

    # each step answers what later steps need, as plain data (it is journaled)

    def create_customer(self, request: dict) -> str:
        customer = Request(request).asset().tier_customer()
        created = self.vendor.create_customer(customer["id"], customer.get("name", ""),
                                              self.journal.idempotency_key("customer"))
        return str(created["id"])

    def delete_customer(self, customer: str) -> None:
        self.vendor.delete_customer(customer)

    def create_subscription(self, request: dict, customer: str) -> str:
        created = self.vendor.create_subscription(
            customer, Request(request).asset().id() or "", ordered_items(request),
            self.journal.idempotency_key("subscription"))
        return str(created["id"])

    def cancel_subscription(self, subscription: str) -> None:
        self.vendor.cancel_subscription(subscription)

    def assign_licences(self, request: dict, subscription: str) -> List[str]:
        assigned = self.vendor.assign_licences(subscription, ordered_items(request),
                                               self.journal.idempotency_key("licences"))
        return list(assigned["licences"])

    def approve(self, request: dict) -> str:
        return str(self.approve_asset_request(request, self.activation_template).status())


class MultiStepPurchaseSaga(Saga):
    providers = {**Saga.providers, "vendor": VendorServiceProvider}

    def middlewares(self, request: dict) -> list:
        return [RequestLease]

    def transactions(self, request: dict) -> list:
        return [Purchase]
