"""The async example extension: the runner gives an ``async def`` handler an
``AsyncConnectClient``; the saga runs with ``aresolve``."""

from connect.eaas.core.decorators import event, variables
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import BackgroundResponse

from async_multistep_extension.saga import AsyncMultiStepPurchaseSaga


@variables([
    {"name": "ACTIVATION_TEMPLATE", "initial_value": "TL-000-000-000"},
    {"name": "VENDOR_API_URL", "initial_value": "https://vendor.example.com/api"},
    {"name": "VENDOR_API_KEY", "initial_value": "change-me", "secure": True},
    {"name": "CACHE_DRIVER", "initial_value": "sqlite"},
    {"name": "CACHE_DIR", "initial_value": "/tmp/multistep-extension-cache"},  # noqa: S108 - a per-host cache
    {"name": "SAGA_TIME_BUDGET", "initial_value": "240"},
])
class AsyncMultiStepPurchaseExtension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    async def handle_purchase_request(self, request: dict) -> BackgroundResponse:
        saga = AsyncMultiStepPurchaseSaga.make(self.config, self.client, self.logger, request)
        return await saga.aresolve(request)
