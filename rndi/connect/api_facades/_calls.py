"""What every facade operation shares: the request id, the callbacks."""

from typing import Any, Callable, Optional, Union

from rndi.connect.api_facades.contracts import OnError, OnSuccess


def object_id(obj: Union[str, dict], what: str) -> str:
    """The id of a request/asset given as its dict or as the id itself."""
    identifier = obj.get("id") if isinstance(obj, dict) else obj
    if not isinstance(identifier, str) or not identifier:
        raise ValueError(f"Expected a {what} dict with an 'id' or a {what} id string, "
                         f"got a {type(obj).__name__}.")
    return identifier


def call(operation: Callable[[], Any], on_error: Optional[OnError],
         on_success: Optional[OnSuccess]) -> Any:
    """Run a Connect call; route its result or error through the optional callbacks."""
    try:
        result = operation()
    except Exception as e:
        if on_error is None:
            raise
        return on_error(e)
    return result if on_success is None else on_success(result)


def post_action(resource: Any, action: str, payload: dict, on_error: Optional[OnError],
                on_success: Optional[OnSuccess]) -> Any:
    """``POST {resource}/{action}`` with ``payload``, through the callbacks."""
    return call(lambda: resource(action).post(payload=payload), on_error, on_success)


def put(resource: Any, payload: dict, on_error: Optional[OnError],
        on_success: Optional[OnSuccess]) -> Any:
    """``PUT {resource}`` with ``payload``, through the callbacks."""
    return call(lambda: resource.update(payload=payload), on_error, on_success)
