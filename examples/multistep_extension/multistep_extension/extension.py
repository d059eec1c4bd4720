"""The example extension: asset purchase requests go through ``MultiStepPurchaseSaga``."""

from connect.eaas.core.decorators import event, variables
from connect.eaas.core.extension import EventsApplicationBase
from connect.eaas.core.responses import BackgroundResponse

from multistep_extension.saga import MultiStepPurchaseSaga


@variables([
    {"name": "ACTIVATION_TEMPLATE", "initial_value": "TL-000-000-000"},
    {"name": "VENDOR_API_URL", "initial_value": "https://vendor.example.com/api"},
    {"name": "VENDOR_API_KEY", "initial_value": "change-me", "secure": True},
    {"name": "CACHE_DRIVER", "initial_value": "sqlite"},
    {"name": "CACHE_DIR", "initial_value": "/tmp/multistep-extension-cache"},  # noqa: S108 - a per-host cache
    {"name": "SAGA_TIME_BUDGET", "initial_value": "240"},
])
class MultiStepPurchaseExtension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle_purchase_request(self, request: dict) -> BackgroundResponse:
        saga = MultiStepPurchaseSaga.make(self.config, self.client, self.logger, request)
        return saga.resolve(request)
