import copy
import itertools
import json
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "purchase_extension"
ASYNC_EXAMPLE = ROOT / "examples" / "async_purchase_extension"
MULTISTEP = ROOT / "examples" / "multistep_extension"
ASYNC_MULTISTEP = ROOT / "examples" / "async_multistep_extension"
FIXTURES = ROOT / "examples" / "fixtures"

for path in (EXAMPLE, ASYNC_EXAMPLE, MULTISTEP, ASYNC_MULTISTEP, ROOT / "examples"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture
def purchase_request():
    return json.loads((FIXTURES / "asset_purchase.json").read_text())


@pytest.fixture
def make_purchase(purchase_request):
    """Another purchase request like the fixture, with its own ids."""

    def make(number, customer_id=None):
        request = copy.deepcopy(purchase_request)
        request["id"] = f"PR-0000-0000-0000-{number:03d}"
        request["asset"]["id"] = f"AS-0000-0000-{number:04d}"
        if customer_id:
            request["asset"]["tiers"]["customer"]["id"] = customer_id
        return request

    return make


HEADER = """
from connect.eaas.core.responses import BackgroundResponse
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.dicontainer.adapter import BaseServiceProvider


class Approve(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        raise e
"""
NUMBERS = itertools.count()


@pytest.fixture
def saga_module(tmp_path, monkeypatch):
    """Writes a module of flows for rndi-saga to check (the transaction Approve and
    the usual imports come first) and gives its name; the current directory is its
    directory, as for a user."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(source):
        name = f"cli_case_{next(NUMBERS)}"
        (tmp_path / f"{name}.py").write_text(HEADER + textwrap.dedent(source))
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)
