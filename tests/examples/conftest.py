import copy
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "purchase_extension"
ASYNC_EXAMPLE = ROOT / "examples" / "async_purchase_extension"
FIXTURES = ROOT / "examples" / "fixtures"

for path in (EXAMPLE, ASYNC_EXAMPLE, ROOT / "examples"):
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
