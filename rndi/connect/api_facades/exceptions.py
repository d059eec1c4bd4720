"""Errors of the facades."""


class ClientMismatch(TypeError):
    """A facade operation was called for the other kind of client: a sync operation on an
    ``AsyncConnectClient`` (whose calls only run when awaited, so nothing would happen) or
    an awaitable ``a…`` operation on a sync ``ConnectClient``.

    Raised before any call reaches Connect.

    Attributes:
        operation: the operation called.
        client: the type name of the facade's client.
    """

    def __init__(self, operation: str, client: str, message: str) -> None:
        self.operation = operation
        self.client = client
        super().__init__(message)


__all__ = ["ClientMismatch"]
