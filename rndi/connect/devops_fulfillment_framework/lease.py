"""A lease on the request: one delivery at a time works on a request.

Connect redelivers a pending request after every reschedule, after an error and after a
timeout (when a sync handler's thread still runs), and replicas of an extension take
deliveries side by side. ``RequestLease`` holds ``lease:<request id>`` in the shared cache
while the rest of the saga runs; a delivery that finds it held changes nothing and
answers ``reschedule``.
"""

import uuid
from typing import Any, Mapping, Optional, Tuple, cast

from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.contracts import Cache
from rndi.connect.business_transactions.contracts import FnBackgroundExecution
from rndi.connect.devops_fulfillment_framework._settings import choice, seconds

LEASE_TTL = "LEASE_TTL"
LEASE_ON_CACHE_FAILURE = "LEASE_ON_CACHE_FAILURE"
# the runner answers a background task that runs longer than 300 s (its default
# BACKGROUND_TASK_MAX_EXECUTION_TIME) with retry: a lease outlives that, plus a margin
DEFAULT_LEASE_TTL = 330.0
RESCHEDULE, PROCEED = "reschedule", "proceed"

Held = Tuple[str, str]  # the lease key and this delivery's token


class RequestLease:
    """Middleware holding ``lease:<request id>`` in the cache while the saga runs.

    - A delivery that finds the lease held answers ``reschedule`` (logged at INFO) and
      runs nothing.
    - The lease lasts ``LEASE_TTL`` seconds (default 330: the runner's 300 s background
      timeout and a margin), so a holder that died frees it by expiry.
    - Only its holder releases it: a random token, removed with the cache's atomic
      ``delete_if_equal``, in ``finally`` (on cancellation too).
    - When the cache cannot answer (its faults are logged misses), the default is
      ``LEASE_ON_CACHE_FAILURE=reschedule``: nothing runs, so nothing runs twice, and
      Connect delivers the request again. ``proceed`` runs the saga without the lease:
      fulfillment goes on during a cache outage, and overlapping deliveries may repeat a
      step.

    List it first in ``middlewares()``; with ``aresolve()`` its ``acall`` is used. It needs
    a cache every delivery shares: ``sqlite`` or ``file`` on one host, ``redis`` across
    replicas (``Saga.check`` reports it on the null cache).
    """

    def __init__(self, cache: Cache, logger: Any, config: Mapping[str, Any]) -> None:
        self.cache = cache
        self.logger = logger
        self.ttl = seconds(config, LEASE_TTL, DEFAULT_LEASE_TTL)
        self.on_cache_failure = choice(config, LEASE_ON_CACHE_FAILURE, (RESCHEDULE, PROCEED))

    def _take(self, request: dict) -> Tuple[Optional[Held], Optional[BackgroundResponse]]:
        """``(held, None)`` to go on (``held`` is ``None`` when proceeding without the
        lease), or ``(None, answer)`` to stop here."""
        request_id = request.get("id")
        if not isinstance(request_id, str) or not request_id:
            raise ValueError(f"RequestLease needs the request's 'id' (a string) to name the "
                             f"lease, got a {type(request_id).__name__}.")
        key, token = f"lease:{request_id}", uuid.uuid4().hex
        for _ in range(2):  # a second try: the holder may have released between add and has
            if self.cache.add(key, token, cast(int, self.ttl)):  # fractional seconds work too
                return (key, token), None
            if self.cache.has(key):
                self.logger.info("Another delivery holds request %s (its lease lasts up to "
                                 "%s s); rescheduling without running anything.",
                                 request_id, self.ttl)
                return None, BackgroundResponse.reschedule()
        if self.on_cache_failure == PROCEED:
            self.logger.warning("The cache could not grant the lease of request %s; going on "
                                "without it (%s=proceed): an overlapping delivery could "
                                "repeat a step.", request_id, LEASE_ON_CACHE_FAILURE)
            return None, None
        self.logger.warning("The cache could not grant the lease of request %s; rescheduling "
                            "so that no step runs twice (%s=reschedule).", request_id,
                            LEASE_ON_CACHE_FAILURE)
        return None, BackgroundResponse.reschedule()

    def _release(self, held: Optional[Held]) -> None:
        if held is not None and not self.cache.delete_if_equal(*held):
            self.logger.warning(
                "The lease %s was no longer this delivery's when it ended (it outlived "
                "%s=%s s, or the cache failed): another delivery may have run alongside.",
                held[0], LEASE_TTL, self.ttl)

    def __call__(self, request: dict, next: Optional[FnBackgroundExecution] = None) -> Any:
        held, answer = self._take(request)
        if answer is not None:
            return answer
        try:
            return _next(next)(request)
        finally:
            self._release(held)

    async def acall(self, request: dict, next: Any = None) -> Any:
        """The lease around an ``aresolve()``: released once the rest has been awaited."""
        held, answer = self._take(request)
        if answer is not None:
            return answer
        try:
            return await _next(next)(request)
        finally:
            self._release(held)


def _next(following: Any) -> Any:
    if following is None:
        raise ValueError("RequestLease guards the rest of a saga: use it as a middleware, "
                         "with a next step to call.")
    return following
