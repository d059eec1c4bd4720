"""Name-based dependency injection container."""

from rndi.dicontainer.adapter import BaseServiceProvider, Container, Injectable
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
    "Injectable",
    "InvalidBinding",
    "InvalidClassType",
    "ServiceProvider",
]
