"""The example extension: asset purchase requests go through ``PurchaseSaga``, their
drafts through ``PurchaseValidation``, renew requests through ``RenewSaga``, and
``NightlyReconciliation`` runs on a schedule."""

from connect.eaas.core.decorators import event, schedulable, variables
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import (
    BackgroundResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)

from purchase_extension.renew import RenewSaga
from purchase_extension.saga import PurchaseSaga
from purchase_extension.schedules import NightlyReconciliation
from purchase_extension.validation import PurchaseValidation


@variables([
    {"name": "ACTIVATION_TEMPLATE", "initial_value": "TL-000-000-000"},
    {"name": "VENDOR_API_URL", "initial_value": "https://vendor.example.com/api"},
    {"name": "VENDOR_API_KEY", "initial_value": "change-me", "secure": True},
    {"name": "CACHE_DRIVER", "initial_value": "sqlite"},
    {"name": "CACHE_DIR", "initial_value": "/tmp/purchase-extension-cache"},  # noqa: S108 - a per-host cache
])
class PurchaseExtension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle_purchase_request(self, request: dict) -> BackgroundResponse:
        return PurchaseSaga.make(self.config, self.client, self.logger, request).resolve(request)

    @event("asset_renew_request_processing", statuses=["pending"])
    def handle_renew_request(self, request: dict) -> BackgroundResponse:
        return RenewSaga.make(self.config, self.client, self.logger, request).resolve(request)

    @event("asset_purchase_request_validation", statuses=["draft"])
    def validate_purchase_request(self, request: dict) -> ValidationResponse:
        return PurchaseValidation.make(self.config, self.client, self.logger,
                                       request).resolve(request)

    @schedulable("Nightly reconciliation",
                 "Removes cached vendor customers that the vendor no longer knows.")
    def reconcile_vendor_customers(self, schedule: dict) -> ScheduledExecutionResponse:
        return NightlyReconciliation.make(self.config, self.client, self.logger,
                                          schedule).resolve(schedule)
