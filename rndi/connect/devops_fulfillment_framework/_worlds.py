"""What keeps sync and async parts of a saga in their own world.

``resolve()`` refuses, before anything runs, a saga whose client or parts are async;
``aresolve()`` chains sync and async middlewares, a sync one running in a thread of its
own whose ``next`` waits for the rest of the saga, so that it means under ``aresolve()``
exactly what it means under ``resolve()``.
"""

import ast
import asyncio
import concurrent.futures
import functools
import inspect
import textwrap
import threading
import types
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Tuple

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.clients import is_async_client
from rndi.connect.business_transactions._threads import in_own_thread
from rndi.connect.business_transactions.exceptions import SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework.exceptions import InvalidResponse

AsyncStep = Callable[[dict], Awaitable[Any]]

TRANSACTION_METHODS = ("should_execute", "execute", "compensate")
_TUPLE_ROLES = ("predicate", "execution", "compensation")


def name_of(part: Any) -> str:
    """A class or function by its own name, anything else by its class's."""
    if isinstance(part, type) or inspect.isfunction(part) or inspect.ismethod(part):
        return str(part.__qualname__)
    return type(part).__qualname__


@functools.cache  # per class: resolve() asks on every event
def _async_methods(cls: type, methods: Tuple[str, ...]) -> List[str]:
    return [name for name in methods if inspect.iscoroutinefunction(getattr(cls, name, None))]


def async_transaction_parts(entry: Any, methods: Tuple[str, ...] = TRANSACTION_METHODS,
                            roles: Tuple[str, ...] = _TUPLE_ROLES) -> List[str]:
    """The ``async def`` parts of an entry of ``transactions()`` (a class, an instance or a
    functional tuple), read without building or calling anything: its ``methods``, or
    the functions of a tuple by their ``roles``."""
    if isinstance(entry, tuple):
        return [role for role, fn in zip(roles, entry[1:], strict=False)
                if inspect.iscoroutinefunction(fn)]
    functions = getattr(entry, "_functions", None)  # the tuple adapters' functions
    if functions is not None and not isinstance(entry, type):
        return async_transaction_parts((entry.name(), *functions()), methods, roles)
    cls = entry if isinstance(entry, type) else type(entry)
    return list(_async_methods(cls, methods))


def is_async_middleware(middleware: Any) -> bool:
    if inspect.iscoroutinefunction(middleware):
        return True
    cls = middleware if isinstance(middleware, type) else type(middleware)
    return not inspect.isfunction(middleware) and bool(_async_methods(cls, ("__call__",)))


def refuse_async(saga: str, client: Any, middlewares: Sequence[Any],
                 transactions: Sequence[Any], methods: Tuple[str, ...] = TRANSACTION_METHODS,
                 roles: Tuple[str, ...] = _TUPLE_ROLES, argument: str = "request") -> None:
    """Raise, naming the part, when a sync ``resolve()`` meets anything async.

    ``methods`` are those of a transaction class of the flow, ``roles`` name the
    functions of its tuples, ``argument`` is what the handler receives.

    Raises:
        SyncAsyncMismatch: the client is an ``AsyncConnectClient``, a middleware's
            ``__call__`` or a transaction's method is ``async def``.
    """
    fix = (f"In an async def handler write: return await {saga}.make(self.config, "
           f"self.client, self.logger, {argument}).aresolve({argument})")
    if is_async_client(client):
        raise SyncAsyncMismatch(
            f"{saga}.resolve() was given an AsyncConnectClient (the runner gives one to an "
            f"async def handler), whose calls only run when awaited. {fix}")
    for middleware in middlewares:
        if is_async_middleware(middleware):
            raise SyncAsyncMismatch(
                f"{saga}.resolve() cannot run middleware {name_of(middleware)}: its "
                f"__call__ is async def. {fix}")
    for entry in transactions:
        parts = async_transaction_parts(entry, methods, roles) if entry else []
        if parts:
            raise SyncAsyncMismatch(
                f"{saga}.resolve() cannot run transaction {name_of(entry)}: "
                f"{', '.join(parts)} {'is' if len(parts) == 1 else 'are'} async def. {fix}")


def _async_twin(middleware: Any) -> Any:
    """The ``async def acall`` of a middleware for both worlds (``RequestLease``,
    ``OfflineCriteria``), or ``None``.

    Raises:
        SyncAsyncMismatch: a subclass overrides ``__call__`` below the class that defines
            ``acall`` (as one written for the published packages, which have no
            ``acall``, would): ``aresolve()`` would run the inherited ``acall`` and
            silently skip the override.
    """
    acall = getattr(middleware, "acall", None)
    if not inspect.iscoroutinefunction(acall):
        return None
    _refuse_skipped_call(type(middleware))
    return acall


def _refuse_skipped_call(cls: type) -> None:
    mro = cls.__mro__
    owner = next((klass for klass in mro if "acall" in vars(klass)), None)
    if owner is None:  # an instance's own acall: nothing of its class is skipped
        return
    caller = next((klass for klass in mro if "__call__" in vars(klass)), owner)
    if not issubclass(owner, caller):
        raise SyncAsyncMismatch(
            f"Middleware {cls.__qualname__} overrides __call__ of {owner.__qualname__}, "
            f"whose async def acall aresolve() runs instead, so the override would be "
            f"skipped. Override acall too (async def acall(self, request, next), awaiting "
            f"next(request)), or run the saga with resolve().")


# callables whose own function says whether they are async def, not their class
_ASYNC_BY_OBJECT = (types.FunctionType, types.MethodType, functools.partial)


# per class and its methods: aresolve() links its middlewares per event, and a test may
# replace a class's acall or __call__ between events
@functools.lru_cache(maxsize=4096)
def _awaited_class(cls: type, acall: Any, call: Any) -> Optional[str]:
    """How ``aresolve()`` calls an instance of ``cls`` (whose ``acall`` and ``__call__``
    are ``acall`` and ``call``): ``"acall"`` (its twin for both worlds), ``"__call__"``
    (``async def``), or ``None`` (sync: in a thread of its own).

    Raises:
        SyncAsyncMismatch: as ``_async_twin``.
    """
    if inspect.iscoroutinefunction(getattr(cls, "acall", None)):
        _refuse_skipped_call(cls)
        return "acall"
    return "__call__" if inspect.iscoroutinefunction(call) else None


def _alink(middleware: Any, following: AsyncStep, expected: type) -> AsyncStep:
    kind: type = type(middleware)
    if kind in _ASYNC_BY_OBJECT or "acall" in getattr(middleware, "__dict__", ()):
        both = _async_twin(middleware)
        call = both if both is not None else middleware
        awaited = call is both or is_async_middleware(middleware)
    else:  # an instance: its class decides, read once per class
        way = _awaited_class(kind, getattr(kind, "acall", None), kind.__call__)
        call = middleware.acall if way == "acall" else middleware
        awaited = way is not None
    if awaited:
        async def step(request: dict) -> Any:
            response = await call(request, following)
            if isinstance(response, expected):
                return response
            return _checked(name_of(middleware), response, expected)  # raises, naming it
        return step
    name = name_of(middleware)

    async def bridged(request: dict) -> Any:
        # A sync middleware runs in a thread of its own, and its next() waits there for
        # the rest of the saga, run on the loop: a try/except or try/finally around
        # next(request) wraps the transaction under aresolve() as under resolve().
        loop = asyncio.get_running_loop()
        rest: List[concurrent.futures.Future] = []
        ended = threading.Event()

        def next_(request: dict) -> Any:
            if ended.is_set():  # the delivery was cancelled: start nothing more
                raise concurrent.futures.CancelledError()
            rest.append(asyncio.run_coroutine_threadsafe(
                _coroutine(following(request)), loop))
            return rest[-1].result()

        try:
            response = await in_own_thread(lambda: middleware(request, next_), loop)
        except BaseException:
            ended.set()
            for future in rest:
                future.cancel()
            raise
        return _checked(name, response, expected)

    return bridged


async def _coroutine(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _checked(name: str, response: Any, expected: type) -> Any:
    if not isinstance(response, expected):
        raise InvalidResponse(name, "__call__", response, expected.__name__)
    return response


def chain(middlewares: Sequence[Any], innermost: Callable[[dict], Any],
          expected: type = BackgroundResponse) -> Callable[[dict], Any]:
    """The middlewares around ``innermost``, outermost first, as one sync call (the twin
    of ``achain``); each middleware must answer an ``expected``."""
    call = innermost
    for middleware in reversed(middlewares):
        call = _link(middleware, call, expected)
    return call


def _link(middleware: Any, following: Callable[[dict], Any], expected: type
          ) -> Callable[[dict], Any]:
    def step(request: dict) -> Any:
        response = middleware(request, following)
        if isinstance(response, expected):
            return response
        return _checked(name_of(middleware), response, expected)  # raises, naming it

    return step


def achain(middlewares: Sequence[Any], innermost: AsyncStep,
           expected: type = BackgroundResponse) -> AsyncStep:
    """The middlewares around ``innermost``, outermost first, as one async step; each
    middleware must answer an ``expected`` (the response type of the flow)."""
    call = innermost
    for middleware in reversed(middlewares):
        call = _alink(middleware, call, expected)
    return call


# what check() can see in the source --------------------------------------------------------

def _facade_operations(cls: type) -> Dict[str, str]:
    """Sync facade operation -> its awaitable twin, for the operations ``cls`` has."""
    return {name[1:]: name for name in dir(cls)
            if name.startswith("a") and inspect.iscoroutinefunction(getattr(cls, name, None))
            and callable(getattr(cls, name[1:], None))
            and getattr(getattr(cls, name[1:]), "awaitable", None) is getattr(cls, name)}


@functools.cache
def facade_misuse(cls: type) -> Tuple[Tuple[str, str], ...]:
    """``(method, message)`` for each facade call in an ``async def`` method of ``cls``
    that would fail or never run: a sync operation (it refuses the ``AsyncConnectClient``
    an async handler gets) or an ``a…`` twin that is not awaited. Read from the source;
    a class without readable source has none."""
    twins = _facade_operations(cls)
    if not twins:
        return ()
    found: List[Tuple[str, str]] = []
    for method in (*TRANSACTION_METHODS, "handle", "__call__"):
        function = getattr(cls, method, None)
        if not inspect.iscoroutinefunction(function):
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError, SyntaxError):
            continue
        parents = {id(child): parent for parent in ast.walk(tree)
                   for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(tree):
            called = _self_call(node)
            where = f"{cls.__qualname__}.{method} (async def)"
            if called in twins:
                found.append((method, f"{where} calls self.{called}(...), which refuses the "
                                      "AsyncConnectClient of an async handler: write await "
                                      f"self.{twins[called]}(...)."))
            elif called in twins.values() and _dropped(node, parents, tree):
                found.append((method, f"{where} calls self.{called}(...) without await: it "
                                      f"would never run. Write await self.{called}(...)."))
    return tuple(found)


def _dropped(call: ast.AST, parents: Dict[int, ast.AST], function: ast.AST) -> bool:
    """Whether the awaitable ``call`` answers is surely never awaited: it is a statement
    of its own, or it is assigned to names each read nowhere else or surely stored again
    before it is read. Handed to anything (``await``, ``asyncio.gather``,
    ``ensure_future``, a list, ``return``) or kept in a name that may be read before it
    is stored again, it may well be awaited, and no alarm is raised."""
    parent = parents.get(id(call))
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, (ast.Assign, ast.AnnAssign)):
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        names = {target.id for target in targets if isinstance(target, ast.Name)}
        if len(names) != len(targets):  # an attribute or an item: kept for later
            return False
        return all(not any(isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                           and node.id == name for node in ast.walk(function))
                   or _stored_again(parent, name, parents) for name in names)
    return False


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# where an exception raised between two stores may lead to a read of the first
_CATCHING = (ast.Try, getattr(ast, "TryStar", ast.Try), ast.With, ast.AsyncWith)
_LEAVING = (ast.Return, ast.Break, ast.Continue, ast.Raise)
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})


def _reads(node: ast.AST, name: str) -> bool:
    """Whether ``node`` reads (or deletes) the name ``name``, or may read any name."""
    if isinstance(node, ast.Name):
        return ((node.id == name and not isinstance(node.ctx, ast.Store))
                or node.id in _INTROSPECTION)
    return (isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name)
            and node.target.id == name)


def _stored_again(statement: ast.AST, name: str, parents: Dict[int, ast.AST]) -> bool:
    """Whether ``name``, stored by ``statement``, is surely stored again before any read:
    a later statement of the same list is a plain ``name = ...`` and neither it nor
    the statements between read the name or leave the list (``return``, ``break``,
    ``continue``, ``raise``). Never inside ``try`` or ``with`` (an exception between the
    stores may lead to a read of the first), nor for a name declared ``global`` or
    ``nonlocal`` or read by a nested function."""
    scope = parents.get(id(statement))
    while not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if scope is None or isinstance(scope, (*_CATCHING, *_SCOPES)):
            return False
        scope = parents.get(id(scope))
    for inner in ast.walk(scope):
        if isinstance(inner, (ast.Global, ast.Nonlocal)) and name in inner.names:
            return False
        if (inner is not scope and isinstance(inner, _SCOPES)
                and any(_reads(read, name) for read in ast.walk(inner))):
            return False
    holder = parents[id(statement)]
    block = next(value for _, value in ast.iter_fields(holder)
                 if isinstance(value, list) and any(item is statement for item in value))
    following = block[next(at for at, item in enumerate(block) if item is statement) + 1:]
    for later in following:
        if any(_reads(inner, name) or isinstance(inner, _LEAVING)
               for inner in ast.walk(later)):
            return False
        if isinstance(later, ast.Assign):
            targets = later.targets
        elif isinstance(later, ast.AnnAssign) and later.value is not None:
            targets = [later.target]
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            return True
    return False


def _self_call(node: ast.AST) -> Optional[str]:
    """``name`` when ``node`` is a call ``self.name(...)``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
        return node.func.attr
    return None
