"""Callback shapes of the facades."""

from typing import Any, Callable

from connect.client import ClientError

from rndi.connect.business_objects.adapters import Request

# Called with the ClientError a Connect call raised; its result is returned instead.
OnError = Callable[[ClientError], Any]
# Called with the updated Request after a successful call; its result is returned instead.
OnSuccess = Callable[[Request], Any]
