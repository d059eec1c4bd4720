"""The default service providers of a saga."""

from rndi.connect.devops_fulfillment_framework.providers.cache import CacheServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.configuration import (
    ConfigurationServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.connect import ConnectServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.journal import JournalServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.offline import OfflineServiceProvider

__all__ = [
    "CacheServiceProvider",
    "ConfigurationServiceProvider",
    "ConnectServiceProvider",
    "JournalServiceProvider",
    "OfflineServiceProvider",
]
