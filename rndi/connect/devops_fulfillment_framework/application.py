"""The saga: pick the transaction that applies to a request and run it inside middleware."""

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from types import FunctionType, MethodType
from typing import Any, Dict, Iterator, List, Optional, Union

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transaction_middleware.middleware import (
    Middleware,
    make_middleware_callstack,
)
from rndi.connect.business_transactions.adapters import select
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.business_transactions.exceptions import InvalidTransaction
from rndi.connect.devops_fulfillment_framework.exceptions import InvalidResponse
from rndi.connect.devops_fulfillment_framework.providers.cache import CacheServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.configuration import (
    ConfigurationServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.connect import (  # noqa: F401
    AnyConnectClient,
    ConnectServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.offline import OfflineServiceProvider
from rndi.connect.devops_logger_adapter.adapter import ExtensionLoggerAdapter, bind_logger
from rndi.dicontainer.adapter import BaseServiceProvider, Container

ProviderSpec = Union[BaseServiceProvider, type]

_logger = logging.getLogger(__name__)


def _run(transaction: BackgroundTransaction, request: dict) -> BackgroundResponse:
    """``prepare(transaction)(request)``, refusing an answer the runner cannot send."""
    try:
        response = transaction.execute(request)
    except Exception as e:
        response = transaction.compensate(request, e)
        if not isinstance(response, BackgroundResponse):
            raise InvalidResponse(_name_of(transaction), "compensate", response) from e
        return response
    if not isinstance(response, BackgroundResponse):
        raise InvalidResponse(_name_of(transaction), "execute", response)
    return response


def _checked(middleware: Any) -> Middleware:
    """The middleware, its answer checked: a bad one names the middleware at fault."""

    def run(request: dict, next_: Any) -> BackgroundResponse:
        response = middleware(request, next_)
        if not isinstance(response, BackgroundResponse):
            raise InvalidResponse(_name_of(middleware), "__call__", response)
        return response

    return run


def _name_of(part: Any) -> str:
    """A function or class by its own name, anything else by its class's."""
    if isinstance(part, (type, FunctionType, MethodType)):
        return part.__qualname__
    return type(part).__qualname__


def _bound_to(logger: Any, request: dict) -> bool:
    return (isinstance(logger, ExtensionLoggerAdapter)
            and (logger.extra or {}).get("request_id") == request.get("id"))


def _describe(response: BackgroundResponse) -> str:
    if response.status == "reschedule" and response.countdown:
        return f"reschedule (countdown {response.countdown} s)"
    if response.output:
        return f"{response.status} ({response.output})"
    return str(response.status)


class Saga(ABC):
    """A fulfillment flow: an ordered list of transactions and the middleware around them.

    Subclasses list their transactions and middlewares; entries that are classes are
    built through the container (their constructor parameters injected by name),
    instances and functional tuples are used as they are.

    Args:
        providers: service providers by key; each replaces the class-level provider of
            the same key (how tests swap the cache) or adds a new one.
    """

    providers: Dict[str, ProviderSpec] = {
        "cache": CacheServiceProvider,
        "offline": OfflineServiceProvider,
    }

    def __init__(self, providers: Optional[Dict[str, BaseServiceProvider]] = None) -> None:
        self._container = Container(list(type(self).chosen_providers(providers).values()))
        self.selected: Optional[BackgroundTransaction] = None

    @classmethod
    def chosen_providers(cls, providers: Optional[Mapping[str, BaseServiceProvider]] = None,
                         ) -> Dict[str, BaseServiceProvider]:
        """The providers a saga built with ``providers`` uses, by key: the class-level
        ones (instantiated) with ``providers`` replacing or adding keys."""
        given = {} if providers is None else providers
        if not isinstance(given, dict) and not isinstance(given, Mapping):
            raise TypeError(f"{cls.__name__}(providers=...) takes a dict of key -> "
                            f"service provider instance, got a {type(providers).__name__}.")
        # instantiate only the class-level providers that are not replaced
        chosen: Dict[str, BaseServiceProvider] = {
            key: provider() if isinstance(provider, type) else provider
            for key, provider in cls.providers.items()
            if key not in given
        }
        chosen.update(given)
        return chosen

    @staticmethod
    def event_providers(config: Mapping[str, Any], client: Any, logger: Any,
                        request: Optional[dict] = None) -> Dict[str, BaseServiceProvider]:
        """The providers ``make()`` adds for one event: ``config`` and ``connect``."""
        return {
            "config": ConfigurationServiceProvider(config),
            "connect": ConnectServiceProvider(client, logger, request),
        }

    @classmethod
    def make(cls, config: Mapping[str, Any], client: Any, logger: Any,
             request: Optional[dict] = None) -> "Saga":
        """A saga for one event, from what the runner gives an extension.

        With ``request``, transactions can take a ``request`` parameter and the injected
        ``logger`` is bound to that request.
        """
        return cls(cls.event_providers(config, client, logger, request))

    @classmethod
    def check(cls, config: Mapping[str, Any], requests: Optional[List[dict]] = None) -> list:
        """Every wiring problem of this saga, found without running anything.

        The providers are built as ``make()`` builds them (with a placeholder client and
        logger); for each sample request (default: one purchase request), the entries of
        ``middlewares()`` and ``transactions()`` are walked: each class's constructor
        parameters, and through ``to_class`` bindings and ``provide_*`` methods theirs.
        No constructor and no provider method is called.

        Returns:
            ``Problem`` objects (``kind``: ``missing``, ``cycle``, ``duplicate`` or
            ``invalid``; ``name``; ``path``; ``message``); empty when the wiring is
            complete.
        """
        from rndi.connect.devops_fulfillment_framework.wiring import check
        return check(cls, config, requests)

    @classmethod
    def explain(cls, config: Mapping[str, Any], request: Optional[dict] = None) -> str:
        """For each entry, each constructor parameter and where its value comes from (a
        provider's instance, class or ``provide_*`` method, a config key, its default),
        as an indented tree. Nothing is built or called."""
        from rndi.connect.devops_fulfillment_framework.wiring import explain
        return explain(cls, config, request)

    @property
    def container(self) -> Container:
        """The container that builds this saga's transactions and middlewares."""
        return self._container

    @abstractmethod
    def transactions(self, request: dict) -> List[Any]:
        """The candidate transactions for ``request``, in the order they are tried."""

    def middlewares(self, request: dict) -> List[Any]:
        """The middlewares around the selected transaction, outermost first.

        Optional: a saga without middleware need not define it (none by default).
        """
        return []

    def _candidates(self, request: dict) -> Iterator[Any]:
        # Built one at a time, as select() asks: transactions after the selected one are
        # never built, so their dependencies cannot fail this request.
        get = self._container.get
        for entry in self.transactions(request) or ():
            if isinstance(entry, type):
                if not issubclass(entry, BackgroundTransaction):
                    raise InvalidTransaction(
                        f"{type(self).__name__}.transactions() lists {entry.__qualname__}, "
                        "which is not a BackgroundTransaction subclass; list transaction "
                        "classes, instances or (name, predicate, execution) tuples.")
                yield get(entry)
            else:
                yield entry

    def _run_selected(self, request: dict) -> BackgroundResponse:
        self.selected = selected = select(self._candidates(request), request)
        response = _run(selected, request)
        logger = self._operator_logger()
        if logger.isEnabledFor(logging.INFO):
            name = selected.name()
            if not _bound_to(logger, request):  # make(..., request) bound it already
                logger = bind_logger(logger, request)
            logger.info(
                "Transaction %r answered %s.", name, _describe(response),
                extra={"transaction": name, "outcome": response.status})
        return response

    def _operator_logger(self) -> Any:
        """The logger the extension was made with (the runner's), else this module's."""
        logger = self._container.bound("logger")
        return logger if isinstance(logger, (logging.Logger, logging.LoggerAdapter)) else _logger

    def resolve(self, request: dict) -> BackgroundResponse:
        """Run the first transaction that applies to ``request`` inside the middlewares.

        Selection happens inside the middleware stack, so a middleware (offline mode,
        for one) can answer a request before any transaction is built.

        Raises:
            TransactionNotSelected: no transaction applies.
            InvalidTransaction: an entry of ``transactions()`` is not a transaction.
            InvalidResponse: a transaction or middleware answered with something that is
                not a ``BackgroundResponse`` (when ``compensate`` did, the error that
                ``execute`` raised is its ``__cause__``).
        """
        if not isinstance(request, dict):
            raise TypeError(f"{type(self).__name__}.resolve() takes the request dict, "
                            f"got a {type(request).__name__}.")
        get = self._container.get
        middlewares: List[Middleware] = [
            _checked(get(entry) if isinstance(entry, type) else entry)
            for entry in (self.middlewares(request) or ())
            if entry
        ]
        return make_middleware_callstack(middlewares, self._run_selected)(request)
