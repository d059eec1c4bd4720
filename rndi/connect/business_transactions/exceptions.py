"""Errors of transaction selection."""


class TransactionException(Exception):
    """Base of every transaction error."""

    @staticmethod
    def invalid(msg: str) -> "InvalidTransaction":
        """An entry of a transaction list is neither a transaction nor a 4-tuple."""
        return InvalidTransaction(msg)

    @staticmethod
    def not_selected(msg: str) -> "TransactionNotSelected":
        """No transaction of a list applies to a request."""
        return TransactionNotSelected(msg)


class InvalidTransaction(TransactionException, TypeError):
    """An entry of a transaction list cannot be used as a transaction."""


class TransactionNotSelected(TransactionException):
    """No transaction's ``should_execute`` accepted the request."""


class SyncAsyncMismatch(TransactionException, TypeError):
    """Something ``async def`` reached sync code (or an awaitable came back where a value
    was due): it would never run. Raised before it could do anything; the message says
    what to write instead."""
