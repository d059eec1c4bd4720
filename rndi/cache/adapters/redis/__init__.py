"""The Redis driver (``adapter.py``). It needs the ``redis`` extra, so this package's
``__init__`` does not import redis-py: :func:`redis_driver` imports it on first use."""

from typing import Any, Mapping

from rndi.cache.contracts import Cache

INSTALL_HINT = 'pip install "rndi-connect-devops-fulfillment-framework[redis]"'


def redis_driver(config: Mapping[str, Any]) -> Cache:
    """The ``redis`` cache driver, imported only when a configuration chooses it.

    Raises:
        ImportError: redis-py is not installed; the message says what to install.
    """
    try:
        from rndi.cache.adapters.redis.adapter import provide_redis_cache_adapter
    except ImportError as e:
        raise ImportError(f"the redis cache driver needs redis-py: {INSTALL_HINT}") from e
    return provide_redis_cache_adapter(config)


__all__ = ["INSTALL_HINT", "redis_driver"]
