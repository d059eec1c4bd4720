"""rndi-saga, run as a subprocess on the example extension and on broken copies of it."""

import shutil
import subprocess
import sys

from rndi.connect.devops_fulfillment_framework.cli import main
from tests.examples.conftest import EXAMPLE

SAGA = "purchase_extension.saga:PurchaseSaga"
SETTINGS = ["--set", "ACTIVATION_TEMPLATE=TL-1", "--set", "VENDOR_API_URL=http://vendor"]


def rndi_saga(*arguments, cwd=EXAMPLE):
    return subprocess.run(
        [sys.executable, "-m", "rndi.connect.devops_fulfillment_framework", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_check_on_the_example_extension_exits_0_with_a_summary(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"VENDOR_API_URL": "http://vendor", "CACHE_DRIVER": "sqlite"}')
    request = EXAMPLE.parent / "fixtures" / "asset_purchase.json"
    result = rndi_saga("check", SAGA, "--config", str(config), "--set",
                       "ACTIVATION_TEMPLATE=TL-1", "--request", str(request))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ("PurchaseSaga: the wiring is complete (1 sample request "
                             "checked).\n")


def test_check_on_a_broken_copy_exits_1_with_the_problem(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(EXAMPLE / "purchase_extension", broken / "purchase_extension")
    saga = broken / "purchase_extension" / "saga.py"
    saga.write_text(saga.read_text().replace(
        "def provide_vendor(self, vendor_api_url: str,",
        "def provide_vendor(self, vendor_api_uri: str,"))
    result = rndi_saga("check", SAGA, *SETTINGS, cwd=broken)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()  # reported once, from its first consumer
    assert line.startswith("missing: CreateSubscription -> vendor -> vendor_api_uri: ")
    assert "did you mean 'vendor_api_url'?" in line


def test_missing_configuration_is_reported_for_every_consumer():
    result = rndi_saga("check", SAGA, "--set", "VENDOR_API_URL=http://vendor")
    assert result.returncode == 1
    assert ("missing: OfflineCriteria -> on_match -> activation_tpl -> activation_template"
            in result.stdout)


def test_explain_prints_the_tree():
    result = rndi_saga("explain", SAGA, *SETTINGS)
    assert result.returncode == 0
    assert "  transactions()\n    CreateSubscription\n" in result.stdout
    assert "activation_tpl <- provide_activation_tpl() of PurchaseOfflineProvider" in (
        result.stdout)


def test_a_bad_module_path_exits_2():
    result = rndi_saga("check", "no_such_module:Saga")
    assert result.returncode == 2
    assert result.stderr.startswith("rndi-saga: Cannot import 'no_such_module'")


def test_what_cannot_be_checked_exits_2_with_a_clear_message(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLE)
    cases = [
        (("check", "purchase_extension.saga"), "is not module:Class"),
        (("check", "purchase_extension.saga:Nope"), "has no 'Nope'"),
        (("check", "purchase_extension.saga:VendorServiceProvider"), "is not a Saga subclass"),
        (("check", SAGA, "--set", "NOEQUALS"), "--set takes KEY=VALUE"),
        (("check", SAGA, "--config", str(tmp_path / "missing.json")),
         "Cannot read the config file"),
    ]
    (tmp_path / "list.json").write_text("[1]")
    cases.append((("check", SAGA, "--config", str(tmp_path / "list.json")),
                  "must hold a JSON object, got a list"))
    cases.append((("explain", SAGA, "--request", str(tmp_path / "list.json")),
                  "must hold one request"))
    for arguments, message in cases:
        assert main(list(arguments)) == 2, arguments
        error = capsys.readouterr().err
        assert message in error and error.startswith("rndi-saga: ")
