"""Reading the framework's own settings from the extension configuration (strings, as
Connect sends them), with errors that name the key."""

import functools
import math
from typing import Any, List, Mapping, Sequence

from rndi.cache._base import MAX_TTL

LEASE_TTL = "LEASE_TTL"
# the runner answers a background task that runs longer than 300 s (its default
# BACKGROUND_TASK_MAX_EXECUTION_TIME) with retry: a lease outlives that, plus a margin
DEFAULT_LEASE_TTL = 330.0
JOURNAL_TTL = "JOURNAL_TTL"
DEFAULT_JOURNAL_TTL = 30 * 24 * 3600.0  # a slow fulfillment may take weeks
SAGA_TIME_BUDGET = "SAGA_TIME_BUDGET"
# a multi-step transaction stops between steps after this long, well before the runner's
# 300 s cut, so that the step running then still has time to end and be recorded
DEFAULT_SAGA_TIME_BUDGET = 240.0

# the settings of seconds a flow reads, with their defaults: checked when a flow is made,
# so that a value the cache would refuse fails before any step runs, not after
_SECONDS = ((LEASE_TTL, DEFAULT_LEASE_TTL), (JOURNAL_TTL, DEFAULT_JOURNAL_TTL),
            (SAGA_TIME_BUDGET, DEFAULT_SAGA_TIME_BUDGET))
SETTINGS_OF_SECONDS = frozenset(key for key, _ in _SECONDS)


def seconds(config: Mapping[str, Any], key: str, default: float,
            maximum: float = MAX_TTL) -> float:
    """``config[key]`` as a positive number of seconds up to ``maximum`` (a century: the
    longest a cache keeps an entry), ``default`` when unset or empty.

    Raises:
        ValueError: not a positive, finite number up to ``maximum``.
    """
    raw = config.get(key)
    if raw is None:
        return default
    try:
        return _seconds(key, raw, default, maximum)
    except TypeError:  # an unhashable value: read as it is, to say what it is not
        return _read_seconds(key, raw, default, maximum)


@functools.lru_cache(maxsize=256)  # make(), the journal and the lease read one value each
def _seconds(key: str, raw: Any, default: float, maximum: float) -> float:
    return _read_seconds(key, raw, default, maximum)


def _read_seconds(key: str, raw: Any, default: float, maximum: float) -> float:
    if isinstance(raw, str) and not raw.strip():
        return default
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value <= 0 or value > maximum:
        raise ValueError(f"Config key {key!r} must be a positive number of seconds, at most "
                         f"{maximum:g}; got a {type(raw).__name__} that is not one.")
    return value


def setting_problems(config: Mapping[str, Any]) -> List[str]:
    """Why each of the framework's settings of seconds in ``config`` cannot be used."""
    problems = []
    for key, default in _SECONDS:
        try:
            seconds(config, key, default)
        except ValueError as e:
            problems.append(str(e))
    return problems


def check_settings(config: Mapping[str, Any]) -> None:
    """Raise, naming the setting, when ``LEASE_TTL``, ``JOURNAL_TTL`` or
    ``SAGA_TIME_BUDGET`` cannot be used.

    Raises:
        ValueError: the first setting that cannot be used.
    """
    for key, default in _SECONDS:
        if key in config:
            seconds(config, key, default)


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
