from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter, provide_fs_cache_adapter

__all__ = ["FileSystemCacheAdapter", "provide_fs_cache_adapter"]
