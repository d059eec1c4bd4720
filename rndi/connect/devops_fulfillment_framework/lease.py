"""A lease on the request: one delivery at a time works on a request, and a request
answered ``done`` is not worked on again from the same copy.

Connect redelivers a pending request after every reschedule, after an error and after a
timeout (when a sync handler's thread still runs), and replicas of an extension take
deliveries side by side. ``RequestLease`` holds ``lease:<request id>`` in the shared cache
while the rest of the saga runs; a delivery that finds it held changes nothing and
answers ``reschedule``.
"""

import asyncio
import datetime
import functools
import hashlib
import json
import os
from typing import Any, List, Mapping, NamedTuple, Optional, Tuple, cast

from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.contracts import AwaitableCache, Cache
from rndi.cache.exceptions import CacheUnavailable
from rndi.connect.business_transactions._threads import Pending, in_thread, tracking, untrack
from rndi.connect.business_transactions.contracts import FnBackgroundExecution
from rndi.connect.business_transactions.steps import arun_steps
from rndi.connect.devops_fulfillment_framework._cache_calls import (
    CacheCall,
    CacheSteps,
    awaited_call,
    awaits_on_the_loop,
    made,
    made_off_loop,
)
from rndi.connect.devops_fulfillment_framework._settings import (
    DEFAULT_JOURNAL_TTL,
    DEFAULT_LEASE_TTL,
    JOURNAL_TTL,
    LEASE_TTL,
    choice,
    seconds,
)
from rndi.telemetry import _hooks as tracing

LEASE_ON_CACHE_FAILURE = "LEASE_ON_CACHE_FAILURE"
RESCHEDULE, PROCEED = "reschedule", "proceed"
__all__ = ["DEFAULT_LEASE_TTL", "LEASE_ON_CACHE_FAILURE", "LEASE_TTL", "RequestLease"]

class Held(NamedTuple):
    """A lease this delivery holds."""

    key: str
    token: str
    copy: str  # the copy of the request it was taken for (``copy_of``), read at the take
    updated: Optional[str] = None  # that copy's ``updated``, when it has one
    # for a newer copy, the record of an older copy's ``done`` found in the lease key
    # (``key`` is then the newer copies' lease beside it): replaced by this delivery's
    # record if it answers ``done``, never touched otherwise
    answered: Any = None


# what a take decides: what it holds, or the answer that ends the delivery here
Taken = Tuple[Optional[Held], Optional[BackgroundResponse]]

# what json.dumps(request, sort_keys=True, default=repr) writes, without making an encoder
# on every call (which costs more than the encoding)
_DIGESTED = json.JSONEncoder(sort_keys=True, default=repr)


def copy_of(request: dict) -> str:
    """What tells two copies of one request apart: Connect changes ``updated`` with
    every change of the request (an approve, an inquire, a parameter), so two
    deliveries of the same state carry the same value. A request without it is told by
    a digest of its whole content."""
    updated = request.get("updated")
    if isinstance(updated, str) and updated:
        return f"{request.get('status')}@{updated}"
    text = _DIGESTED.encode(request)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class RequestLease:
    """Middleware holding ``lease:<request id>`` in the cache while the saga runs.

    - A delivery that finds the lease held answers ``reschedule`` (logged at INFO) and
      runs nothing.
    - The lease lasts ``LEASE_TTL`` seconds (default 330: the runner's 300 s background
      timeout and a margin), so a holder that died frees it by expiry.
    - Only its holder releases it (a random token, removed with the cache's atomic
      ``delete_if_equal``), once the saga has answered or raised, and never while work
      the delivery started still runs (``aresolve()`` cancelled at the runner's timeout,
      while a sync part runs on in a worker thread, or the take or a journal record is
      on its way to the cache): it is released when the last of that work ends.
    - A saga that answered ``done`` releases the lease by leaving in its place, with the
      cache's atomic ``replace_if_equal``, a record of the copy of the request it worked
      on, kept ``JOURNAL_TTL`` seconds. A later delivery of that copy or an older one (a
      replica that waited for the lease while another approved it, a redelivery of a
      finished task) answers ``done`` again without running anything, even while a
      newer copy runs. A newer copy (Connect changed the request since) holds a lease of
      its own beside the record, ``lease:<request id>:newer``, and runs as usual; its
      ``done`` replaces the record, and nothing else touches it, so a fault, a crash or a
      lease outlived while it runs never loses the record.
    - A lease key holding anything else (a value of another shape, or one that cannot
      be decoded) is never acted on: the delivery answers ``reschedule`` (logged at
      WARNING, naming the key and the value's type) until it expires or is deleted.
    - When the cache cannot answer (a fault, a stall, a lock held too long), the default
      is ``LEASE_ON_CACHE_FAILURE=reschedule``: nothing runs, so nothing runs twice, and
      Connect delivers the request again. ``proceed`` runs the saga without the lease:
      fulfillment goes on during a cache outage, and overlapping deliveries may repeat a
      step.

    List it first in ``middlewares()``; with ``aresolve()`` its ``acall`` is used: its
    cache calls are awaited on the event loop when the cache can be awaited (``redis``),
    and made in a worker thread otherwise; a round trip never blocks the loop. It needs a cache
    every delivery shares: ``sqlite`` or ``file`` on one host, ``redis`` across replicas
    (``Saga.check`` reports it on the null cache).
    """

    def __init__(self, cache: Cache, logger: Any, config: Mapping[str, Any]) -> None:
        self.cache = cache
        self.logger = logger
        self.ttl = seconds(config, LEASE_TTL, DEFAULT_LEASE_TTL)
        self.answered_ttl = seconds(config, JOURNAL_TTL, DEFAULT_JOURNAL_TTL)
        self.on_cache_failure = choice(config, LEASE_ON_CACHE_FAILURE, (RESCHEDULE, PROCEED))

    # the decisions, the same for both drivers ---------------------------------------------

    @tracing.lease_decision
    def _take(self, request: dict) -> Tuple[Optional[Held], Optional[BackgroundResponse]]:
        """``_taking``, its cache calls made in place."""
        return made(self._taking(request))

    def _taking(self, request: dict, token: Optional[str] = None) -> "CacheSteps[Taken]":
        """``(held, None)`` to go on (``held`` is ``None`` when proceeding without the
        lease), or ``(None, answer)`` to stop here. Each cache call is made once: a
        store that stalls costs its timeout once. Uncontended, the take is one ``claim``;
        the key is read only when the claim fails."""
        request_id = request.get("id")
        if not isinstance(request_id, str) or not request_id:
            raise ValueError(f"RequestLease needs the request's 'id' (a string) to name the "
                             f"lease, got a {type(request_id).__name__}.")
        key = f"lease:{request_id}"
        token = token or os.urandom(16).hex()  # as random as uuid4
        ttl = self.ttl  # fractions work too
        try:
            # a second try: the holder may have released between claim and lookup
            for _ in range(2):
                if (yield CacheCall(self.cache.claim, key, token, ttl)):
                    # the copy is read now: a transaction may change the request in place
                    return Held(key, token, copy_of(request), _updated(request)), None
                found, entry = yield CacheCall(self.cache.lookup, key)
                if not found:
                    continue
                if isinstance(entry, str):
                    break  # another delivery's token: held
                if not _is_record(entry):
                    self.logger.warning(
                        "The lease %s holds a value of an unexpected shape (a %s), neither a "
                        "delivery's token nor the record of a done answer; rescheduling "
                        "without running anything until it expires or is deleted.", key,
                        type(entry).__name__)
                    return None, BackgroundResponse.reschedule()
                if _answers(entry, request):
                    self.logger.info("Request %s was answered done by an earlier delivery "
                                     "from this copy or a newer one; answering done again "
                                     "without running anything.", request_id)
                    return None, BackgroundResponse.done()
                # a newer copy: the record stays where it is, whatever happens to this
                # delivery (a fault, a crash, a lease outlived), and the newer copies take
                # a lease of their own beside it
                newer = f"{key}:newer"
                if (yield CacheCall(self.cache.claim, newer, token, ttl)):
                    return Held(newer, token, copy_of(request), _updated(request), entry), None
                break
        except CacheUnavailable as e:
            return None, self._unavailable(request_id, e)
        self.logger.info("Another delivery holds request %s (its lease lasts up to %s s); "
                         "rescheduling without running anything.", request_id, self.ttl)
        return None, BackgroundResponse.reschedule()

    def _unavailable(self, request_id: str, error: CacheUnavailable
                     ) -> Optional[BackgroundResponse]:
        if self.on_cache_failure == PROCEED:
            self.logger.warning("The cache (%s) could not grant the lease of request %s; "
                                "going on without it (%s=proceed): an overlapping delivery "
                                "could repeat a step.", error.store, request_id,
                                LEASE_ON_CACHE_FAILURE)
            return None
        self.logger.warning("The cache (%s) could not grant the lease of request %s; "
                            "rescheduling so that no step runs twice (%s=reschedule).",
                            error.store, request_id, LEASE_ON_CACHE_FAILURE)
        return BackgroundResponse.reschedule()

    def _finish(self, held: Optional[Held], response: Any) -> None:
        """``_finishing``, its cache calls made in place."""
        if held is not None:
            made(self._finishing(held, response))

    def _finishing(self, held: Held, response: Any, cut: bool = False) -> "CacheSteps[None]":
        """Release the lease. After a ``done`` answer the lease key keeps, in place of
        the token and with one command, the record of the copy answered (for
        ``JOURNAL_TTL``); otherwise it is removed. A newer copy's ``done`` replaces the
        older copy's record, then its own lease is removed. ``cut``: made again after an
        await of it was cut short, when the server may have made a command already (its
        reply unread): a command that answers no is then judged by what its key holds."""
        done = isinstance(response, BackgroundResponse) and response.status == "success"
        updated = held.updated
        if updated is None and held.answered is not None:  # a copy without 'updated'
            updated = held.answered.get("updated")  # keeps answering what the record did
        record = {"copy": held.copy, "updated": updated}
        released = recorded = False
        try:
            if held.answered is None:
                recorded = released = (yield (
                    CacheCall(self.cache.replace_if_equal, held.key, held.token, record,
                              self.answered_ttl)
                    if done else CacheCall(self.cache.delete_if_equal, held.key, held.token)))
                if cut and not released:
                    released = yield from _left(self.cache, held.key, record if done else None)
                    recorded = done and released
            else:
                recorded = done and (yield CacheCall(
                    self.cache.replace_if_equal, _record_key(held), held.answered, record,
                    self.answered_ttl))
                if cut and done and not recorded:
                    recorded = yield from _left(self.cache, _record_key(held), record)
                released = yield CacheCall(self.cache.delete_if_equal, held.key, held.token)
                if cut and not released:
                    released = yield from _left(self.cache, held.key, None)
        except CacheUnavailable:  # logged by the cache
            pass
        if done and not recorded:
            self.logger.warning("The done answer of request %s could not be recorded in "
                                "%s (the cache failed, or the lease was outlived): a "
                                "redelivery of the same copy will be worked on again.",
                                _request_id(held), _record_key(held))
        if not released:
            self.logger.warning(
                "The lease %s was no longer this delivery's when it ended (it outlived "
                "%s=%s s, or the cache failed): another delivery may have run alongside.",
                held.key, LEASE_TTL, self.ttl)

    def _release(self, held: Optional[Held]) -> None:
        self._finish(held, None)

    def _release_taken(self, taken: List[Optional[Held]]) -> None:
        self._release(taken[0])

    # the two drivers ------------------------------------------------------------------

    def __call__(self, request: dict, next: Optional[FnBackgroundExecution] = None) -> Any:
        following = _next(next)
        held, answer = self._take(request)
        if answer is not None:
            return answer
        try:
            response = following(request)
        except BaseException:
            self._release(held)
            raise
        self._finish(held, response)
        return response

    async def acall(self, request: dict, next: Any = None) -> Any:
        """The lease around an ``aresolve()``: released once the rest has been awaited and
        every worker thread it started, and every journal record under way, has ended."""
        following = _next(next)
        # the lease's decision is traced around one sync call: with spans, it is made in
        # a worker thread
        if not awaits_on_the_loop(self.cache) or tracing.ACTIVE.get() is not None:
            return await self._acall_in_threads(request, following)
        # what the take holds, once it has taken it
        taken: List[Optional[Held]] = [None]
        pending = Pending()
        token = tracking(pending)
        try:
            held, answer = await self._ataken(request)
            if answer is not None:
                untrack(token)
                return answer
            taken[0] = held
            response = await following(request)
        except BaseException:
            untrack(token)
            if taken[0] is None:
                pass  # nothing taken: the take answered, raised, or was cut short
            elif not pending.running():
                await self._released(taken[0], None)
            else:  # cancelled while work it started runs on: it keeps the lease till then
                self._release_once_ended(request, taken, pending)
            raise
        untrack(token)
        await self._released(held, response)
        return response

    async def _ataken(self, request: dict) -> Taken:
        """The take, awaited in place (a task of its own and a shield would cost the
        event three turns of the loop more). Cut short, by the runner's timeout or the
        loop ending, perhaps after the server made its claim (its reply unread): what its
        token holds is given back in a worker thread (which the loop's shutdown waits
        for) once the cache has answered what was sent before, so that the give-back
        cannot reach the server before the claim it undoes."""
        token = os.urandom(16).hex()
        try:
            return await arun_steps(self._taking(request, token), awaited_call)
        except asyncio.CancelledError:
            self._ended_early(request)
            cast(AwaitableCache, self.cache).after_answered(
                functools.partial(made_off_loop, self._given_back, request, token))
            raise

    async def _released(self, held: Optional[Held], response: Any) -> None:
        """The release, awaited in place (a task of its own and a shield would cost the
        event three turns of the loop more). Cut short, by the runner's timeout or the
        loop ending, it must not be dropped: its command may have reached the server (its
        reply unread), so it is made again in a worker thread, which the loop's shutdown
        waits for, and judged by what the key holds."""
        if held is not None:
            try:
                await arun_steps(self._finishing(held, response), awaited_call)
            except asyncio.CancelledError:
                made_off_loop(made, self._finishing(held, response, cut=True))
                raise

    def _given_back(self, request: dict, token: str) -> None:
        """Remove the lease keys ``token`` may hold (a take cut short): only its own."""
        key = f"lease:{request['id']}"
        for name in (key, f"{key}:newer"):
            self.cache.delete_if_equal(name, token)

    def _ended_early(self, request: dict) -> None:
        self.logger.warning("The delivery of request %s ended while work it started (a "
                            "sync part, the take, or a journal record) still runs; its "
                            "lease is released when that ends.", request.get("id"))

    def _release_once_ended(self, request: dict, taken: List[Optional[Held]],
                            pending: Pending) -> None:
        """Release the lease once the last work the delivery started has ended: a sync
        part, or a record made again, in a worker thread (the last of them to end
        releases it there). What a sync part answers is the delivery's answer: a done is
        recorded."""
        self._ended_early(request)
        pending.then(lambda: self._finish(taken[0], pending.answer))

    async def _acall_in_threads(self, request: dict, following: Any) -> Any:
        """``acall`` for a cache without awaited operations: the take and the release
        are each made in one worker thread."""
        taken: List[Optional[Held]] = [None]

        def take() -> Taken:
            held, answer = self._take(request)
            if answer is None:  # else nothing is held (released, or never taken)
                taken[0] = held
            return held, answer

        pending = Pending()
        token = tracking(pending)
        try:
            held, answer = await in_thread(take)
            if answer is not None:
                untrack(token)
                return answer
            response = await following(request)
        except BaseException:
            untrack(token)
            release = functools.partial(self._release_taken, taken)
            if not pending.running():
                await asyncio.shield(in_thread(release))  # a second cancel must not drop it
            else:  # cancelled while work it started runs on: it keeps the lease till then
                self._release_once_ended(request, taken, pending)
            raise
        untrack(token)
        # shielded: a cancel now (the runner's timeout) must not drop the release queued
        await asyncio.shield(in_thread(functools.partial(self._finish, held, response)))
        return response


def _updated(request: dict) -> Optional[str]:
    updated = request.get("updated")
    return updated if isinstance(updated, str) and updated else None


def _moment(text: Any) -> Optional[datetime.datetime]:
    """An ``updated`` as a moment, ``None`` when it is not one with a timezone."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _not_newer(updated: Optional[str], answered: Any) -> bool:
    """Whether a copy changed last at ``updated`` is no newer than the copy answered
    ``done`` (changed last at ``answered``): an older copy, fetched before changes the
    answered delivery saw, must not act on the request again."""
    mine, theirs = _moment(updated), _moment(answered)
    return mine is not None and theirs is not None and mine <= theirs


def _is_record(entry: Any) -> bool:
    """Whether the lease key holds the record of a ``done`` answer, as ``_finish``
    writes it (a token is a string; anything else is of no known shape)."""
    return (isinstance(entry, dict) and isinstance(entry.get("copy"), str)
            and isinstance(entry.get("updated"), (str, type(None))))


def _left(cache: Cache, key: str, holds: Any) -> "CacheSteps[bool]":
    """Whether ``key`` holds what a command cut short would have left there (``holds``;
    ``None``: nothing): then the server made it, and its second try rightly answered no."""
    found, entry = yield CacheCall(cache.lookup, key)
    return not found if holds is None else found and entry == holds


def _record_key(held: Held) -> str:
    """The key of the record of a ``done`` answer: the lease key (a newer copy's lease
    is named after it)."""
    return held.key if held.answered is None else held.key[:-len(":newer")]


def _request_id(held: Held) -> str:
    return _record_key(held)[len("lease:"):]


def _answers(record: dict, request: dict) -> bool:
    """Whether the ``done`` of ``record`` answers this copy of the request: the same
    copy, or an older one."""
    return record.get("copy") == copy_of(request) or _not_newer(_updated(request),
                                                                record.get("updated"))


def _next(following: Any) -> Any:
    if following is None:
        raise ValueError("RequestLease guards the rest of a saga: use it as a middleware, "
                         "with a next step to call.")
    return following
