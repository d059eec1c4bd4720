"""The purchase flow of ``purchase_extension.saga``, for an ``async def`` handler.

The same saga: ``AsyncPurchaseSaga`` keeps ``PurchaseSaga``'s middlewares (offline mode,
whose approval goes through the async client) and providers, and lists the async
versions of its three transactions. Each awaits the vendor and Connect (the ``a…``
facade twins), so one worker serves many requests at once without a thread per request.
"""

from typing import Any, Dict, List, Optional

import httpx
from connect.eaas.core.responses import BackgroundResponse
from purchase_extension.saga import (
    CUSTOMER_TTL,
    ORDER_STEP,
    SUBSCRIPTION_PARAM,
    PurchaseSaga,
    subscription_id,
)
from purchase_extension.vendor import VendorError, idempotency_headers

from rndi.cache.contracts import Cache
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import StepJournal
from rndi.dicontainer.adapter import BaseServiceProvider, Injectable


class AsyncVendorClient:
    """``purchase_extension.vendor.VendorClient``, awaitable (httpx)."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise ValueError("AsyncVendorClient needs the vendor API URL (config VENDOR_API_URL).")
        self.base_url = base_url.rstrip("/")
        self.headers = {"Authorization": f"Bearer {api_key}"}
        self.timeout = timeout
        self._subscriptions: Dict[str, Dict[str, Any]] = {}

    async def _call(self, method: str, path: str, body: Optional[dict] = None,
                    headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        try:
            async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as http:
                answer = await http.request(method, f"{self.base_url}{path}", json=body,
                                            headers=headers)
        except httpx.HTTPError as e:
            raise VendorError(f"Vendor API unreachable: {e}") from e
        if answer.status_code >= 400:
            message = answer.json().get("message", answer.text) if answer.content else ""
            raise VendorError(f"Vendor API refused {method} {path}: {message}",
                              answer.status_code)
        return answer.json()  # type: ignore[no-any-return]

    async def find_or_create_customer(self, external_id: str, name: str,
                                      email: str) -> Dict[str, Any]:
        return await self._call("POST", "/customers",
                                {"external_id": external_id, "name": name, "email": email})

    async def create_subscription(self, customer_id: str, external_id: str,
                                  items: List[Dict[str, Any]],
                                  idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        return await self._call("POST", "/subscriptions",
                                {"customer_id": customer_id, "external_id": external_id,
                                 "items": items}, idempotency_headers(idempotency_key))

    async def subscription(self, subscription_id: str) -> Dict[str, Any]:
        """A subscription, read once per event however many transactions ask."""
        if subscription_id not in self._subscriptions:
            self._subscriptions[subscription_id] = await self._call(
                "GET", f"/subscriptions/{subscription_id}")
        return self._subscriptions[subscription_id]


class AsyncVendorServiceProvider(BaseServiceProvider):
    """``vendor``: the awaitable vendor client."""

    def provide_vendor(self, vendor_api_url: str,
                       vendor_api_key: Injectable[str] = "") -> AsyncVendorClient:
        return AsyncVendorClient(vendor_api_url, vendor_api_key)


class CreateSubscription(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any, vendor: AsyncVendorClient, cache: Cache,
                 journal: StepJournal) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.cache = cache
        self.journal = journal

    def name(self) -> str:
        return "Create subscription"

    async def should_execute(self, request: dict) -> bool:
        return subscription_id(request) is None

    async def _customer_id(self, request: Request) -> str:
        customer = request.asset().tier_customer()
        key = f"vendor-customer:{customer['id']}"
        known = self.cache.get(key)
        if known is not None:
            return str(known)
        contact = customer.get("contact_info", {}).get("contact", {})
        created = await self.vendor.find_or_create_customer(
            customer["id"], f"{contact.get('first_name')} {contact.get('last_name')}",
            contact.get("email", ""))
        return str(self.cache.put(key, str(created["id"]), CUSTOMER_TTL))

    async def execute(self, request: dict) -> BackgroundResponse:
        purchase = Request(request)
        asset = purchase.asset()
        items = [{"mpn": item["mpn"], "quantity": item["quantity"]} for item in asset.items()]
        customer_id = await self._customer_id(purchase)

        async def order() -> Dict[str, Any]:
            return await self.vendor.create_subscription(
                customer_id, asset.id() or "", items, self.journal.idempotency_key(ORDER_STEP))

        subscription = await self.journal.aonce(ORDER_STEP, order)  # see PurchaseSaga
        updated = await self.aupdate_asset_request_parameters(
            purchase, [{"id": SUBSCRIPTION_PARAM, "value": subscription["id"]}])
        self.logger.info("Ordered vendor subscription %s.", subscription_id(updated.raw()))
        return BackgroundResponse.reschedule()

    async def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        if isinstance(e, VendorError) and e.permanent:
            reason = f"The vendor refused the order: {e}"
            self.logger.error(reason)
            await self.afail_asset_request(Request(request), reason)
            return BackgroundResponse.fail(reason)
        self.logger.warning("Ordering the subscription failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class WaitForProvisioning(BackgroundTransaction):
    def __init__(self, logger: Any, vendor: AsyncVendorClient) -> None:
        self.logger = logger
        self.vendor = vendor

    def name(self) -> str:
        return "Wait for provisioning"

    async def should_execute(self, request: dict) -> bool:
        sid = subscription_id(request)
        return sid is not None and (await self.vendor.subscription(sid))["status"] != "active"

    async def execute(self, request: dict) -> BackgroundResponse:
        self.logger.info("Vendor subscription %s is still provisioning.",
                         subscription_id(request))
        return BackgroundResponse.reschedule()

    async def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.reschedule()


class ApproveRequest(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any, vendor: AsyncVendorClient,
                 activation_template: str) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.activation_template = activation_template

    def name(self) -> str:
        return "Approve request"

    async def should_execute(self, request: dict) -> bool:
        sid = subscription_id(request)
        return sid is not None and (await self.vendor.subscription(sid))["status"] == "active"

    async def execute(self, request: dict) -> BackgroundResponse:
        approved = await self.aapprove_asset_request(Request(request), self.activation_template)
        self.logger.info("Request %s %s with template %s.", approved.id(), approved.status(),
                         self.activation_template)
        return BackgroundResponse.done()

    async def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        self.logger.warning("Approval failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class AsyncPurchaseSaga(PurchaseSaga):
    providers = {**PurchaseSaga.providers, "vendor": AsyncVendorServiceProvider}

    def transactions(self, request: dict) -> list:
        return [CreateSubscription, WaitForProvisioning, ApproveRequest]
