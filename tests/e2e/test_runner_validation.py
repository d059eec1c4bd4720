"""The real connect-extension-runner with its start-up validation on, as in production.

The validation reads the project's ``pyproject.toml``, imports the extension, asks the
Connect API for the account and the event definitions, and asks PyPI for the latest
runner release: the stand-ins answer all of it, offline.
"""

import json
from pathlib import Path

import pytest
from purchase_extension.vendor import FakeVendorAPI

from rndi.connect.business_objects import Request
from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner, RunnerExited

FIXTURE = Path(__file__).resolve().parents[2] / "examples" / "fixtures" / "asset_purchase.json"
EVENT = "asset_purchase_request_processing"
TEMPLATE = "TL-E2E-000-002"

pytestmark = pytest.mark.e2e

# what the runner's validation expects of an extension project
PROJECT = """\
[tool.poetry]
name = "purchase-extension"
version = "1.0.0"
description = "The example extension, as a project the runner validates."
authors = ["rndi contributors"]

[tool.poetry.dependencies]
python = ">=3.10,<3.13"
connect-eaas-core = ">=37.4,<38"
{plugins}"""
DECLARED = """
[tool.poetry.plugins."connect.eaas.ext"]
"eventsapp" = "purchase_extension.extension:PurchaseExtension"
"""


def project(directory, plugins=DECLARED):
    directory.mkdir()
    (directory / "pyproject.toml").write_text(PROJECT.format(plugins=plugins))
    return str(directory)


@pytest.fixture(scope="module")
def validated(installed_extension, tls, tmp_path_factory):
    context, bundle = tls
    root = tmp_path_factory.mktemp("validated")
    with ConnectAPI(ssl_context=context) as connect, FakeVendorAPI() as vendor, \
            FakeEaaS({"ACTIVATION_TEMPLATE": TEMPLATE, "VENDOR_API_URL": vendor.url,
                      "VENDOR_API_KEY": "e2e-key", "CACHE_DRIVER": "sqlite",
                      "CACHE_DIR": str(root / "cache")}) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(installed_extension)],
                                 deadline=240, validate=True,
                                 project_dir=project(root / "project"))
        runner.start()
        try:
            runner.wait_ready(timeout=120)
            yield connect, eaas, runner
        finally:
            timed_out = runner.timed_out
            # no graceful shutdown to wait for: test_runner.py and test_async_runner.py
            # prove it
            runner.kill()
            runner.close()
            assert timed_out is False, runner.output


def test_a_validated_runner_asked_the_stand_ins_and_processes_a_purchase(validated):
    connect, eaas, runner = validated
    assert {"GET accounts", "GET devops/event-definitions"} <= set(connect.api_calls())
    assert [call.path for call in runner.pypi.calls] == [
        "/pypi/connect-extension-runner/json"]
    assert runner.pypi.refused == []  # nothing else was asked of the internet
    request = json.loads(FIXTURE.read_text())
    request["id"], request["asset"]["id"] = "PR-9100-0000-0000-001", "AS-9100-0000-0001"
    Request(request).asset().with_configuration_param(
        "offline_mode_list", [request["asset"]["id"]])
    connect.add_request(request)
    assert eaas.deliver(EVENT, request["id"], timeout=90)["result"] == "success", runner.output
    (approve,) = connect.calls_to("POST", f"requests/{request['id']}/approve")
    assert approve.body == {"template_id": TEMPLATE}


def test_a_runner_whose_validation_fails_is_reported_at_once(installed_extension, tls,
                                                             tmp_path):
    context, bundle = tls
    with ConnectAPI(ssl_context=context) as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(installed_extension)],
                                 deadline=240, validate=True,
                                 project_dir=project(tmp_path / "project", plugins=""))
        runner.start()
        try:
            with pytest.raises(RunnerExited) as error:
                runner.wait_ready(timeout=3600)  # waiting it out would hang the run
        finally:
            runner.close()
    assert error.value.exit_code != 0
    assert "No extension declaration" in str(error.value)
