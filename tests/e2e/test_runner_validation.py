"""The real connect-extension-runner with its start-up validation on, as in production,
refusing a project that declares no extension. (``test_runner.py`` runs its runner with
validation on: the validation reads the project's ``pyproject.toml``, imports the
extension, asks the Connect API for the account and the event definitions, and asks PyPI
for the latest runner release; the stand-ins answer all of it, offline.)
"""

import pytest

from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner, RunnerExited
from tests.e2e.conftest import extension_project

pytestmark = pytest.mark.e2e


def test_a_runner_whose_validation_fails_is_reported_at_once(installed_extension, tls,
                                                             tmp_path):
    context, bundle = tls
    with ConnectAPI(ssl_context=context) as connect, FakeEaaS({}) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(installed_extension)],
                                 deadline=240, validate=True,
                                 project_dir=extension_project(tmp_path / "project", plugins=""))
        runner.start()
        try:
            with pytest.raises(RunnerExited) as error:
                runner.wait_ready(timeout=3600)  # waiting it out would hang the run
        finally:
            runner.close()
    assert error.value.exit_code != 0
    assert "No extension declaration" in str(error.value)
