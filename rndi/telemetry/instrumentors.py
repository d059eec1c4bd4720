"""Automatic instrumentation to hand ``provide_telemetry_observer``: each function
instruments a library for every tracer provider of the process."""


def _missing(package: str, library: str, error: ImportError) -> ModuleNotFoundError:
    return ModuleNotFoundError(f"{error.name or package} is not installed: pip install "
                               f"{package} {library} (the insights extra brings the first).")


def instrument_requests() -> None:
    """Trace every call made with ``requests`` (the sync Connect client uses it)."""
    try:
        from opentelemetry.instrumentation.requests import RequestsInstrumentor
    except ImportError as error:
        raise _missing("opentelemetry-instrumentation-requests", "requests", error) from None
    RequestsInstrumentor().instrument()


def instrument_pgsql() -> None:
    """Trace every PostgreSQL query made with ``psycopg2``."""
    try:
        from opentelemetry.instrumentation.psycopg2 import Psycopg2Instrumentor
    except ImportError as error:
        raise _missing("opentelemetry-instrumentation-psycopg2", "psycopg2", error) from None
    Psycopg2Instrumentor().instrument()
