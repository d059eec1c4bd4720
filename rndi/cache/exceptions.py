"""Errors of the cache package; all derive from :class:`CacheError`."""

from typing import Any


class CacheError(Exception):
    """Base of every cache error."""


class CacheConfigurationError(CacheError, ValueError):
    """A cache configuration value cannot be used."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        self.key = key
        self.value = value
        super().__init__(f"Cache setting {key}={value!r} is invalid: expected {expected}.")


class UnserializableValue(CacheError, TypeError):
    """A value cannot be stored because JSON cannot represent it."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        self.key = key
        self.value_type = type(value).__name__
        super().__init__(
            f"Cannot cache key {key!r}: a {self.value_type} value is not JSON-serializable "
            f"({reason}). Store plain data (dict, list, str, int, float, bool, None)."
        )
