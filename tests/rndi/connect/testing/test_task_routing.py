"""FakeEaaS sends each kind of task where Connect does (background events and scheduled
tasks to the background worker, interactive events to the interactive one) and refuses a
task the extension declares no handler for, before sending it. The stand-in runner
(``fake_runner.py``) declares a purchase event, its validation and a ``nightly``
schedulable, and echoes what it gets."""

import sys
from pathlib import Path

import pytest

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import INTERACTIVE_EVENTS, FakeEaaS, TaskFailed, UndeclaredTask
from rndi.connect.testing.runner import ExtensionRunner

FAKE_RUNNER = str(Path(__file__).with_name("fake_runner.py"))
EVENT = "asset_purchase_request_processing"
VALIDATION = "asset_purchase_request_validation"


@pytest.fixture(scope="module")
def stack():
    with ConnectAPI() as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, ca_bundle="", deadline=240,
                                 command=[sys.executable, FAKE_RUNNER]).start()
        try:
            runner.wait_ready(timeout=120)
            yield connect, eaas
        finally:
            runner.close()


def answered_by(eaas, task_id):
    """The worker type whose answer to the task came back, and the task's category."""
    (answer,) = [(runner_type, message["data"]) for runner_type, message in eaas.messages
                 if message.get("message_type") == "task"
                 and message["data"]["options"]["task_id"] == task_id]
    return answer[0], answer[1]["options"]["task_category"]


def test_a_background_event_goes_to_the_background_worker(stack):
    _, eaas = stack
    future = eaas.send(EVENT, "PR-1")
    assert future.result(60)["result"] == "success"
    assert answered_by(eaas, future.task_id) == ("background", "background")


def test_a_validation_goes_to_the_interactive_worker_and_returns_the_answered_body(stack):
    _, eaas = stack
    draft = {"id": "PR-2", "status": "draft", "asset": {"params": [{"id": "X"}]}}
    assert eaas.validate(VALIDATION, draft, timeout=60) == draft
    output = eaas.interact(VALIDATION, draft, timeout=60)
    assert (output["worker"], output["category"], output["message"]) == (
        "interactive", "interactive", "PR-2")
    assert output["data"] == {"http_status": 200, "headers": None, "body": draft}


def test_a_refused_validation_raises_with_the_body_it_answered(stack):
    _, eaas = stack
    draft = {"id": "PR-3", "refuse": True}
    with pytest.raises(TaskFailed, match=r"The validation of 'PR-3' answered 'fail': PR-3\.") \
            as raised:
        eaas.validate(VALIDATION, draft, timeout=60)
    assert raised.value.body == draft
    assert raised.value.output["data"]["http_status"] == 400


def test_a_schedule_is_triggered_on_the_background_worker_by_its_method(stack):
    connect, eaas = stack
    schedule = connect.add_schedule("nightly", parameter={"days": 1})
    output = eaas.trigger(schedule, timeout=60)
    assert (output["worker"], output["category"], output["message"]) == (
        "background", "scheduled", schedule["id"])
    # what the runner reads when the schedule fires
    served = connect.client().ns("devops").services["SRV-1"].environments["ENV-1"] \
        .schedules[schedule["id"]].get()
    assert served == {**schedule, "parameter": {"days": 1}}
    assert served["method"] == "nightly"


@pytest.mark.parametrize(("send", "error", "message"), [
    (lambda eaas: eaas.send("asset_change_request_processing", "PR-4"), UndeclaredTask,
     "The extension declares no event 'asset_change_request_processing' (it declares: "
     "asset_purchase_request_processing, asset_purchase_request_validation); add a handler "
     "decorated with @event('asset_change_request_processing', statuses=[...])"),
    (lambda eaas: eaas.validate("tier_config_setup_request_validation", {"id": "TCR-1"}),
     UndeclaredTask, "declares no event 'tier_config_setup_request_validation'"),
    (lambda eaas: eaas.trigger({"id": "EFS-1", "method": "hourly"}), UndeclaredTask,
     "The extension declares no schedulable 'hourly' (it declares: nightly); decorate the "
     "extension's method hourly with @schedulable(name, description)"),
    (lambda eaas: eaas.deliver(VALIDATION, "PR-4"), ValueError,
     "'asset_purchase_request_validation' is an interactive event"),
    (lambda eaas: eaas.interact(EVENT, {"id": "PR-4"}), ValueError,
     "'asset_purchase_request_processing' is not an interactive event"),
    (lambda eaas: eaas.interact(VALIDATION, {}), ValueError,
     "takes the object of the event as a non-empty dict, got dict (empty)"),
    (lambda eaas: eaas.validate("product_action_execution", {"id": "PRD-1"}), ValueError,
     "is not a validation event"),
    (lambda eaas: eaas.trigger("nightly"), TypeError,
     "trigger() takes the schedule object, with its 'id' and 'method': schedule = "
     "connect.add_schedule('method_name')"),
], ids=["undeclared-event", "undeclared-validation", "undeclared-schedulable",
        "interactive-as-background", "background-as-interactive", "empty-body",
        "action-as-validation", "method-name-only"])
def test_a_task_that_cannot_reach_a_handler_is_refused_and_never_sent(
        stack, send, error, message):
    _, eaas = stack
    sent_before = len(eaas.messages)
    with pytest.raises(error) as raised:
        send(eaas)
    assert message in str(raised.value)
    assert len(eaas.messages) == sent_before  # no answer: nothing was sent
    assert eaas.in_flight == 0


def test_the_interactive_events_are_the_ones_connect_waits_for():
    assert {"asset_purchase_request_validation", "tier_config_change_request_validation",
            "product_action_execution", "product_custom_event_processing"} <= INTERACTIVE_EVENTS
    assert not any(event.endswith("_processing") and event.startswith("asset_")
                   for event in INTERACTIVE_EVENTS)


def test_the_interactive_events_are_exactly_the_ones_the_runner_sends_to_its_interactive_worker():
    constants = pytest.importorskip("connect.eaas.runner.constants",
                                    reason="the runner is not installed on this stack")
    assert set(constants.INTERACTIVE_EVENT_TYPES) == INTERACTIVE_EVENTS


def test_a_schedule_needs_a_method_name():
    with ConnectAPI() as connect, pytest.raises(ValueError, match="@schedulable method"):
        connect.add_schedule("not a name")


class _Forgetful(dict):
    """A pending-task table that loses every task, as if no answer ever came back."""

    def __setitem__(self, key, value):
        pass


def test_an_interactive_task_without_an_answer_times_out_naming_it(stack, monkeypatch):
    _, eaas = stack
    monkeypatch.setattr(eaas, "_pending", _Forgetful())
    with pytest.raises(TimeoutError, match=r"asset_purchase_request_validation PR-5 \(task "
                                           r"TQ-\w+\) got no result within 0.2 s"):
        eaas.interact(VALIDATION, {"id": "PR-5"}, timeout=0.2)


def test_routing_needs_a_started_server():
    eaas = FakeEaaS({})
    for attempt in (lambda: eaas.interact(VALIDATION, {"id": "PR-1"}),
                    lambda: eaas.trigger({"id": "EFS-1", "method": "nightly"})):
        with pytest.raises(RuntimeError, match="FakeEaaS is not started"):
            attempt()
