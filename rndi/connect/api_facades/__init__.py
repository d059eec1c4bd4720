"""Asset and tier-config request operations over the Connect API client."""

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.api_facades.facade import ConnectOpenAPIFacade
from rndi.connect.api_facades.tier_configurations.mixins import WithTierConfigurationFacade

__all__ = [
    "ConnectOpenAPIFacade",
    "OnError",
    "OnSuccess",
    "WithAssetFacade",
    "WithTierConfigurationFacade",
]
