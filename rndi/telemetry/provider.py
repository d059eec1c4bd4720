"""Choosing the observer from configuration: the one place that knows every driver."""

import inspect
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from rndi.telemetry.adapters.null import NoneObserverAdapter, provide_none_telemetry_adapter
from rndi.telemetry.contracts import Observer

ObserverDriver = Callable[..., Observer]
Instrumentation = List[Callable[[], None]]


def _insights(config: Dict[str, Any], instrumentation: Optional[Instrumentation]) -> Observer:
    from rndi.telemetry.adapters.azure import provide_azure_insights_observer_telemetry_adapter

    return provide_azure_insights_observer_telemetry_adapter(config, instrumentation)


def _otlp(config: Dict[str, Any], instrumentation: Optional[Instrumentation]) -> Observer:
    from rndi.telemetry.adapters.otlp import provide_otlp_observer_telemetry_adapter

    return provide_otlp_observer_telemetry_adapter(config, instrumentation)


# OpenTelemetry is imported by a driver itself, only when a configuration picks it
BUILTIN_DRIVERS: Dict[str, ObserverDriver] = {
    "none": provide_none_telemetry_adapter,
    "insights": _insights,
    "otlp": _otlp,
}


def _started(driver: ObserverDriver, config: Dict[str, Any],
             instrumentation: Optional[Instrumentation]) -> Any:
    """``driver`` called with as many of (config, instrumentation) as it takes: the
    published documentation shows drivers taking none, one and two."""
    try:
        parameters = inspect.signature(driver).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the published call
        return driver(config, instrumentation)
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return driver(config, instrumentation)
    positional = [k for k in kinds if k in (inspect.Parameter.POSITIONAL_ONLY,
                                            inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return driver(*(config, instrumentation)[:len(positional)])


def provide_telemetry_observer(
    config: Dict[str, Any],
    logger: Union[logging.Logger, logging.LoggerAdapter],
    drivers: Optional[Dict[str, ObserverDriver]] = None,
    automatic_instrumentation: Optional[Instrumentation] = None,
) -> Observer:
    """The observer of the driver named by ``TELEMETRY_DRIVER`` (``none`` by default).

    Args:
        config: the extension configuration (``TELEMETRY_DRIVER``,
            ``TELEMETRY_SERVICE_NAME``, the driver's own keys).
        logger: where a failing or unknown driver is reported.
        drivers: extra drivers, ``name -> fn(config, automatic_instrumentation)``
            (``fn(config)`` and ``fn()`` are called so too), next to the built-in
            ``none``, ``insights`` and ``otlp``; a name given here replaces the built-in
            driver of that name.
        automatic_instrumentation: functions the driver calls once
            (``rndi.telemetry.instrumentors.instrument_requests``).

    Returns:
        The driver's observer; the ``none`` observer (after logging an error naming the
        driver and the cause) when the driver is unknown or fails to start, because a
        fulfillment must not die because its tracing did.
    """
    if not isinstance(config, Mapping):
        raise TypeError("provide_telemetry_observer() expects the configuration mapping, "
                        f"got a {type(config).__name__}.")
    name = str(config.get("TELEMETRY_DRIVER") or "none").strip()
    available = {**BUILTIN_DRIVERS, **(drivers if isinstance(drivers, dict) else {})}
    driver = available.get(name) or available.get(name.lower())
    if driver is None:
        logger.error("Unknown telemetry driver %r (TELEMETRY_DRIVER); available: %s. "
                     "Tracing is off.", name, ", ".join(sorted(available)))
        return NoneObserverAdapter()
    try:
        observer = _started(driver, dict(config), automatic_instrumentation)
        if not isinstance(observer, Observer) and not callable(getattr(observer, "trace", None)):
            raise TypeError(f"the driver answered a {type(observer).__name__}, not an Observer")
    except Exception as e:
        from rndi.telemetry._masking import masked

        # messages end with a period of their own; the log line adds its own sentence
        logger.error("Telemetry driver %r failed to start: %s: %s. Tracing is off.", name,
                     type(e).__name__, masked(str(e), config).rstrip("."))
        return NoneObserverAdapter()
    logger.debug("Telemetry Observer configured with %s driver.", name)  # the published line
    return observer
