"""Checking a saga loads no Connect client: importing connect.client takes seconds, and
a running extension has it imported already (the runner did)."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "purchase_extension"

PROGRAM = """
import sys
from rndi.connect.devops_fulfillment_framework.cli import main
code = main(["check", "purchase_extension.saga:PurchaseSaga", "--set", "ACTIVATION_TEMPLATE=T",
             "--set", "VENDOR_API_URL=http://v", "--set", "CACHE_DRIVER=sqlite"])
print(code, "connect.client" in sys.modules)
"""


def test_rndi_saga_check_never_imports_the_connect_client():
    result = subprocess.run([sys.executable, "-c", PROGRAM], cwd=EXAMPLE, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "PurchaseSaga: the wiring is complete (1 sample request checked)."
    assert lines[1] == "0 False"


def test_the_published_client_alias_is_built_when_asked_for():
    from connect.client import AsyncConnectClient, ConnectClient

    from rndi.connect.devops_fulfillment_framework import application

    assert application.AnyConnectClient == (ConnectClient | AsyncConnectClient)
