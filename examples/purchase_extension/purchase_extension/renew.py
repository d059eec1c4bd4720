"""The renew flow: renew the vendor subscription the purchase recorded, then approve.

1. ``RefuseRenewWithoutSubscription``: the asset names no vendor subscription (it was
   never provisioned through this extension): fail the request with the reason.
2. ``RenewSubscription``: renew it at the vendor, once per request (the journal keeps a
   redelivery from adding a second term), and approve with the activation template.

It shares the purchase saga's providers, so it needs nothing more in the configuration.
"""

from typing import Any

from connect.eaas.core.responses import BackgroundResponse

from purchase_extension.saga import PurchaseSaga, subscription_id
from purchase_extension.vendor import VendorClient, VendorError
from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import StepJournal

RENEW_STEP = "renew-subscription"


class RefuseRenewWithoutSubscription(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any) -> None:
        self.client = client
        self.logger = logger

    def name(self) -> str:
        return "Refuse a renew without subscription"

    def should_execute(self, request: dict) -> bool:
        return subscription_id(request) is None

    def execute(self, request: dict) -> BackgroundResponse:
        reason = "The asset has no vendor subscription to renew."
        self.logger.error(reason)
        self.fail_asset_request(Request(request), reason)
        return BackgroundResponse.fail(reason)

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        self.logger.warning("Failing the renew failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class RenewSubscription(BackgroundTransaction, WithAssetFacade):
    def __init__(self, client: Any, logger: Any, vendor: VendorClient, journal: StepJournal,
                 activation_template: str) -> None:
        self.client = client
        self.logger = logger
        self.vendor = vendor
        self.journal = journal
        self.activation_template = activation_template

    def name(self) -> str:
        return "Renew subscription"

    def should_execute(self, request: dict) -> bool:
        return subscription_id(request) is not None

    def execute(self, request: dict) -> BackgroundResponse:
        sid = subscription_id(request) or ""
        renewed = self.journal.once(RENEW_STEP, lambda: self.vendor.renew_subscription(
            sid, self.journal.idempotency_key(RENEW_STEP)))
        self.logger.info("Renewed vendor subscription %s (term %s).", sid, renewed.get("term"))
        self.approve_asset_request(Request(request), self.activation_template)
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        if isinstance(e, VendorError) and e.permanent:
            reason = f"The vendor refused the renewal: {e}"
            self.logger.error(reason)
            self.fail_asset_request(Request(request), reason)
            return BackgroundResponse.fail(reason)
        self.logger.warning("Renewing the subscription failed, will retry: %s", e)
        return BackgroundResponse.reschedule()


class RenewSaga(PurchaseSaga):
    """The purchase saga's providers and middlewares, with the renew transactions."""

    def transactions(self, request: dict) -> list:
        return [RefuseRenewWithoutSubscription, RenewSubscription]
