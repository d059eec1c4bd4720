"""The purchase flow: order the subscription at the vendor, wait for it, approve.

Delivery after delivery (Connect redelivers a request the extension reschedules):

1. ``CreateSubscription``: no subscription id on the asset yet. Finds or creates the vendor
   customer (cached per tier account), orders the subscription, stores its id in the
   ``CAT_SUBSCRIPTION_ID`` parameter and reschedules.
2. ``WaitForProvisioning``: the vendor is still provisioning: reschedule.
3. ``ApproveRequest``: the subscription is active: approve with the activation template.

``RequestLease`` runs first: while one delivery works on a request, another (a
redelivery after a timeout, a replica) reschedules. ``OfflineCriteria`` comes next: an
asset listed as offline is approved at once, without a vendor call.
"""

from typing import Any, List, Optional

from connect.eaas.core.responses import BackgroundResponse

from purchase_extension.vendor import VendorClient, VendorError
from rndi.cache.contracts import Cache
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import RequestLease, StepJournal
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.devops_fulfillment_framework.providers import OfflineServiceProvider
from rndi.connect.request_offline_criteria.adapters import (
    DefaultOnMatchTransaction,
    OfflineCriteria,
)
from rndi.connect.request_offline_criteria.contracts import Rule
from rndi.connect.request_offline_criteria.rules import (
    composited_match_offline_asset_and_marketplace_parameter,
)
from rndi.dicontainer.adapter import BaseServiceProvider, Injectable

SUBSCRIPTION_PARAM = "CAT_SUBSCRIPTION_ID"
ORDER_STEP = "order-subscription"
CUSTOMER_TTL = 24 * 3600  # vendor customer ids never change; keep them a day


def subscription_id(request: dict) -> Optional[str]:
    """The vendor subscription recorded on the asset (the product defines the parameter,
    so every request's asset carries it, empty until the order is placed)."""
    return Request(request).asset().param(SUBSCRIPTION_PARAM, "value") or None


class VendorServiceProvider(BaseServiceProvider):
    """``vendor``: the vendor API client, from ``VENDOR_API_URL``/``VENDOR_API_KEY``."""

    def provide_vendor(self, vendor_api_url: str,
                       vendor_api_key: Injectable[str] = "") -> VendorClient:
        return VendorClient(vendor_api_url, vendor_api_key)


class PurchaseOfflineProvider(OfflineServiceProvider):
    """Offline purchases (assets listed offline) are approved with the template."""

    def provide_criteria(self) -> List[Rule]:
        return [composited_match_offline_asset_and_marketplace_parameter]

    def register(self) -> None:
        # built by the container: activation_tpl comes from ACTIVATION_TEMPLATE
        self.bind_class("on_match", DefaultOnMatchTransaction)


class CreateSubscription(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any, vendor: VendorClient, cache: Cache,
                 journal: StepJournal) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.cache = cache
        self.journal = journal

    def name(self) -> str:
        return "Create subscription"

    def should_execute(self, request: dict) -> bool:
        return subscription_id(request) is None

    def _customer_id(self, request: Request) -> str:
        customer = request.asset().tier_customer()
        contact = customer.get("contact_info", {}).get("contact", {})

        def create() -> str:
            created = self.vendor.find_or_create_customer(
                customer["id"], f"{contact.get('first_name')} {contact.get('last_name')}",
                contact.get("email", ""))
            return str(created["id"])

        return self.cache.get(f"vendor-customer:{customer['id']}",
                              lambda: (create(), CUSTOMER_TTL))

    def execute(self, request: dict) -> BackgroundResponse:
        purchase = Request(request)
        asset = purchase.asset()
        items = [{"mpn": item["mpn"], "quantity": item["quantity"]} for item in asset.items()]
        customer_id = self._customer_id(purchase)
        # Recorded once per request: a redelivery after a failed parameter update gets
        # this subscription back instead of ordering another. The vendor's idempotency
        # key covers the one gap left, a crash between its answer and the record.
        subscription = self.journal.once(ORDER_STEP, lambda: self.vendor.create_subscription(
            customer_id, asset.id() or "", items, self.journal.idempotency_key(ORDER_STEP)))
        updated = self.update_asset_request_parameters(
            purchase, [{"id": SUBSCRIPTION_PARAM, "value": subscription["id"]}])
        self.logger.info("Ordered vendor subscription %s.", subscription_id(updated.raw()))
        return BackgroundResponse.reschedule()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        if isinstance(e, VendorError) and e.permanent:
            reason = f"The vendor refused the order: {e}"
            self.logger.error(reason)
            self.fail_asset_request(Request(request), reason)
            return BackgroundResponse.fail(reason)
        self.logger.warning("Ordering the subscription failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class WaitForProvisioning(BackgroundTransaction):
    def __init__(self, logger: Any, vendor: VendorClient) -> None:
        self.logger = logger
        self.vendor = vendor

    def name(self) -> str:
        return "Wait for provisioning"

    def should_execute(self, request: dict) -> bool:
        sid = subscription_id(request)
        return sid is not None and self.vendor.subscription(sid)["status"] != "active"

    def execute(self, request: dict) -> BackgroundResponse:
        self.logger.info("Vendor subscription %s is still provisioning.",
                         subscription_id(request))
        return BackgroundResponse.reschedule()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        return BackgroundResponse.reschedule()


class ApproveRequest(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any, vendor: VendorClient,
                 activation_template: str) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.activation_template = activation_template

    def name(self) -> str:
        return "Approve request"

    def should_execute(self, request: dict) -> bool:
        sid = subscription_id(request)
        return sid is not None and self.vendor.subscription(sid)["status"] == "active"

    def execute(self, request: dict) -> BackgroundResponse:
        approved = self.approve_asset_request(Request(request), self.activation_template)
        self.logger.info("Request %s %s with template %s.", approved.id(), approved.status(),
                         self.activation_template)
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        self.logger.warning("Approval failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class PurchaseSaga(Saga):
    providers = {
        **Saga.providers,
        "offline": PurchaseOfflineProvider,
        "vendor": VendorServiceProvider,
    }

    def middlewares(self, request: dict) -> list:
        # one delivery at a time per request, across the replicas sharing the cache
        return [RequestLease, OfflineCriteria]

    def transactions(self, request: dict) -> list:
        return [CreateSubscription, WaitForProvisioning, ApproveRequest]
