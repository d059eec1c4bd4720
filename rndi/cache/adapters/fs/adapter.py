"""A cache of one JSON file per key in a directory.

File names are the SHA-256 of the key, so any key is a safe file name and no key can
escape the directory. Writes go to a temporary file renamed over the entry, so readers in
other processes never see half a file.
"""

import contextlib
import hashlib
import os
import tempfile
import time
from typing import Any, Callable, Dict, Mapping, Optional

from rndi.cache import _codec, _config
from rndi.cache._base import MISS, StoredCache, check_key, decode, logger
from rndi.cache.adapters._files import make_private_directory
from rndi.cache.contracts import Cache

_SUFFIX = ".json"


class FileSystemCacheAdapter(StoredCache):
    """One file per entry under ``directory_path`` (created owner-only when missing).

    Args:
        directory_path: where entries live.
        ttl: default time to live in seconds.
        clock: the time source, ``time.time`` unless a test needs to control time.
    """

    def __init__(self, directory_path: str, ttl: int = 900,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl, clock)
        self.directory_path = make_private_directory(directory_path)

    def _path(self, key: str) -> str:
        name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest() + _SUFFIX
        return os.path.join(self.directory_path, name)

    def get_file_contents(self, file_name: str) -> Optional[Dict[str, Any]]:
        """The entry stored in ``file_name`` (``key``, ``value``, ``expire_at``), or ``None``.

        A missing or corrupt file gives ``None``; a corrupt one is logged.

        Raises:
            ValueError: ``file_name`` is not a plain file name inside the cache directory.
        """
        if os.path.basename(file_name) != file_name or file_name in ("", ".", ".."):
            raise ValueError(
                f"get_file_contents() takes a file name inside the cache directory, "
                f"got {file_name!r}."
            )
        try:
            with open(os.path.join(self.directory_path, file_name), encoding="utf-8") as f:
                raw = f.read()
        except FileNotFoundError:
            return None
        entry = decode(file_name, raw)
        # validated once here, so readers below can trust key, value and a numeric expiry
        if (not isinstance(entry, dict) or not {"key", "value", "expire_at"} <= entry.keys()
                or isinstance(entry["expire_at"], bool)
                or not isinstance(entry["expire_at"], (int, float))):
            if entry is not MISS:
                logger.warning("Cache file %r is not a cache entry; ignoring it.", file_name)
            return None
        return entry

    def _read(self, key: str) -> Optional[Dict[str, Any]]:
        entry = self.get_file_contents(os.path.basename(self._path(key)))
        if entry is None or entry["key"] != key:
            return None
        return entry

    def _load(self, key: str, ttl: Optional[float]) -> Any:
        entry = self._read(key)
        if entry is None:
            return MISS
        now = self.clock()
        if entry["expire_at"] <= now:
            self.delete(key)
            return MISS
        if ttl is not None:
            self._store(key, _codec.dumps(key, entry["value"]), ttl)
        return entry["value"]

    def _store(self, key: str, encoded: str, ttl: float) -> None:
        expire_at = self.clock() + ttl
        document = (
            f'{{"key":{_codec.dumps(key, key)},"expire_at":{expire_at!r},"value":{encoded}}}'
        )
        descriptor, temporary = tempfile.mkstemp(dir=self.directory_path, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as f:
                f.write(document)
            os.replace(temporary, self._path(key))
        except BaseException:
            os.unlink(temporary)
            raise

    def has(self, key: str) -> bool:
        check_key(key)
        entry = self._read(key)
        return (entry is not None and entry["value"] is not None
                and entry["expire_at"] > self.clock())

    def delete(self, key: str) -> None:
        check_key(key)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(key))

    def flush(self, expired_only: bool = False) -> None:
        now = self.clock()
        for name in os.listdir(self.directory_path):
            if not name.endswith(_SUFFIX):
                continue
            if expired_only:
                entry = self.get_file_contents(name)
                if entry is not None and entry["expire_at"] > now:
                    continue
            with contextlib.suppress(FileNotFoundError):  # another process got there first
                os.unlink(os.path.join(self.directory_path, name))


def provide_fs_cache_adapter(config: Mapping[str, Any]) -> Cache:
    """Build from ``CACHE_DIR`` (``/tmp/cache``) and ``CACHE_TTL`` (900)."""
    return FileSystemCacheAdapter(
        directory_path=_config.directory(config),
        ttl=_config.ttl(config),
    )
