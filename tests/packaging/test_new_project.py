"""``rndi-saga new``, from the installed wheel, writes a project whose own tests pass in a
fresh environment: the saga and the validation against the stand-ins, and the whole
extension under the real runner (skipped by the project itself where the runner is not
installed)."""

import importlib.util
import os
import subprocess

import pytest

# the project's runner test is the slow part: it goes with the other runner tests, last
pytestmark = pytest.mark.e2e

RUNNER = importlib.util.find_spec("connect.eaas.runner") is not None


@pytest.fixture(scope="module")
def project(fresh_environment, tmp_path_factory):
    """``rndi-saga new acme-extension``, installed in the fresh environment as
    ``poetry install`` would (the runner finds an extension by its entry point)."""
    where = tmp_path_factory.mktemp("projects")
    bin_ = fresh_environment / "bin"
    subprocess.run([str(bin_ / "rndi-saga"), "new", "acme-extension"], cwd=where,
                   check=True, capture_output=True, timeout=120)
    root = where / "acme-extension"
    subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--no-build-isolation", str(root)], check=True, timeout=300,
                   env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return root


def test_the_new_projects_own_tests_pass(fresh_environment, project):
    # As tests/e2e does for its runners: the runner's HTTP client imports inflect, which
    # recompiles itself on every import unless Python is optimized (seconds per runner
    # process). The project's test modules keep their asserts: pytest rewrites them.
    environment = {**os.environ, "PYTHONOPTIMIZE": "1"}
    result = subprocess.run(
        [str(fresh_environment / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider",
         "-W", "ignore:assertions not in test modules:pytest.PytestConfigWarning", "-q"],
        cwd=project, capture_output=True, text=True, timeout=600, env=environment,
        check=False)
    summary = "7 passed" if RUNNER else "6 passed, 1 skipped"
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary in result.stdout, result.stdout
    # the project's tests ran against the wheel's framework, not this checkout
    where = subprocess.run([str(fresh_environment / "bin" / "python"), "-c",
                            "import rndi.connect.devops_fulfillment_framework as f; "
                            "print(f.__file__)"],
                           capture_output=True, text=True, check=True, cwd=project).stdout
    assert str(fresh_environment) in where
