"""Local stand-ins for the services an extension talks to, for tests and demos.

The names load on first use, so the pytest plugin of this package (loaded into every
pytest run of a project that installs us) imports nothing it does not need.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "ConnectAPI": "rndi.connect.testing.connect_api",
    "FakeHTTPService": "rndi.connect.testing.http",
    "HTTPError": "rndi.connect.testing.http",
    "RecordedCall": "rndi.connect.testing.http",
}

__all__ = ["ConnectAPI", "FakeHTTPService", "HTTPError", "RecordedCall"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list:
    return sorted(__all__)
