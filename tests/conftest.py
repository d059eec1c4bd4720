import copy
import json
import os
import sys
from pathlib import Path

import pytest

from rndi.connect.testing import ConnectAPI

# one copy of the sample requests, shared with the demo
FIXTURES = Path(__file__).resolve().parents[1] / "examples" / "fixtures"
PR = "PR-8790-0160-2196-001"   # the id of fixtures/asset_purchase.json
TCR = "TCR-000-000-000-001"    # the id of fixtures/tier_config_setup.json


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


@pytest.fixture
def api(asset_purchase, tier_config_setup):
    """The Connect API stand-in serving both fixture requests."""
    with ConnectAPI([asset_purchase, tier_config_setup]) as api:
        yield api


@pytest.fixture
def anyio_backend():
    """Async tests (``@pytest.mark.anyio``) run on asyncio, as the runner does."""
    return "asyncio"


def pytest_collection_modifyitems(items):
    """The tests that start the real runner go last: the rest report first and fast."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


@pytest.fixture(scope="session", autouse=True)
def unmeasured_subprocesses():
    """Programs the tests start (the runner, rndi-saga, stand-in runners) are not
    measured: pytest-cov would start coverage in each Python process where COV_CORE_* is
    set, which doubles their start-up. What they run is measured in process."""
    saved = {name: value for name, value in os.environ.items() if name.startswith("COV_CORE_")}
    for name in saved:
        del os.environ[name]
    yield
    os.environ.update(saved)



# what pytest_configure changed, for pytest_unconfigure to put back
_bytecode_settings = {}


def pytest_configure(config):
    """Where ``PYTHONDONTWRITEBYTECODE`` is set, this run and the programs it starts (the
    runner and its workers, stand-in runners, the command line) would compile every
    module they import from source, in every process: seconds per runner start, and in
    this process. They keep their bytecode in pytest's cache directory instead
    (``.pytest_cache``, kept from run to run, through ``PYTHONPYCACHEPREFIX``), which
    keeps it out of the sources as the setting intends. Without pytest's cache
    (``-p no:cacheprovider``) nothing changes."""
    cache = getattr(config, "cache", None)
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or cache is None:
        return
    directory = str(cache.mkdir("bytecode"))
    _bytecode_settings.update(
        environment={name: os.environ.get(name) for name in ("PYTHONDONTWRITEBYTECODE",
                                                            "PYTHONPYCACHEPREFIX")},
        interpreter=(sys.dont_write_bytecode, sys.pycache_prefix))
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = directory
    # the modules this process imports from now on: the tests and what they import
    sys.dont_write_bytecode, sys.pycache_prefix = False, directory


def pytest_unconfigure(config):
    if not _bytecode_settings:
        return
    for name, value in _bytecode_settings.pop("environment").items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    sys.dont_write_bytecode, sys.pycache_prefix = _bytecode_settings.pop("interpreter")
