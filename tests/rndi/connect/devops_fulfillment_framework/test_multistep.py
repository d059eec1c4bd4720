"""MultiStepTransaction: ordered steps, each once per request, retried with a growing
countdown, undone in reverse, resumed across deliveries; on a real SQLite cache, each
behaviour under resolve() and aresolve() (sync steps in both, async steps under aresolve)."""

import asyncio
import logging

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import SyncAsyncMismatch
from rndi.connect.devops_fulfillment_framework import (
    MultiStepTransaction,
    RequestLease,
    Retry,
    Saga,
    Step,
    StepWiringError,
)
from rndi.dicontainer import BaseServiceProvider
from tests.conftest import PR

LOGGER = logging.getLogger("tests.multistep")
SECRET = "card-4111-1111"  # an error's text: never in a message or answer


class Refused(Exception):
    """The vendor said no: permanent."""


class Down(ConnectionError):
    """The vendor could not be reached: retryable."""


class Vendor:
    """Counts every call; ``fail[what]`` lists errors the next calls of ``what`` raise."""

    def __init__(self):
        self.calls = []
        self.fail = {}

    def __call__(self, what, *args):
        self.calls.append((what, *args))
        queued = self.fail.get(what)
        if queued:
            raise queued.pop(0)
        return {"id": f"{what}-{len(self.calls)}"}

    def named(self):
        return [call[0] for call in self.calls]


class Purchase(MultiStepTransaction):
    def __init__(self, journal, client, logger, config, vendor):
        super().__init__(journal, client, logger, config)
        self.vendor = vendor

    def name(self):
        return "Purchase"

    def should_execute(self, request):
        return request["type"] == "purchase"

    def steps(self, request):
        return [
            Step("customer", self.create_customer, undo=self.delete_customer),
            Step("subscription", self.create_subscription, undo=self.cancel_subscription),
            Step("parameters", self.write_parameters),
            Step("approve", self.approve),
        ]

    def create_customer(self, request):
        return self.vendor("create_customer", request["id"])

    def delete_customer(self, customer):
        self.vendor("delete_customer", customer["id"])

    def create_subscription(self, customer):
        return self.vendor("create_subscription", customer["id"])

    def cancel_subscription(self, subscription, request):
        self.vendor("cancel_subscription", subscription["id"])

    def write_parameters(self, subscription):
        return self.vendor("write_parameters", subscription["id"])

    def approve(self, results):
        return self.vendor("approve", sorted(results))


class AsyncPurchase(Purchase):
    """The same purchase with async def steps (and one sync one, run in a thread)."""

    async def create_customer(self, request):
        await asyncio.sleep(0)
        return super().create_customer(request)

    async def delete_customer(self, customer):
        super().delete_customer(customer)

    async def create_subscription(self, customer):
        return super().create_subscription(customer)

    async def approve(self, results):
        return super().approve(results)


class Provide(BaseServiceProvider):
    def __init__(self, cache, vendor):
        super().__init__()
        self.cache, self.vendor = cache, vendor

    def register(self):
        self.bind_instance("cache", self.cache)
        self.bind_instance("vendor", self.vendor)


class PurchaseSaga(Saga):
    transaction = Purchase

    def middlewares(self, request):
        return [RequestLease]

    def transactions(self, request):
        return [self.transaction]


class AsyncPurchaseSaga(PurchaseSaga):
    transaction = AsyncPurchase


WORLDS = ["sync", "async-sync-steps", "async-async-steps"]


@pytest.fixture(params=WORLDS)
def world(request):
    return request.param


@pytest.fixture
def cache(tmp_path):
    return SQLiteCacheAdapter(str(tmp_path))


@pytest.fixture
def vendor():
    return Vendor()


def request_():
    return {"id": PR, "type": "purchase", "status": "pending"}


def deliver(world, cache, vendor, config=None, saga=None, client=None, request=None):
    """One delivery: a saga made for it, as the runner's handler makes one."""
    saga = saga or (AsyncPurchaseSaga if world == "async-async-steps" else PurchaseSaga)
    made = saga({**saga.event_providers(config or {}, client, LOGGER, request or request_()),
                 "cache": Provide(cache, vendor)})
    if world == "sync":
        return made.resolve(request or request_())
    return asyncio.run(made.aresolve(request or request_()))


def test_the_steps_run_in_order_each_reading_earlier_results_by_name(world, cache, vendor):
    answer = deliver(world, cache, vendor)
    assert answer.status == "success"
    assert vendor.calls == [
        ("create_customer", PR),
        ("create_subscription", "create_customer-1"),
        ("write_parameters", "create_subscription-2"),
        ("approve", ["customer", "parameters", "subscription"]),
    ]


def test_a_redelivery_replays_the_recorded_steps_and_runs_only_the_rest(world, cache, vendor):
    vendor.fail["write_parameters"] = [Down("no route")]
    first = deliver(world, cache, vendor)
    assert first.status == "reschedule"
    second = deliver(world, cache, vendor)
    assert second.status == "success"
    # one vendor call per step, but the one retried; results restored from the journal
    assert vendor.named() == ["create_customer", "create_subscription", "write_parameters",
                              "write_parameters", "approve"]
    assert vendor.calls[3] == ("write_parameters", "create_subscription-2")


def test_a_permanent_failure_undoes_the_steps_done_in_reverse_once_each(world, cache, vendor,
                                                                      caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    vendor.fail["write_parameters"] = [Refused(SECRET)]
    answer = deliver(world, cache, vendor)
    assert answer.status == "fail"
    assert answer.output == ("Purchase: step 'parameters' (3 of 4) failed (Refused); undone: "
                             "'subscription', 'customer'.")
    assert vendor.named() == ["create_customer", "create_subscription", "write_parameters",
                              "cancel_subscription", "delete_customer"]
    assert vendor.calls[3:] == [("cancel_subscription", "create_subscription-2"),
                                ("delete_customer", "create_customer-1")]
    # a later delivery (Connect had not taken the answer) repeats nothing at the vendor
    again = deliver(world, cache, vendor)
    assert (again.status, again.output) == ("fail", answer.output)
    assert len(vendor.calls) == 5
    assert SECRET not in caplog.text.replace(f"Refused: {SECRET}", "")  # only in the traceback
    messages = [record.getMessage() for record in caplog.records]
    assert f"{PR} Purchase step 2/4 'subscription': undone." in messages
    assert f"{PR} Purchase step 1/4 'customer': undo replayed from the journal." in messages


def test_retries_reschedule_with_growing_countdowns_counted_across_deliveries(world, cache,
                                                                            vendor):
    class Patient(Purchase):
        def steps(self, request):
            listed = super().steps(request)
            listed[1] = Step("subscription", self.create_subscription,
                             undo=self.cancel_subscription,
                             retry=Retry(attempts=4, countdown=30, factor=3, jitter=0))
            return listed

    class PatientAsync(AsyncPurchase, Patient):
        pass

    class PatientSaga(PurchaseSaga):
        transaction = PatientAsync if world == "async-async-steps" else Patient

    vendor.fail["create_subscription"] = [Down("a"), TimeoutError("b"), Down("c"), Down("d")]
    countdowns = [deliver(world, cache, vendor, saga=PatientSaga).countdown for _ in range(3)]
    assert countdowns == [30, 90, 270]
    # the fourth attempt is the last: it fails for good, and the customer is undone
    last = deliver(world, cache, vendor, saga=PatientSaga)
    assert last.status == "fail" and "'subscription' (2 of 4) failed (Down)" in last.output
    assert vendor.named() == ["create_customer"] + ["create_subscription"] * 4 + [
        "delete_customer"]


def test_the_default_policy_grows_with_jitter_and_never_goes_below_30_s(world, cache, vendor):
    vendor.fail["approve"] = [Down(str(n)) for n in range(4)]
    countdowns = [deliver(world, cache, vendor).countdown for _ in range(4)]
    assert 60 <= countdowns[0] <= 90 < 120 <= countdowns[1] <= 180 < 240 <= countdowns[2]
    assert countdowns[2] <= 360 < 480 <= countdowns[3] <= 720
    assert deliver(world, cache, vendor).status == "success"
    assert vendor.named().count("approve") == 5 and vendor.named().count("create_customer") == 1


def test_an_undo_that_fails_is_retried_by_its_own_policy_then_given_up(world, cache, vendor,
                                                                       caplog):
    class Stubborn(Purchase):
        undo_retry = Retry(attempts=2, countdown=45, jitter=0)

    class StubbornAsync(AsyncPurchase, Stubborn):
        pass

    class StubbornSaga(PurchaseSaga):
        transaction = StubbornAsync if world == "async-async-steps" else Stubborn

    vendor.fail["approve"] = [Refused(SECRET)]
    vendor.fail["cancel_subscription"] = [Down("x")]
    vendor.fail["delete_customer"] = [Down("y"), Down("z")]
    answers = [deliver(world, cache, vendor, saga=StubbornSaga) for _ in range(4)]
    assert [(a.status, a.countdown) for a in answers[:3]] == [
        ("reschedule", 45), ("reschedule", 45), ("fail", 30)]
    assert answers[2].output == (
        "Purchase: step 'approve' (4 of 4) failed (Refused); undone: 'subscription'; left at "
        "the vendor: 'customer'.")
    assert answers[3].output == answers[2].output
    assert vendor.named()[4:] == ["cancel_subscription", "cancel_subscription",
                                  "delete_customer", "delete_customer"]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[:2] == [
        f"{PR} Purchase step 1/4 'customer': undo given up after Down: what the step did is "
        "left at the vendor.",
        f"{PR} Left at the vendor, undo by hand: the work of step(s) 'customer'."]


class Clock:
    def __init__(self):
        self.now = 0.0


def test_a_spent_time_budget_stops_between_steps_and_the_next_delivery_resumes(world, cache,
                                                                               vendor):
    clock = Clock()

    class Timed(Purchase):
        def now(self):
            return clock.now

        def create_subscription(self, customer):
            clock.now += 11  # slower than the budget
            return super().create_subscription(customer)

    class TimedAsync(AsyncPurchase, Timed):
        pass

    class TimedSaga(PurchaseSaga):
        transaction = TimedAsync if world == "async-async-steps" else Timed

    first = deliver(world, cache, vendor, {"SAGA_TIME_BUDGET": "10"}, saga=TimedSaga)
    assert (first.status, first.countdown) == ("reschedule", 30)
    assert vendor.named() == ["create_customer", "create_subscription"]
    second = deliver(world, cache, vendor, {"SAGA_TIME_BUDGET": "10"}, saga=TimedSaga)
    assert second.status == "success"
    assert vendor.named() == ["create_customer", "create_subscription", "write_parameters",
                              "approve"]


def test_each_step_logs_a_line_bound_to_the_request_and_the_outcome_says_how_far(
        world, cache, vendor, caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    vendor.fail["write_parameters"] = [Down("x")]
    deliver(world, cache, vendor, {"SAGA_TIME_BUDGET": "100"})
    deliver(world, cache, vendor)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records
             if getattr(r, "transaction", None) == "Purchase"]
    countdown = lines[5][1].rsplit(" ", 2)[1]
    assert lines == [
        ("INFO", f"{PR} Purchase step 1/4 'customer': started."),
        ("INFO", f"{PR} Purchase step 1/4 'customer': done."),
        ("INFO", f"{PR} Purchase step 2/4 'subscription': started."),
        ("INFO", f"{PR} Purchase step 2/4 'subscription': done."),
        ("INFO", f"{PR} Purchase step 3/4 'parameters': started."),
        ("WARNING", f"{PR} Purchase step 3/4 'parameters': raised Down (attempt 1 of 5); "
                    f"retrying, countdown {countdown} s."),
        ("INFO", f"{PR} Purchase: 2 of 4 steps done ('customer', 'subscription'); answering "
                 f"reschedule (countdown {countdown} s)."),
        ("INFO", f"{PR} Purchase step 1/4 'customer': replayed from the journal."),
        ("INFO", f"{PR} Purchase step 2/4 'subscription': replayed from the journal."),
        ("INFO", f"{PR} Purchase step 3/4 'parameters': started."),
        ("INFO", f"{PR} Purchase step 3/4 'parameters': done."),
        ("INFO", f"{PR} Purchase step 4/4 'approve': started."),
        ("INFO", f"{PR} Purchase step 4/4 'approve': done."),
        ("INFO", f"{PR} Purchase: 4 of 4 steps done ('customer', 'subscription', "
                 "'parameters', 'approve'); answering success."),
    ]
    assert {r.request_id for r in caplog.records if hasattr(r, "step")} == {PR}


def test_async_steps_under_resolve_are_refused_before_any_step_runs(cache, vendor):
    with pytest.raises(SyncAsyncMismatch, match=r"AsyncPurchase\.create_customer\(\) answered "
                       r"an awaitable in sync code.*aresolve"):
        deliver("sync", cache, vendor, saga=AsyncPurchaseSaga)
    assert vendor.calls == []


def test_the_steps_are_checked_before_any_step_runs(cache, vendor):
    def wired(*listed):
        class Wrong(Purchase):
            def steps(self, request):
                return list(listed)

        class WrongSaga(PurchaseSaga):
            transaction = Wrong

        return WrongSaga

    def undo_customer(customer, results):
        pass

    cases = [
        ((Step("a", dict), Step("a", dict)), r"step 'a' of Purchase: the name is listed twice"),
        ((Step("request", dict),), r"step 'request' of Purchase: the name is reserved"),
        (("a step",), r"Purchase\.steps\(\): lists a str; list Step"),
        ((), r"Purchase\.steps\(\): returned no step"),
        ((Step("customer", lambda request: 1, undo=undo_customer),
          Step("order", lambda customer, licence: 2)),
         r"step 'order' of Purchase: .*<lambda>\(\) takes 'licence', which nothing gives.*"
         r"earlier steps: 'customer'"),
    ]
    for listed, message in cases:
        with pytest.raises(StepWiringError, match=message):
            deliver("sync", cache, vendor, saga=wired(*listed))
    assert vendor.calls == []
    with pytest.raises(TypeError, match=r"Step\('x', fn\): fn must be callable, got a str"):
        Step("x", "create")
    with pytest.raises(TypeError, match="non-empty string name"):
        Step("", vendor)
    with pytest.raises(TypeError, match=r"undo=\.\.\.\) must be callable"):
        Step("x", vendor, undo=1)
    with pytest.raises(TypeError, match=r"retry=\.\.\.\) takes a Retry"):
        Step("x", vendor, retry=3)


def test_a_subclass_that_skips_the_base_constructor_is_told_how_to_call_it(cache, vendor):
    class Forgot(Purchase):
        def __init__(self, vendor):
            self.vendor = vendor

    class ForgotSaga(PurchaseSaga):
        transaction = Forgot

    with pytest.raises(TypeError, match=r"super\(\)\.__init__\(journal, client, logger, "
                                        r"config\)"):
        deliver("sync", cache, vendor, saga=ForgotSaga)


def test_a_cache_that_cannot_tell_reschedules_without_undoing(world, tmp_path, vendor):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    broken = SQLiteCacheAdapter(str(blocker / "cache"))

    class Unleased(PurchaseSaga):
        def middlewares(self, request):
            return []

    answer = deliver(world, broken, vendor, saga=Unleased)
    assert answer.status == "reschedule" and vendor.calls == []


def test_executed_outside_a_saga_the_drivers_answer_the_same(cache, vendor):
    from rndi.connect.devops_fulfillment_framework import StepJournal

    journal = StepJournal(cache, PR)
    sync = Purchase(journal, None, LOGGER, {}, vendor).execute(request_())
    assert sync.status == "success"
    again = asyncio.run(AsyncPurchase(journal, None, LOGGER, {}, vendor).aexecute(request_()))
    assert again.status == "success" and len(vendor.calls) == 4  # all replayed


def test_retry_settings_are_checked():
    for kwargs, message in [
        ({"attempts": 0}, "at least 1"), ({"attempts": True}, "at least 1"),
        ({"countdown": 10}, r"countdown=\.\.\.\) .* at least 30"),
        ({"factor": 0.5}, r"factor=\.\.\.\) .* at least 1"),
        ({"countdown": 100, "maximum": 50}, r"maximum=\.\.\.\) .* at least 100"),
        ({"jitter": 2}, r"jitter=\.\.\.\) .* from 0 to 1"),
    ]:
        with pytest.raises(ValueError, match=message):
            Retry(**kwargs)
    with pytest.raises(TypeError, match="tuple of exception classes or a function"):
        Retry(retry_on=(1,))
    assert Retry(retry_on=(KeyError,)).retries(KeyError()) is True
    assert Retry(retry_on=lambda e: "again" in str(e)).retries(ValueError("again")) is True
    assert Retry(countdown=30, jitter=1).countdown_for(1, lambda: 0.99) == 60
    assert Retry(countdown=100, maximum=150).countdown_for(9, lambda: 0.0) == 150


def test_a_wrong_failure_choice_is_refused_when_the_class_is_defined():
    with pytest.raises(ValueError, match="on_failure must be 'fail' or 'inquire'"):
        class Wrong(Purchase):
            on_failure = "explode"
    with pytest.raises(TypeError, match=r"Wrong\.retry must be a Retry"):
        class Wrong(Purchase):
            retry = 3


def test_a_wrong_time_budget_is_refused_when_the_saga_is_made(cache, vendor):
    with pytest.raises(ValueError, match="'SAGA_TIME_BUDGET' must be a positive number"):
        PurchaseSaga.make({"SAGA_TIME_BUDGET": "soon"}, None, LOGGER, request_())


def test_compensate_reschedules_a_retryable_error_outside_the_steps(cache, vendor):
    from rndi.connect.devops_fulfillment_framework import StepJournal

    purchase = Purchase(StepJournal(cache, PR), None, LOGGER, {}, vendor)
    assert purchase.compensate(request_(), Down("x")).status == "reschedule"
    with pytest.raises(Refused):
        purchase.compensate(request_(), Refused("y"))


def test_a_completed_override_answers_for_the_whole(cache, vendor):
    class Approving(Purchase):
        def completed(self, request, results):
            return BackgroundResponse.reschedule(300)

    class ApprovingSaga(PurchaseSaga):
        transaction = Approving

    assert deliver("sync", cache, vendor, saga=ApprovingSaga).countdown == 300


def test_the_request_is_failed_at_connect_naming_the_step(world, cache, vendor, api):
    client = api.client() if world == "sync" else api.async_client()
    vendor.fail["approve"] = [Refused(SECRET)]
    answer = deliver(world, cache, vendor, client=client, request=api.request(PR))
    assert answer.status == "fail"
    failed = api.request(PR)
    assert failed["status"] == "failed"
    assert failed["reason"] == answer.output == (
        "Purchase: step 'approve' (4 of 4) failed (Refused); undone: 'subscription', "
        "'customer'.")


def test_on_failure_inquire_sends_the_request_to_the_customer(world, cache, vendor, api):
    class Asking(Purchase):
        on_failure = "inquire"
        inquire_template = "TL-INQ-001"

    class AskingAsync(AsyncPurchase, Asking):
        pass

    class AskingSaga(PurchaseSaga):
        transaction = AskingAsync if world == "async-async-steps" else Asking

    client = api.client() if world == "sync" else api.async_client()
    vendor.fail["write_parameters"] = [Refused(SECRET)]
    answer = deliver(world, cache, vendor, client=client, request=api.request(PR),
                     saga=AskingSaga)
    assert answer.status == "success" and "step 'parameters' (3 of 4)" in answer.output
    assert api.request(PR)["status"] == "inquiring"
    assert [call.body for call in api.calls_to("POST", f"requests/{PR}/inquire")] \
        == [{"template_id": "TL-INQ-001"}]


def test_on_failure_inquire_without_a_template_is_refused_before_any_step(cache, vendor):
    class Asking(Purchase):
        on_failure = "inquire"

    class AskingSaga(PurchaseSaga):
        transaction = Asking

    with pytest.raises(ValueError, match="is 'inquire' but it has no inquire_template"):
        deliver("sync", cache, vendor, saga=AskingSaga)
    assert vendor.calls == []


def test_a_tier_config_request_is_failed_as_a_tier_config_request(cache, vendor, api):
    from tests.conftest import TCR

    class Setup(Purchase):
        def should_execute(self, request):
            return True

    class SetupSaga(PurchaseSaga):
        transaction = Setup

    vendor.fail["create_customer"] = [Refused(SECRET)]
    answer = deliver("sync", cache, vendor, client=api.client(), request=api.request(TCR),
                     saga=SetupSaga)
    assert answer.output == "Purchase: step 'customer' (1 of 4) failed (Refused)."
    assert api.request(TCR)["status"] == "failed"


def test_what_is_retryable_by_default():
    import httpx
    import requests
    from connect.client import ClientError

    from rndi.connect.devops_fulfillment_framework import is_retryable

    def http_error(status):
        response = requests.Response()
        response.status_code = status
        return requests.HTTPError(response=response)

    def httpx_error(status):
        request = httpx.Request("GET", "https://vendor.example")
        return httpx.HTTPStatusError("x", request=request,
                                     response=httpx.Response(status, request=request))

    def caused(error, cause):
        error.__cause__ = cause
        return error

    retryable = [ClientError(status_code=503), ClientError(status_code=429),
                 caused(ClientError(), requests.ConnectionError()),
                 requests.ConnectionError(), requests.Timeout(), http_error(502),
                 httpx.ConnectError("x"), httpx.ReadTimeout("x"), httpx_error(500),
                 httpx_error(429), ConnectionResetError(), TimeoutError(),
                 asyncio.TimeoutError(), caused(RuntimeError("wrapped"), TimeoutError())]
    permanent = [ClientError(status_code=400), ClientError(status_code=404), ClientError(),
                 http_error(404), httpx_error(422), KeyError("x"), ValueError(),
                 caused(RuntimeError("wrapped"), KeyError())]
    assert [is_retryable(e) for e in retryable] == [True] * len(retryable)
    assert [is_retryable(e) for e in permanent] == [False] * len(permanent)


class UnleasedSaga(PurchaseSaga):
    providers = {**PurchaseSaga.providers}

    def middlewares(self, request):
        return []


def test_check_reports_a_multistep_transaction_without_the_lease():
    config = {"CACHE_DRIVER": "sqlite", "VENDOR": "v"}
    problems = UnleasedSaga.check(config)
    unsafe = [p for p in problems if p.kind == "unsafe" and p.name == "Purchase"]
    assert [p.message for p in unsafe] == [
        "UnleasedSaga runs the multi-step transaction Purchase without RequestLease: two "
        "overlapping deliveries can both run a step before either records it. List "
        "RequestLease first in middlewares()."]
    assert not [p for p in PurchaseSaga.check(config) if p.name == "Purchase"]


def test_check_reports_steps_that_cannot_run_as_listed():
    class Miswired(Purchase):
        def steps(self, request):
            return [Step("order", self.create_subscription)]  # takes 'customer'

    class MiswiredSaga(PurchaseSaga):
        transaction = Miswired

    problems = MiswiredSaga.check({"CACHE_DRIVER": "sqlite", "VENDOR": "v"})
    assert [(p.kind, p.path[0], p.path[1].rsplit(".", 1)[1], p.path[2]) for p in problems] == [
        ("invalid", "MiswiredSaga.transactions()", "Miswired", "steps()")]
    assert "Purchase.create_subscription() takes 'customer', which nothing gives" in str(
        problems[0])


def test_explain_shows_the_steps_and_what_each_is_given():
    text = PurchaseSaga.explain({"CACHE_DRIVER": "sqlite", "VENDOR": "v"})
    assert text.split("steps(), in order:\n", 1)[1].splitlines() == [
        "        1. 'customer': Purchase.create_customer",
        "             request <- the request",
        "           undo: Purchase.delete_customer",
        "             customer <- the result of step 'customer'",
        "        2. 'subscription': Purchase.create_subscription",
        "             customer <- the result of step 'customer'",
        "           undo: Purchase.cancel_subscription",
        "             subscription <- the result of step 'subscription'",
        "             request <- the request",
        "        3. 'parameters': Purchase.write_parameters",
        "             subscription <- the result of step 'subscription'",
        "        4. 'approve': Purchase.approve",
        "             results <- the results of the steps done so far, by name",
    ]


def test_explain_says_when_the_steps_need_a_built_transaction():
    class Built(Purchase):
        def steps(self, request):
            return [Step("x", self.vendor)]

    class BuiltSaga(PurchaseSaga):
        def transactions(self, request):
            return [Built]

    text = BuiltSaga.explain({"CACHE_DRIVER": "sqlite", "VENDOR": "v"})
    assert "steps() cannot be listed without building " in text
    assert text.endswith(".Built: AttributeError")


def test_check_reports_a_time_budget_make_would_refuse():
    problems = PurchaseSaga.check({"CACHE_DRIVER": "sqlite", "VENDOR": "v",
                                   "SAGA_TIME_BUDGET": "-1"})
    assert [(p.kind, p.name) for p in problems] == [("invalid", "SAGA_TIME_BUDGET")]


def test_a_step_whose_own_journal_cannot_tell_reschedules_without_counting_or_undoing(
        world, cache, vendor):
    from rndi.connect.devops_fulfillment_framework import JournalUnavailable

    vendor.fail["write_parameters"] = [JournalUnavailable("inner", "sqlite")]
    answer = deliver(world, cache, vendor)
    assert answer.status == "reschedule" and answer.countdown == 30
    assert deliver(world, cache, vendor).status == "success"
    assert vendor.named().count("write_parameters") == 2
    assert "cancel_subscription" not in vendor.named()


def test_a_transaction_without_steps_or_with_a_wrong_list_says_what_to_return(cache, vendor):
    class NoSteps(MultiStepTransaction):
        def should_execute(self, request):
            return True

    class Scalar(NoSteps):
        def steps(self, request):
            return "customer"

    from rndi.connect.devops_fulfillment_framework import StepJournal

    journal = StepJournal(cache, PR)
    with pytest.raises(NotImplementedError, match="NoSteps lists no steps: define steps"):
        NoSteps(journal, None, LOGGER, {}).execute(request_())
    with pytest.raises(StepWiringError, match=r"Scalar\.steps\(\): returned a str; return a "
                                              r"list of Step"):
        Scalar(journal, None, LOGGER, {}).execute(request_())
    assert repr(Step("customer", dict)) == "Step('customer')"


def test_explain_and_check_on_steps_they_cannot_read(cache, vendor):
    from rndi.connect.devops_fulfillment_framework.multistep import (
        explained_steps,
        multistep_problems,
    )

    class Odd(Purchase):
        def steps(self, request):
            return [Step("customer", lambda request, region="eu": 1), "a step"]

    class NotAList(Purchase):
        def steps(self, request):
            return 3

    class Built(Purchase):
        def steps(self, request):
            return [Step("x", self.vendor)]  # set by the constructor, which check never calls

    assert explained_steps(Odd, request_(), "") == [
        "steps(), in order:", "  1. 'customer': test_explain_and_check_on_steps_they_cannot_read"
        ".<locals>.Odd.steps.<locals>.<lambda>", "       request <- the request",
        "       region <- its default", "  2. a str, not a Step"]
    assert explained_steps(NotAList, request_(), "") == [
        "steps() returned an int, not a list of Step"]
    assert explained_steps(dict, request_(), "") == []
    assert multistep_problems("S", True, [Built, Purchase, dict], request_()) == []


def test_a_request_parameters_secret_quoted_by_a_failed_step_is_masked_in_the_log(
        cache, vendor, caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    secret = "ReqSecret99"
    request = {**request_(), "asset": {"id": "AS-1", "params": [
        {"id": "vendor_password", "type": "password", "value": secret}]}}
    vendor.fail["approve"] = [Refused(f"password {secret} was refused")]
    answer = deliver("sync", cache, vendor, request=request)
    assert answer.status == "fail"
    assert "Refused: password ********* was refused" in caplog.text
    assert secret not in caplog.text


def test_a_secret_config_value_quoted_by_a_failed_step_is_masked_in_the_log(cache, vendor,
                                                                           caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    secret = "sk-live-0123456789"
    vendor.fail["approve"] = [Refused(f"key {secret} was refused")]
    answer = deliver("sync", cache, vendor, {"VENDOR_API_KEY": secret})
    assert answer.status == "fail"
    assert "Refused: key ********* was refused" in caplog.text
    assert secret not in caplog.text and secret not in answer.output
