"""Callback shapes of the facades."""

from typing import Any, Callable

# Called with the error a Connect call raised (``connect.client.ClientError`` for an HTTP
# error answer); its result is returned instead of raising.
OnError = Callable[[Exception], Any]
# Called with the decoded answer of a successful call; its result is returned instead.
OnSuccess = Callable[[Any], Any]
