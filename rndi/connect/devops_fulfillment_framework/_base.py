"""What a saga and the other flows share: providers, the container that builds their
parts, ``make()``, ``check()``/``explain()``, and refusing a transaction that belongs in
another kind of flow."""

import functools
import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import (
    Any,
    ClassVar,
    Dict,
    Iterator,
    List,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.business_transactions.exceptions import InvalidTransaction
from rndi.connect.devops_fulfillment_framework._answers import NotAList, listed_answer
from rndi.connect.devops_fulfillment_framework._kinds import misplaced
from rndi.connect.devops_fulfillment_framework._settings import (
    JOURNAL_TTL,
    LEASE_TTL,
    SAGA_TIME_BUDGET,
    check_settings,
)
from rndi.connect.devops_fulfillment_framework._worlds import refuse_async
from rndi.connect.devops_fulfillment_framework.providers.cache import CacheServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.configuration import (
    CONFIG_VALUES,
    ConfigurationServiceProvider,
    config_sources,
    value_reader,
    values_of,
)
from rndi.connect.devops_fulfillment_framework.providers.connect import (
    ConnectServiceProvider,
    checked_request,
)
from rndi.connect.devops_fulfillment_framework.providers.journal import JournalServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.offline import OfflineServiceProvider
from rndi.connect.devops_logger_adapter.adapter import ExtensionLoggerAdapter, bind_logger
from rndi.dicontainer.adapter import (
    PROVIDER_CLASS_CHANGES,
    BaseServiceProvider,
    Bindings,
    Container,
    value_binding,
)

ProviderSpec = Union[BaseServiceProvider, type]
F = TypeVar("F", bound="Flow")

# how many sets of given provider keys a flow class remembers bindings for (make() gives
# two; keys given by hand vary)
_REMEMBERED = 256
# (flow class, client class, method, *middlewares, None, *entries) -> whether every entry
# is a class the flow runs: parts found sync for that client class (see _checked_parts)
_CHECKED_PARTS: Dict[Tuple[Any, ...], bool] = {}
_REMEMBERED_PARTS = 4096

_logger = logging.getLogger("rndi.connect.devops_fulfillment_framework.application")


@functools.lru_cache(maxsize=4096)  # per flow and class: every event asks it of each entry
def _wrong_class(flow: type, entry: type) -> Optional[str]:
    """Why the class ``entry`` cannot be listed in ``flow.transactions()``, else ``None``."""
    wrong = misplaced(flow, entry)
    if wrong is not None:
        return f"{flow.__name__}.transactions() lists {wrong}."
    contract: type = flow.contract  # type: ignore[attr-defined]
    if not issubclass(entry, contract):
        return (f"{flow.__name__}.transactions() lists {entry.__qualname__}, which is not "
                f"a {contract.__name__} subclass; list transaction classes, instances or "
                f"{flow.tuple_shape} tuples.")  # type: ignore[attr-defined]
    return None


def _providers_changed(providers: Dict[str, Any], seen: Any, copy: Dict[str, Any],
                       changes: int) -> bool:
    """Whether a flow class's ``providers`` differs from the dict a memo was made from
    (``seen``, and ``copy`` of it: changed in place or assigned anew; compared by
    equality, its values by identity, which is cheaper than hashing it), or a provider
    class changed since (``changes``: a test patches one between events)."""
    return seen is not providers or changes != PROVIDER_CLASS_CHANGES[0] or copy != providers


class Flow(ABC):
    """The base of ``Saga`` and of the validation, interactive and scheduled flows.

    A flow lists its transactions and, optionally, its middlewares; entries that are
    classes are built through the container (constructor parameters injected by name),
    instances and functional tuples are used as they are.

    Args:
        providers: service providers by key; each replaces the class-level provider of
            the same key (how tests swap the cache) or adds a new one.
    """

    providers: Dict[str, ProviderSpec] = {
        "cache": CacheServiceProvider,
        "offline": OfflineServiceProvider,
        "journal": JournalServiceProvider,
    }
    # the transaction contract this kind of flow runs, and what the flow is called
    contract: ClassVar[type] = BackgroundTransaction
    kind: ClassVar[str] = "Saga"
    # what a functional entry of transactions() looks like, for messages
    tuple_shape: ClassVar[str] = "(name, predicate, execution)"

    def __init__(self, providers: Optional[Dict[str, BaseServiceProvider]] = None) -> None:
        cls = type(self)
        made: Any = providers
        if type(made) is _EventValues:  # from make(): see _EventValues
            self._container: Container = _event_container(cls, *made)
            return
        given = {} if providers is None else providers
        if type(given) is not dict and not isinstance(given, Mapping):
            cls.chosen_providers(given)  # raises, naming what was expected
        self._container = Container.extending(cls._class_bindings(tuple(given)),
                                              given.values())

    @classmethod
    def _class_bindings(cls, keys: Tuple[str, ...]) -> Bindings:
        """The bindings of the class-level providers whose keys are not in ``keys`` (the
        keys of the providers given to the flow, which replace them), gathered once per
        flow class and per ``keys``: those providers are the same on every event, so
        building them and asking them for their bindings again on each one is wasted
        work. Kept in the class's own ``__dict__`` (a subclass has its own); a change to
        ``providers`` (assigned or changed in place) is noticed.
        """
        providers = cls.providers
        memo = cls.__dict__.get("_bindings_memo")
        if memo is None or _providers_changed(providers, memo[0], memo[1], memo[3]):
            by_keys: Dict[Tuple[str, ...], Bindings] = {}
            memo = (providers, dict(providers), by_keys, PROVIDER_CLASS_CHANGES[0])
            type.__setattr__(cls, "_bindings_memo", memo)
        bindings = memo[2].get(keys)
        if bindings is None:
            replaced = set(keys)
            bindings = Bindings([provider() if isinstance(provider, type) else provider
                                 for name, provider in providers.items()
                                 if name not in replaced])
            if len(memo[2]) < _REMEMBERED:  # keys given by hand vary; make() gives two
                memo[2][keys] = bindings
            if memo[3] != PROVIDER_CLASS_CHANGES[0]:  # a provider changed its own class
                type.__setattr__(cls, "_bindings_memo", (*memo[:3], PROVIDER_CLASS_CHANGES[0]))
        return bindings

    @classmethod
    def chosen_providers(cls, providers: Optional[Mapping[str, BaseServiceProvider]] = None,
                         ) -> Dict[str, BaseServiceProvider]:
        """The providers a flow built with ``providers`` uses, by key: the class-level
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
    def make(cls: Type[F], config: Mapping[str, Any], client: Any, logger: Any,
             request: Optional[dict] = None) -> F:
        """A flow for one event, from what the runner gives an extension.

        With ``request``, transactions can take a ``request`` parameter, the injected
        ``logger`` is bound to that request, and the injected ``journal`` records steps
        under its id.

        Raises:
            ValueError: ``LEASE_TTL`` or ``JOURNAL_TTL`` is not a positive number of
                seconds up to a century (named in the message); checked here, before any
                step runs, not when a step is recorded.
        """
        if type(config) is dict or isinstance(config, Mapping):  # the ABC's check costs more
            # the keys of _settings.SETTINGS_OF_SECONDS, each looked up: isdisjoint would walk
            # every key of the configuration
            if LEASE_TTL in config or JOURNAL_TTL in config or SAGA_TIME_BUDGET in config:
                check_settings(config)
            init = cls.__init__
            # a shortcut only past what is the framework's own: a metaclass's __call__ or
            # a __new__ of the flow's would not see the event, or see it unlike cls(...)
            if (cls.event_providers is _FLOW_EVENT_PROVIDERS and type(cls) is _FLOW_META
                    and cls.__new__ is _OBJECT_NEW
                    and (init is _FLOW_INIT or init.__module__ in _OWN_MODULES)):
                if request is not None and type(request) is not dict:
                    checked_request(request)  # raises, naming what was expected
                if init is _FLOW_INIT:  # it would only set the container: set it here
                    flow = cls.__new__(cls)  # refuses an abstract class, as cls() does
                    flow._container = _event_container(cls, config, client, logger, request)
                    return flow
                return cls(_EventValues((config, client, logger, request)))  # type: ignore
        return cls(cls.event_providers(config, client, logger, request))

    @classmethod
    def check(cls, config: Mapping[str, Any], requests: Optional[List[dict]] = None) -> list:
        """Every wiring problem of this flow, found without running anything.

        The providers are built as ``make()`` builds them (with a placeholder client and
        logger); for each sample request (default: one that suits the kind of flow, a
        pending purchase for a saga), the entries of ``middlewares()`` and
        ``transactions()`` are walked: each class's constructor parameters, and through
        ``to_class`` bindings and ``provide_*`` methods theirs. No constructor and no
        provider method is called.

        Returns:
            ``Problem`` objects, each with ``kind``, ``name``, ``path`` and ``message``;
            empty when the wiring is complete. The kinds: ``missing`` (nothing bound to
            a parameter without default), ``cycle``, ``duplicate`` (two providers bind
            one name), ``invalid`` (a flow that cannot be built, ``transactions()`` or
            ``middlewares()`` raising or answering something other than a list, an
            entry that is not a transaction or middleware, a provider that cannot
            register, a ``LEASE_TTL``, ``JOURNAL_TTL`` or ``SAGA_TIME_BUDGET`` that
            ``make()`` would refuse), ``async`` (an ``async def`` method calling a sync
            facade operation, or dropping what an ``a…`` one answers without awaiting
            it) and ``unsafe`` (a lease or a journal on the null cache, a journal or a
            multi-step transaction without the lease).
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
        """The container that builds this flow's transactions and middlewares."""
        return self._container

    @abstractmethod
    def transactions(self, request: dict) -> List[Any]:
        """The transactions for ``request``, in the order they are tried."""

    def middlewares(self, request: dict) -> List[Any]:
        """The middlewares around the transactions, outermost first.

        Optional: a flow without middleware need not define it (none by default).
        """
        return []

    def _candidates(self, entries: List[Any]) -> Iterator[Any]:
        # Built one at a time, as the flow asks: transactions after the one that answers
        # are never built, so their dependencies cannot fail this request.
        candidate = self._candidate
        for entry in entries:
            yield candidate(entry)

    def _candidate(self, entry: Any) -> Any:
        """An entry of ``transactions()`` as the flow runs it: a class built through the
        container, anything else as it is; refused when it belongs in another flow."""
        flow = type(self)
        if isinstance(entry, type):
            wrong = _wrong_class(flow, entry)
            if wrong is not None:
                raise InvalidTransaction(wrong)
            return self._container.build(entry)
        wrong = misplaced(flow, entry) if entry else None
        if wrong is not None:
            raise InvalidTransaction(f"{flow.__name__}.transactions() lists {wrong}.")
        return entry

    def _parts(self, request: dict, method: str, *shape: Any,
               ) -> Tuple[List[Any], List[Any], bool]:
        """The built middlewares and the listed transactions for ``request``, refused
        before anything is built when ``resolve`` (``method``) meets an async part, and
        whether every transaction listed is a class this flow runs (see
        ``_checked_parts``, which is given ``shape``). Written out in one method: it runs
        on every event, and each call it saves costs more than the work it would do."""
        if type(request) is not dict and not isinstance(request, dict):
            raise TypeError(f"{type(self).__name__}.{method}() takes the request dict, "
                            f"got a {type(request).__name__}.")
        # a list of middlewares answered is used as it is, as the built ones are made of
        # it here and now, and falsy entries dropped; the transactions are copied: the
        # selection walks them while the event runs, and what was checked is what runs.
        # Any other answer is read as check() reads it (a missing return refused).
        listed = self.middlewares(request)
        if type(listed) is not list:
            listed = self._listed(listed, "middlewares")
        if not all(listed):
            listed = [entry for entry in listed if entry]
        entries = self.transactions(request)
        entries = list(entries) if type(entries) is list else self._listed(entries,
                                                                           "transactions")
        container = self._container
        shared = container._shared
        client = shared["client"] if "client" in shared else container.bound("client")
        try:  # these parts checked before, for this flow class, method and client class
            right = _CHECKED_PARTS.get((type(self), client.__class__, method, *listed, None,
                                        *entries))
        except TypeError:  # an unhashable part: checked every time
            right = None
        if right is None:
            right = self._checked_parts(client, listed, entries, method, *shape)
        if not listed:
            return listed, entries, right
        build = container.build
        middlewares = [build(entry) if isinstance(entry, type) else entry for entry in listed]
        return middlewares, entries, right

    def _listed(self, answer: Any, role: str) -> List[Any]:
        """``listed_answer``, its refusal naming this flow's method."""
        try:
            return listed_answer(answer, role)
        except NotAList as e:
            raise NotAList(f"{type(self).__name__}.{role}() {e}.") from None

    def _checked_parts(self, client: Any, middlewares: List[Any], entries: List[Any],
                       method: str, *shape: Any) -> bool:
        """Whether every entry is a class this flow runs, so that the selection may build
        each straight through the container (``_candidate`` asks it of each); under
        ``resolve`` (``method``), ``refuse_async`` first (``shape``: the flow's methods,
        roles and argument, as it takes them). Both are remembered per flow class, method
        and ``client`` class when every part is a class (``_parts`` reads what is
        remembered): a class does not turn async, nor into another kind of transaction,
        between events, so its methods are read once, not on every one. The client's
        class is part of what is remembered, so an ``AsyncConnectClient`` (or what passes
        for one) is refused every time."""
        flow = type(self)
        if method == "resolve":
            refuse_async(flow.__name__, client, middlewares, entries, *shape)
        right = all(isinstance(entry, type) and _wrong_class(flow, entry) is None
                    for entry in entries)
        parts = (*middlewares, *entries)
        if (all(isinstance(part, type) for part in parts)
                and len(_CHECKED_PARTS) < _REMEMBERED_PARTS):
            _CHECKED_PARTS[(flow, client.__class__, method, *middlewares, None, *entries)] = right
        return right

    def _operator_logger(self) -> Any:
        """The logger the extension was made with (the runner's), else the framework's."""
        logger = self._container.bound("logger")
        return logger if isinstance(logger, (logging.Logger, logging.LoggerAdapter)) else _logger

    def _request_logger(self, request: dict, level: int) -> Any:
        """The operator logger bound to ``request`` (as ``make(..., request)`` binds it),
        or ``None`` when it would drop lines of ``level``: nothing is bound for them."""
        logger = self._container._shared.get("logger")  # where make() binds it
        if type(logger) is not logging.Logger:  # the others are asked as they come
            logger = self._operator_logger()
        if not logger.isEnabledFor(level):
            return None
        bound = (isinstance(logger, ExtensionLoggerAdapter)
                 and (logger.extra or {}).get("request_id") == request.get("id"))
        return logger if bound else bind_logger(logger, request)


_FLOW_EVENT_PROVIDERS = Flow.event_providers
_FLOW_INIT = Flow.__init__
_FLOW_META = type(Flow)
_OBJECT_NEW = object.__new__
# the modules whose flows' __init__ only hands its providers to Flow.__init__
_OWN_MODULES = frozenset({__name__, f"{__package__}.application", f"{__package__}.flows"})
_MADE_KEYS = ("config", "connect")


class _EventValues(tuple):
    """What ``make()`` hands the ``__init__`` of a flow whose ``__init__`` and
    ``event_providers`` are the framework's own: ``(config, client, logger, request)``,
    for ``_event_container``."""


def _event_container(flow: Type["Flow"], config: Mapping[str, Any], client: Any, logger: Any,
                     request: Optional[dict]) -> Container:
    """The container of one event of ``flow``, with ``config``, ``client``, ``logger`` and
    ``request`` bound as the ``config`` and ``connect`` providers would bind them, without
    building those providers and asking them (most of the cost of an event's container).
    A name bound twice is left to those providers, which say which."""
    sources = config_sources(config)  # the same table while the keys stay the same
    # per flow class: the class-level bindings, checked against the names the
    # configuration binds, once for as long as the class's providers and the
    # configuration's keys stay the same (the providers compared as _class_bindings
    # compares them); the event's values are read on every event, never remembered
    providers = flow.providers
    memo = flow.__dict__.get("_event_memo")
    # _providers_changed, written out: one call less on every event
    if (memo is None or memo[1] is not sources or memo[0] is not providers
            or memo[7] != PROVIDER_CLASS_CHANGES[0] or memo[2] != providers):
        merged = _merged(flow._class_bindings(_MADE_KEYS), sources)
        # then how each class was built, by the containers without and with a request
        memo = (providers, sources, dict(providers), *merged, PROVIDER_CLASS_CHANGES[0],
                {}, {})
        type.__setattr__(flow, "_event_memo", memo)
    template = memo[4]
    if template is not None:
        shared = template.copy()
        shared["config"] = config
        # a dict is copied whole (see values_of), its values bound as they are asked for
        shared[CONFIG_VALUES] = config.copy() if type(config) is dict else values_of(
            config, sources)
        shared["client"] = client
        if request is None:  # connect_bindings, written out
            shared["logger"] = logger
            return Container.of(shared, memo[5], memo[8])
        shared["logger"] = bind_logger(logger, request)
        shared["request"] = request
        return Container.of(shared, memo[6], memo[9])
    event = Flow.event_providers(config, client, logger, request)
    return Container.extending(memo[3], event.values())  # raises, naming the clash


def _merged(base: Bindings, sources: Mapping[str, Any]) -> Tuple[Any, ...]:
    """``(base, shared, lazy, lazy with a request)``: the class-level instances an event's
    container starts from, and the lazy bindings served with them (without and with a
    request bound, which may replace a fallback), the configuration's values among them
    (read from the event's ``config`` under the names of ``sources``); ``shared`` is
    ``None`` when a name is bound twice."""
    bound = {**base.shared, **dict.fromkeys(sources)}
    event = ("config", "client", "logger", "request")
    if (len(bound) != len(base.shared) + len(sources)
            or not bound.keys().isdisjoint(base.lazy)
            or not bound.keys().isdisjoint(event) or not base.lazy.keys().isdisjoint(event)):
        return base, None, None, None
    values = {name: value_binding(value_reader(key)) for name, key in sources.items()}
    without = {**base.served_lazy(dict.fromkeys([*bound, *event[:3]])), **values}
    with_request = {**base.served_lazy(dict.fromkeys([*bound, *event])), **values}
    return base, dict(base.shared), without, with_request
