"""An event runs the parts its flow listed when it began, and the cache provider's debug
line reaches the logger it was given: what an event remembers or skips for speed never
changes either."""

import asyncio
import logging
from unittest import mock

from connect.eaas.core.responses import BackgroundResponse, ValidationResponse

from rndi.cache.provider import provide_cache
from rndi.connect.business_transactions import BackgroundTransaction, ValidationTransaction
from rndi.connect.devops_fulfillment_framework import Saga, ValidationFlow
from tests.rndi.connect.devops_fulfillment_framework.doubles import Done

LOGGER = logging.getLogger("tests.per_event_review")
REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending"}


# a list that transactions() answers, changed while an event runs ------------------------

class First(Done):
    pass


class NotATransaction:
    """Listed by a change made while an event runs: never the event's to build."""

    def __init__(self):
        raise AssertionError("built from a list changed after the event listed its parts")


class AsyncAnswer(BackgroundTransaction):
    """async def: resolve() refuses it before any part runs, when it is listed then."""

    async def should_execute(self, request):
        return True

    async def execute(self, request):
        return BackgroundResponse.done()

    async def compensate(self, request, e):
        return BackgroundResponse.fail()


class Skip(Done):
    def should_execute(self, request):
        return False


class Listing(Saga):
    """Answers the same list object on every event (a class attribute)."""

    LISTED: list = []

    def transactions(self, request):
        return self.LISTED


class Relist:
    """A middleware that changes the saga's list: an operator toggling a feature for the
    next events, or another event of the same saga (under aresolve, on the same loop)."""

    def __init__(self):
        self.to = [NotATransaction]

    def __call__(self, request, following):
        Listing.LISTED[:] = self.to
        return following(request)


class Relisting(Listing):
    def middlewares(self, request):
        return [Relist]


def test_an_event_runs_the_transactions_listed_when_it_began():
    for _ in range(2):  # the first event checks the parts, the second reads that back
        Listing.LISTED[:] = [First]
        saga = Relisting.make({}, object(), LOGGER)
        assert saga.resolve(REQUEST).status == "success"
        assert type(saga.selected) is First


def test_an_async_transaction_listed_while_an_event_runs_is_not_run_unchecked():
    class ToAsync(Relist):
        def __init__(self):
            self.to = [Skip, AsyncAnswer]

    class ToAsyncSaga(Listing):
        def middlewares(self, request):
            return [ToAsync]

    for _ in range(2):
        Listing.LISTED[:] = [Skip, First]
        saga = ToAsyncSaga.make({}, object(), LOGGER)
        assert saga.resolve(REQUEST).status == "success"
        assert type(saga.selected) is First  # not AsyncAnswer, which it did not list


def test_concurrent_aresolve_events_each_run_what_they_listed():
    # one event's selection awaits while another event of the same saga begins and its
    # middleware changes the class-level list: the first event keeps its own
    entered, release = None, None

    class Slow(Done):
        async def should_execute(self, request):
            entered.set()
            await release.wait()
            return False

    class Other(Done):
        pass

    class Changer:
        async def __call__(self, request, following):
            if request["id"] == "PR-2":
                Listing.LISTED[:] = [Slow, Other]
            return await following(request)

    class Changing(Listing):
        def middlewares(self, request):
            return [Changer]

    async def main():
        nonlocal entered, release
        entered, release = asyncio.Event(), asyncio.Event()
        Listing.LISTED[:] = [Slow, First]
        first = Changing.make({}, object(), LOGGER)
        task = asyncio.ensure_future(first.aresolve(dict(REQUEST)))
        await asyncio.wait_for(entered.wait(), 30)
        second = Changing.make({}, object(), LOGGER)
        second_task = asyncio.ensure_future(second.aresolve({**REQUEST, "id": "PR-2"}))
        await asyncio.sleep(0)
        release.set()
        await asyncio.wait_for(task, 30)
        await asyncio.wait_for(second_task, 30)
        return first, second

    first, second = asyncio.run(main())
    assert type(first.selected) is First
    # the second listed [Slow, First] too, before its middleware changed the list
    assert type(second.selected) is First


# an ordered flow ------------------------------------------------------------------------

class Appends(ValidationTransaction):
    def execute(self, request):
        Checks.LISTED.append(Refuses)  # for later events, not this one
        return ValidationResponse.done(request)


class Refuses(ValidationTransaction):
    def execute(self, request):
        return ValidationResponse.fail(request, output="listed after the event began")


class Checks(ValidationFlow):
    LISTED: list = []

    def transactions(self, request):
        return self.LISTED


def test_an_ordered_flow_runs_the_validators_listed_when_it_began():
    draft = {"id": "PR-1", "type": "purchase", "status": "draft", "asset": {"params": []}}
    for _ in range(2):
        Checks.LISTED[:] = [Appends]
        flow = Checks.make({}, object(), LOGGER)
        assert flow.resolve(draft).status == "success"
        assert [type(t) for t in flow.ran] == [Appends]


# provide_cache's debug line -------------------------------------------------------------

def test_the_cache_debug_line_reaches_a_logger_whose_debug_is_patched():
    # a test double of the published line: the published provider called debug() on
    # every logger, whatever its level
    logger = logging.getLogger("tests.per_event_review.cache")
    assert not logger.isEnabledFor(logging.DEBUG)
    with mock.patch.object(logger, "debug") as debug:
        provide_cache({"CACHE_DRIVER": "none"}, logger)
    debug.assert_called_once_with("Cache service configured with %s driver.", "none")


def test_the_cache_debug_line_reaches_a_logger_class_whose_debug_is_patched():
    logger = logging.getLogger("tests.per_event_review.cache")
    with mock.patch.object(logging.Logger, "debug", autospec=True) as debug:
        provide_cache({"CACHE_DRIVER": "none"}, logger)
    debug.assert_called_once_with(logger, "Cache service configured with %s driver.", "none")


def test_an_unknown_cache_driver_value_is_not_kept_after_its_event():
    # an operator's mistake (a connection URL with its password in CACHE_DRIVER) must
    # not outlive the configuration it came in: only a driver's name may be remembered
    from rndi.cache import provider

    value = "redis://:per-event-review-secret@cache:6379"
    provide_cache({"CACHE_DRIVER": value}, LOGGER)
    kept = [name for name, table in vars(provider).items() if isinstance(table, dict)
            and (value in table or value in table.values())]
    assert kept == []


def test_an_unknown_cache_driver_line_masks_the_configurations_secrets(caplog):
    value = "redis://:per-event-review-secret@cache:6379"
    config = {"CACHE_DRIVER": value, "REDIS_PASSWORD": "per-event-review-secret"}
    with caplog.at_level(logging.ERROR, logger=LOGGER.name):
        provide_cache(config, LOGGER)
    assert "Unknown cache driver" in caplog.text
    assert "per-event-review-secret" not in caplog.text
