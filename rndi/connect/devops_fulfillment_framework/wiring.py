"""A saga's wiring, read without running it: what each entry needs, and where it comes from.

Injection by parameter name keeps sagas short and hides their wiring: a misspelled
parameter shows only when the first request arrives. ``check`` follows
``config -> provider -> container -> entry`` statically (no constructor and no provider
method is called) and reports every problem; ``explain`` prints the whole tree.
"""

import difflib
import inspect
import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type

from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.provider import BUILTIN_DRIVERS
from rndi.connect.business_objects.adapters import Asset, Request, TierConfiguration
from rndi.connect.business_objects.request_types import (
    ASSET_REQUEST_TYPES,
    TIER_CONFIG_REQUEST_TYPES,
)
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework._answers import NotAList, listed_answer
from rndi.connect.devops_fulfillment_framework._kinds import _a, misplaced
from rndi.connect.devops_fulfillment_framework._settings import setting_problems
from rndi.connect.devops_fulfillment_framework._worlds import facade_misuse
from rndi.connect.devops_fulfillment_framework.lease import RequestLease
from rndi.connect.devops_fulfillment_framework.multistep import (
    explained_steps,
    multistep_problems,
)
from rndi.connect.devops_fulfillment_framework.providers.cache import CacheServiceProvider
from rndi.connect.devops_fulfillment_framework.providers.configuration import (
    ConfigurationServiceProvider,
)
from rndi.connect.devops_fulfillment_framework.providers.journal import JournalServiceProvider
from rndi.connect.devops_logger_adapter._secrets import (
    MASK,
    is_secret_name,
    mask_url_credentials,
)
from rndi.dicontainer.adapter import (
    NO_DEFAULT,
    BaseServiceProvider,
    Binding,
    describe_bindings,
    injected_parameters,
)
from rndi.dicontainer.exceptions import ContainerError

Path = Tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One wiring problem.

    Attributes:
        kind: ``missing`` (nothing bound to a parameter without default), ``cycle``,
            ``duplicate`` (two providers bind one name), ``invalid`` (a flow that cannot
            be built, ``transactions()`` or ``middlewares()`` raising or answering
            something other than a list, an entry that is not a transaction or
            middleware, a provider that cannot register, a ``LEASE_TTL``,
            ``JOURNAL_TTL`` or ``SAGA_TIME_BUDGET`` that ``make()`` would refuse),
            ``async`` (an ``async def`` method calls a sync facade operation, or drops
            what an ``a…`` one answers without awaiting it) or ``unsafe`` (a lease or a
            journal on the null cache, a journal or a multi-step transaction without the
            lease).
        name: the binding (or entry) at fault.
        path: the chain from the saga entry (or the providers) to it.
        message: one line a person can act on.
    """

    kind: str
    name: str
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


class PlaceholderClient:
    """Stands for the Connect client while a saga is checked: nothing may call it."""

    def __repr__(self) -> str:
        return "<placeholder Connect client>"


@dataclass(frozen=True)
class _Bound:
    binding: Binding
    key: str                      # the provider's key in the saga
    provider: BaseServiceProvider

    def origin(self) -> str:
        where = f"{type(self.provider).__name__} (providers[{self.key!r}])"
        binding = self.binding
        if isinstance(self.provider, ConfigurationServiceProvider):
            source = getattr(self.provider, "sources", {}).get(binding.name)
            if source is not None:
                return f"config key {source!r}"
            if binding.name == "config":
                return "the configuration mapping"
        if binding.kind == "instance":
            return f"an instance of {type(binding.target).__name__} from {where}"
        if binding.kind == "class":
            return f"class {binding.target.__qualname__}, built by the container, from {where}"
        fallback = ", a fallback" if binding.fallback else ""
        return f"{binding.target.__name__}() of {where}{fallback}"


def sample_request(status: str = "pending", request_type: str = "purchase") -> Dict[str, Any]:
    """A request ``check`` can walk: by default the one it uses when given none, a pending
    purchase (a draft one for a validation or interactive flow).

    Args:
        status: the request's status.
        request_type: any type Connect sends (``ASSET_REQUEST_TYPES``: purchase …
            renew, transfer; ``TIER_CONFIG_REQUEST_TYPES``: setup, update, adjustment).
            An asset type gives an asset request; a tier-config type a tier-config
            request (``adjustment`` is an asset one: ``sample_requests`` has both).

    Raises:
        ValueError: a type Connect does not send.
    """
    if request_type in ASSET_REQUEST_TYPES:
        return _sample_asset_request(status, request_type)
    if request_type in TIER_CONFIG_REQUEST_TYPES:
        return _sample_tier_config_request(status, request_type)
    raise ValueError(f"sample_request() takes a request type Connect sends, got "
                     f"{str(request_type)[:40]!r}; asset types: "
                     f"{', '.join(ASSET_REQUEST_TYPES)}; tier-config types: "
                     f"{', '.join(TIER_CONFIG_REQUEST_TYPES)}.")


def sample_requests(status: str = "pending") -> List[Dict[str, Any]]:
    """One sample of every request type Connect sends, asset requests first: what
    ``Saga.check(config, sample_requests())`` walks when ``transactions()`` or
    ``middlewares()`` depend on the request's type."""
    return ([_sample_asset_request(status, kind) for kind in ASSET_REQUEST_TYPES]
            + [_sample_tier_config_request(status, kind) for kind in TIER_CONFIG_REQUEST_TYPES])


def _sample_asset_request(status: str, request_type: str) -> Dict[str, Any]:
    asset = (Asset().with_id("AS-0000-0000-0000").with_product("PRD-000-000-000")
             .with_tier_customer("TA-0000-0000-0000")
             .with_marketplace("MP-00000", "Sample marketplace"))
    number = ASSET_REQUEST_TYPES.index(request_type) + 1
    return (Request().with_id(f"PR-0000-0000-0000-{number:03d}").with_type(request_type)
            .with_status(status).with_asset(asset).raw())


def _sample_tier_config_request(status: str, request_type: str) -> Dict[str, Any]:
    configuration = (TierConfiguration().with_id("TC-0000-0000-0000")
                     .with_product("PRD-000-000-000").with_account("TA-0000-0000-0000")
                     .with_marketplace("MP-00000", "Sample marketplace"))
    number = TIER_CONFIG_REQUEST_TYPES.index(request_type) + 1
    return (Request().with_id(f"TCR-0000-0000-0000-{number:03d}").with_type(request_type)
            .with_status(status).with_tier_configuration(configuration).raw())


def sample_schedule() -> Dict[str, Any]:
    """The schedule ``check`` gives a scheduled flow when given none."""
    return {"id": "EFS-0000-0000-0000", "name": "Sample schedule", "method": "scheduled",
            "parameter": {}, "status": "enabled"}


def _is_scheduled(flow: type) -> bool:
    return getattr(flow, "argument", "request") == "schedule"


def _sample_for(flow: type) -> Dict[str, Any]:
    if _is_scheduled(flow):
        return sample_schedule()
    return sample_request("pending" if getattr(flow, "kind", "Saga") == "Saga" else "draft")


def _providers(saga: type, config: Mapping[str, Any], request: Optional[dict],
               ) -> Dict[str, BaseServiceProvider]:
    client, logger = PlaceholderClient(), logging.getLogger("rndi.saga.check")
    return saga.chosen_providers(saga.event_providers(config, client, logger,  # type: ignore[attr-defined]
                                                      request))


def _bindings(providers: Mapping[str, BaseServiceProvider],
              ) -> Tuple[Dict[str, _Bound], List[Problem]]:
    """Every name the saga's container would serve, and the duplicates it would refuse."""
    table: Dict[str, _Bound] = {}
    fallbacks: Dict[str, _Bound] = {}
    problems: List[Problem] = []
    for key, provider in providers.items():
        label = f"providers[{key!r}]"
        try:
            bindings = describe_bindings(provider)
        except (ContainerError, AttributeError, TypeError) as e:
            problems.append(Problem("invalid", key, (label,),
                                    f"{label} ({type(provider).__name__}) cannot give its "
                                    f"bindings: {type(e).__name__}: {e}"))
            continue
        for binding in bindings:
            bound = _Bound(binding, key, provider)
            if binding.fallback:
                fallbacks.setdefault(binding.name, bound)
            elif binding.name in table:
                first = table[binding.name]
                problems.append(Problem(
                    "duplicate", binding.name, (f"providers[{first.key!r}]", label),
                    f"{binding.name!r} is bound by providers[{first.key!r}] "
                    f"({type(first.provider).__name__}) and by {label} "
                    f"({type(provider).__name__}); bind it in one provider only."))
            else:
                table[binding.name] = bound
    for name, bound in fallbacks.items():
        table.setdefault(name, bound)
    return table, problems


def _lists_nothing(self: Any, *args: Any, **kwargs: Any) -> None:
    """What an abstract method of a saga answers while the saga is checked."""


def _saga_instance(saga: type, providers: Mapping[str, BaseServiceProvider]) -> Any:
    """A saga to ask for its entries; without a container when its wiring cannot build
    one (the problems say why). An abstract saga (its own problem says so) is built as
    a subclass whose abstract methods list nothing, so its other entries are checked."""
    if inspect.isabstract(saga):
        abstract = getattr(saga, "__abstractmethods__", ())
        saga = type(saga.__name__, (saga,), dict.fromkeys(abstract, _lists_nothing))
    try:
        return saga(providers)
    except (ContainerError, TypeError, ValueError, AttributeError):
        instance: Any = object.__new__(saga)
        instance._container = None
        instance.selected = None
        return instance


def is_abstract_base(flow: type) -> bool:
    """Whether ``flow`` says it is a base for other flows, not one to run: it sets
    ``__abstract__ = True`` in its own body, or declares abstract methods of its own.
    A class abstract only because it lacks an inherited abstract method (``def
    transaction`` for ``transactions``) says nothing of the kind: it is a mistake."""
    own = vars(flow)
    return own.get("__abstract__") is True or any(
        getattr(own.get(name), "__isabstractmethod__", False)
        for name in getattr(flow, "__abstractmethods__", ()))


def _unbuildable(flow: type) -> Optional[Problem]:
    """The problem of a flow that cannot be built (abstract), naming what it lacks and
    what it defines instead, when that looks like a misspelling."""
    missing = sorted(getattr(flow, "__abstractmethods__", ()))
    if not missing:
        return None
    name = flow.__name__
    lacks = ", ".join(f"{method}()" for method in missing)
    if is_abstract_base(flow):
        return Problem("invalid", name, (name,),
                       f"{name} is an abstract base: it does not define {lacks}, so it "
                       "cannot be built; check a subclass that does.")
    defined = {attribute for cls in flow.__mro__  # what the user's classes define
               if cls.__module__.partition(".")[0] not in ("rndi", "abc", "builtins")
               for attribute in vars(cls)}
    close = [f"{found}() for {method}()" for method in missing
             for found in difflib.get_close_matches(method, sorted(defined), n=1, cutoff=0.8)]
    hint = f" (it defines {', '.join(close)}: a misspelling?)" if close else ""
    return Problem("invalid", name, (name,),
                   f"{name} cannot be built: it does not define {lacks}{hint}, so make() "
                   "fails on every event. Define it; a base class meant for subclasses "
                   "only says so with __abstract__ = True in its body.")


def _entries(saga_instance: Any, request: dict) -> Iterator[Tuple[str, Any, Optional[str]]]:
    """``(role, entry, error)`` for each middleware and transaction the saga lists."""
    for role in ("middlewares", "transactions"):
        try:
            listed = listed_answer(getattr(saga_instance, role)(request), role)
        except NotAList as e:
            yield role, None, str(e)
            continue
        except Exception as e:  # the saga's own code: report it, do not stop the check
            yield role, None, f"raised {type(e).__name__}: {e}"
            continue
        for entry in listed:
            yield role, entry, None


def _entry_problem(role: str, entry: Any, flow: Any) -> Optional[str]:
    """Why ``entry`` cannot be a ``role`` entry of ``flow`` (what follows "lists"), or
    ``None``."""
    if role == "transactions":
        contract: type = flow.contract
        wrong = misplaced(flow, entry) if entry else None
        if wrong is not None:
            return wrong
        if isinstance(entry, type):
            if issubclass(entry, contract):
                return None
            return (f"{entry.__qualname__}, which is not a {contract.__name__} subclass; "
                    f"list transaction classes, instances or {flow.tuple_shape} "
                    "tuples")
        if not entry or isinstance(entry, contract):
            return None
        saga = flow.kind == "Saga"
        if isinstance(entry, tuple) and len(entry) in ((3, 4) if saga else (2,)):
            return None
        shape = "(name, predicate, execution[, compensation])" if saga else flow.tuple_shape
        return (f"{_a(type(entry).__name__)}, which is neither a transaction class, a "
                f"transaction, nor a {shape} tuple")
    if isinstance(entry, type) or not entry or callable(entry):
        return None
    return (f"{_a(type(entry).__name__)}, which is not callable as a middleware; list "
            "middleware classes or callables taking (request, next)")


def _label(entry: Any) -> str:
    return entry.__qualname__ if isinstance(entry, type) else type(entry).__qualname__


class _Walker:
    """Follows parameters through bindings, collecting problems (each binding once)."""

    def __init__(self, table: Dict[str, _Bound], saga: type,
                 providers: Mapping[str, BaseServiceProvider]) -> None:
        self.table = table
        self.saga = saga
        self.providers = providers
        self.problems: List[Problem] = []
        self.walked: set = set()

    def walk(self, parameters: Sequence[Tuple[str, bool, bool, Any]], path: Path) -> None:
        for name, _, has_default, default in parameters:
            if has_default:  # keeps its default: never injected, so never needed
                continue
            bound = self.table.get(name)
            here = (*path, name)
            if bound is None:
                if default is NO_DEFAULT:
                    self.problems.append(self._missing(name, here))
                continue
            if bound.binding.kind == "instance" or name in self.walked:
                continue
            if name in path[1:]:
                self.problems.append(self._cycle(name, path, here))
                continue
            self.walk(bound.binding.parameters, here)
            self.walked.add(name)

    def _cycle(self, name: str, path: Path, here: Path) -> Problem:
        loop = (*path[path.index(name, 1):], name)
        members = "; ".join(f"{member!r} is {self.table[member].origin()}"
                            for member in dict.fromkeys(loop))
        return Problem("cycle", name, here,
                       f"{' -> '.join(loop)}: {name!r} needs itself (from {path[0]}). On the "
                       f"loop: {members}. Split one of them so that it no longer needs the "
                       "next (move what they share into a binding of its own), or bind one "
                       "of them to an instance.")

    def _needs(self, binding: str, name: str, seen: Optional[set] = None) -> bool:
        """Whether ``binding`` needs ``name``, directly or through other bindings."""
        seen = set() if seen is None else seen
        bound = self.table.get(binding)
        if bound is None or binding in seen:
            return False
        seen.add(binding)
        return any(not has_default and (parameter == name or self._needs(parameter, name, seen))
                   for parameter, _, has_default, _ in bound.binding.parameters)

    def _missing(self, name: str, path: Path) -> Problem:
        # a close name that itself needs the missing one is no way out: 'activation_tpl'
        # comes from 'activation_template', so the config key is what is missing
        close = [c for c in difflib.get_close_matches(name, list(self.table), n=2, cutoff=0.7)
                 if not self._needs(c, name)]
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        unregistered = _unregistered_providers(name, self.saga, self.providers)
        if unregistered:
            owner = self.saga.__name__
            add = (f" {' or '.join(unregistered)} provides it but is not among "
                   f"{owner}'s providers: add it to {owner}.providers, bind it in a "
                   "provider,")
        else:
            add = " Bind it in a provider,"
        return Problem("missing", name, path,
                       f"{' -> '.join(path)}: nothing is bound to {name!r}{hint}{add} set the "
                       f"config key {name.upper()!r}, or give the parameter a default.")


def _unregistered_providers(name: str, saga: type,
                            providers: Mapping[str, BaseServiceProvider]) -> List[str]:
    """Provider classes the saga does not use that provide ``name``: by a ``provide_<name>``
    method, or by their own name (``vendor``: ``VendorProvider``, ``VendorServiceProvider``).
    Only from the saga's own package and the framework, not every class imported."""
    package = saga.__module__.rpartition(".")[0] or saga.__module__
    camel = "".join(part.capitalize() for part in name.split("_"))
    named = {f"{camel}Provider", f"{camel}ServiceProvider"}
    found, seen, stack = [], set(), list(BaseServiceProvider.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        module = cls.__module__
        ours = (module == saga.__module__ or module.startswith(package + ".")
                or module.startswith("rndi."))
        provides = callable(getattr(cls, f"provide_{name}", None)) or cls.__name__ in named
        if ours and provides and not any(isinstance(p, cls) for p in providers.values()):
            found.append(f"{cls.__qualname__} ({module})")
    return sorted(found)[:2]


def check(saga: Type[Any], config: Mapping[str, Any],
          requests: Optional[Sequence[dict]] = None) -> List[Problem]:
    """See ``Saga.check``."""
    samples = [_sample_for(saga)] if requests is None else list(requests)
    # a setting make() refuses, named here too, so a CI gate fails before a delivery does
    problems: List[Problem] = [Problem("invalid", message.split("'")[1], ("config",), message)
                               for message in setting_problems(config)]
    unbuildable = _unbuildable(saga)
    if unbuildable is not None:
        problems.insert(0, unbuildable)
    for request in samples:
        if not isinstance(request, dict):
            raise TypeError(f"{saga.__name__}.check() takes request dicts, got a "
                            f"{type(request).__name__}.")
        providers = _providers(saga, config, request)
        table, found = _bindings(providers)
        walker = _Walker(table, saga, providers)
        middlewares: List[Any] = []
        transactions: List[Any] = []
        for role, entry, error in _entries(_saga_instance(saga, providers), request):
            if role == "middlewares" and error is None:
                middlewares.append(entry)
            if role == "transactions" and error is None:
                transactions.append(entry)
            if error is not None:
                found.append(Problem("invalid", role, (f"{saga.__name__}.{role}()",),
                                     f"{saga.__name__}.{role}(request {request.get('id')!r}) "
                                     f"{error}"))
                continue
            invalid = _entry_problem(role, entry, saga)
            if invalid is not None:
                found.append(Problem("invalid", _label(entry), (f"{role}()", _label(entry)),
                                     f"{saga.__name__}.{role}() lists {invalid}."))
            elif isinstance(entry, type):
                walker.walk(injected_parameters(entry), (entry.__qualname__,))
                found.extend(Problem("async", entry.__qualname__, (entry.__qualname__, method),
                                     message) for method, message in facade_misuse(entry))
        found.extend(_once_problems(saga, config, table, middlewares, walker.walked))
        found.extend(Problem(*problem) for problem in multistep_problems(
            saga.__name__, _leased(middlewares), transactions, request))
        for problem in found + walker.problems:
            if problem not in problems:
                problems.append(problem)
    return problems


def _is_null_cache(config: Mapping[str, Any], table: Dict[str, _Bound]) -> Optional[str]:
    """Why the saga's ``cache`` is the null cache, when that can be told statically."""
    bound = table.get("cache")
    if bound is None:
        return None
    if bound.binding.kind == "instance":
        return "its cache is a NullCacheAdapter" if isinstance(
            bound.binding.target, NullCacheAdapter) else None
    if isinstance(bound.provider, CacheServiceProvider):
        driver = str(config.get("CACHE_DRIVER") or "none").strip().lower()
        if driver in ("", "none"):
            return f"CACHE_DRIVER is {driver!r}"
        # make() logs an error and falls back to the null cache for a name it does not
        # know (a provider of its own may know more); the name itself is never shown
        if driver not in BUILTIN_DRIVERS and (
                type(bound.provider).provide_cache is CacheServiceProvider.provide_cache):
            return f"CACHE_DRIVER names no built-in driver: {', '.join(BUILTIN_DRIVERS)}"
    return None


def _once_problems(saga: type, config: Mapping[str, Any], table: Dict[str, _Bound],
                   middlewares: List[Any], walked: set) -> List[Problem]:
    """A lease or a journal that cannot protect anything, and a journal without a lease."""
    lease = _leased(middlewares)
    journal = "journal" in walked and "journal" in table and isinstance(
        table["journal"].provider, JournalServiceProvider)
    name, null = saga.__name__, _is_null_cache(config, table)
    fix = ("Set CACHE_DRIVER to sqlite or file (one host) or redis (replicas on several "
           "hosts).")
    found = []
    if lease and null:
        found.append(Problem("unsafe", "RequestLease", (f"{name}.middlewares()", "RequestLease"),
                             f"{name} uses RequestLease on the null cache ({null}), which "
                             f"shares nothing: every delivery gets the lease. {fix}"))
    if journal and null:
        found.append(Problem("unsafe", "journal", (name, "journal"),
                             f"{name} uses the step journal on the null cache ({null}), which "
                             f"records nothing: every delivery runs its steps again. {fix}"))
    # the lease answers a BackgroundResponse: only a saga can have it
    if journal and not lease and getattr(saga, "contract", None) is BackgroundTransaction:
        found.append(Problem("unsafe", "journal", (name, "journal"),
                             f"{name} uses the step journal without RequestLease: two "
                             "overlapping deliveries can both run a step before either "
                             "records it. List RequestLease first in middlewares()."))
    return found


def _leased(middlewares: List[Any]) -> bool:
    return any(isinstance(entry, RequestLease) or (
        isinstance(entry, type) and issubclass(entry, RequestLease)) for entry in middlewares)


_DEEPEST_INDENT = 40  # deeper levels print their depth, so a long chain stays linear


def _default(name: str, value: Any) -> str:
    """A parameter's default as ``explain`` shows it: masked when the name says secret
    (unless empty), cut short when long."""
    if is_secret_name(name) and not (value is None or (isinstance(value, str) and not value)):
        return MASK
    text = mask_url_credentials(repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


class _Tree:
    """The lines of ``explain``: each binding's parameters are printed once, where it
    first appears; later appearances refer back to it, so a dependency shared by many
    (a diamond, many layers deep) costs one line per appearance, not a copy of its tree."""

    def __init__(self, table: Dict[str, _Bound], lines: List[str]) -> None:
        self.table = table
        self.lines = lines
        self.shown: Dict[str, str] = {}  # binding name -> the entry it is shown under

    def add(self, parameters: Sequence[Tuple[str, bool, bool, Any]], entry: str) -> None:
        # an explicit stack, not recursion: a chain of thousands of bindings is printed
        stack: List[Tuple[Iterator[Tuple[str, bool, bool, Any]], Path, int]] = [
            (iter(parameters), (entry,), 3)]
        while stack:
            pending, path, depth = stack[-1]
            parameter = next(pending, None)
            if parameter is None:
                stack.pop()
                continue
            name, _, has_default, default = parameter
            indent = "  " * min(depth, _DEEPEST_INDENT) + (
                f"[{depth - 2}] " if depth > _DEEPEST_INDENT else "")  # its level
            bound = None if has_default else self.table.get(name)  # a default is kept
            if bound is None:
                self.lines.append(f"{indent}{name} <- " + (
                    f"its default {_default(name, default)}" if default is not NO_DEFAULT
                    else "MISSING: nothing is bound"))
                continue
            line = f"{indent}{name} <- {bound.origin()}"
            needs = bound.binding.parameters if bound.binding.kind != "instance" else ()
            if name in path[1:]:
                self.lines.append(f"{line} (a cycle: see above)")
            elif needs and name in self.shown:
                self.lines.append(f"{line} (its parameters: see above, under "
                                  f"{self.shown[name]})")
            else:
                self.lines.append(line)
                if needs:
                    self.shown[name] = entry
                    stack.append((iter(needs), (*path, name), depth + 1))


def explain(saga: Type[Any], config: Mapping[str, Any], request: Optional[dict] = None) -> str:
    """See ``Saga.explain``."""
    request = _sample_for(saga) if request is None else request
    providers = _providers(saga, config, request)
    table, duplicates = _bindings(providers)
    what = (f"schedule {request.get('id')}" if _is_scheduled(saga)
            else f"{request.get('type')} request {request.get('id')}")
    lines = [f"{saga.__name__}, for {what}:"]
    tree = _Tree(table, lines)
    for role, entry, error in _entries(_saga_instance(saga, providers), request):
        header = f"  {role}()"
        if header not in lines:
            lines.append(header)
        if error is not None:
            lines.append(f"    {error}")
        elif isinstance(entry, type):
            lines.append(f"    {entry.__qualname__}")
            tree.add(injected_parameters(entry), entry.__qualname__)
            lines.extend(explained_steps(entry, request, "      "))
        elif entry:
            lines.append(f"    {_label(entry)} instance (used as it is)")
            lines.extend(explained_steps(entry, request, "      "))
    unbuildable = _unbuildable(saga)
    lines.extend(f"  {problem}" for problem in (
        duplicates if unbuildable is None else [unbuildable, *duplicates]))
    return "\n".join(lines)
