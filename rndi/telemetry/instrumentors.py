"""Automatic instrumentation to hand ``provide_telemetry_observer``: each function
instruments a library for every tracer provider of the process."""


def _missing(package: str) -> ModuleNotFoundError:
    return ModuleNotFoundError(f"This instrumentation needs {package}: pip install {package} "
                               "(the insights extra brings it).")


def instrument_requests() -> None:
    """Trace every call made with ``requests`` (the sync Connect client uses it)."""
    try:
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
    except ImportError:
        raise _missing("opentelemetry-instrumentation-requests") from None
    RequestsInstrumentor().instrument()


def instrument_pgsql() -> None:
    """Trace every PostgreSQL query made with ``psycopg2``."""
    try:
        from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor
    except ImportError:
        raise _missing("opentelemetry-instrumentation-psycopg2") from None
    Psycopg2Instrumentor().instrument()
