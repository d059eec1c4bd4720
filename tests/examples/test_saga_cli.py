"""rndi-saga, run as a subprocess on the example extension and on broken copies of it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rndi.connect.devops_fulfillment_framework.cli import main
from tests.examples.conftest import EXAMPLE

SAGA = "purchase_extension.saga:PurchaseSaga"
SETTINGS = ["--set", "ACTIVATION_TEMPLATE=TL-1", "--set", "VENDOR_API_URL=http://vendor",
            "--set", "CACHE_DRIVER=sqlite"]


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
        (("check", "purchase_extension.saga:"), "is not module:Class or module"),
        (("check", "purchase_extension.saga:Nope"), "has no 'Nope'"),
        (("check", "purchase_extension.saga:VendorServiceProvider"),
         "must name a Saga, ValidationFlow, InteractiveFlow or ScheduledFlow subclass, but class "
         "VendorServiceProvider is not one"),
        (("check", SAGA, "--set", "NOEQUALS"), "--set takes KEY=VALUE"),
        (("check", SAGA, "--set", "=value"), "--set number 1 has nothing before '='"),
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


SECRET = "sk-live-S3cretPW"


def run(capsys, *arguments):
    code = main(list(arguments))
    out, err = capsys.readouterr()
    assert SECRET not in out + err and "S3cretPW" not in out + err
    return code, out, err


@pytest.mark.parametrize(("setting", "message"), [
    (f"API_KEY:{SECRET}", "--set number 1 has no '='; did you mean --set API_KEY=… ?"),
    (SECRET, "--set number 1 has no '='; --set takes KEY=VALUE (the argument is not shown"),
], ids=["colon-typo", "no-separator"])
def test_a_mistyped_set_is_refused_without_echoing_it(capsys, setting, message):
    code, out, err = run(capsys, "check", SAGA, "--set", setting)
    assert code == 2 and out == ""
    assert err == f"rndi-saga: {message}" + err.split(message, 1)[1]


def test_a_spec_naming_something_that_is_not_a_class_names_its_type(capsys, saga_module):
    module = saga_module(f"CONFIG = {{'API_KEY': {SECRET!r}}}\n")
    code, _, err = run(capsys, "check", f"{module}:CONFIG")
    assert code == 2
    assert err == (f"rndi-saga: {module}:CONFIG must name a Saga, ValidationFlow, "
                   "InteractiveFlow or ScheduledFlow subclass, but it is a dict.\n")


def test_errors_of_the_saga_code_are_shown_with_config_values_masked(capsys, saga_module):
    module = saga_module("""
        class Refusing(Saga):
            def __init__(self, providers=None):
                config = providers["config"].config
                key, hosts = config["VENDOR_API_KEY"], config["VENDOR"]["HOSTS"]
                raise RuntimeError(f"the vendor refused {key} at https://bob:pw@vendor, "
                                   f"{hosts[0]} after {config['CACHE_TTL']} s")

            def transactions(self, request):
                return [Approve]
    """)
    config = Path.cwd() / "config.json"
    config.write_text(json.dumps({"VENDOR": {"HOSTS": ["vendor-S3cretPW-host"]},
                                  "CACHE_TTL": 900}))
    code, out, err = run(capsys, "check", f"{module}:Refusing", "--config", str(config),
                         "--set", f"VENDOR_API_KEY={SECRET}")
    assert (code, out) == (2, "")
    source = (Path.cwd() / f"{module}.py").read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if "raise RuntimeError" in text)
    assert err == (f"rndi-saga: Cannot check Refusing: RuntimeError (raised at {module}.py:{line}, "
                   "in __init__): the vendor refused ********* at "
                   "https://bob:*********@vendor, ********* after 900 s\n")


@pytest.mark.parametrize(("source", "message"), [
    ("""
        class NeedsArguments(BaseServiceProvider):
            def __init__(self, url):
                super().__init__()

        class Checked(Saga):
            providers = {**Saga.providers, "vendor": NeedsArguments}

            def transactions(self, request):
                return [Approve]
    """, "Cannot check Checked: TypeError (raised at _base.py:"),
    ("""
        class Raising(BaseServiceProvider):
            def register(self):
                raise RuntimeError("the vendor is down")

        class Checked(Saga):
            providers = {**Saga.providers, "vendor": Raising}

            def transactions(self, request):
                return [Approve]
    """, "Cannot check Checked: RuntimeError (raised at cli_case_"),
    ("""
        links = {}
        for number in range(2999):
            namespace = {}
            exec(f"def __init__(self, link{number + 1}):\\n    pass\\n", namespace)
            links[f"link{number}"] = type(f"Link{number}", (), namespace)

        class Chain(BaseServiceProvider):
            def register(self):
                for name, cls in links.items():
                    self.bind_class(name, cls)
                self.bind_instance("link2999", 1)

        class Start(Approve):
            def __init__(self, link0):
                pass

        class Checked(Saga):
            providers = {**Saga.providers, "chain": Chain}

            def transactions(self, request):
                return [Start]
    """, "Cannot check Checked: its wiring (or its own code) nests deeper than Python's "
         "recursion limit"),
], ids=["provider-needs-arguments", "register-raises", "chain-of-3000-bindings"])
def test_a_saga_that_cannot_be_checked_exits_2_with_a_message(capsys, saga_module, source,
                                                              message):
    module = saga_module(source)
    code, out, err = run(capsys, "check", f"{module}:Checked")
    assert (code, out) == (2, "")
    assert err.startswith(f"rndi-saga: {message}") and "Traceback" not in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(("command", "source", "message"), [
    ("check", """
        import os
        raise ValueError("no vendor at https://bob:S3cretPW@vendor")
    """, "Cannot import '{module}': ValueError (raised at {module}.py:"),
    ("check", """
        def __getattr__(name):
            raise LookupError(name)
    """, "Reading 'Missing' from '{module}' raised LookupError (raised at {module}.py:"),
    ("explain", """
        import sys

        class Exiting(Saga):
            def transactions(self, request):
                sys.exit("stop")
        Missing = Exiting
    """, "Cannot explain Exiting: its code called sys.exit(…)."),
], ids=["import-raises", "module-getattr-raises", "saga-exits"])
def test_the_saga_module_failing_is_a_message_and_exit_2(capsys, saga_module, command,
                                                         source, message):
    module = saga_module(source)
    code, out, err = run(capsys, command, f"{module}:Missing")
    assert (code, out) == (2, "")
    assert err.startswith("rndi-saga: " + message.format(module=module)), err
    assert len(err.splitlines()) == 1


def test_a_module_that_exits_on_import_is_not_a_pass(capsys, saga_module):
    module = saga_module("import sys\nsys.exit(0)\n")
    code, out, err = run(capsys, "check", f"{module}:Saga")
    assert (code, out) == (2, "")
    assert err == (f"rndi-saga: Importing {module!r} called sys.exit(0); a module that "
                   "defines a saga must not exit when imported (put that code under "
                   "`if __name__ == '__main__':`).\n")


def test_files_that_cannot_be_read_as_json_exit_2_without_a_traceback(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    not_utf8 = tmp_path / "latin1.json"
    not_utf8.write_bytes(b'{"API_KEY": "caf\xe9"}')
    broken = tmp_path / "broken.json"
    broken.write_text('{"API_KEY": "' + SECRET + '",}')
    cases = [
        (deep, "cannot be read as JSON: RecursionError (nesting too deep"),
        ("/dev/zero", "'/dev/zero' is larger than 8 MiB"),
        (not_utf8, "is not UTF-8 (at byte 16)"),
        # (the json module's own words differ between Python versions)
        (broken, "is not JSON: "),
        (tmp_path, "Cannot read the config file"),
    ]
    for path, message in cases:
        code, out, err = run(capsys, "check", SAGA, "--config", str(path))
        assert (code, out) == (2, ""), path
        assert message in err and err.startswith("rndi-saga: "), err


def test_a_json_file_may_start_with_a_byte_order_mark(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLE)
    config = tmp_path / "config.json"
    config.write_bytes(b"\xef\xbb\xbf" + json.dumps(
        {"ACTIVATION_TEMPLATE": "TL-1", "VENDOR_API_URL": "http://vendor",
         "CACHE_DRIVER": "sqlite"}).encode())
    request = tmp_path / "request.json"
    request.write_bytes(b"\xef\xbb\xbf" + (EXAMPLE.parent / "fixtures" /
                                          "asset_purchase.json").read_bytes())
    code, out, _ = run(capsys, "check", SAGA, "--config", str(config), "--request",
                       str(request))
    assert (code, out) == (0, "PurchaseSaga: the wiring is complete (1 sample request "
                              "checked).\n")


FLOWS = """
    from abc import abstractmethod
    from connect.eaas.core.responses import ValidationResponse
    from rndi.connect.business_transactions.contracts import ValidationTransaction
    from rndi.connect.devops_fulfillment_framework import ScheduledFlow, ValidationFlow


    class CheckOrderType(ValidationTransaction):
        def __init__(self, vendor_url):
            self.vendor_url = vendor_url

        def execute(self, request):
            return ValidationResponse.done(request)


    class BaseSaga(Saga):
        @abstractmethod
        def vendor_name(self):
            ...


    class PurchaseSaga(BaseSaga):
        def vendor_name(self):
            return "cats"

        def transactions(self, request):
            return [Approve]


    class PurchaseValidation(ValidationFlow):
        def transactions(self, request):
            return [CheckOrderType]


    class Nightly(ScheduledFlow):
        def transactions(self, schedule):
            return [("nightly", print)]
"""


def test_check_on_a_module_checks_every_flow_it_defines_and_reports_per_flow(
        capsys, saga_module):
    module = saga_module(FLOWS)
    code, out, err = run(capsys, "check", module)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "BaseSaga: skipped, an abstract base (it does not define transactions(), "
        "vendor_name()).",
        "PurchaseSaga: the wiring is complete (1 sample request checked).",
        "PurchaseValidation: missing: CheckOrderType -> vendor_url: nothing is bound to "
        "'vendor_url'. Bind it in a provider, set the config key 'VENDOR_URL', or give the "
        "parameter a default.",
        "Nightly: the wiring is complete (1 sample request checked).",
    ]
    code, out, _ = run(capsys, "check", module, "--set", "VENDOR_URL=https://vendor")
    assert code == 0 and "PurchaseValidation: the wiring is complete" in out


def test_an_abstract_base_flow_named_cannot_be_checked_exit_2_not_a_traceback(
        capsys, saga_module):
    module = saga_module(FLOWS)
    code, out, err = run(capsys, "check", f"{module}:BaseSaga")
    assert (code, out) == (2, "")
    assert err == ("rndi-saga: Cannot check BaseSaga: it is an abstract base (it does not "
                   "define transactions(), vendor_name()); name a subclass that does.\n")


def test_explain_on_a_module_prints_each_flow(capsys, saga_module):
    module = saga_module(FLOWS)
    code, out, _ = run(capsys, "explain", module, "--set", "VENDOR_URL=https://vendor")
    assert code == 0
    assert "\n\nPurchaseValidation, for purchase request PR-0000-0000-0000-001:\n" in out
    assert "Nightly, for schedule EFS-0000-0000-0000:\n" in out


def test_a_module_without_flows_exits_2(capsys, saga_module):
    module = saga_module("VALUE = 1\n")
    code, out, err = run(capsys, "check", module)
    assert (code, out) == (2, "")
    assert err == (f"rndi-saga: {module!r} defines no saga or flow (a Saga, ValidationFlow, "
                   "InteractiveFlow or ScheduledFlow subclass).\n")
