"""One object with every asset and tier-config request operation."""

from typing import Any

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.tier_configurations.mixins import WithTierConfigurationFacade


class ConnectOpenAPIFacade(WithAssetFacade, WithTierConfigurationFacade):
    """Asset and tier-config request operations over a ``ConnectClient`` (the ``a…``
    twins over an ``AsyncConnectClient``)."""

    def __init__(self, client: Any) -> None:
        if client is None:
            raise ValueError("ConnectOpenAPIFacade needs a connect.client.ConnectClient.")
        self._client = client

    @property
    def client(self) -> Any:
        """The client the facade was made with (read-only, as published)."""
        return self._client
