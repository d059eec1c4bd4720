"""Binds what the runner hands an extension: the Connect client, the logger, the request."""

from typing import TYPE_CHECKING, Any, Optional, Union

from rndi.connect.devops_logger_adapter.adapter import bind_logger
from rndi.dicontainer.adapter import BaseServiceProvider

if TYPE_CHECKING:
    from connect.client import AsyncConnectClient, ConnectClient

    AnyConnectClient = Union[ConnectClient, AsyncConnectClient]


def __getattr__(name: str) -> Any:
    # connect.client takes seconds to import: only code that reads this alias pays for it
    # (a running extension has it imported already, by the runner)
    if name == "AnyConnectClient":
        from connect.client import AsyncConnectClient, ConnectClient

        return Union[ConnectClient, AsyncConnectClient]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConnectServiceProvider(BaseServiceProvider):
    """Binds ``client``, ``logger`` and, when given, ``request``.

    With a request, the ``logger`` is bound to it: every line a transaction logs carries
    the request id (and its type, status and asset or tier-config id as record fields).
    """

    def __init__(self, client: Any, logger: Any, request: Optional[dict] = None) -> None:
        if request is not None and not isinstance(request, dict):
            raise TypeError(f"ConnectServiceProvider: request must be the request dict or "
                            f"None, got a {type(request).__name__}.")
        super().__init__()
        self.client = client
        self.logger = logger
        self.request = request

    def register(self) -> None:
        bound = self._own("_instances")
        bound["client"] = self.client
        if self.request is None:
            bound["logger"] = self.logger
        else:
            bound["logger"] = bind_logger(self.logger, self.request)
            bound["request"] = self.request
