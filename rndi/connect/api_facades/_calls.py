"""What every facade operation shares: the request as a business object, the callbacks."""

from typing import Any, Callable, Dict, Optional, Union

from connect.client import ClientError

from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.business_objects.adapters import Request

RequestLike = Union[Request, Dict[str, Any], str]

# the status Connect gives a request after each action
STATUS_AFTER = {"approve": "approved", "inquire": "inquiring", "fail": "failed"}


def as_request(request: RequestLike) -> Request:
    """The request as a ``Request`` (a dict is wrapped, not copied: the facade records the
    outcome on it, as Connect now has it). A bare id is accepted too.

    Raises:
        ValueError: not a ``Request``, a request dict or an id, or no id to address it by.
    """
    if isinstance(request, str):
        request = {"id": request}
    if isinstance(request, dict):
        request = Request(request)
    if not isinstance(request, Request):
        raise ValueError(f"Expected a Request, a request dict or a request id, got a "
                         f"{type(request).__name__}.")
    if not isinstance(request.id(), str) or not request.id():
        raise ValueError(f"The request has no 'id' to address it in Connect "
                         f"(members: {sorted(request.raw())}).")
    return request


def object_id(identifier: Any, what: str) -> str:
    if not isinstance(identifier, str) or not identifier:
        raise ValueError(f"Expected a {what} id string, got a {type(identifier).__name__}.")
    return identifier


def call(operation: Callable[[], Request], on_error: Optional[OnError],
         on_success: Optional[OnSuccess]) -> Any:
    """Run a Connect call and give its ``Request`` to ``on_success`` (default: return it).
    A ``ClientError`` goes to ``on_error`` (default: raise it); other errors are not
    Connect's answers and always raise."""
    try:
        result = operation()
    except ClientError as error:
        if on_error is None:
            raise
        return on_error(error)
    return result if on_success is None else on_success(result)


def change_status(collection: Any, request: RequestLike, action: str,
                  payload: Dict[str, Any], on_error: Optional[OnError],
                  on_success: Optional[OnSuccess]) -> Any:
    """``POST {collection}/{id}/{action}``; on success the request gets its new status."""
    request = as_request(request)
    resource = collection[request.id()]

    def post() -> Request:
        resource(action).post(payload=payload)
        return request.with_status(STATUS_AFTER[action])
    return call(post, on_error, on_success)


def without_none(payload: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in payload.items() if value is not None}
