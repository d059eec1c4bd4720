from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter, provide_sqlite_cache_adapter

__all__ = ["SQLiteCacheAdapter", "provide_sqlite_cache_adapter"]
