"""Which kind of Connect client an object is, without importing ``connect.client``.

Importing ``connect.client`` takes seconds (``rndi-saga check`` would spend most of its
time there). A client can only be an instance of its classes once it is imported, so
the module is looked up where it already is, never imported here.
"""

import sys
from typing import Any


def _client_module() -> Any:
    return sys.modules.get("connect.client")


def is_async_client(client: Any) -> bool:
    """Whether ``client`` is a ``connect.client.AsyncConnectClient`` (an ``async def``
    handler's): its calls answer coroutines, which only run when awaited."""
    module = _client_module()
    return module is not None and isinstance(client, module.AsyncConnectClient)


def is_sync_client(client: Any) -> bool:
    """Whether ``client`` is a ``connect.client.ConnectClient`` (a ``def`` handler's)."""
    module = _client_module()
    return module is not None and isinstance(client, module.ConnectClient)
