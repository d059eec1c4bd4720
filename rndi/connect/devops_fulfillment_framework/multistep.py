"""A transaction made of ordered steps: each run once per request, retried with backoff,
undone in reverse when a later one fails for good, resumed on the next delivery.

The rules live in one generator, ``MultiStepTransaction.executing``, that yields each call
it needs made (a step, its undo, a journal read or write); ``execute`` makes them in place
(``resolve()``), ``aexecute`` awaits them, running sync ones in worker threads
(``aresolve()``). A saga runs the generator itself, inside its middlewares.

Progress lives in the request's ``StepJournal`` (keys ``step:<name>`` holding each step's
result, ``failure``, ``undo:<name>``, ``attempts:<name>``, ``undo-attempts:<name>``):
whichever delivery, on whichever replica, comes next reads it and goes on from there.
"""

import functools
import logging
import time
import traceback
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.assets.mixins import WithAssetFacade
from rndi.connect.api_facades.clients import is_async_client
from rndi.connect.api_facades.tier_configurations.mixins import WithTierConfigurationFacade
from rndi.connect.business_objects.helpers import request_model
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.business_transactions.steps import Steps, arun_steps, call_off_loop, run_steps
from rndi.connect.devops_fulfillment_framework._settings import (
    DEFAULT_SAGA_TIME_BUDGET,
    SAGA_TIME_BUDGET,
    seconds,
)
from rndi.connect.devops_fulfillment_framework._stepwiring import (
    Step,
    StepWiringError,
    arguments,
    checked_plan,
    explain_steps,
    is_async,
)
from rndi.connect.devops_fulfillment_framework.exceptions import JournalUnavailable
from rndi.connect.devops_fulfillment_framework.journal import StepJournal
from rndi.connect.devops_fulfillment_framework.retry import MIN_COUNTDOWN, Retry
from rndi.connect.devops_logger_adapter._secrets import event_masker
from rndi.connect.devops_logger_adapter.adapter import ExtensionLoggerAdapter, bind_logger
from rndi.telemetry import _hooks as tracing

FAIL, INQUIRE = "fail", "inquire"
_STEP, _UNDO, _ATTEMPTS, _UNDO_ATTEMPTS = "step:", "undo:", "attempts:", "undo-attempts:"
_FAILURE = "failure"  # the step that failed for good, and its error's type

__all__ = ["DEFAULT_SAGA_TIME_BUDGET", "SAGA_TIME_BUDGET", "MultiStepTransaction", "Retry",
           "Step", "StepWiringError"]


class Failure(NamedTuple):
    """The step that failed for good: its position (from 0) and its error's type."""

    position: int
    error: str


class _AsyncOnly:
    """A call only async code can make, yielded before the first step when a step is
    ``async def``: ``resolve()``'s driver refuses it (naming ``func``, that step) before
    any step runs; ``aresolve()``'s awaits it (it does nothing)."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    async def __call__(self) -> None:
        return None


def _names(names: List[str]) -> str:
    return ", ".join(repr(name) for name in names) or "none"


class MultiStepTransaction(BackgroundTransaction, WithAssetFacade, WithTierConfigurationFacade):
    """A background transaction made of ``steps(request)``, run in order, each once per
    request.

    - A step done is recorded in the request's journal with its result; later
      deliveries replay it (its result handed to later steps) instead of running it.
    - A step that raises a retryable error (``Retry.retries``) answers ``reschedule``
      with a growing countdown; the count of attempts is kept in the journal.
    - A step that fails for good (a permanent error, or its last attempt) has the
      steps done before it undone, in reverse, each once; then the request is failed
      at Connect (or sent to inquire: ``on_failure``), with a message naming the step.
    - After ``SAGA_TIME_BUDGET`` seconds (default 240, below the runner's 300 s), it
      stops between steps and answers ``reschedule``; the next delivery goes on.

    List it in a saga's ``transactions()`` behind ``RequestLease`` (``check`` reports it
    otherwise), with a cache every delivery shares. The constructor takes ``journal``,
    ``client``, ``logger`` and ``config``: a subclass with a constructor of its own takes
    them too and calls ``super().__init__(journal, client, logger, config)``. The
    Connect facade operations (``approve_asset_request``…) are methods of every
    multi-step transaction.

    Attributes:
        retry: the retry policy of steps without one of their own.
        undo_retry: the retry policy of undos without one of their own (``retry``
            when ``None``).
        on_failure: ``fail`` (the request is failed) or ``inquire`` (sent to the
            customer with ``inquire_template``) once the undos are done or given up.
        inquire_template: the template id an ``inquire`` uses.

    Raises:
        ValueError: ``SAGA_TIME_BUDGET`` is not a positive number of seconds.
    """

    retry: ClassVar[Retry] = Retry()
    undo_retry: ClassVar[Optional[Retry]] = None
    on_failure: ClassVar[str] = FAIL
    inquire_template: Optional[str] = None

    def __init__(self, journal: StepJournal, client: Any, logger: Any,
                 config: Mapping[str, Any]) -> None:
        self.journal = journal
        self.client = client
        self.logger = logger
        self.config = config
        self.time_budget = seconds(config, SAGA_TIME_BUDGET, DEFAULT_SAGA_TIME_BUDGET)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.on_failure not in (FAIL, INQUIRE):
            raise ValueError(f"{cls.__qualname__}.on_failure must be 'fail' or 'inquire'.")
        for role in ("retry", "undo_retry"):
            policy = getattr(cls, role)
            if not (isinstance(policy, Retry) or (role == "undo_retry" and policy is None)):
                raise TypeError(f"{cls.__qualname__}.{role} must be a Retry(...), got a "
                                f"{type(policy).__name__}.")

    def steps(self, request: dict) -> List[Step]:
        """The steps for ``request``, in the order they run. Every delivery of a request
        must list the same steps under the same names: progress is kept by name."""
        raise NotImplementedError(f"{type(self).__qualname__} lists no steps: define "
                                  "steps(self, request) returning a list of Step(name, fn).")

    def now(self) -> float:
        """What measures the time budget (``time.monotonic``)."""
        return time.monotonic()

    def completed(self, request: dict, results: Dict[str, Any]) -> BackgroundResponse:
        """The answer once every step is done: ``done`` unless overridden."""
        return BackgroundResponse.done()

    def compensate(self, request: dict, e: Exception) -> BackgroundResponse:
        """What an error outside the steps gets (the call that fails the request at
        Connect, a journal that cannot record): ``reschedule`` when it is retryable (the
        next delivery replays the steps and goes on where this one stopped), else it is
        raised again."""
        if self.retry.retries(e):
            return BackgroundResponse.reschedule(self.retry.countdown_for(1))
        raise e

    # the two drivers ---------------------------------------------------------------------

    def execute(self, request: dict) -> BackgroundResponse:
        """Run the steps in sync code (what ``resolve()`` does).

        Raises:
            StepWiringError: ``steps()`` is wrong; raised before any step runs.
            SyncAsyncMismatch: a step is ``async def`` (use ``aresolve``); raised before
                any step runs.
            JournalUnavailable: the cache cannot tell whether a step ran.
        """
        return run_steps(self.executing(request))

    async def aexecute(self, request: dict) -> BackgroundResponse:
        """Run the steps in async code (what ``aresolve()`` does): ``async def`` steps are
        awaited, sync ones run in worker threads."""
        return await arun_steps(self.executing(request), call_off_loop)

    # the one core ----------------------------------------------------------------------

    def executing(self, request: dict) -> "Steps[BackgroundResponse]":
        """The whole transaction for one delivery, as calls to make (see ``steps.py``)."""
        journal = self._journal()
        plan = checked_plan(self.name(), self.steps(request))
        if self.on_failure == INQUIRE and not self.inquire_template:
            raise ValueError(f"{type(self).__qualname__}.on_failure is 'inquire' but it has no "
                             "inquire_template: set the template id to inquire with.")
        first_async = next((fn for step in plan for fn in (step.fn, step.undo)
                            if is_async(fn)), None)
        if first_async is not None:
            yield _AsyncOnly(first_async)
        log = _Log(self, request, plan)
        results: Dict[str, Any] = {}
        started, ran = self.now(), 0
        failure: Optional[Failure] = None
        for index, step in enumerate(plan):
            found, value = yield functools.partial(journal.recorded, _STEP + step.name)
            if found:
                results[step.name] = value
                tracing.step_replayed("step", step.name, index + 1)
                log.step(logging.INFO, index, "replayed from the journal")
                continue
            if not ran:  # the first step not done: did an earlier delivery fail it for good?
                failed, record = yield functools.partial(journal.recorded, _FAILURE)
                if failed:
                    failure = Failure(index, str(record.get("error") if isinstance(record, dict)
                                                 else "an error"))
                    break
            if ran and self.now() - started >= self.time_budget:
                log.step(logging.INFO, index, f"not started: the time budget of "
                         f"{self.time_budget:g} s ({SAGA_TIME_BUDGET}) is spent; rescheduling, "
                         "the next delivery starts here")
                return log.outcome(results, BackgroundResponse.reschedule(MIN_COUNTDOWN))
            ran += 1
            log.step(logging.INFO, index, "started")
            try:
                value = yield tracing.step_call("step", step.name, index + 1, functools.partial(
                    step.fn, **arguments(step.fn, request, results)))
            except JournalUnavailable:
                raise  # the step's own journal could not tell: nothing to count or undo
            except Exception as error:
                retried = yield from self._retrying(log, index, error, step.retry or self.retry,
                                                    _ATTEMPTS + step.name, "")
                if retried is not None:
                    return log.outcome(results, retried)
                log.failed(index, error, len(results))
                yield functools.partial(journal._record, _FAILURE,
                                        {"step": step.name, "error": type(error).__name__})
                failure = Failure(index, type(error).__name__)
                break
            # as a redelivery will have it back (JSON: a tuple comes back a list)
            results[step.name] = yield functools.partial(journal._record, _STEP + step.name,
                                                         value)
            log.step(logging.INFO, index, "done")
        if failure is None:
            return log.outcome(results, self.completed(request, results))
        return (yield from self._undoing(log, request, plan, results, failure))

    def _undoing(self, log: "_Log", request: dict, plan: List[Step], results: Dict[str, Any],
                 failure: Failure) -> "Steps[BackgroundResponse]":
        """The undos of the steps done before ``failure``, in reverse, each once; then the
        request is failed (or inquired)."""
        journal = self.journal
        undone: List[str] = []
        left: List[str] = []
        for index in range(failure.position - 1, -1, -1):
            step = plan[index]
            if step.undo is None:
                continue
            found, record = yield functools.partial(journal.recorded, _UNDO + step.name)
            if found:
                gave_up = isinstance(record, dict) and "given_up" in record
                (left if gave_up else undone).append(step.name)
                tracing.step_replayed("undo", step.name, index + 1)
                log.step(logging.INFO, index, "undo replayed from the journal")
                continue
            try:
                yield tracing.step_call("undo", step.name, index + 1, functools.partial(
                    step.undo, **arguments(step.undo, request, results)))
            except JournalUnavailable:
                raise
            except Exception as error:
                retried = yield from self._retrying(
                    log, index, error, step.undo_retry or self.undo_retry or self.retry,
                    _UNDO_ATTEMPTS + step.name, "undo ")
                if retried is not None:
                    return log.outcome(results, retried, undone)
                yield functools.partial(journal._record, _UNDO + step.name,
                                        {"given_up": type(error).__name__})
                log.step(logging.ERROR, index, f"undo given up after {type(error).__name__}: "
                         "what the step did is left at the vendor")
                left.append(step.name)
                continue
            # the undo's answer is not needed later: what it did is all that counts
            yield functools.partial(journal._record, _UNDO + step.name, {"done": None})
            undone.append(step.name)
            log.step(logging.INFO, index, "undone")
        if left:
            log.line(logging.ERROR, f"Left at the vendor, undo by hand: the work of step(s) "
                     f"{_names(left)}.")
        message = self._failure_message(plan, failure, undone, left)
        answer = yield functools.partial(self._finish_failed, request, message)
        return log.outcome(results, answer, undone)

    def _retrying(self, log: "_Log", index: int, error: Exception, policy: Retry, key: str,
                  what: str) -> "Steps[Optional[BackgroundResponse]]":
        """``reschedule`` with the countdown of this attempt when ``error`` is retried and
        attempts are left (the count kept in the journal); ``None``: it failed for good."""
        if not policy.retries(error):
            return None
        found, count = yield functools.partial(self.journal.recorded, key)
        attempt = (count if found and isinstance(count, int) else 0) + 1
        kind = type(error).__name__
        if attempt >= policy.attempts:
            log.step(logging.WARNING, index, f"{what}raised {kind} on attempt {attempt} of "
                     f"{policy.attempts}, the last")
            return None
        yield functools.partial(self._count, key, attempt)
        countdown = policy.countdown_for(attempt)
        log.step(logging.WARNING, index, f"{what}raised {kind} (attempt {attempt} of "
                 f"{policy.attempts}); retrying, countdown {countdown} s")
        return BackgroundResponse.reschedule(countdown)

    def _count(self, key: str, attempt: int) -> None:
        # a counter is rewritten, where the journal only ever adds: the same entry shape,
        # so journal.recorded reads it back
        journal = self.journal
        journal.cache.put(journal._key(key), {"result": attempt}, journal.ttl)  # type: ignore[arg-type]

    def _failure_message(self, plan: List[Step], failure: Failure, undone: List[str],
                         left: List[str]) -> str:
        # names and types only: an error's text may quote a value
        failed = plan[failure.position].name
        text = (f"{self.name()}: step {failed!r} ({failure.position + 1} of {len(plan)}) failed "
                f"({failure.error})")
        if undone:
            text += f"; undone: {_names(undone)}"
        if left:
            text += f"; left at the vendor: {_names(left)}"
        return text + "."

    def _finish_failed(self, request: dict, message: str) -> Any:
        """Fail (or inquire) the request at Connect, answering ``fail`` (or ``done``), or
        an awaitable of it with an async client."""
        inquire = self.on_failure == INQUIRE
        answer = (BackgroundResponse(BackgroundResponse.done().status, output=message) if inquire
                  else BackgroundResponse.fail(message))
        if self.client is None:
            return answer
        tier = request_model(request) == "tier-config"
        if inquire:
            name, args = (("inquire_tier_configuration_request" if tier
                           else "inquire_asset_request"), (request, self.inquire_template))
        else:
            name, args = (("fail_tier_configuration_request" if tier
                           else "fail_asset_request"), (request, message))
        if is_async_client(self.client):
            async def sent() -> BackgroundResponse:
                await getattr(self, "a" + name)(*args)
                return answer
            return sent()
        getattr(self, name)(*args)
        return answer

    def _journal(self) -> StepJournal:
        journal = getattr(self, "journal", None)
        if not isinstance(journal, StepJournal):
            raise TypeError(f"{type(self).__qualname__} has no step journal: its constructor "
                            "takes journal, client, logger and config and calls "
                            "super().__init__(journal, client, logger, config).")
        return journal


class _Log:
    """The lines of one delivery of a multi-step transaction, bound to the request."""

    def __init__(self, transaction: MultiStepTransaction, request: dict,
                 plan: List[Step]) -> None:
        self.logger = getattr(transaction, "logger", None) or logging.getLogger(__name__)
        self.request = request
        self.bound: Any = None
        self.config = getattr(transaction, "config", None)
        self.steps = [step.name for step in plan]
        self.total = len(plan)
        self.name = transaction.name()

    def _to(self, level: int) -> Any:
        """The logger bound to the request, when it takes lines of ``level`` (bound on
        the first line, not on every delivery: most lines of a busy extension are INFO,
        which many run without)."""
        if not self.logger.isEnabledFor(level):
            return None
        if self.bound is None:
            logger, request = self.logger, self.request
            bound = (isinstance(logger, ExtensionLoggerAdapter)
                     and (logger.extra or {}).get("request_id") == request.get("id"))
            self.bound = logger if bound else bind_logger(logger, request)
        return self.bound

    def line(self, level: int, message: str) -> None:
        logger = self._to(level)
        if logger is not None:
            logger.log(level, "%s", message, extra={"transaction": self.name})

    def step(self, level: int, index: int, what: str) -> None:
        logger = self._to(level)
        if logger is not None:
            logger.log(level, "%s step %d/%d %r: %s.", self.name, index + 1, self.total,
                            self.steps[index], what,
                            extra={"transaction": self.name, "step": self.steps[index]})

    def failed(self, index: int, error: Exception, done: int) -> None:
        logger = self._to(logging.WARNING)
        if logger is None:
            return
        # masked: an exception's text may quote a secret
        trace = event_masker(self.config, self.request)(
            "".join(traceback.format_exception(error)).rstrip())
        logger.warning("%s step %d/%d %r: failed for good with %s; undoing the %d step(s) "
                       "done before it, in reverse:\n%s", self.name, index + 1, self.total,
                       self.steps[index], type(error).__name__, done, trace,
                       extra={"transaction": self.name, "step": self.steps[index]})

    def outcome(self, results: Dict[str, Any], answer: BackgroundResponse,
                undone: Sequence[str] = ()) -> BackgroundResponse:
        level = logging.WARNING if answer.status == "fail" else logging.INFO
        logger = self._to(level)
        if logger is not None:
            how = f"reschedule (countdown {answer.countdown} s)" \
                if answer.status == "reschedule" else str(answer.status)
            logger.log(level, "%s: %d of %d steps done (%s)%s; answering %s.", self.name,
                            len(results), self.total, _names(list(results)),
                            f", undone: {_names(list(undone))}" if undone else "", how,
                            extra={"transaction": self.name, "outcome": answer.status,
                                   "steps_done": len(results)})
        return answer



# read without running: what check and explain say of a saga's multi-step transactions ---

def _listed_steps(entry: Any, request: dict) -> Any:
    """``steps(request)`` of a transaction class or instance; a class is not built (its
    constructor is not called): its ``steps`` is asked of a bare instance, which names
    bound methods without touching what the constructor would set."""
    instance = entry if not isinstance(entry, type) else object.__new__(entry)
    return instance.steps(request)


def _is_multistep(entry: Any) -> bool:
    cls = entry if isinstance(entry, type) else type(entry)
    return isinstance(cls, type) and issubclass(cls, MultiStepTransaction)


def _entry_name(entry: Any) -> str:
    return (entry if isinstance(entry, type) else type(entry)).__qualname__


def multistep_problems(saga: str, leased: bool, transactions: List[Any], request: dict
                       ) -> List[Tuple[str, str, Tuple[str, ...], str]]:
    """``(kind, name, path, message)`` of each multi-step transaction that runs without
    the lease, or whose ``steps()`` cannot run as listed."""
    found: List[Tuple[str, str, Tuple[str, ...], str]] = []
    for entry in transactions:
        if not _is_multistep(entry):
            continue
        name = _entry_name(entry)
        path = (f"{saga}.transactions()", name)
        if not leased:
            found.append(("unsafe", name, path,
                          f"{saga} runs the multi-step transaction {name} without "
                          "RequestLease: two overlapping deliveries can both run a step "
                          "before either records it. List RequestLease first in "
                          "middlewares()."))
        try:
            checked_plan(name, _listed_steps(entry, request))
        except StepWiringError as e:
            found.append(("invalid", name, (*path, "steps()"), str(e)))
        except Exception:  # noqa: S110 - steps() needs its built instance: run time tells
            pass
    return found


def explained_steps(entry: Any, request: dict, indent: str) -> List[str]:
    """The lines ``explain`` adds under a multi-step transaction: its steps and where
    each parameter of each step (and undo) comes from."""
    if not _is_multistep(entry):
        return []
    try:
        listed = _listed_steps(entry, request)
    except Exception as e:
        return [f"{indent}steps() cannot be listed without building {_entry_name(entry)}: "
                f"{type(e).__name__}"]
    return explain_steps(_entry_name(entry), listed, indent)
