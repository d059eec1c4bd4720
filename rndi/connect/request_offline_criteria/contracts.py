"""The shapes of offline-mode checks."""

from abc import ABC, abstractmethod
from typing import Callable

Rule = Callable[[dict], bool]


class OfflineChecker(ABC):
    """Decides whether a request is handled in offline mode."""

    @abstractmethod
    def is_offline_enabled(self, request: dict) -> bool:
        """Whether ``request`` is to be handled without touching the vendor system."""
