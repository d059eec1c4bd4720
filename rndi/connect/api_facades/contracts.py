"""Callback shapes of the facades."""

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # connect.client takes seconds to import; a type needs none of it
    from connect.client import ClientError

from rndi.connect.business_objects.adapters import Request

# Called with the ClientError a Connect call raised; its result is returned instead.
OnError = Callable[["ClientError"], Any]
# Called with the updated Request after a successful call; its result is returned instead.
OnSuccess = Callable[[Request], Any]
