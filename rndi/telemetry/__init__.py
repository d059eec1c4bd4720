"""Tracing for extensions: the ``Observer`` contract and its drivers (``none``,
``insights``, ``otlp``), and the spans the framework opens for each delivery when a
driver is chosen.

Nothing here imports OpenTelemetry until a driver that needs it is chosen, so the core
install stays without it (``pip install 'rndi-connect-devops-fulfillment-framework[otlp]'``
or ``[insights]`` brings it).
"""

from rndi.telemetry.contracts import Observer
from rndi.telemetry.provider import BUILTIN_DRIVERS, provide_telemetry_observer

__all__ = ["BUILTIN_DRIVERS", "Observer", "provide_telemetry_observer"]
