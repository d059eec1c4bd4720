"""The steps of a multi-step transaction and what each is called with.

A step's function (and its undo) takes its arguments by name, as constructors do in the
container: ``request`` is the request, ``results`` the results of the steps done so far
(by step name), and a parameter named like an earlier step gets that step's result. An
undo also gets the result of the step it undoes. The wiring is checked for the whole
list before any step runs, and ``explain`` prints it.
"""

import inspect
import types
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from rndi.connect.devops_fulfillment_framework.exceptions import SagaError
from rndi.connect.devops_fulfillment_framework.retry import Retry

REQUEST, RESULTS = "request", "results"
_RESERVED = frozenset({REQUEST, RESULTS})

# (parameter name, has a default)
Wanted = Tuple[Tuple[str, bool], ...]


class StepWiringError(SagaError, TypeError):
    """A multi-step transaction's ``steps()`` cannot be run as listed: a step that is not a
    ``Step``, two steps of one name, or a parameter nothing gives.

    Attributes:
        transaction: the transaction's name.
        step: the step at fault (``None`` for the list itself).
    """

    def __init__(self, transaction: str, step: Optional[str], problem: str) -> None:
        self.transaction = transaction
        self.step = step
        where = f"step {step!r} of {transaction}" if step else f"{transaction}.steps()"
        super().__init__(f"{where}: {problem}")


class Step:
    """One step of a ``MultiStepTransaction``.

    Args:
        name: the step's name: in logs, in the journal (renaming a step forgets what
            it did), and the name later steps read its result by.
        fn: does the step, sync or ``async def``; its parameters are given by name
            (``request``, ``results``, earlier step names). It answers plain JSON data
            (an id, a dict), recorded so that no later delivery runs it again.
        undo: undoes a step done, when a later step fails for good; takes what ``fn``
            takes and its own step's result. ``None``: nothing to undo.
        retry: the retry policy of ``fn`` (the transaction's ``retry`` by default).
        undo_retry: the retry policy of ``undo`` (the transaction's ``undo_retry``).

    Raises:
        TypeError: a name that is not a non-empty string, or a part of the wrong kind.
    """

    # a plain class with slots: steps() builds its steps on every delivery
    __slots__ = ("fn", "name", "retry", "undo", "undo_retry")

    def __init__(self, name: str, fn: Callable[..., Any],
                 undo: Optional[Callable[..., Any]] = None, retry: Optional[Retry] = None,
                 undo_retry: Optional[Retry] = None) -> None:
        self.name = name
        self.fn = fn
        self.undo = undo
        self.retry = retry
        self.undo_retry = undo_retry
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Step(name, ...) takes a non-empty string name, got a "
                            f"{type(self.name).__name__}.")
        if not callable(self.fn):
            raise TypeError(f"Step({self.name!r}, fn): fn must be callable, got a "
                            f"{type(self.fn).__name__}.")
        if self.undo is not None and not callable(self.undo):
            raise TypeError(f"Step({self.name!r}, undo=...) must be callable or None, got "
                            f"a {type(self.undo).__name__}.")
        for role, policy in (("retry", retry), ("undo_retry", undo_retry)):
            if policy is not None and not isinstance(policy, Retry):
                raise TypeError(f"Step({self.name!r}, {role}=...) takes a Retry(...), got a "
                                f"{type(policy).__name__}.")

    def __repr__(self) -> str:
        return f"Step({self.name!r})"


# per function: steps() is called on every delivery, its signatures are read once
_READ: Dict[Any, Tuple[Wanted, bool]] = {}
_READ_LIMIT = 4096  # lambdas made per delivery must not grow it without end


_CHECKED: Dict[Any, bool] = {}  # the shapes of step lists whose wiring is complete


def _key(fn: Any) -> Any:
    function = getattr(fn, "__func__", fn)  # a method: the same for every instance
    if type(function) is types.FunctionType and not function.__dict__:
        # its code: a step function made per delivery (a closure over that delivery's
        # client) reads as any other made by the same def, and is not kept alive
        return function.__code__
    return function  # one that may say more of itself (functools.wraps): as it is


def _remember(table: Dict[Any, Any], key: Any, value: Any) -> None:
    try:
        if len(table) >= _READ_LIMIT:
            table.clear()
        table[key] = value
    except TypeError:  # unhashable: worked out again next time
        pass


def _read(fn: Callable[..., Any]) -> Tuple[Wanted, bool]:
    """The parameters ``fn`` takes by name (with whether each has a default), and whether
    it is ``async def`` (or an object whose ``__call__`` is)."""
    key = _key(fn)
    try:
        return _READ[key]
    except (KeyError, TypeError):
        pass
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature takes nothing we give
        parameters = ()  # type: ignore[assignment]
    found = (tuple((p.name, p.default is not p.empty) for p in parameters
                   if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)),
             inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
                 getattr(fn, "__call__", None)))  # noqa: B004 - an object with async __call__
    _remember(_READ, key, found)
    return found


def wanted(fn: Callable[..., Any]) -> Wanted:
    """The parameters ``fn`` takes by name, with whether each has a default."""
    return _read(fn)[0]


def is_async(fn: Optional[Callable[..., Any]]) -> bool:
    """Whether ``fn`` must be awaited (``None``: no function, so no)."""
    return fn is not None and _read(fn)[1]


def _a(value: Any) -> str:
    """A value by its type only (it may hold a secret), with its article."""
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _label(fn: Callable[..., Any]) -> str:
    target = getattr(fn, "func", fn)
    return str(getattr(target, "__qualname__", type(target).__qualname__))


def checked_plan(transaction: str, listed: Any) -> List[Step]:
    """The steps as listed, refused (naming the step) when they cannot run.

    Raises:
        StepWiringError: the list, a step or a parameter is wrong.
    """
    if isinstance(listed, (str, bytes)) or not isinstance(listed, Iterable):
        raise StepWiringError(transaction, None, f"returned {_a(listed)}; return "
                              "a list of Step(name, fn, undo=None).")
    steps = list(listed)
    try:  # the same functions under the same names as on an earlier delivery: checked
        shape = tuple((step.name, _key(step.fn), _key(step.undo)) for step in steps)
        if shape in _CHECKED:
            return steps
    except (AttributeError, TypeError):  # not all steps, or an unhashable function
        shape = None
    if not steps:
        raise StepWiringError(transaction, None, "returned no step; return at least one "
                              "Step(name, fn).")
    earlier: List[str] = []
    for step in steps:
        if not isinstance(step, Step):
            raise StepWiringError(transaction, None, f"lists {_a(step)}; list "
                                  "Step(name, fn, undo=None) objects.")
        if step.name in earlier or step.name in _RESERVED:
            why = "is listed twice" if step.name in earlier else "is reserved"
            raise StepWiringError(transaction, step.name, f"the name {why}; give each step "
                                  "a name of its own (not 'request' or 'results').")
        if not _given(step, earlier):
            for problem in missing_parameters(step, earlier):
                raise StepWiringError(transaction, step.name, problem)
        earlier.append(step.name)
    if shape is not None:
        _remember(_CHECKED, shape, True)
    return steps


def _given(step: Step, earlier: List[str]) -> bool:
    """Whether every parameter of the step's ``fn`` and ``undo`` is given (the quick
    test of every delivery; ``missing_parameters`` says what is not)."""
    for fn, own in ((step.fn, ()), (step.undo, (step.name,))):
        for name, has_default in wanted(fn) if fn is not None else ():
            if not (has_default or name in _RESERVED or name in earlier or name in own):
                return False
    return True


def sources(step: Step, earlier: Sequence[str], undo: bool = False
            ) -> List[Tuple[str, Optional[str]]]:
    """For each parameter of the step's ``fn`` (or ``undo``): where its value comes
    from, ``None`` when nothing gives it (a parameter with a default keeps it)."""
    fn = step.undo if undo else step.fn
    known = {*earlier, step.name} if undo else set(earlier)
    found: List[Tuple[str, Optional[str]]] = []
    for name, has_default in wanted(fn) if fn is not None else ():
        if name == REQUEST:
            found.append((name, "the request"))
        elif name == RESULTS:
            found.append((name, "the results of the steps done so far, by name"))
        elif name in known:
            found.append((name, f"the result of step {name!r}"))
        elif has_default:
            found.append((name, "its default"))
        else:
            found.append((name, None))
    return found


def missing_parameters(step: Step, earlier: Sequence[str]) -> List[str]:
    """Why the step's ``fn`` or ``undo`` cannot be called: each parameter nothing gives."""
    problems = []
    for undo in (False, True):
        fn = step.undo if undo else step.fn
        if fn is None:
            continue
        for name, source in sources(step, earlier, undo):
            if source is None:
                own = f" or {step.name!r}" if undo else ""
                given = ", ".join(repr(n) for n in (*earlier, *(step.name,) * undo)) or "none"
                problems.append(
                    f"{_label(fn)}() takes {name!r}, which nothing gives: a step takes "
                    f"'request', 'results' or the name of an earlier step{own} (earlier "
                    f"steps: {given}); rename the parameter or give it a default.")
    return problems


def arguments(fn: Callable[..., Any], request: dict, results: Dict[str, Any]
              ) -> Dict[str, Any]:
    """The keyword arguments of ``fn`` (its wiring checked beforehand): ``request``,
    ``results`` (a copy) and the results of earlier steps by name."""
    given: Dict[str, Any] = {}
    for name, _ in wanted(fn):
        if name == REQUEST:
            given[name] = request
        elif name == RESULTS:
            given[name] = dict(results)
        elif name in results:
            given[name] = results[name]
    return given


def explain_steps(transaction: str, listed: Any, indent: str) -> List[str]:
    """The lines ``explain`` prints for a multi-step transaction: each step, its undo,
    and where each of their parameters comes from."""
    try:
        steps = list(listed)
    except TypeError:
        return [f"{indent}steps() returned {_a(listed)}, not a list of Step"]
    lines = [f"{indent}steps(), in order:"]
    earlier: List[str] = []
    for number, step in enumerate(steps, 1):
        if not isinstance(step, Step):
            lines.append(f"{indent}  {number}. {_a(step)}, not a Step")
            continue
        lines.append(f"{indent}  {number}. {step.name!r}: {_label(step.fn)}")
        parts = [(False, step.fn)] + ([(True, step.undo)] if step.undo is not None else [])
        for undo, fn in parts:
            if undo:
                lines.append(f"{indent}     undo: {_label(fn)}")
            for name, source in sources(step, earlier, undo):
                lines.append(f"{indent}       {name} <- "
                             f"{source or 'MISSING: nothing gives it'}")
        earlier.append(step.name)
    return lines


__all__ = ["Step", "StepWiringError"]
