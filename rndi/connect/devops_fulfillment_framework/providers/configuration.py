"""Binds the extension configuration: ``config`` and each key lower-cased."""

import logging
import operator
import threading
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Dict, List, Optional, Set, Tuple

from rndi.dicontainer.adapter import BaseServiceProvider

# Names the framework binds itself: a configuration key of the same name must not take
# them over (an operator could break every event without touching code).
RESERVED_NAMES = frozenset({"config", "client", "logger", "request", "cache", "criteria",
                            "on_match"})

_logger = logging.getLogger(__name__)
_warned: Set[str] = set()  # each problem is logged once per process, not once per event
_warned_guard = threading.Lock()


def _warn_once(problem: str, message: str, *args: Any) -> None:
    with _warned_guard:
        if problem in _warned:
            return
        _warned.add(problem)
    _logger.warning(message, *args)


@lru_cache(maxsize=4096)
def _binding_name(key: str) -> Optional[str]:
    # Memoised: the same few keys are converted on every event. An upper-case key is an
    # identifier exactly when its lower-case form is one.
    return key.lower() if key.isidentifier() else None


class ConfigurationServiceProvider(BaseServiceProvider):
    """Binds ``config`` (the mapping itself) and each key lower-cased to its value.

    ``ACTIVATION_TEMPLATE`` becomes the injectable ``activation_template``. String
    values are stripped; other values are bound as they are. Keys that cannot be a
    parameter name (``my-key``), and keys naming what the framework binds itself
    (``CLIENT``, ``LOGGER``, ``CACHE`` … see ``RESERVED_NAMES``; logged once), are
    reachable through ``config`` only. Two keys that bind one name
    (``ACTIVATION_TEMPLATE`` and ``activation_template``): the later one wins, logged
    once.

    Raises:
        TypeError: ``config`` is not a mapping.
    """

    def __init__(self, config: Mapping[str, Any]) -> None:
        if not isinstance(config, dict) and not isinstance(config, Mapping):
            raise TypeError(
                f"ConfigurationServiceProvider needs the extension configuration (a dict "
                f"such as self.config), got a {type(config).__name__}."
            )
        super().__init__()
        self.config = config

    def register(self) -> None:
        bound = self._own("_instances")
        bound.update(config_values(self.config))
        bound["config"] = self.config
        self.sources = _sources(tuple(self.config))[0]


def config_values(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """What ``ConfigurationServiceProvider(config)`` binds besides ``config`` itself: each
    key lower-cased, string values stripped. Read-only: the same mapping is answered
    while the configuration's keys and values stay the same (a running extension's do,
    event after event), so it is worked out once, not on every event."""
    global _last
    keys, values = tuple(config), tuple(config.values())
    last = _last
    try:
        if last is not None and last[0] == keys and (
                # strings, ints, bools: equal values of one type each bind alike (but
                # 1 == 1.0 == True: each binds as it is)
                last[1] == values and last[2] == tuple(map(type, values))
                if last[4] else
                # any other value is bound itself: an equal list of another event is
                # not this event's list (it may change it), nor is 0.0 the same as -0.0
                all(map(operator.is_, last[1], values))):
            return last[3]
    except Exception:  # noqa: S110 - a value that cannot be compared: bound again
        pass
    sources, problems = _sources(keys)  # a mapping's keys are hashable
    for problem in problems:
        _warn_once(*problem)
    bound = MappingProxyType({
        name: value.strip() if isinstance(value := config[key], str) else value
        for name, key in sources.items()})
    # one tuple, replaced at once: another thread reads the old one or the new one
    types = tuple(map(type, values))
    _last = (keys, values, types, bound, _INTERCHANGEABLE.issuperset(types))
    return bound


# the types whose equal values (of one type) are interchangeable: immutable, and equal
# only when alike (not float: 0.0 == -0.0)
_INTERCHANGEABLE = frozenset({str, int, bool, type(None)})
# the keys and values of the last configuration bound, and what they bound (its values,
# never the mapping itself: nothing keeps an event's configuration alive)
_last: Optional[Tuple[Any, ...]] = None


@lru_cache(maxsize=256)
def _sources(keys: Tuple[Any, ...]) -> Tuple[Mapping[str, Any], Tuple[Tuple[Any, ...], ...]]:
    """Binding name -> the configuration key it comes from, for a configuration with
    ``keys``, and the warnings to log once. Memoised: an extension's configuration has
    the same keys on every event, so each key is judged once, not once per event."""
    source: Dict[str, Any] = {}
    problems: List[Tuple[Any, ...]] = []
    for key in keys:
        name = _binding_name(key) if isinstance(key, str) else None
        if not name:
            continue
        if name in RESERVED_NAMES:
            problems.append((f"reserved:{key}", "Configuration key %r is not injected as %r: "
                             "the framework binds that name itself. Read it through "
                             "config[%r], or rename the key.", key, name, key))
            continue
        if name in source:  # the later key wins, as in the published provider
            problems.append((f"twice:{source[name]}:{key}", "Configuration keys %r and %r "
                             "both bind %r; %r is injected. Keep one of them.",
                             source[name], key, name, key))
        source[name] = key
    return MappingProxyType(source), tuple(problems)
