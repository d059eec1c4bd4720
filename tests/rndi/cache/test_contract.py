"""The contract suite against the file and SQLite adapters (``cache`` fixture)."""

from tests.rndi.cache.contract import *  # noqa: F403 - the shared contract suite
