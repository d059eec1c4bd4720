"""Provides ``journal``: the step journal of the event's request."""

from typing import Any, Mapping, Optional

from rndi.cache.contracts import Cache
from rndi.connect.devops_fulfillment_framework._settings import (
    DEFAULT_JOURNAL_TTL,
    JOURNAL_TTL,
    seconds,
)
from rndi.connect.devops_fulfillment_framework.journal import StepJournal
from rndi.dicontainer.adapter import BaseServiceProvider, Injectable


class JournalServiceProvider(BaseServiceProvider):
    """``journal``: a ``StepJournal`` on ``cache``, bound to the request given to
    ``make()``, its records kept ``JOURNAL_TTL`` seconds (default 30 days). A fallback: a
    provider of your own that binds ``journal`` wins."""

    fallbacks = frozenset({"journal"})

    def provide_journal(self, cache: Cache, config: Mapping[str, Any], logger: Any,
                        request: Injectable[Optional[dict]] = None) -> StepJournal:
        request_id = request.get("id") if isinstance(request, dict) else None
        return StepJournal(cache, request_id, seconds(config, JOURNAL_TTL, DEFAULT_JOURNAL_TTL),
                           logger)
