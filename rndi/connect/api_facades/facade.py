"""One object with every asset and tier-config request operation."""

from typing import Any

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.tier_configurations.mixins import WithTierConfigurationFacade


class ConnectOpenAPIFacade(WithAssetFacade, WithTierConfigurationFacade):
    """Asset and tier-config request operations over a ``ConnectClient``."""

    def __init__(self, client: Any) -> None:
        if client is None:
            raise ValueError("ConnectOpenAPIFacade needs a connect.client.ConnectClient.")
        self.client = client
