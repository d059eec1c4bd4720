"""The Connect DevOps fulfillment framework: sagas of transactions with injection, and
flows for validation, other interactive events and scheduled tasks."""

from rndi.connect.devops_fulfillment_framework._base import Flow
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.devops_fulfillment_framework.exceptions import InvalidResponse, SagaError
from rndi.connect.devops_fulfillment_framework.flows import (
    InteractiveFlow,
    ScheduledFlow,
    ValidationFlow,
)
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
    "Flow",
    "InteractiveFlow",
    "InvalidResponse",
    "OfflineServiceProvider",
    "Saga",
    "SagaError",
    "ScheduledFlow",
    "ValidationFlow",
]
