from rndi.cache.adapters.null.adapter import NullCacheAdapter, provide_null_cache_adapter

__all__ = ["NullCacheAdapter", "provide_null_cache_adapter"]
