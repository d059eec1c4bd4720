"""The nightly reconciliation, a scheduled task.

The purchase saga caches each tier account's vendor customer id for a day. If the vendor
removes a customer meanwhile, the next order for that account would name a customer
that no longer exists. Each night, for the tier accounts of the pending purchases, the
cached customer id is checked at the vendor; one the vendor no longer knows is removed
from the cache, so the next delivery finds or creates the customer again.
"""

from typing import Any, Set

from connect.eaas.core.responses import ScheduledExecutionResponse

from purchase_extension.saga import VendorServiceProvider
from purchase_extension.vendor import VendorClient
from rndi.cache.contracts import Cache
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import ScheduledTransaction
from rndi.connect.devops_fulfillment_framework import ScheduledFlow


def customer_key(tier_account_id: str) -> str:
    """The cache key the purchase saga keeps a tier account's vendor customer id under."""
    return f"vendor-customer:{tier_account_id}"


class ReconcileVendorCustomers(ScheduledTransaction):
    def __init__(self, client: Any, logger: Any, vendor: VendorClient, cache: Cache) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.cache = cache

    def name(self) -> str:
        return "Reconcile vendor customers"

    def _pending_tier_accounts(self) -> Set[str]:
        accounts = set()
        for request in self.client.requests.filter(status="pending"):
            customer = Request(request).asset().tier_customer() or {}
            if customer.get("id"):
                accounts.add(customer["id"])
        return accounts

    def handle(self, request: dict) -> ScheduledExecutionResponse:
        checked = removed = 0
        for account in sorted(self._pending_tier_accounts()):
            cached = self.cache.get(customer_key(account))
            if cached is None:
                continue
            checked += 1
            if self.vendor.customer(str(cached)) is None:
                self.cache.delete(customer_key(account))
                removed += 1
        return self._reported(checked, removed)

    def _reported(self, checked: int, removed: int) -> ScheduledExecutionResponse:
        summary = (f"{checked} cached vendor customer{'s' if checked != 1 else ''} checked, "
                   f"{removed} no longer known to the vendor removed.")
        self.logger.info(summary)
        return ScheduledExecutionResponse("success", output=summary)


class NightlyReconciliation(ScheduledFlow):
    providers = {**ScheduledFlow.providers, "vendor": VendorServiceProvider}

    def transactions(self, schedule: dict) -> list:
        return [ReconcileVendorCustomers]
