"""The two shapes a user codes against: a service provider and a container."""

from abc import ABC, abstractmethod
from typing import Any


class ServiceProvider(ABC):
    """Declares bindings: names mapped to instances, classes or ``provide_<name>`` methods."""

    @abstractmethod
    def register(self) -> None:
        """Hook where a provider calls ``bind_instance``/``bind_class``."""

    @abstractmethod
    def bind_class(self, keyword: str, concrete: type) -> "ServiceProvider":
        """Bind ``keyword`` to a class built (once per container) by the container."""

    @abstractmethod
    def bind_instance(self, keyword: str, concrete: Any) -> "ServiceProvider":
        """Bind ``keyword`` to a value handed out as it is."""


class DIContainer(ABC):
    """Builds objects, injecting constructor parameters by name."""

    @abstractmethod
    def get(self, cls: type) -> Any:
        """Return a new instance of ``cls`` with its dependencies injected."""
