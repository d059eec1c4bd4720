"""Middleware around Connect business transactions."""

from rndi.connect.business_transaction_middleware.middleware import (
    Middleware,
    make_middleware_callstack,
)

__all__ = ["Middleware", "make_middleware_callstack"]
