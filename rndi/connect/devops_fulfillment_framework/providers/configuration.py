"""Binds the extension configuration: ``config`` and each key lower-cased."""

import logging
import threading
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from rndi.dicontainer.adapter import BaseServiceProvider
from rndi.dicontainer.adapter import (  # noqa: F401 - published name
    BaseServiceProvider as ServiceProvider,
)

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
        self.sources = config_sources(self.config)
        bound.update(bound_values(self.config, self.sources))
        bound["config"] = self.config


def config_sources(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Binding name -> the configuration key it comes from (read-only), worked out once
    per set of keys: an extension's configuration has the same keys on every event. Logs
    once each key that binds nothing or that another one shadows."""
    sources, problems = _sources(tuple(config))  # a mapping's keys are hashable
    if problems:
        for problem in problems:
            _warn_once(*problem)
    return sources


def bound_values(config: Mapping[str, Any], sources: Mapping[str, Any]) -> Dict[str, Any]:
    """What ``ConfigurationServiceProvider(config)`` binds besides ``config`` itself: the
    values of ``config`` (strings stripped) by binding name (``sources``: see
    ``config_sources``), read on every call and never remembered: an event's values are
    its own (an equal list of another event is not this event's list), and no secret
    outlives its configuration."""
    return {name: _stripped(config[key]) for name, key in sources.items()}


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class _Values:
    """The key under which an event's container holds the configuration's values as they
    were when the event was made (see ``values_of``): an object, not a name, so that no
    constructor parameter can ask for it and no message lists it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<the configuration's values>"


CONFIG_VALUES: Any = _Values()


def values_of(config: Mapping[str, Any], sources: Mapping[str, Any]) -> Mapping[str, Any]:
    """What ``value_reader`` reads: the values of ``config`` as they are now, read as
    ``bound_values`` reads them (the keys that bind a name, each once) and kept for one
    event, so that a configuration changed later does not change what the event
    injects. A plain dict is copied whole, which costs less than reading its keys."""
    if type(config) is dict:
        return config.copy()
    return {key: config[key] for key in sources.values()}


def value_reader(key: Any) -> Callable[[Mapping[str, Any]], Any]:
    """What binds ``key``'s value in a container that holds ``values_of`` the
    configuration under ``CONFIG_VALUES``, stripped as ``bound_values`` strips it, only
    when something asks for it (a container binds it with ``value_binding``): an event
    strips and binds the keys it injects, not every key of its configuration."""

    def read(instances: Mapping[str, Any]) -> Any:
        value = instances[CONFIG_VALUES][key]  # stripped as _stripped does, one call less
        return value.strip() if isinstance(value, str) else value

    read.__qualname__ = f"config[{key!r}]"  # a key, never its value
    return read


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
