"""Name-based dependency injection: a provider declares names, the container builds classes.

Performance matters because an extension builds a fresh container on every event: the
signature of each class and the ``provide_*`` methods of each provider type are read once
per process and cached, so building a container is a few dictionary merges and ``get()``
is a loop over a precomputed parameter plan.
"""

import inspect
import operator
import re
from abc import ABCMeta
from functools import lru_cache
from typing import (
    Annotated,
    Any,
    Callable,
    Dict,
    Iterable,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    TypeVar,
    get_args,
    get_origin,
)

from rndi.dicontainer.contracts import DIContainer, ServiceProvider
from rndi.dicontainer.exceptions import (
    CircularDependency,
    ContainerError,
    DependencyBuildingFailure,
    DuplicateBinding,
    InvalidBinding,
    InvalidClassType,
)

_PROVIDE_PREFIX = "provide_"
_UNSET: Any = object()

# How a lazy binding is built: a class built by the container, or a provider method called
# with its own parameters injected.
_CLASS = 0
_METHOD = 1
_VALUE = 2  # read from what the container holds: see value_binding

# (name, positional_only, has_default, default) for each parameter. ``has_default``
# means "never injected: the default is used"; a parameter annotated ``Injectable[...]``
# has ``has_default`` false and keeps its default in ``default`` (``NO_DEFAULT`` when
# there is none), used when nothing is bound to its name.
_Plan = Tuple[Tuple[str, bool, bool, Any], ...]
_Lazy = Tuple[int, Any]

NO_DEFAULT: Any = inspect.Parameter.empty


class _InjectMarker:
    """The ``Annotated`` metadata that ``Injectable`` adds."""

    def __repr__(self) -> str:
        return "<inject even with a default>"


_INJECT = _InjectMarker()
_T = TypeVar("_T")

Injectable = Annotated[_T, _INJECT]
"""``Injectable[T]`` marks a parameter that has a default and is injected all the same
when its name is bound (``def __init__(self, criteria, on_match: Injectable[Fn] = None)``).
Any other parameter with a default keeps its default, as in the published container."""


# ``Injectable[...]`` as text, for modules with ``from __future__ import annotations``
_INJECTABLE_TEXT = re.compile(r"\s*(?:[\w.]+\.)?Injectable\[")


def _opted_in(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return _INJECTABLE_TEXT.match(annotation) is not None
    return get_origin(annotation) is Annotated and _INJECT in get_args(annotation)[1:]


def _plan(target: Callable[..., Any]) -> _Plan:
    """``(name, positional_only, has_default, default)`` for each parameter of ``target``."""
    return _plan_keyed(target, target.__init__ if isinstance(target, type) else None)  # type: ignore[misc]


# A class's plans are remembered by its __init__ too: a test may patch it (mock.patch) for
# a while, and the class must be built by the __init__ it has when it is built.
@lru_cache(maxsize=4096)
def _plan_keyed(target: Callable[..., Any], init: Any) -> _Plan:
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # builtins without a readable signature take nothing
        return ()
    return tuple(
        (
            p.name,
            p.kind is inspect.Parameter.POSITIONAL_ONLY,
            p.default is not NO_DEFAULT and not _opted_in(p.annotation),
            p.default,
        )
        for p in parameters
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    )


# how get() builds a class whose injected parameters lead its signature: what it needs,
# and how to take their values from the built ones, in order, at C speed
_Fast = Tuple[frozenset, Optional[Callable[[Dict[str, Any]], Any]], bool, Tuple[str, ...]]


@lru_cache(maxsize=4096)
def _fast_build(target: Callable[..., Any], given: int, init: Any) -> Optional[_Fast]:
    """``(needed, getter, single, names)`` when the parameters of ``target`` past the ``given``
    first ones (``self`` of a provider method) are some injected ones taken in order
    (``getter`` answers their values, one value itself when ``single``), then only ones
    that keep their default; ``None`` otherwise (a keyword-only or ``Injectable`` one),
    for ``_call`` to handle. ``init``: a class's ``__init__`` (see ``_plan_keyed``)."""
    try:
        parameters = [p for p in inspect.signature(target).parameters.values()
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)][given:]
    except (TypeError, ValueError):
        return None
    plan = _plan_keyed(target, init)[given:]
    names: List[str] = []
    for (name, _, has_default, default), parameter in zip(plan, parameters, strict=True):
        if has_default:  # it keeps its default: so must every parameter after it
            if not all(rest[2] for rest in plan[len(names) + 1:]):
                return None
            break
        if default is not NO_DEFAULT or parameter.kind is parameter.KEYWORD_ONLY:
            return None
        names.append(name)
    getter = operator.itemgetter(*names) if names else None
    return frozenset(names), getter, len(names) == 1, tuple(names)


# how an event's container built a class (see Container.of): its __init__, the getter
# of its injected values (None: nothing injected), whether it takes one, its lazy names
_Built = Tuple[Any, Optional[Callable[[Dict[str, Any]], Any]], bool, Tuple[str, ...]]
_PLANS = 1024  # classes remembered per table of plans
# a container's bindings being built the full way (a cycle is one met twice), made a
# list only when the first one is: most events never build one that way
_NOT_BUILDING: Any = ()

# class -> (its __init__, its _fast_build): what build() asks of every class it builds,
# read from a dict (an lru_cache call hashes its three arguments); a class whose __init__
# changed (a test patches it) is asked again
_BUILDS: Dict[type, Tuple[Any, Optional[_Fast]]] = {}


def _fast_of(cls: type, init: Any) -> Optional[_Fast]:
    fast = _fast_build(cls, 0, init)
    if len(_BUILDS) < 4096 or cls in _BUILDS:
        _BUILDS[cls] = (init, fast)
    return fast


@lru_cache(maxsize=1024)
def _provide_methods(
    provider_type: type,
) -> Tuple[Tuple[str, Callable[..., Any], _Plan, bool], ...]:
    """``(name, function, plan, takes_self)`` for each ``provide_<name>`` of a provider type."""
    methods = []
    for attribute in dir(provider_type):
        if not attribute.startswith(_PROVIDE_PREFIX) or attribute == _PROVIDE_PREFIX:
            continue
        raw = inspect.getattr_static(provider_type, attribute)
        function = getattr(provider_type, attribute)
        if not callable(function):
            continue
        name = attribute[len(_PROVIDE_PREFIX) :]
        if isinstance(raw, (staticmethod, classmethod)):
            # already complete: a static function, or a class method bound to the class
            methods.append((name, function, _plan(function), False))
        else:
            # a plain method: its plan starts with ``self``, which the container passes
            methods.append((name, function, _plan(function)[1:], True))
    return tuple(methods)


def _check_keyword(provider: Any, keyword: Any) -> None:
    if not isinstance(keyword, str) or not keyword.isidentifier():
        raise InvalidBinding(
            type(provider).__name__,
            str(keyword),
            "a binding name must be a valid parameter name (a Python identifier string)",
        )


# how many times a provider class was changed after it was made (a test patching its
# register() or a provide_* method): bindings remembered from provider classes are
# gathered again when it moved. A list, read and bumped in place.
PROVIDER_CLASS_CHANGES = [0]


class _ProviderClass(ABCMeta):
    """The class of provider classes: counts the changes made to them (see
    ``PROVIDER_CLASS_CHANGES``), which a provider's ``register()`` and ``provide_*``
    methods, read once and remembered, would otherwise not see."""

    def __setattr__(cls, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        _provider_class_changed()

    def __delattr__(cls, name: str) -> None:
        super().__delattr__(name)
        _provider_class_changed()


def _provider_class_changed() -> None:
    PROVIDER_CLASS_CHANGES[0] += 1
    _provide_methods.cache_clear()


class BaseServiceProvider(ServiceProvider, metaclass=_ProviderClass):
    """A service provider: bindings from ``binds``, from ``register()`` and ``provide_*``.

    Args:
        binds: maps a name to ``{'to_instance': value}`` or ``{'to_class': SomeClass}``.

    Any method named ``provide_<name>`` provides ``<name>``; its parameters are injected by
    name like a constructor's, and it runs at most once per container. A name bound in
    ``register()`` replaces the same name given in ``binds``; a name bound explicitly and
    by a ``provide_*`` method of the same provider is a ``DuplicateBinding`` when a
    container is built (as the published container refused it), unless the method is
    named in ``replaceable``: then the explicit binding replaces it. The ``provide_*`` methods
    named in ``fallbacks`` are defaults: any other binding of the same name, in this
    provider or another, wins, without a ``DuplicateBinding``.

    Raises:
        InvalidBinding: a binding is not one of the two accepted forms.
    """

    fallbacks: frozenset = frozenset()
    # provide_* methods an explicit binding of the same provider replaces instead of
    # clashing with: they stand for bindings a subclass's register() is meant to replace
    replaceable: frozenset = frozenset()

    def __init__(self, binds: Optional[Dict[str, Dict[str, Any]]] = None) -> None:
        # The binding tables are created on first bind (see _own): a provider is built on
        # every event and most bind only in register().
        if binds:
            if not isinstance(binds, dict) and not isinstance(binds, Mapping):
                raise TypeError(
                    f"{type(self).__name__}(binds=...) expects a dict of "
                    f"name -> {{'to_instance': value}} or {{'to_class': cls}}, "
                    f"got a {type(binds).__name__}"
                )
            for keyword, binding in binds.items():
                self._bind(keyword, binding)

    def register(self) -> None:
        """Override to declare bindings with ``bind_instance``/``bind_class``."""

    def configure(self, bind: Callable[..., None]) -> None:
        """The published hook, called once: declare bindings with
        ``bind(name, to_instance=value)`` or ``bind(name, to_class=cls)``. By default it
        runs ``register()``; override either."""
        self.register()

    def _bind_configured(self, keyword: str, to_class: Any = _UNSET, to_instance: Any = _UNSET,
                         **scope: Any) -> None:
        """The ``bind`` that ``configure`` is given (a scope, if passed, changes nothing:
        everything is built once per container)."""
        if (to_class is _UNSET) == (to_instance is _UNSET):
            raise InvalidBinding(type(self).__name__, str(keyword),
                                 "bind() takes exactly one of to_class= or to_instance=")
        if to_class is _UNSET:
            self.bind_instance(keyword, to_instance)
        else:
            self.bind_class(keyword, to_class)

    def bind_instance(self, keyword: str, concrete: Any) -> "BaseServiceProvider":
        """Bind ``keyword`` to ``concrete``, handed to consumers as it is."""
        _check_keyword(self, keyword)
        self._own("_classes").pop(keyword, None)
        self._own("_instances")[keyword] = concrete
        return self

    def bind_class(self, keyword: str, concrete: type) -> "BaseServiceProvider":
        """Bind ``keyword`` to a class the container builds once per container."""
        _check_keyword(self, keyword)
        if not isinstance(concrete, type):
            raise InvalidBinding(
                type(self).__name__,
                keyword,
                f"'to_class' needs a class, got a {type(concrete).__name__}; "
                "use bind_instance for ready-made values",
            )
        self._own("_instances").pop(keyword, None)
        self._own("_classes")[keyword] = concrete
        return self

    def _own(self, attribute: str) -> Dict[str, Any]:
        """This provider's ``_instances`` or ``_classes`` table, created when first needed
        (so subclasses that skip ``super().__init__()`` work too)."""
        return self.__dict__.setdefault(attribute, {})

    def _bind(self, keyword: str, binding: Any) -> None:
        if isinstance(binding, (dict, Mapping)) and len(binding) == 1:
            if "to_instance" in binding:
                self.bind_instance(keyword, binding["to_instance"])
                return
            if "to_class" in binding:
                self.bind_class(keyword, binding["to_class"])
                return
        raise InvalidBinding(
            type(self).__name__,
            str(keyword),
            f"expected {{'to_instance': value}} or {{'to_class': cls}}, "
            f"got a {type(binding).__name__}",
        )

    def _contribute(self, shared: Dict[str, Any], lazy: Dict[str, _Lazy],
                    fallback: Optional[Dict[str, _Lazy]] = None) -> int:
        """Add this provider's bindings to a container's tables; return how many (the
        ``fallbacks`` go to ``fallback`` and are not counted).

        Runs on every event for every provider, so it writes straight into the
        container's dicts instead of building its own.
        """
        own = self.__dict__
        if "_registered" not in own:
            own["_registered"] = True
            if type(self).configure is BaseServiceProvider.configure:
                self.register()  # what configure() does, without making its bind argument
            else:
                self.configure(self._bind_configured)
        count = 0
        instances = own.get("_instances")
        if instances:
            shared.update(instances)
            count = len(instances)
        classes = own.get("_classes")
        fallbacks = self.fallbacks
        for name, function, plan, takes_self in _provide_methods(type(self)):
            explicit = (instances and name in instances) or (classes and name in classes)
            if fallbacks and name in fallbacks:  # a default: an explicit binding wins
                if not explicit and fallback is not None:
                    fallback.setdefault(name, _method(function, plan, takes_self, self))
                continue
            if explicit:  # two ways of binding one name: which one was meant?
                if name in self.replaceable:
                    continue
                provider = type(self).__name__
                raise DuplicateBinding(name, f"{provider}'s explicit binding (register() or "
                                       "binds=)", f"{provider}.provide_{name}()")
            lazy[name] = _method(function, plan, takes_self, self)
            count += 1
        if classes:
            for name, cls in classes.items():
                lazy[name] = (_CLASS, cls)
            count += len(classes)
        return count


def _label(providers: Sequence[Any], index: int) -> str:
    return f"providers[{index}] ({type(providers[index]).__name__})"


def _raise_duplicate(providers: Sequence[BaseServiceProvider]) -> None:
    owners: Dict[str, int] = {}
    for index, provider in enumerate(providers):
        bindings = [b for b in describe_bindings(provider) if not b.fallback]
        instances = sorted(b.name for b in bindings if b.kind == "instance")
        lazies = sorted(b.name for b in bindings if b.kind != "instance")
        for names in (instances, lazies):
            for name in names:
                if name in owners:
                    raise DuplicateBinding(
                        name, _label(providers, owners[name]), _label(providers, index)
                    )
                owners[name] = index


def _not_a_provider(index: int, given: Any) -> InvalidBinding:
    if isinstance(given, type):
        return InvalidBinding(
            f"providers[{index}]", given.__name__,
            f"got the class {given.__name__} itself; a container takes provider instances: "
            f"pass {given.__name__}()",
        )
    return InvalidBinding(
        f"providers[{index}]", type(given).__name__,
        f"got a {type(given).__name__}; a container takes BaseServiceProvider instances: "
        "subclass BaseServiceProvider",
    )


def _contribution(index: int, provider: Any, shared: Dict[str, Any], lazy: Dict[str, _Lazy],
                  fallback: Dict[str, _Lazy]) -> int:
    # getattr rather than isinstance: an ABC instance check costs more than the rest
    contribute = getattr(provider, "_contribute", None)
    if contribute is None or isinstance(provider, type):
        raise _not_a_provider(index, provider)
    return int(contribute(shared, lazy, fallback))


def _method(function: Callable[..., Any], plan: _Plan, takes_self: bool,
            provider: "BaseServiceProvider") -> _Lazy:
    """The lazy binding of a ``provide_*`` method: ``(function, plan, head, fast)``, where
    ``head`` is what it is called with first (its provider, when it takes ``self``) and
    ``fast`` is its ``_fast_build``, read once here rather than on every event."""
    head = (provider,) if takes_self else ()
    return (_METHOD, (function, plan, head, _fast_build(function, len(head), None)))


class Bindings:
    """The bindings of some providers, gathered once, for ``Container.extending``.

    A flow's class-level providers are the same on every event: their bindings are
    gathered once per flow class instead of once per event. What the bindings build
    (classes, ``provide_*`` answers) is still built once per container.

    Raises:
        ContainerError: what ``Container(providers)`` raises for these providers.
    """

    __slots__ = ("_served", "count", "fallback", "lazy", "providers", "shared")

    def __init__(self, providers: Sequence[BaseServiceProvider] = ()) -> None:
        self.providers: Tuple[BaseServiceProvider, ...] = tuple(providers)
        self.shared: Dict[str, Any] = {}
        self.lazy: Dict[str, _Lazy] = {}
        self.fallback: Dict[str, _Lazy] = {}
        self.count = 0
        for index, provider in enumerate(self.providers):
            self.count += _contribution(index, provider, self.shared, self.lazy, self.fallback)
        if (len(self.shared) + len(self.lazy) != self.count
                or not self.shared.keys().isdisjoint(self.lazy)):
            _raise_duplicate(self.providers)
        # the lazy table a container serves, by which fallbacks a later instance binding
        # replaces: the same few on every event, and never changed once made
        self._served: Dict[frozenset, Dict[str, _Lazy]] = {}

    def served_lazy(self, shared: Mapping[str, Any]) -> Dict[str, _Lazy]:
        """``lazy`` with each fallback that no name of ``shared`` replaces (read-only: it
        is shared by every container that has the same fallbacks replaced)."""
        fallback = self.fallback
        if not fallback:
            return self.lazy
        replaced = frozenset(fallback.keys() & shared.keys())
        served = self._served.get(replaced)
        if served is None:
            served = dict(self.lazy)
            for name, method in fallback.items():
                if name not in shared and name not in served:
                    served[name] = method
            if len(self._served) < 64:
                self._served[replaced] = served
        return served


_NO_BASE = Bindings()


class Container(DIContainer):
    """Builds classes, injecting each constructor parameter by its name.

    Args:
        providers: the service providers whose bindings the container serves. Two
            instances of one provider class are both honoured.

    Raises:
        DuplicateBinding: two providers bind the same name.
        InvalidBinding: an entry of ``providers`` is not a ``BaseServiceProvider``.

    Everything injected is built once per container and shared by every consumer; the
    object ``get()`` returns is new on every call. A container is meant to serve one event
    on one thread: build a new one per event, it is cheap.
    """

    __slots__ = ("_building", "_lazy", "_plans", "_root", "_shared")

    def __init__(self, providers: Optional[List[BaseServiceProvider]]) -> None:
        # None: no providers, as pinject's object graph took it
        self._serve(_NO_BASE, () if providers is None else providers)

    @classmethod
    def extending(cls, base: "Bindings", providers: Iterable[BaseServiceProvider]
                  ) -> "Container":
        """A container over ``base.providers`` followed by ``providers``, as
        ``Container([*base.providers, *providers])`` would be, without asking the
        providers of ``base`` for their bindings again.

        Raises:
            ContainerError: what ``Container(...)`` raises for these providers.
        """
        container = cls.__new__(cls)
        container._serve(base, providers)
        return container

    @classmethod
    def of(cls, shared: Dict[str, Any], lazy: Dict[str, _Lazy],
           plans: Optional[Dict[type, _Built]] = None) -> "Container":
        """A container over bindings gathered already: ``shared`` (name -> instance, the
        container's own: it adds what it builds) and ``lazy`` (from ``Bindings``, never
        changed). For a caller that checked them as ``extending`` does.

        ``plans``: a dict the caller keeps for every container it makes with the same
        ``lazy`` table and a ``shared`` of the same names (an event's container, made
        again for each event); ``build`` fills it with how it built each class, which
        names of the class are lazy among them, and reads it back on the next event."""
        container = cls.__new__(cls)
        container._shared = shared
        container._lazy = lazy
        container._plans = plans
        container._building = _NOT_BUILDING
        container._root = None
        return container

    def _serve(self, base: "Bindings", providers: Iterable[BaseServiceProvider]) -> None:
        shared: Dict[str, Any] = base.shared.copy()
        lazy: Dict[str, _Lazy] = {}
        fallback: Dict[str, _Lazy] = {}
        count = base.count
        for index, provider in enumerate(providers, len(base.providers)):
            count += _contribution(index, provider, shared, lazy, fallback)
        # the given providers' lazy bindings merged in; with only instances, the base's
        lazy = {**base.lazy, **lazy} if lazy or fallback else base.lazy
        # A provider's own bindings never overlap, so fewer names than bindings means two
        # providers share a name; find which only then, off the hot path.
        if len(shared) + len(lazy) != count or not shared.keys().isdisjoint(lazy):
            _raise_duplicate([*base.providers, *providers])
        if lazy is base.lazy:
            lazy = base.served_lazy(shared)
        else:
            for name, method in {**fallback, **base.fallback}.items():  # the first one wins
                if name not in shared and name not in lazy:
                    lazy[name] = method
        self._shared = shared
        self._lazy = lazy
        self._plans: Optional[Dict[type, _Built]] = None
        self._building: List[str] = _NOT_BUILDING
        self._root: Any = None  # the class get() builds, for the path of a failure

    def get(self, cls: type) -> Any:
        """Return a new instance of ``cls``, its constructor parameters injected by name.

        Raises:
            InvalidClassType: ``cls`` is not a class.
            DependencyBuildingFailure: a parameter without default has nothing bound.
            CircularDependency: a binding needs itself, directly or not.

        A parameter with a default keeps it, whether or not its name is bound (unless it
        is annotated ``Injectable[...]``). An error raised by a binding's class or
        ``provide_*`` method comes out as it is, its own type, with a note naming the
        binding and the path to it (``__notes__``).
        """
        if not isinstance(cls, type):
            raise InvalidClassType(cls)
        return self.build(cls)

    def build(self, cls: type) -> Any:
        """``get(cls)`` for a caller that knows ``cls`` is a class (a flow building the
        classes it lists): the same instance, without asking again."""
        init = cls.__init__  # type: ignore[misc]
        plans = self._plans
        if plans is not None:  # how this class was built in the last event's container
            built = plans.get(cls)
            if built is not None and built[0] is init:
                shared = self._shared
                for name in built[3]:  # the lazy ones, in order
                    if name not in shared:
                        self._root = cls
                        self._make(name, cls)
                getter = built[1]
                return (cls() if getter is None else cls(getter(shared)) if built[2]
                        else cls(*getter(shared)))
        known = _BUILDS.get(cls)
        fast = known[1] if known is not None and known[0] is init else _fast_of(cls, init)
        if fast is not None:
            getter = fast[1]
            if getter is None:  # nothing injected (a middleware often): nothing to build
                if plans is not None and len(plans) < _PLANS:
                    plans[cls] = (init, None, False, ())
                return cls()
            shared = self._shared
            if not fast[0] <= shared.keys():  # build what is lazy first, in order
                self._root = cls
                for name in fast[3]:
                    if name not in shared:
                        if name not in self._lazy:
                            return self._call(cls, cls, _plan(cls), ())  # raises, naming it
                        self._make(name, cls)
            if plans is not None and len(plans) < _PLANS:
                lazy = self._lazy  # each name is lazy or held from the start, as next time
                plans[cls] = (init, getter, fast[2],
                              tuple(name for name in fast[3] if name in lazy))
            return cls(getter(shared)) if fast[2] else cls(*getter(shared))
        self._root = cls
        return self._call(cls, cls, _plan(cls), ())

    def bound(self, name: str, default: Any = None) -> Any:
        """The value bound to ``name`` (built, once, when it is lazy), else ``default``.

        Raises:
            CircularDependency: building the binding needs itself.
        """
        if name in self._shared:
            return self._shared[name]
        if name in self._lazy:
            self._root = None
            return self._make(name)
        return default

    def _call(self, owner: Any, target: Callable[..., Any], plan: _Plan, head: tuple) -> Any:
        shared = self._shared
        args: Optional[List[Any]] = None  # made only for a positional-only parameter
        kwargs = {}
        for name, positional_only, has_default, default in plan:
            if has_default:  # never injected, as in the published container
                if positional_only:  # later positional arguments need this slot filled
                    args = [*head] if args is None else args
                    args.append(default)
                continue
            if name in shared:
                value = shared[name]
            elif name in self._lazy:
                value = self._make(name, owner)
            elif default is not NO_DEFAULT:  # Injectable[...] with nothing bound
                if positional_only:
                    args = [*head] if args is None else args
                    args.append(default)
                continue
            else:
                raise DependencyBuildingFailure(owner, name, [  # the names (see _Values)
                    bound for bound in (*shared, *self._lazy) if type(bound) is str])
            if positional_only:
                args = [*head] if args is None else args
                args.append(value)
            else:
                kwargs[name] = value
        return target(*(head if args is None else args), **kwargs)

    def _make(self, name: str, owner: Any = None) -> Any:
        kind, payload = self._lazy[name]
        shared = self._shared
        # a value read from what the container holds, or a provider method whose
        # parameters are all built already: it cannot need itself, so the way there is
        # not tracked (the cost of most lazy bindings of an event)
        try:
            if kind == _VALUE:
                shared[name] = value = payload(shared)
                return value
            if kind == _METHOD:
                function, _, head, fast = payload
                if fast is not None and fast[0] <= shared.keys():
                    getter = fast[1]
                    value = (function(*head) if getter is None
                             else function(*head, getter(shared)) if fast[2]
                             else function(*head, *getter(shared)))
                    shared[name] = value
                    return value
        except ContainerError:
            raise
        except Exception as e:
            _note_failure(e, name, self._root, [*self._building, name], kind, payload)
            raise
        building = self._building
        if building is _NOT_BUILDING:  # made on the first binding built the full way
            building = self._building = []
        if name in building:
            raise CircularDependency([*building[building.index(name) :], name])
        building.append(name)
        try:
            if kind == _CLASS:
                value = self._call(payload, payload, _plan(payload), ())
            else:
                function, plan, head, _ = payload
                value = self._call(function, function, plan, head)
        except ContainerError:
            raise  # already names what failed, innermost first
        except Exception as e:
            # The caller's own error type goes through (code may catch its VendorError
            # around a saga); a note says where it came from, innermost binding only.
            _note_failure(e, name, self._root, building, kind, payload)
            raise
        finally:
            building.pop()
        shared[name] = value
        return value


_NOTE_PREFIX = "Raised while the container built "


def _note_failure(error: BaseException, name: str, root: Any, building: Sequence[str],
                  kind: int, payload: Any) -> None:
    """Add a note naming the failed binding, its path and its source (names only, never a
    value, so no configured secret can reach a log through it)."""
    notes = getattr(error, "__notes__", None)
    if notes and any(isinstance(n, str) and n.startswith(_NOTE_PREFIX) for n in notes):
        return  # an inner binding already noted it
    path = " -> ".join([*([_describe_target(root)] if root is not None else []), *building])
    source = (f"class {_describe_target(payload)}" if kind == _CLASS
              else f"{_describe_target(payload[0])}()" if kind == _METHOD
              else _describe_target(payload))
    note = (f"{_NOTE_PREFIX}{name!r} ({path}) with {source}; fix that provider or what it "
            "needs.")
    try:
        if hasattr(error, "add_note"):  # Python 3.11+
            error.add_note(note)
        else:  # 3.10: the attribute 3.11's tracebacks print
            vars(error)["__notes__"] = [*(notes or []), note]
    except (AttributeError, TypeError):  # an exception that refuses new attributes
        pass


def _describe_target(target: Any) -> str:
    return getattr(target, "__qualname__", None) or type(target).__qualname__


class Binding(NamedTuple):
    """One binding of a provider, as ``describe_bindings`` reports it.

    ``kind`` is ``"instance"`` (``target`` is the value), ``"class"`` (``target`` is the
    class the container builds) or ``"method"`` (``target`` is the ``provide_*``
    function); ``parameters`` are what the container injects into a class or method:
    ``(name, positional_only, has_default, default)``, read as ``injected_parameters``
    describes.
    """

    name: str
    kind: str
    target: Any
    parameters: _Plan
    fallback: bool


def describe_bindings(provider: BaseServiceProvider) -> List[Binding]:
    """The bindings ``provider`` gives a container, without building or calling any of
    them (its ``register()`` runs, once, as a container would run it)."""
    instances: Dict[str, Any] = {}
    lazy: Dict[str, _Lazy] = {}
    fallback: Dict[str, _Lazy] = {}
    provider._contribute(instances, lazy, fallback)
    described = [Binding(name, "instance", value, (), False) for name, value in instances.items()]
    for table, is_fallback in ((lazy, False), (fallback, True)):
        for name, (kind, payload) in table.items():
            if kind == _CLASS:
                described.append(Binding(name, "class", payload, _plan(payload), is_fallback))
            else:
                function, plan, _, _ = payload
                described.append(Binding(name, "method", function, plan, is_fallback))
    return described


def value_binding(read: Callable[[Mapping[str, Any]], Any]) -> _Lazy:
    """A lazy binding, for ``Container.of``, whose value is ``read(instances)``: read from
    the instances the container holds when it is first asked for, then kept for the
    container's life. A failure's note names ``read`` by its ``__qualname__``."""
    return (_VALUE, read)


def injected_parameters(cls: type) -> _Plan:
    """What the container injects into ``cls``'s constructor:
    ``(name, positional_only, has_default, default)`` for each parameter. ``has_default``
    means the parameter keeps its default and is never injected; an ``Injectable[...]``
    parameter has it false, its default in ``default`` (else ``NO_DEFAULT``)."""
    return _plan(cls)
