"""The async example extension: the runner gives an ``async def`` handler an
``AsyncConnectClient`` and runs it on its event loop; the saga and the flows run with
``aresolve``."""

from connect.eaas.core.decorators import event, schedulable, variables
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import (
    BackgroundResponse,
    ScheduledExecutionResponse,
    ValidationResponse,
)
from purchase_extension.validation import PurchaseValidation

from async_purchase_extension.saga import AsyncPurchaseSaga
from async_purchase_extension.schedules import AsyncNightlyReconciliation


@variables([
    {"name": "ACTIVATION_TEMPLATE", "initial_value": "TL-000-000-000"},
    {"name": "VENDOR_API_URL", "initial_value": "https://vendor.example.com/api"},
    {"name": "VENDOR_API_KEY", "initial_value": "change-me", "secure": True},
    {"name": "CACHE_DRIVER", "initial_value": "sqlite"},
    {"name": "CACHE_DIR", "initial_value": "/tmp/purchase-extension-cache"},  # noqa: S108 - a per-host cache
])
class AsyncPurchaseExtension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    async def handle_purchase_request(self, request: dict) -> BackgroundResponse:
        saga = AsyncPurchaseSaga.make(self.config, self.client, self.logger, request)
        return await saga.aresolve(request)

    @event("asset_purchase_request_validation", statuses=["draft"])
    async def validate_purchase_request(self, request: dict) -> ValidationResponse:
        # the sync validator (and its sync vendor client) runs in a worker thread
        flow = PurchaseValidation.make(self.config, self.client, self.logger, request)
        return await flow.aresolve(request)

    @schedulable("Nightly reconciliation",
                 "Removes cached vendor customers that the vendor no longer knows.")
    async def reconcile_vendor_customers(self, schedule: dict) -> ScheduledExecutionResponse:
        flow = AsyncNightlyReconciliation.make(self.config, self.client, self.logger, schedule)
        return await flow.aresolve(schedule)
