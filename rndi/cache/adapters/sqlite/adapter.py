"""A cache in one SQLite file, safe for several processes on one host.

WAL journal (readers never block the writer), one upsert per put, expiry checked inside
each query, one connection per thread shared by every adapter on the same file. A file
that is not a database, a directory that cannot be made, or a database that stays locked
past the timeout, turns into logged misses: an extension must not fail because its cache
did.
"""

import os
import sqlite3
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from rndi.cache import _config
from rndi.cache._base import MISS, StoredCache, decode, expiry
from rndi.cache.adapters._files import directory_setting
from rndi.cache.adapters.sqlite import _pool
from rndi.cache.contracts import Cache
from rndi.cache.exceptions import CacheConfigurationError

_SELECT = "SELECT value FROM cache WHERE key = ? AND expire_at > ?"
_TOUCH = "UPDATE cache SET expire_at = ? WHERE key = ? AND expire_at > ? RETURNING value"
_TOUCH_ONLY = "UPDATE cache SET expire_at = ? WHERE key = ? AND expire_at > ?"
# UPDATE ... RETURNING (one statement) needs SQLite 3.35; older libraries touch, then read.
_HAS_RETURNING = sqlite3.sqlite_version_info >= (3, 35)
_UPSERT = (
    "INSERT INTO cache (key, value, expire_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expire_at = excluded.expire_at"
)
# one statement each, so the decision and the change are one transaction: an entry that
# is live blocks the insert (the conditional update is skipped) and the change count says
# which happened
_ADD = (
    "INSERT INTO cache (key, value, expire_at) VALUES (?, ?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, expire_at = excluded.expire_at "
    "WHERE cache.expire_at <= ?"
)
_DELETE_IF_EQUAL = "DELETE FROM cache WHERE key = ? AND value = ? AND expire_at > ?"
_REPLACE_IF_EQUAL = ("UPDATE cache SET value = ?, expire_at = ? "
                     "WHERE key = ? AND value = ? AND expire_at > ?")
_HAS = "SELECT 1 FROM cache WHERE key = ? AND expire_at > ?"
_DELETE = "DELETE FROM cache WHERE key = ?"
_FLUSH = "DELETE FROM cache"
_FLUSH_EXPIRED = "DELETE FROM cache WHERE expire_at <= ?"

def _is_busy(error: sqlite3.Error) -> bool:
    """Whether ``error`` is another connection holding the lock past the timeout."""
    return isinstance(error, sqlite3.OperationalError) and str(error).startswith(
        ("database is locked", "database table is locked"))


_DEFAULT_OPTIONS: Dict[str, Any] = {"check_same_thread": False, "timeout": 15.0}


class SQLiteCacheAdapter(StoredCache):
    """A cache in ``<directory_path>/<name>.sqlite``.

    Args:
        directory_path: directory of the database file (created owner-only when missing).
        ttl: default time to live in seconds.
        name: file name without the ``.sqlite`` suffix.
        options: ``check_same_thread`` (False) and ``timeout`` (15.0 s to wait for a lock).
        clock: the time source, ``time.time`` unless a test needs to control time.
    """

    def __init__(self, directory_path: str, ttl: int = 900, name: str = "cache",
                 options: Optional[Dict[str, Any]] = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl, clock)
        if not isinstance(name, str) or not name or os.path.basename(name) != name:
            raise ValueError(f"The SQLite cache name must be a plain file name, got {name!r}.")
        unknown = set(options or {}) - set(_DEFAULT_OPTIONS)
        if unknown:
            raise ValueError(
                f"Unknown SQLite cache options {sorted(unknown)}; "
                f"supported: {sorted(_DEFAULT_OPTIONS)}."
            )
        self.options = {**_DEFAULT_OPTIONS, **(options or {})}
        self.directory_path = directory_setting(directory_path)
        self.name = name
        self.path = os.path.join(self.directory_path, f"{name}.sqlite")

    def _twin(self) -> "SQLiteCacheAdapter":
        """A new adapter with this one's settings, not checked again: every event makes
        one, and checking costs more than an operation. It holds no connection (those
        are per thread, in ``_pool``), so a twin made after ``fork`` is as safe as this."""
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.options = dict(self.options)
        return twin

    # the published adapters' query for one entry: (value, expire_at)
    _get_sql = "SELECT value, expire_at FROM cache WHERE key = ?"

    def _describe(self) -> str:
        return f"SQLite cache {self.path}"

    def _shared(self) -> _pool.Shared:
        return _pool.connection(self.path, float(self.options["timeout"]),
                                bool(self.options["check_same_thread"]))

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's connection to the cache file (autocommit; the table is
        ``cache (key, value, expire_at)``), opened on first use."""
        return self._shared()[0]

    def _execute(self, sql: str, parameters: tuple) -> Tuple[List[Any], int]:
        """Run one statement: its rows and how many rows it changed. On a database error
        other than a lock held too long, forget the connection (the file may be broken)
        and let the error reach the caller's guard."""
        try:
            options = self.options  # self._shared(), written out: it runs per statement
            connection, lock = _pool.connection(self.path, float(options["timeout"]),
                                                bool(options["check_same_thread"]))
            with lock:
                # fetchall ends the statement: a half-read cursor would keep its
                # transaction (and, for UPDATE ... RETURNING, the write lock) open
                cursor = connection.execute(sql, parameters)
                return cursor.fetchall(), cursor.rowcount
        except sqlite3.Error as e:
            if not _is_busy(e):  # a busy database is fine: the connection is kept
                _pool.discard(self.path)
            raise

    def _run(self, sql: str, parameters: tuple, fetch: bool = False) -> Any:
        """Run one statement; with ``fetch``, its first row (``None`` when none)."""
        rows, _ = self._execute(sql, parameters)
        return rows[0] if fetch and rows else None

    def _load(self, key: str, ttl: Optional[float]) -> Any:
        now = self.clock()
        if ttl is None:
            row = self._run(_SELECT, (key, now), fetch=True)
        elif _HAS_RETURNING:
            row = self._run(_TOUCH, (expiry(now, ttl), key, now), fetch=True)
        else:
            self._run(_TOUCH_ONLY, (expiry(now, ttl), key, now))
            row = self._run(_SELECT, (key, now), fetch=True)
        if row is None:
            return MISS
        value = decode(key, row[0])
        if value is MISS:
            self._run(_DELETE, (key,))  # a poisoned entry would miss forever
        return value

    def _store(self, key: str, encoded: str, ttl: float) -> None:
        self._run(_UPSERT, (key, encoded, expiry(self.clock(), ttl)))

    def _add(self, key: str, encoded: str, ttl: float) -> bool:
        now = self.clock()
        _, changed = self._execute(_ADD, (key, encoded, expiry(now, ttl), now))
        return changed == 1

    def _delete_if_equal(self, key: str, encoded: str) -> bool:
        _, changed = self._execute(_DELETE_IF_EQUAL, (key, encoded, self.clock()))
        return changed == 1

    def _replace_if_equal(self, key: str, expected: str, encoded: str, ttl: float) -> bool:
        now = self.clock()
        _, changed = self._execute(_REPLACE_IF_EQUAL,
                                   (encoded, expiry(now, ttl), key, expected, now))
        return changed == 1

    def _has(self, key: str) -> bool:
        return self._run(_HAS, (key, self.clock()), fetch=True) is not None

    def _delete(self, key: str) -> None:
        self._run(_DELETE, (key,))

    def _flush(self, expired_only: bool) -> None:
        if expired_only:
            self._run(_FLUSH_EXPIRED, (self.clock(),))
        else:
            self._run(_FLUSH, ())


_SETTINGS = ("CACHE_DIR", "CACHE_TTL", "CACHE_SQLITE_NAME", "CACHE_SQLITE_CHECK_SAME_THREAD",
             "CACHE_SQLITE_TIMEOUT")


def provide_sqlite_cache_adapter(config: Mapping[str, Any]) -> Cache:
    """Build from ``CACHE_DIR`` (``/tmp/cache``), ``CACHE_TTL`` (900),
    ``CACHE_SQLITE_NAME`` (``cache``), ``CACHE_SQLITE_CHECK_SAME_THREAD`` (False) and
    ``CACHE_SQLITE_TIMEOUT`` (15.0)."""
    made: SQLiteCacheAdapter = _config.read_once(config, _SETTINGS, _made)["adapter"]
    return made._twin()


def _made(config: Mapping[str, Any]) -> Dict[str, Any]:
    return {"adapter": SQLiteCacheAdapter(**_read(config))}


def _read(config: Mapping[str, Any]) -> Dict[str, Any]:
    name = _config.text(config, "CACHE_SQLITE_NAME", "cache") or "cache"
    if os.path.basename(name) != name or name in (".", ".."):
        raise CacheConfigurationError("CACHE_SQLITE_NAME", name, "a plain file name")
    return {
        "directory_path": _config.directory(config),
        "ttl": _config.ttl(config),
        "name": name,
        "options": {
            "check_same_thread": _config.flag(config, "CACHE_SQLITE_CHECK_SAME_THREAD", False),
            "timeout": _config.number(config, "CACHE_SQLITE_TIMEOUT", 15.0, allow_zero=True),
        },
    }
