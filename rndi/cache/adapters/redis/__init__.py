"""The Redis driver (``adapter.py``); it needs the ``redis`` extra, so nothing here imports
redis-py."""

from typing import Any, Mapping

from rndi.cache.contracts import Cache

INSTALL_HINT = "install rndi-connect-devops-fulfillment-framework[redis]"


def missing_redis_driver(config: Mapping[str, Any]) -> Cache:
    """Stands in for the redis driver when redis-py is absent: explains what to install."""
    raise ImportError(f"the redis cache driver needs redis-py: {INSTALL_HINT}")


__all__ = ["INSTALL_HINT", "missing_redis_driver"]
