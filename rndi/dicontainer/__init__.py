"""Name-based dependency injection container."""

from rndi.dicontainer.adapter import BaseServiceProvider, Container
from rndi.dicontainer.contracts import DIContainer, ServiceProvider
from rndi.dicontainer.exceptions import (
    BindingFailure,
    CircularDependency,
    ContainerError,
    DependencyBuildingFailure,
    DuplicateBinding,
    InvalidBinding,
    InvalidClassType,
)

__all__ = [
    "BaseServiceProvider",
    "BindingFailure",
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
