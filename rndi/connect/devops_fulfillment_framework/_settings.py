"""Reading the framework's own settings from the extension configuration (strings, as
Connect sends them), with errors that name the key."""

import math
from typing import Any, Mapping, Sequence


def seconds(config: Mapping[str, Any], key: str, default: float) -> float:
    """``config[key]`` as a positive number of seconds, ``default`` when unset or empty.

    Raises:
        ValueError: not a positive, finite number.
    """
    raw = config.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"Config key {key!r} must be a positive number of seconds, got a "
                         f"{type(raw).__name__} that is not one.")
    return value


def choice(config: Mapping[str, Any], key: str, allowed: Sequence[str]) -> str:
    """``config[key]`` as one of ``allowed`` (case-insensitive), the first when unset.

    Raises:
        ValueError: another value.
    """
    raw = config.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return allowed[0]
    value = str(raw).strip().lower()
    if value not in allowed:
        raise ValueError(f"Config key {key!r} must be one of {', '.join(allowed)}.")
    return value
