import copy
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def asset_purchase():
    """A real-shaped asset purchase request (a fresh copy per test)."""
    return copy.deepcopy(load("asset_purchase"))


@pytest.fixture
def tier_config_setup():
    """A real-shaped tier-config setup request (a fresh copy per test)."""
    return copy.deepcopy(load("tier_config_setup"))
