"""The nightly reconciliation of ``purchase_extension.schedules``, for an ``async def``
method: the pending purchases are listed through the ``AsyncConnectClient`` and the
vendor is asked with the awaitable client, so the worker's event loop is never blocked."""

from typing import Any, Dict, Optional, Set

from connect.eaas.core.responses import ScheduledExecutionResponse
from purchase_extension.schedules import ReconcileVendorCustomers, customer_key
from purchase_extension.vendor import VendorError

from async_purchase_extension.saga import AsyncVendorClient
from rndi.connect.business_objects.adapters import Request
from rndi.connect.devops_fulfillment_framework import ScheduledFlow
from rndi.dicontainer.adapter import BaseServiceProvider


class AsyncVendorCustomers(AsyncVendorClient):
    """The awaitable vendor client, with the customer look-up the reconciliation needs."""

    async def customer(self, customer_id: str) -> Optional[Dict[str, Any]]:
        try:
            return await self._call("GET", f"/customers/{customer_id}")
        except VendorError as e:
            if e.status == 404:
                return None
            raise


class AsyncVendorCustomersProvider(BaseServiceProvider):
    """``vendor``: the awaitable vendor client with customer look-ups."""

    def provide_vendor(self, vendor_api_url: str, vendor_api_key: str) -> AsyncVendorCustomers:
        return AsyncVendorCustomers(vendor_api_url, vendor_api_key)


class AsyncReconcileVendorCustomers(ReconcileVendorCustomers):
    async def _apending_tier_accounts(self) -> Set[str]:
        accounts = set()
        async for request in self.client.requests.filter(status="pending"):
            customer = Request(request).asset().tier_customer() or {}
            if customer.get("id"):
                accounts.add(customer["id"])
        return accounts

    async def handle(self, request: dict) -> ScheduledExecutionResponse:  # type: ignore[override]
        checked = removed = 0
        for account in sorted(await self._apending_tier_accounts()):
            cached = self.cache.get(customer_key(account))
            if cached is None:
                continue
            checked += 1
            if await self.vendor.customer(str(cached)) is None:
                self.cache.delete(customer_key(account))
                removed += 1
        return self._reported(checked, removed)


class AsyncNightlyReconciliation(ScheduledFlow):
    providers = {**ScheduledFlow.providers, "vendor": AsyncVendorCustomersProvider}

    def transactions(self, schedule: dict) -> list:
        return [AsyncReconcileVendorCustomers]
