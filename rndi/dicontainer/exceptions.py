"""Errors raised by the container; all derive from :class:`ContainerError`."""

from typing import Any, Iterable, Optional, Sequence


def _describe(owner: Any) -> str:
    return getattr(owner, "__qualname__", None) or repr(owner)


class ContainerError(Exception):
    """Base of every error the container raises: catch this one to catch them all."""


class InvalidClassType(ContainerError, TypeError):
    """``Container.get()`` was given something that is not a class."""

    def __init__(self, given: Any) -> None:
        self.given = given
        super().__init__(
            f"Container.get() expects a class, got a {type(given).__name__}; pass the "
            "class itself, not an instance or a string."
        )


class DependencyBuildingFailure(ContainerError):
    """Nothing is bound for a constructor (or ``provide_*``) parameter."""

    def __init__(self, owner: Any = None, parameter: Optional[str] = None,
                 bound: Iterable[str] = ()) -> None:
        self.owner = owner
        self.parameter = parameter
        self.bound = sorted(set(bound))  # each name once, however many tables hold it
        if parameter is None:
            # raised by hand with a message of its own (or none), as the published
            # exception, a plain Exception, could be: a test double of a failing build
            self.owner = None
            super().__init__(*(() if owner is None else (owner,)))
            return
        names = ", ".join(self.bound) or "(none)"
        super().__init__(
            f"Cannot build {_describe(owner)}: nothing is bound for parameter "
            f"'{parameter}'. Bound names: {names}. Bind '{parameter}' in a service "
            "provider or give the parameter a default."
        )


class DuplicateBinding(ContainerError):
    """Two providers of one container bind the same name."""

    def __init__(self, name: str, first: str, second: str) -> None:
        self.name = name
        self.providers = (first, second)
        super().__init__(
            f"'{name}' is bound by both {first} and {second}; bind each name in one "
            "provider only (replace the provider, or rename one of the bindings)."
        )


class CircularDependency(ContainerError):
    """Building a binding needs the binding itself."""

    def __init__(self, chain: Sequence[str]) -> None:
        self.chain = tuple(chain)
        super().__init__(
            f"Circular dependency: {' -> '.join(self.chain)}; split one of these so it "
            "no longer needs the next, or bind one of them to an instance."
        )


class BindingFailure(ContainerError):
    """Building a lazy binding (a ``provide_*`` method or a ``to_class`` class) raised.

    The container does not raise it: the error of the binding comes out as it is, with a
    note naming the binding and its path (see ``Container.get``). It stays importable for
    code that refers to it.
    """

    def __init__(self, name: str, owner: Any, error: BaseException) -> None:
        self.name = name
        self.owner = owner
        super().__init__(
            f"Building '{name}' for {_describe(owner)} failed: {type(error).__name__}: "
            f"{error}. Fix the provider of '{name}' (its provide_{name} method or bound "
            "class), or what it needs.")


class InvalidBinding(ContainerError, TypeError):
    """A provider declared a binding the container cannot use."""

    def __init__(self, provider: str, name: str, reason: str) -> None:
        self.provider = provider
        self.name = name
        super().__init__(f"{provider} binds '{name}' wrongly: {reason}.")
