"""Binds what the runner hands an extension: the Connect client, the logger, the request."""

from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from rndi.connect.devops_logger_adapter.adapter import bind_logger
from rndi.dicontainer.adapter import BaseServiceProvider
from rndi.dicontainer.adapter import (  # noqa: F401 - published name
    BaseServiceProvider as ServiceProvider,
)

if TYPE_CHECKING:
    from connect.client import AsyncConnectClient, ConnectClient

    AnyConnectClient = Union[ConnectClient, AsyncConnectClient]


def __getattr__(name: str) -> Any:
    # connect.client takes seconds to import: only code that reads this alias pays for it
    # (a running extension has it imported already, by the runner)
    if name in ("AnyConnectClient", "ConnectClient", "AsyncConnectClient"):
        from connect.client import AsyncConnectClient, ConnectClient

        if name == "AnyConnectClient":
            return Union[ConnectClient, AsyncConnectClient]
        return ConnectClient if name == "ConnectClient" else AsyncConnectClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConnectServiceProvider(BaseServiceProvider):
    """Binds ``client``, ``logger`` and, when given, ``request``.

    With a request, the ``logger`` is bound to it: every line a transaction logs carries
    the request id (and its type, status and asset or tier-config id as record fields).
    """

    def __init__(self, client: Any, logger: Any, request: Optional[dict] = None) -> None:
        checked_request(request)
        super().__init__()
        self.client = client
        self.logger = logger
        self.request = request

    def register(self) -> None:
        self._own("_instances").update(connect_bindings(self.client, self.logger, self.request))


def checked_request(request: Optional[dict]) -> None:
    """Raise unless ``request`` is a request dict or ``None``."""
    if request is not None and not isinstance(request, dict):
        raise TypeError(f"ConnectServiceProvider: request must be the request dict or "
                        f"None, got a {type(request).__name__}.")


def connect_bindings(client: Any, logger: Any, request: Optional[dict] = None
                     ) -> Dict[str, Any]:
    """What ``ConnectServiceProvider(client, logger, request)`` binds."""
    if request is None:
        return {"client": client, "logger": logger}
    return {"client": client, "logger": bind_logger(logger, request), "request": request}
