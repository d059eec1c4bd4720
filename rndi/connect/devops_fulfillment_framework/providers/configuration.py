"""Binds the extension configuration: ``config`` and each key lower-cased."""

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Dict, Optional

from rndi.dicontainer.adapter import BaseServiceProvider


@lru_cache(maxsize=4096)
def _binding_name(key: str) -> Optional[str]:
    # Memoised: the same few keys are converted on every event. An upper-case key is an
    # identifier exactly when its lower-case form is one.
    return key.lower() if key.isidentifier() else None


class ConfigurationServiceProvider(BaseServiceProvider):
    """Binds ``config`` (the mapping itself) and each key lower-cased to its value.

    ``ACTIVATION_TEMPLATE`` becomes the injectable ``activation_template``. String
    values are stripped; other values are bound as they are. Keys that cannot be a
    parameter name (``my-key``) are reachable through ``config`` only.

    Raises:
        TypeError: ``config`` is not a mapping.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, dict) and not isinstance(config, Mapping):
            raise TypeError(
                f"ConfigurationServiceProvider needs the extension configuration (a dict "
                f"such as self.config), got {config!r}."
            )
        super().__init__()
        self.config = config

    def register(self) -> None:
        bound: Dict[str, Any] = self._own("_instances")
        for key, value in self.config.items():
            name = _binding_name(key) if isinstance(key, str) else None
            if name:
                bound[name] = value.strip() if isinstance(value, str) else value
        bound["config"] = self.config  # the mapping itself, even if a key is named CONFIG
