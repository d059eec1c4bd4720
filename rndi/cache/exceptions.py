"""Errors of the cache package; all derive from :class:`CacheError`."""

import hashlib
from typing import Any


def shown_key(key: str) -> str:
    """``key`` as log lines and the cache's errors show it: a short digest, since a key
    may hold what must not be shown (``token:<the token>``). ``sha256(key)`` in hex starts
    with the same 12 characters, so a key you suspect can be checked against a line."""
    if not isinstance(key, str):  # refused as a key: only its type is worth saying
        return f"a key that is a {type(key).__name__}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"key #{digest[:12]}"


def shown_value(value: Any) -> str:
    """A setting's value as messages show it: by its type (and a text by its length),
    never itself, since a setting may hold a secret."""
    if isinstance(value, str):
        return f"a str of {len(value)} characters"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


class CacheError(Exception):
    """Base of every cache error."""


class CacheConfigurationError(CacheError, ValueError):
    """A cache configuration value cannot be used. The message names the setting and the
    value's type, never the value (a setting may hold a secret, and every line the
    library writes names keys, never values); ``value`` holds it."""

    def __init__(self, key: str, value: Any, expected: str) -> None:
        self.key = key
        self.value = value
        super().__init__(f"Cache setting {key} ({shown_value(value)}) is invalid: "
                         f"expected {expected}.")


class UnserializableValue(CacheError, TypeError):
    """A value cannot be stored because JSON cannot represent it."""

    def __init__(self, key: str, value: Any, reason: str) -> None:
        self.key = key
        self.value_type = type(value).__name__
        super().__init__(
            f"Cannot cache {shown_key(key)}: a {self.value_type} value is not JSON-serializable "
            f"({reason}). Store plain data (dict, list, str, int, float, bool, None)."
        )


class CacheUnavailable(CacheError):
    """The store could not answer (a fault, a stall, a lock held too long): what it holds
    is unknown. Raised only by the operations that tell a fault from a miss
    (``lookup``, ``claim``); the others answer a logged miss.

    Attributes:
        store: the store, as log lines name it (never a secret).
        operation: what failed (``lookup of key #…``).
    """

    def __init__(self, store: str, operation: str, cause: str) -> None:
        self.store = store
        self.operation = operation
        super().__init__(f"{store}: {operation} failed ({cause}); what it holds is unknown.")
