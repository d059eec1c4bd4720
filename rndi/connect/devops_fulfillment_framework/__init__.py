"""The Connect DevOps fulfillment framework: sagas of transactions with injection."""

from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.devops_fulfillment_framework.exceptions import InvalidResponse, SagaError
from rndi.connect.devops_fulfillment_framework.providers import (
    CacheServiceProvider,
    ConfigurationServiceProvider,
    ConnectServiceProvider,
    OfflineServiceProvider,
)

__all__ = [
    "CacheServiceProvider",
    "ConfigurationServiceProvider",
    "ConnectServiceProvider",
    "InvalidResponse",
    "OfflineServiceProvider",
    "Saga",
    "SagaError",
]
