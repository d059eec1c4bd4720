"""A throwaway project outside the repository installs the wheel and uses the fixtures in
its tests without any conftest.py; the console script works from that install."""

import os
import subprocess
import textwrap

import pytest

PROJECT_TEST = '''
import requests
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.testing import HTTPError


class Approve(BackgroundTransaction):
    def __init__(self, client, activation_template):
        self.client = client
        self.activation_template = activation_template

    def should_execute(self, request):
        return True

    def execute(self, request):
        self.client.requests[request["id"]]("approve").post(
            payload={"template_id": self.activation_template})
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class ApproveSaga(Saga):
    def transactions(self, request):
        return [Approve]


def test_the_saga_approves_against_the_stand_in(connect_api):
    request = Request().with_id("PR-1").with_type("purchase").with_status("pending")
    request = request.with_asset({"id": "AS-1"}).raw()
    api = connect_api(request)
    saga = ApproveSaga.make({"ACTIVATION_TEMPLATE": "TL-1"}, api.client(), None)
    assert saga.resolve(request).status == "success"
    assert api.request("PR-1")["status"] == "approved"


def test_the_vendor_stand_in(vendor_api):
    vendor_api.route("GET", r"/ping", lambda call: (200, {"pong": True}, {}))
    assert requests.get(vendor_api.url + "/ping", timeout=30).json() == {"pong": True}


def test_saga_check_passes_a_complete_wiring(saga_check):
    saga_check(ApproveSaga, {"ACTIVATION_TEMPLATE": "TL-1"})


def test_saga_check_fails_with_the_problems(saga_check):
    saga_check(ApproveSaga, {"ACTIVATION_TEMPLTE": "TL-1"})
'''


@pytest.fixture(scope="module")
def installed(fresh_environment):
    return fresh_environment


def test_a_project_uses_the_fixtures_without_a_conftest(installed, tmp_path):
    project = tmp_path / "my-extension"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_extension.py").write_text(PROJECT_TEST)
    # connect-eaas-core's own pytest plugin is left out, as this project's configuration
    # does: on connect-eaas-core 38 it imports starlette's test client, whose import warns
    # under -W error whatever plugin of ours is installed
    # Optimized, as test_new_project.py runs its project: connect-openapi-client's pytest
    # plugin imports inflect, which recompiles itself on every import otherwise (seconds).
    # The test module keeps its asserts: pytest rewrites them.
    result = subprocess.run(
        [str(installed / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider",
         "-p", "no:randomly", "-p", "no:pytest_eaas_core", "-W", "error",
         "-W", "ignore:assertions not in test modules:pytest.PytestConfigWarning", "-q",
         "tests"],
        cwd=project, capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "PYTHONOPTIMIZE": "1"})
    assert "1 failed, 3 passed" in result.stdout, result.stdout + result.stderr
    assert "test_saga_check_fails_with_the_problems" in result.stdout
    assert "ApproveSaga has 1 wiring problem:" in result.stdout
    assert "Approve -> activation_template: nothing is bound" in result.stdout
    assert "did you mean 'activation_templte'" in result.stdout
    assert not (project / "conftest.py").exists()
    # the package really came from the wheel, not from the checkout
    where = subprocess.run([str(installed / "bin" / "python"), "-c",
                            "import rndi.connect.testing as t; print(t.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    assert str(installed) in where


def test_loading_the_plugin_imports_nothing_heavy_and_warns_about_nothing(installed):
    script = textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("error")
        import rndi.connect.testing.pytest_plugin
        loaded = sorted(m for m in sys.modules
                        if m.split(".")[0] in ("connect", "requests", "websockets", "redis")
                        or m.startswith("rndi.connect.testing."))
        print(loaded)
    """)
    result = subprocess.run([str(installed / "bin" / "python"), "-c", script],
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "['rndi.connect.testing.pytest_plugin']"
    assert result.stderr == ""


def test_the_console_script_is_installed(installed, tmp_path):
    result = subprocess.run([str(installed / "bin" / "rndi-saga"), "check", "no.such:Saga"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            check=False)
    assert result.returncode == 2
    assert "Cannot import 'no.such'" in result.stderr
