"""rndi-saga on the async example: async parts are checked like sync ones."""

import os
import shutil
import subprocess
import sys

from tests.examples.conftest import ASYNC_EXAMPLE, EXAMPLE

SAGA = "async_purchase_extension.saga:AsyncPurchaseSaga"
SETTINGS = ["--set", "ACTIVATION_TEMPLATE=TL-1", "--set", "VENDOR_API_URL=http://vendor",
            "--set", "VENDOR_API_KEY=k", "--set", "CACHE_DRIVER=sqlite"]


def rndi_saga(*arguments, cwd=ASYNC_EXAMPLE):
    return subprocess.run(
        [sys.executable, "-m", "rndi.connect.devops_fulfillment_framework", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(EXAMPLE), *filter(None, [os.environ.get("PYTHONPATH")])])})


def test_check_on_the_async_example_exits_0():
    result = rndi_saga("check", SAGA, *SETTINGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ("AsyncPurchaseSaga: the wiring is complete (1 sample request "
                             "checked).\n")


def test_a_sync_facade_call_in_an_async_transaction_exits_1_with_the_fix(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(ASYNC_EXAMPLE / "async_purchase_extension", broken / "async_purchase_extension")
    saga = broken / "async_purchase_extension" / "saga.py"
    source = saga.read_text()
    mistaken = source.replace("approved = await self.aapprove_asset_request(",
                              "approved = self.approve_asset_request(")
    assert mistaken != source
    saga.write_text(mistaken)
    result = rndi_saga("check", SAGA, *SETTINGS, cwd=broken)
    assert result.returncode == 1
    (line,) = result.stdout.splitlines()
    assert line == ("async: ApproveRequest.execute (async def) calls self.approve_asset_request"
                    "(...), which refuses the AsyncConnectClient of an async handler: write "
                    "await self.aapprove_asset_request(...).")
