"""A cache of one JSON file per key in a directory.

Entries are ``cache.<sha256 of the key>.json``: any key is a safe file name, no key can
escape the directory, and ``flush`` can tell its own files from anyone else's. Writes go
to a temporary file renamed over the entry, so readers never see half a file. Every
change (put, add, refresh, removal of an expired entry, flush) holds an exclusive lock on
the directory itself, so processes sharing the directory never undo each other's
puts; the wait for it is bounded, so a stopped or foreign holder costs an operation its
``lock_timeout``, not forever.
"""

import contextlib
import hashlib
import math
import os
import re
import tempfile
import time
from typing import Any, Callable, ContextManager, Dict, Mapping, Optional, TypeVar

from rndi.cache import _codec, _config
from rndi.cache._base import MISS, StoredCache, decode, expiry, logger
from rndi.cache.adapters._files import directory_setting, make_private_directory
from rndi.cache.adapters.fs._files import exclusive_lock, read_regular_file
from rndi.cache.contracts import Cache

T = TypeVar("T")

_ENTRY_NAME = re.compile(r"cache\.[0-9a-f]{64}\.json")
# what a writer writes before renaming it over the entry; a writer killed meanwhile
# leaves it behind, for flush() to remove
_TEMPORARY_PREFIX, _TEMPORARY_SUFFIX = "cache.", ".tmp"
_TEMPORARY_NAME = re.compile(r"cache\.[a-z0-9_]{8}\.tmp")
DEFAULT_LOCK_TIMEOUT = 5.0


def _remove(path: str) -> None:
    """Remove ``path`` if it is still there (another process may have got there first)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def get_file_contents(file_name: str) -> Dict[str, Any]:
    """The entry stored in the cache file ``file_name`` (a path): ``key``, ``value`` and
    ``expire_at`` (seconds since the epoch).

    Raises:
        FileNotFoundError: there is no such file.
        ValueError: the file is not a cache entry (not a regular file, not JSON, or not
            an entry's shape).
    """
    raw = read_regular_file(file_name)
    name = os.path.basename(file_name)
    # an entry's file is named by its key's digest: the key is named by it, as every line
    # names a key (not by a digest of the file's name)
    shown = f"key #{name[6:18]}" if _ENTRY_NAME.fullmatch(name) else f"file {name}"
    entry = decode(name, raw, shown)
    # validated once here, so readers can trust key, value and a numeric expiry
    if (not isinstance(entry, dict) or not {"key", "value", "expire_at"} <= entry.keys()
            or isinstance(entry["expire_at"], bool)
            or not isinstance(entry["expire_at"], (int, float))
            or not math.isfinite(entry["expire_at"])):  # NaN would never expire
        raise ValueError(f"{file_name} is not a cache entry.")
    return entry


class FileSystemCacheAdapter(StoredCache):
    """One file per entry under ``directory_path`` (created owner-only when missing).

    Args:
        directory_path: where entries live.
        ttl: default time to live in seconds.
        clock: the time source, ``time.time`` unless a test needs to control time.
        lock_timeout: seconds to wait for the directory's lock (held by another process
            while it writes) before the operation gives up as a logged miss.
    """

    def __init__(self, directory_path: str, ttl: int = 900,
                 clock: Callable[[], float] = time.time, *,
                 lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        super().__init__(ttl, clock)
        if (isinstance(lock_timeout, bool) or not isinstance(lock_timeout, (int, float))
                or not 0 <= lock_timeout < float("inf")):
            raise ValueError(f"lock_timeout must be a finite number of seconds >= 0, got "
                             f"{lock_timeout!r}.")
        self.lock_timeout = lock_timeout
        self.directory_path = directory_setting(directory_path)
        # a directory that cannot be made now is a logged miss later, not a failed event
        self._guard("create directory", None,
                    lambda: make_private_directory(self.directory_path), None)

    def _describe(self) -> str:
        return f"File cache {self.directory_path}"

    def _get_file_name(self, key: str) -> str:
        """The path of ``key``'s entry file."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        return os.path.join(self.directory_path, f"cache.{digest}.json")

    def _locked(self) -> ContextManager[None]:
        """Hold the directory's write lock (every adapter on it, in any process), waiting
        at most ``lock_timeout`` seconds for it."""
        return exclusive_lock(self.directory_path, self.lock_timeout)

    def _entry(self, path: str, key: Optional[str] = None) -> Optional[Dict[str, Any]]:
        """The entry in ``path`` (of ``key`` when given), or ``None``. A file that is not
        an entry is removed when it has an entry's name: it is ours, and unreadable."""
        try:
            entry = get_file_contents(path)
        except FileNotFoundError:
            return None
        except ValueError:
            logger.warning("%s: %s is not a readable cache entry; removing it.",
                           self._describe(), os.path.basename(path))
            _remove(path)
            return None
        if key is not None and entry["key"] != key:
            return None
        return entry

    def _write(self, key: str, encoded: str, expire_at: float) -> None:
        document = (
            f'{{"key":{_codec.dumps(key, key)},"expire_at":{expire_at!r},"value":{encoded}}}'
        )
        descriptor, temporary = tempfile.mkstemp(
            dir=self.directory_path, prefix=_TEMPORARY_PREFIX, suffix=_TEMPORARY_SUFFIX)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as f:
                f.write(document)
            os.replace(temporary, self._get_file_name(key))
        except BaseException:
            _remove(temporary)
            raise

    def _load(self, key: str, ttl: Optional[float]) -> Any:
        path = self._get_file_name(key)
        entry = self._entry(path, key)
        if entry is None:
            return MISS
        if entry["expire_at"] > self.clock() and ttl is None:
            return entry["value"]
        # expired, or to be refreshed: decide again under the lock, on the entry as it is
        # now, so a put made meanwhile by another process is neither removed nor undone
        with self._locked():
            entry = self._entry(path, key)
            now = self.clock()
            if entry is None:
                return MISS
            if entry["expire_at"] <= now:
                _remove(path)
                return MISS
            if ttl is not None:
                self._write(key, _codec.dumps(key, entry["value"]), expiry(now, ttl))
        return entry["value"]

    def _change(self, change: Callable[[], T]) -> T:
        """Run ``change`` holding the lock; when the directory was removed while running,
        make it again and run ``change`` once more."""
        try:
            with self._locked():
                return change()
        except FileNotFoundError:
            make_private_directory(self.directory_path)
            with self._locked():
                return change()

    def _store(self, key: str, encoded: str, ttl: float) -> None:
        self._change(lambda: self._write(key, encoded, expiry(self.clock(), ttl)))

    def _add(self, key: str, encoded: str, ttl: float) -> bool:
        path = self._get_file_name(key)

        def add_unless_live() -> bool:
            # decided under the lock every writer holds: no other add or put comes between
            entry = self._entry(path, key)
            now = self.clock()
            if entry is not None and entry["expire_at"] > now:
                return False
            self._write(key, encoded, expiry(now, ttl))
            return True

        return self._change(add_unless_live)

    def _delete_if_equal(self, key: str, encoded: str) -> bool:
        path = self._get_file_name(key)
        with self._locked():
            entry = self._entry(path, key)
            if (entry is None or entry["expire_at"] <= self.clock()
                    or _codec.dumps(key, entry["value"]) != encoded):
                return False
            _remove(path)
            return True

    def _replace_if_equal(self, key: str, expected: str, encoded: str, ttl: float) -> bool:
        path = self._get_file_name(key)

        def replace_if_holding() -> bool:
            # decided under the lock every writer holds, as add decides
            entry = self._entry(path, key)
            now = self.clock()
            if (entry is None or entry["expire_at"] <= now
                    or _codec.dumps(key, entry["value"]) != expected):
                return False
            self._write(key, encoded, expiry(now, ttl))
            return True

        return self._change(replace_if_holding)

    def _has(self, key: str) -> bool:
        entry = self._entry(self._get_file_name(key), key)
        return entry is not None and entry["expire_at"] > self.clock()

    def _delete(self, key: str) -> None:
        _remove(self._get_file_name(key))

    def _flush(self, expired_only: bool) -> None:
        """Remove this cache's entry files (never another file of the directory), and
        the temporary files of writers killed before they renamed them."""
        names = os.listdir(self.directory_path)
        entries = [name for name in names if _ENTRY_NAME.fullmatch(name)]
        if not expired_only:
            for name in entries:
                _remove(os.path.join(self.directory_path, name))
        # under the lock: every live writer holds it while its temporary file exists, so
        # the temporary files found then are all left by dead writers; and no entry put
        # meanwhile is taken for the expired one
        with self._locked():
            for name in names:
                if _TEMPORARY_NAME.fullmatch(name):
                    _remove(os.path.join(self.directory_path, name))
            if expired_only:
                now = self.clock()
                for name in entries:
                    path = os.path.join(self.directory_path, name)
                    entry = self._entry(path)
                    if entry is not None and entry["expire_at"] <= now:
                        _remove(path)


def provide_fs_cache_adapter(config: Mapping[str, Any]) -> Cache:
    """Build from ``CACHE_DIR`` (``/tmp/cache``), ``CACHE_TTL`` (900) and
    ``CACHE_FILE_LOCK_TIMEOUT`` (5.0 s)."""
    return FileSystemCacheAdapter(
        directory_path=_config.directory(config),
        ttl=_config.ttl(config),
        lock_timeout=_config.number(config, "CACHE_FILE_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT,
                                    allow_zero=True),
    )
