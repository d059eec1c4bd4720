"""Binds the extension configuration: ``config`` and each key lower-cased."""

from typing import Any, Dict, Mapping

from rndi.dicontainer.adapter import BaseServiceProvider


class ConfigurationServiceProvider(BaseServiceProvider):
    """Binds ``config`` (the mapping itself) and each key lower-cased to its value.

    ``ACTIVATION_TEMPLATE`` becomes the injectable ``activation_template``. String
    values are stripped; other values are bound as they are. Keys that cannot be a
    parameter name (``my-key``) are reachable through ``config`` only.

    Raises:
        TypeError: ``config`` is not a mapping.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise TypeError(
                f"ConfigurationServiceProvider needs the extension configuration (a dict "
                f"such as self.config), got {config!r}."
            )
        super().__init__()
        self.config = config

    def register(self) -> None:
        values: Dict[str, Any] = {"config": self.config}
        for key, value in self.config.items():
            name = key.lower() if isinstance(key, str) else None
            if name and name.isidentifier():
                values[name] = value.strip() if isinstance(value, str) else value
        # One update instead of a bind_instance per key: it runs on every event.
        self._instances.update(values)
