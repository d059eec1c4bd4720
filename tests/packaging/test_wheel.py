"""The built wheel is what users install: check its layout, not the source tree's."""

import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LEAVES = ["dicontainer", "cache", "connect/business_transactions",
          "connect/business_transaction_middleware", "connect/business_objects",
          "connect/api_facades", "connect/request_offline_criteria",
          "connect/devops_logger_adapter", "connect/devops_fulfillment_framework"]


@pytest.fixture(scope="module")
def wheel(wheel_path):
    with zipfile.ZipFile(wheel_path) as archive:
        yield archive


def test_namespace_packages_have_no_init(wheel):
    names = set(wheel.namelist())
    assert "rndi/__init__.py" not in names
    assert "rndi/connect/__init__.py" not in names


def test_every_leaf_package_ships_its_init_and_py_typed(wheel):
    names = set(wheel.namelist())
    for leaf in LEAVES:
        assert f"rndi/{leaf}/__init__.py" in names
        assert f"rndi/{leaf}/py.typed" in names


def test_metadata_declares_the_contract(wheel):
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    text = wheel.read(metadata).decode()
    assert "Name: rndi-connect-devops-fulfillment-framework" in text
    assert "Requires-Python: >=3.10,<4" in text
    assert "License-Expression: Apache-2.0" in text or "License: Apache-2.0" in text
    requirements = [line for line in text.splitlines() if line.startswith("Requires-Dist:")]
    runtime = [line for line in requirements if "extra ==" not in line]
    assert all("connect-eaas-core" in line for line in runtime) and runtime
    assert any("redis" in line and 'extra == "redis"' in line for line in requirements)
    assert any("orjson" in line and 'extra == "orjson"' in line for line in requirements)
    assert not any(n.startswith(("tests/", "examples/", "benchmarks/")) for n in wheel.namelist())


def test_the_command_and_the_pytest_plugin_are_declared(wheel):
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    text = wheel.read(entry_points).decode()
    assert "rndi-saga=rndi.connect.devops_fulfillment_framework.cli:main" in text.replace(
        " ", "")
    assert "[pytest11]" in text
    assert "rndi=rndi.connect.testing.pytest_plugin" in text.replace(" ", "")


def test_the_new_project_template_ships_in_the_wheel(wheel):
    template = "rndi/connect/devops_fulfillment_framework/project_template/"
    names = {n[len(template):] for n in wheel.namelist() if n.startswith(template)}
    assert {"pyproject.toml.tmpl", "package/saga.py.tmpl", "tests/test_runner.py.tmpl"} <= names
