"""The EaaS server and the runner driver, with a stand-in runner (``fake_runner.py``): the
same conversation and process tree as ``cextrun``, on every Python."""

import json
import os
import ssl
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import trustme

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing import runner as runner_module
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import (
    ExtensionRunner,
    RunnerExited,
    cextrun_path,
    process_usage,
)

FAKE_RUNNER = str(Path(__file__).with_name("fake_runner.py"))
EVENT = "asset_purchase_request_processing"


@pytest.fixture
def start_runner():
    """Start the stand-in runner in ``mode`` against a fresh EaaS server and Connect API."""
    started = []

    def start(mode="master", deadline=240, environment=None, command=None):
        connect = ConnectAPI().start()
        eaas = FakeEaaS({"ACTIVATION_TEMPLATE": "TL-1"}).start()
        runner = ExtensionRunner(eaas, connect, ca_bundle="", deadline=deadline,
                                 environment=environment,
                                 command=command or [sys.executable, FAKE_RUNNER, mode]).start()
        started.append((connect, eaas, runner))
        return eaas, runner

    yield start
    for connect, eaas, runner in started:
        runner.close()
        eaas.stop()
        connect.stop()


def test_fifty_tasks_in_flight_come_back_each_with_its_own_result(start_runner):
    eaas, runner = start_runner()
    eaas.wait_ready(timeout=120)
    ids = [f"PR-0000-0000-0000-{n:03d}" for n in range(50)]
    results = dict(eaas.deliver_many(EVENT, ids, timeout=120))
    assert sorted(results) == ids
    assert all(output == {"result": "success", "message": object_id, "instance": "INS-local"}
               for object_id, output in results.items())
    assert eaas.in_flight == 0
    assert runner.stop() == 0
    assert runner.live_processes() == []


def test_deliver_returns_the_output_of_one_task(start_runner):
    eaas, runner = start_runner()
    runner.wait_ready(timeout=120)  # returns once both workers have their setup
    assert {"background", "interactive"} <= set(eaas.setup_requests)
    assert eaas.deliver(EVENT, "PR-1", timeout=120) == {
        "result": "success", "message": "PR-1", "instance": "INS-local"}


def test_processes_are_named_by_role_and_their_usage_can_be_read(start_runner):
    eaas, runner = start_runner()
    eaas.wait_ready(timeout=120)
    roles = runner.processes()
    assert {"master", "background", "interactive"} <= set(roles)
    assert roles["master"] == runner.process.pid
    assert len({roles["master"], roles["background"], roles["interactive"]}) == 3
    assert sorted(roles.values()) == sorted(runner.live_processes())
    usage = process_usage(roles["background"])
    assert usage["rss_bytes"] > 0 and usage["peak_rss_bytes"] >= usage["rss_bytes"]
    assert usage["cpu_seconds"] > 0  # it imported Python and websockets


def test_usage_of_a_process_that_is_gone_says_so():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    with pytest.raises(ProcessLookupError, match=str(process.pid)):
        process_usage(process.pid)


def test_a_runner_stuck_at_start_is_ended_at_its_deadline(start_runner):
    _, runner = start_runner(mode="hang", deadline=0.5)
    runner.process.wait(120)
    assert runner.timed_out is True
    assert runner.process.returncode == -9
    assert runner.wait_ended(120) is True
    assert runner.live_processes() == []


def test_end_in_replaces_the_deadline_counting_from_now(start_runner):
    eaas, runner = start_runner(deadline=240)
    eaas.wait_ready(timeout=120)
    runner.end_in(0.1)
    runner.process.wait(120)
    assert runner.timed_out is True
    assert runner.wait_ended(120) is True
    assert runner.live_processes() == []


def test_a_task_without_result_times_out_naming_it(start_runner, monkeypatch):
    eaas, _ = start_runner()
    eaas.wait_ready(timeout=120)
    # a background worker that never answers: drop the server's side of the answers
    monkeypatch.setattr(eaas, "_pending", _Forgetful())
    with pytest.raises(TimeoutError, match=r"1 of 1 asset_purchase_request_processing .*PR-9"):
        eaas.deliver(EVENT, "PR-9", timeout=0.2)


class _Forgetful(dict):
    """A pending-task table that loses every task, as if no result ever came back."""

    def __setitem__(self, key, value):
        pass


def test_sending_needs_a_started_server_and_a_connected_worker():
    eaas = FakeEaaS({})
    with pytest.raises(RuntimeError, match="not started"):
        eaas.send(EVENT, "PR-1")
    with eaas, pytest.raises(RuntimeError, match="call wait_ready"):
        eaas.send(EVENT, "PR-1")


def test_waiting_for_workers_that_never_come_says_which(start_runner):
    with FakeEaaS({}) as eaas, pytest.raises(TimeoutError, match="background worker"):
        eaas.wait_ready(timeout=0.01)


def test_without_cextrun_the_error_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"\[runner\]\" \(connect-extension-runner 43 "
                                               r"needs connect-eaas-core < 38"):
        cextrun_path()


def test_the_runner_environment_points_at_the_fakes_without_proxies(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("PYTHONPATH", "/already/there")
    with ConnectAPI() as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, "/ca.pem", python_path=["/site"],
                                 environment={"BACKGROUND_TASK_MAX_EXECUTION_TIME": "60"})
        env = runner.environment()
        runner.close()
        assert env["SERVER_ADDRESS"] == eaas.address
        assert env["API_ADDRESS"] == f"127.0.0.1:{connect.port}"
    assert "HTTPS_PROXY" not in env
    assert env["SSL_CERT_FILE"] == env["REQUESTS_CA_BUNDLE"] == "/ca.pem"
    assert env["PYTHONPATH"] == os.pathsep.join(["/site", "/already/there"])
    assert env["BACKGROUND_TASK_MAX_EXECUTION_TIME"] == "60"


WITHOUT_WEBSOCKETS = textwrap.dedent("""
    import sys
    sys.modules["websockets"] = None  # as if the testing extra were not installed
    import rndi.connect.testing  # the HTTP stand-ins need nothing extra
    assert rndi.connect.testing.ConnectAPI and rndi.connect.testing.FakeHTTPService
    try:
        import rndi.connect.testing.eaas
    except ImportError as e:
        print(e)
""")


def test_the_eaas_server_without_its_extra_says_which_extra_to_install():
    out = subprocess.run([sys.executable, "-c", WITHOUT_WEBSOCKETS], capture_output=True,
                         text=True, check=True).stdout
    assert 'pip install "rndi-connect-devops-fulfillment-framework[testing]"' in out


DIES_AT_START = textwrap.dedent("""
    import sys
    for number in range(1, 31):
        print(f"start-up line {number}")
    print("ERROR: The event type *x* is not valid.")
    sys.exit(3)
""")


def test_wait_ready_fails_at_once_with_the_exit_code_when_the_runner_dies_at_start(
        start_runner):
    _, runner = start_runner(command=[sys.executable, "-c", DIES_AT_START])
    with pytest.raises(RunnerExited, match="exited with code 3") as error:
        runner.wait_ready(timeout=3600)  # waiting it out would hang the test run
    assert error.value.exit_code == 3
    tail = error.value.output_tail.splitlines()
    assert len(tail) == 20 and tail[-1] == "ERROR: The event type *x* is not valid."
    assert tail[0] == "start-up line 12"
    assert "start-up line 11\n" not in str(error.value)


def test_wait_ready_names_the_deadline_when_it_ended_the_runner(start_runner):
    _, runner = start_runner(mode="hang", deadline=0.2)
    with pytest.raises(RunnerExited, match="ended at its deadline") as error:
        runner.wait_ready(timeout=3600)
    assert error.value.exit_code == -9


def test_wait_ready_on_a_runner_that_never_connects_times_out_saying_it_still_runs(
        start_runner):
    _, runner = start_runner(mode="hang")
    with pytest.raises(TimeoutError, match="still running"):
        runner.wait_ready(timeout=0.3)
    assert runner.process.poll() is None
    runner.stop(grace=0)  # it never connected, so it cannot hear a shutdown


def test_wait_ready_needs_a_started_runner():
    with ConnectAPI() as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, "")
        with pytest.raises(RuntimeError, match="not started"):
            runner.wait_ready()
        runner.close()


def test_validation_needs_the_project_directory():
    with pytest.raises(ValueError, match="project_dir"):
        ExtensionRunner(FakeEaaS({}), ConnectAPI(), "", validate=True)


WHAT_THE_RUNNER_SEES = textwrap.dedent("""\
    #!{python}
    import json, os, sys
    import requests
    answer = requests.get("https://pypi.org/pypi/connect-extension-runner/json", timeout=60)
    try:
        requests.get("https://example.com/", timeout=60)
        elsewhere = "reached"
    except requests.exceptions.ProxyError:
        elsewhere = "refused"
    local = requests.get(os.environ["CONNECT_URL"], timeout=60).status_code
    print(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd(), "pypi": answer.json(),
                      "elsewhere": elsewhere, "local": local}}))
""")


def test_with_validation_the_runner_runs_in_the_project_and_pypi_answers_locally(
        monkeypatch, tmp_path):
    script = tmp_path / "cextrun"
    script.write_text(WHAT_THE_RUNNER_SEES.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setattr(runner_module, "cextrun_path", lambda: str(script))
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with ConnectAPI(ssl_context=context) as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, str(bundle), validate=True,
                                 project_dir=str(tmp_path),
                                 environment={"CONNECT_URL": connect.endpoint + "/accounts"})
        runner.start()
        used_bundle = Path(runner.environment()["REQUESTS_CA_BUNDLE"])
        try:
            assert runner.process.wait(120) == 0, runner.output
            seen = json.loads(runner.output.splitlines()[-1])
        finally:
            runner.close()
    assert seen["argv"] == ["--unsecure", "--no-rich-logging"]
    assert seen["cwd"] == str(tmp_path)
    assert seen["pypi"]["info"]["version"] == runner_module._runner_version()  # or 0.0.0
    assert seen["elsewhere"] == "refused" and seen["local"] == 200
    assert used_bundle != bundle and not used_bundle.exists()  # its own, removed on close


def test_a_killed_runner_starts_again_and_takes_tasks(start_runner):
    eaas, runner = start_runner()
    runner.wait_ready(timeout=120)
    with pytest.raises(RuntimeError, match="kill\\(\\) or stop\\(\\) it before starting"):
        runner.start()
    runner.kill()
    assert runner.wait_ended(120)
    wait_until_gone = time.monotonic() + 120
    while eaas.connected() and time.monotonic() < wait_until_gone:
        time.sleep(0.02)
    assert eaas.connected() == {}
    runner.start().wait_ready(timeout=120)
    assert eaas.deliver(EVENT, "PR-2", timeout=120)["message"] == "PR-2"
