"""The multi-step purchase of ``multistep_extension.saga`` with ``async def`` steps: the
same steps, names, undos and saga; each step awaits the vendor (httpx) or Connect (the
``a…`` facade twins), so one worker serves many requests at once."""

from typing import Any, Dict, List, Optional

import httpx
from multistep_extension.saga import MultiStepPurchaseSaga, Purchase, ordered_items
from multistep_extension.vendor import idempotency_headers

from rndi.connect.business_objects.adapters import Request
from rndi.dicontainer.adapter import BaseServiceProvider, Injectable


class AsyncLicensingVendor:
    """``multistep_extension.vendor.LicensingVendor``, awaitable. Its errors are httpx's,
    which the framework knows as it knows requests'."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise ValueError("AsyncLicensingVendor needs the vendor API URL "
                             "(config VENDOR_API_URL).")
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.timeout = timeout

    async def _call(self, method: str, path: str, body: Optional[dict] = None,
                    key: Optional[str] = None) -> Dict[str, Any]:
        async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as http:
            answer = await http.request(method, f"{self.base_url}{path}", json=body,
                                        headers=idempotency_headers(key))
        answer.raise_for_status()
        return answer.json() if answer.content else {}  # type: ignore[no-any-return]

    async def create_customer(self, external_id: str, name: str, key: str) -> Dict[str, Any]:
        return await self._call("POST", "/customers",
                                {"external_id": external_id, "name": name}, key)

    async def delete_customer(self, customer_id: str) -> None:
        await self._call("DELETE", f"/customers/{customer_id}")

    async def create_subscription(self, customer_id: str, external_id: str,
                                  items: List[Dict[str, Any]], key: str) -> Dict[str, Any]:
        return await self._call("POST", "/subscriptions", {
            "customer_id": customer_id, "external_id": external_id, "items": items}, key)

    async def cancel_subscription(self, subscription_id: str) -> None:
        await self._call("DELETE", f"/subscriptions/{subscription_id}")

    async def assign_licences(self, subscription_id: str, items: List[Dict[str, Any]],
                              key: str) -> Dict[str, Any]:
        return await self._call("POST", f"/subscriptions/{subscription_id}/licences",
                                {"items": items}, key)


class AsyncVendorServiceProvider(BaseServiceProvider):
    """``vendor``: the awaitable vendor client."""

    def provide_vendor(self, vendor_api_url: str,
                       vendor_api_key: Injectable[str] = "") -> AsyncLicensingVendor:
        return AsyncLicensingVendor(vendor_api_url, vendor_api_key)


class AsyncPurchase(Purchase):
    """``Purchase`` with its steps awaited; ``steps()`` is inherited, so the names (and
    the progress a sync replica journaled) are the same."""

    vendor: Any

    async def create_customer(self, request: dict) -> str:
        customer = Request(request).asset().tier_customer()
        created = await self.vendor.create_customer(customer["id"], customer.get("name", ""),
                                                    self.journal.idempotency_key("customer"))
        return str(created["id"])

    async def delete_customer(self, customer: str) -> None:
        await self.vendor.delete_customer(customer)

    async def create_subscription(self, request: dict,
                                  customer: str) -> str:
        created = await self.vendor.create_subscription(
            customer, request["asset"]["id"], ordered_items(request),
            self.journal.idempotency_key("subscription"))
        return str(created["id"])

    async def cancel_subscription(self, subscription: str) -> None:
        await self.vendor.cancel_subscription(subscription)

    async def assign_licences(self, request: dict,
                              subscription: str) -> List[str]:
        assigned = await self.vendor.assign_licences(subscription, ordered_items(request),
                                                     self.journal.idempotency_key("licences"))
        return list(assigned["licences"])

    async def approve(self, request: dict) -> str:
        approved = await self.aapprove_asset_request(request, self.activation_template)
        return str(approved.status())


class AsyncMultiStepPurchaseSaga(MultiStepPurchaseSaga):
    providers = {**MultiStepPurchaseSaga.providers, "vendor": AsyncVendorServiceProvider}

    def transactions(self, request: dict) -> list:
        return [AsyncPurchase]
