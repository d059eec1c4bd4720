"""Several runner replicas on one FakeEaaS: each told apart by its INSTANCE_ID, tasks sent
to one chosen replica or to all at once (the stand-in runner answers with its instance)."""

import sys
import time
from pathlib import Path

import pytest

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner

FAKE_RUNNER = str(Path(__file__).with_name("fake_runner.py"))
EVENT = "asset_purchase_request_processing"


@pytest.fixture
def replicas():
    with ConnectAPI() as connect, FakeEaaS({}) as eaas:
        runners = [ExtensionRunner(eaas, connect, ca_bundle="", deadline=240,
                                   instance_id=f"INS-{name}",
                                   command=[sys.executable, FAKE_RUNNER]).start()
                   for name in ("a", "b")]
        try:
            for runner in runners:
                runner.wait_ready(timeout=120)
            yield eaas, runners
        finally:
            for runner in runners:
                runner.close()


def test_each_replica_is_ready_and_named_by_its_instance(replicas):
    eaas, runners = replicas
    assert eaas.connected() == {"INS-a": ["background", "interactive"],
                                "INS-b": ["background", "interactive"]}
    roles = [runner.processes() for runner in runners]
    assert roles[0]["background"] != roles[1]["background"]
    assert {"master", "background", "interactive"} <= set(roles[0])


def test_a_task_goes_to_the_chosen_replica(replicas):
    eaas, _ = replicas
    for name in ("INS-a", "INS-b"):
        output = eaas.deliver(EVENT, "PR-1", timeout=60, instance=name)
        assert output["instance"] == name


def test_send_to_all_reaches_every_replica_with_its_own_task(replicas):
    eaas, _ = replicas
    futures = eaas.send_to_all(EVENT, "PR-7", timeout=60)
    outputs = {name: future.result(60) for name, future in futures.items()}
    assert {name: output["instance"] for name, output in outputs.items()} == {
        "INS-a": "INS-a", "INS-b": "INS-b"}
    assert futures["INS-a"].task_id != futures["INS-b"].task_id


def test_with_several_replicas_an_unnamed_send_is_refused(replicas):
    eaas, _ = replicas
    with pytest.raises(RuntimeError, match=r"2 runner instances are connected \(INS-a, INS-b\)"):
        eaas.send(EVENT, "PR-1")
    with pytest.raises(RuntimeError, match="'INS-c' has no background worker"):
        eaas.send(EVENT, "PR-1", instance="INS-c")


def test_a_replica_that_dies_is_no_longer_connected(replicas):
    eaas, runners = replicas
    runners[0].end_in(0)
    assert runners[0].wait_ended(120)
    eaas.wait_ready(timeout=60, instances=["INS-b"])
    for _ in range(2400):  # its connections close once its workers are gone
        if "INS-a" not in eaas.connected():
            break
        time.sleep(0.05)
    assert list(eaas.connected()) == ["INS-b"]
    assert eaas.deliver(EVENT, "PR-2", timeout=60)["instance"] == "INS-b"
