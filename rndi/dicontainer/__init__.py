"""Name-based dependency injection container."""

from rndi.dicontainer.adapter import BaseServiceProvider, Container
from rndi.dicontainer.contracts import DIContainer, ServiceProvider
from rndi.dicontainer.exceptions import (
    CircularDependency,
    ContainerError,
    DependencyBuildingFailure,
    DuplicateBinding,
    InvalidBinding,
    InvalidClassType,
)

__all__ = [
    "BaseServiceProvider",
    "CircularDependency",
    "Container",
    "ContainerError",
    "DIContainer",
    "DependencyBuildingFailure",
    "DuplicateBinding",
    "InvalidBinding",
    "InvalidClassType",
    "ServiceProvider",
]
