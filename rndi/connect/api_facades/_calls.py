"""What every facade operation shares: the request as a business object, the callbacks,
and the two drivers that run one operation on a sync or an async Connect client.

An operation is described once, as a :class:`Call` (the client call to make and how its
answer becomes the result); :func:`operation` turns the description into the sync method
and its awaitable ``a…`` twin, so both worlds share every line but the ``await``.
"""

import functools
import inspect
from typing import Any, Callable, Dict, NamedTuple, Optional, Union

from rndi.connect.api_facades.clients import is_async_client, is_sync_client
from rndi.connect.api_facades.contracts import OnError, OnSuccess
from rndi.connect.api_facades.exceptions import ClientMismatch
from rndi.connect.business_objects.adapters import Request
from rndi.telemetry import _hooks as tracing

RequestLike = Union[Request, Dict[str, Any], str]

# the status Connect gives a request after each action
STATUS_AFTER = {"approve": "approved", "inquire": "inquiring", "fail": "failed"}


class Call(NamedTuple):
    """One facade operation, described independently of the kind of client.

    Attributes:
        send: makes the client call; answers its result (sync client) or an awaitable
            of it (async client). Nothing reaches Connect before ``send`` is called.
        finish: turns the client's answer into the operation's result.
        on_error: given a ``ClientError``, its result is answered instead (default: raise).
        on_success: given the result, its own result is answered instead.
    """

    send: Callable[[], Any]
    finish: Callable[[Any], Any]
    on_error: Optional[OnError] = None
    on_success: Optional[OnSuccess] = None


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


def change_status(collection: Any, request: RequestLike, action: str,
                  payload: Dict[str, Any], on_error: Optional[OnError],
                  on_success: Optional[OnSuccess]) -> Call:
    """``POST {collection}/{id}/{action}``; on success the request gets its new status."""
    request = as_request(request)
    resource = collection[request.id()]
    return Call(lambda: resource(action).post(payload=payload),
                lambda _: request.with_status(STATUS_AFTER[action]), on_error, on_success)


def without_none(payload: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in payload.items() if value is not None}


# the two drivers -----------------------------------------------------------------------

def _mismatch(facade: Any, name: str, awaitable: bool) -> ClientMismatch:
    owner = f"{type(facade).__name__}.{'a' if awaitable else ''}{name}()"
    client = type(facade.client).__name__
    if awaitable:
        advice = (f"{owner} must be awaited on an AsyncConnectClient, and this facade has a "
                  f"{client} (the runner gives a sync client to a plain def handler). Call "
                  f"self.{name}(...) without await, or make the handler async def and run "
                  "its saga with aresolve().")
    else:
        advice = (f"{owner} was called on an {client}, whose calls only run when awaited, "
                  f"so nothing would reach Connect. In an async def transaction write "
                  f"await self.a{name}(...); the saga must run with aresolve().")
    return ClientMismatch(f"a{name}" if awaitable else name, client, advice)


@tracing.connect_call
def _run(facade: Any, name: str, call: Call) -> Any:
    from connect.client import ClientError  # imported already: a client is calling

    try:
        answer = call.send()
        if inspect.isawaitable(answer):  # a client of unknown kind that is async after all
            getattr(answer, "close", lambda: None)()  # never run: nothing was sent
            raise _mismatch(facade, name, awaitable=False)
        result = call.finish(answer)
    except ClientError as error:
        if call.on_error is None:
            raise
        return call.on_error(error)
    return result if call.on_success is None else call.on_success(result)


@tracing.aconnect_call
async def _arun(facade: Any, name: str, call: Call) -> Any:
    from connect.client import ClientError  # imported already: a client is calling

    try:
        answer = call.send()
        if not inspect.isawaitable(answer):
            raise _mismatch(facade, name, awaitable=True)
        result = call.finish(await answer)
    except ClientError as error:
        if call.on_error is None:
            raise
        return await _settled(call.on_error(error))
    return result if call.on_success is None else await _settled(call.on_success(result))


async def _settled(value: Any) -> Any:
    """A callback's result, awaited when the callback was ``async def``."""
    return await value if inspect.isawaitable(value) else value


def operation(describe: Callable[..., Call]) -> Any:
    """The facade method that runs what ``describe`` returns on a sync ``ConnectClient``;
    its ``awaitable`` attribute is the twin for an ``AsyncConnectClient`` (assign it to
    the ``a``-prefixed name). Both take ``describe``'s parameters.

    Each checks the facade's client before anything is described or sent, so a call made
    for the wrong kind of client raises :class:`ClientMismatch` and reaches no server.
    """
    name = describe.__name__

    @functools.wraps(describe)
    def run(self: Any, *args: Any, **kwargs: Any) -> Any:
        if is_async_client(self.client):
            raise _mismatch(self, name, awaitable=False)
        return _run(self, name, describe(self, *args, **kwargs))

    @functools.wraps(describe)
    async def arun(self: Any, *args: Any, **kwargs: Any) -> Any:
        if is_sync_client(self.client):
            raise _mismatch(self, name, awaitable=True)
        return await _arun(self, name, describe(self, *args, **kwargs))

    arun.__name__ = f"a{name}"
    arun.__qualname__ = f"{describe.__qualname__.rsplit('.', 1)[0]}.a{name}"
    arun.__doc__ = (f"The awaitable twin of ``{name}``, for an ``AsyncConnectClient``: the "
                    f"same arguments and answers; ``on_error``/``on_success`` may be "
                    f"``async def``.\n\n{describe.__doc__ or ''}")
    # both answer what the operation answers, not the description
    signature = inspect.signature(describe).replace(return_annotation=Any)
    run.__signature__ = arun.__signature__ = signature  # type: ignore[attr-defined]
    run.awaitable = arun  # type: ignore[attr-defined]
    return run

