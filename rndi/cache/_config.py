"""Reading cache settings: values often arrive as strings (``CACHE_TTL='900'``)."""

import functools
import math
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from rndi.cache.exceptions import CacheConfigurationError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(config: Mapping[str, Any], key: str) -> Any:
    value = config.get(key)
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    return value


def text(config: Mapping[str, Any], key: str, default: Optional[str]) -> Optional[str]:
    """A string setting, ``default`` when absent or blank."""
    value = _raw(config, key)
    return default if value is None else str(value)


def number(config: Mapping[str, Any], key: str, default: float, *, integer: bool = False,
           minimum: float = 0, allow_zero: bool = False) -> Any:
    """A positive (or non-negative) number setting, coerced from strings."""
    value = _raw(config, key)
    if value is None:
        return default
    kind = "an integer" if integer else "a number"
    bound = ">= " if allow_zero else "> "
    expected = f"{kind} {bound}{minimum:g}"
    if isinstance(value, bool):
        raise CacheConfigurationError(key, value, expected)
    try:
        parsed: Any = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise CacheConfigurationError(key, value, expected) from None
    if integer and isinstance(value, float) and value != parsed:
        raise CacheConfigurationError(key, value, expected)
    if not math.isfinite(parsed) or parsed < minimum or (parsed == minimum and not allow_zero):
        raise CacheConfigurationError(key, value, expected)
    return parsed


def flag(config: Mapping[str, Any], key: str, default: bool) -> bool:
    """A boolean setting: true/false, yes/no, on/off, 1/0."""
    value = _raw(config, key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CacheConfigurationError(key, value, "true or false")


DEFAULT_DIRECTORY = "/tmp/cache"  # noqa: S108 - the published default; created owner-only


def directory(config: Mapping[str, Any]) -> str:
    """``CACHE_DIR`` (``/tmp/cache``): where the file-backed adapters keep their data."""
    return text(config, "CACHE_DIR", DEFAULT_DIRECTORY) or DEFAULT_DIRECTORY


def ttl(config: Mapping[str, Any]) -> int:
    """``CACHE_TTL`` in whole seconds (900 by default)."""
    return int(number(config, "CACHE_TTL", 900, integer=True))


Read = Callable[[Mapping[str, Any]], Dict[str, Any]]


def read_once(config: Mapping[str, Any], settings: Tuple[str, ...], read: Read
              ) -> Dict[str, Any]:
    """``read(config)``, where ``read`` looks only at ``settings``: computed once per set
    of their values (with their types: 1 and True are equal, and only one of them is a
    port), since every event reads the same ones. The answer is shared: do not change it.

    Raises:
        CacheConfigurationError: as ``read`` does.
    """
    given = tuple((type(value), value) for value in map(config.get, settings))
    try:
        return _read(read, settings, given)
    except TypeError:  # a value that cannot be a key (a list ...): read it every time
        return read({name: value for name, (_, value) in zip(settings, given, strict=True)})


@functools.lru_cache(maxsize=64)
def _read(read: Read, settings: Tuple[str, ...], given: Tuple[Tuple[type, Any], ...]
          ) -> Dict[str, Any]:
    return read({name: value for name, (_, value) in zip(settings, given, strict=True)})
