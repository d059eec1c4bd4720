"""One SQLite connection per process and database file, reopened after ``fork``.

Opening a connection and setting it up costs far more than a cache read, and an extension
builds a new cache adapter on every event: sharing the connection makes the adapter
nearly free to build. A connection must not cross a ``fork`` (SQLite's own rule), so the
child forgets the inherited ones, without closing them: they belong to the parent.
"""

import contextlib
import os
import sqlite3
import threading
from typing import Dict, List, Tuple

from rndi.cache.adapters._files import make_private_directory

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT NOT NULL,"
    " expire_at REAL NOT NULL"
    ") WITHOUT ROWID"
)

Shared = Tuple[sqlite3.Connection, threading.Lock]
_Key = Tuple[str, float, bool, int]

_connections: Dict[_Key, Shared] = {}
_inherited: List[Shared] = []  # kept referenced so the child never closes them
_guard = threading.Lock()


def _forget_after_fork() -> None:
    global _guard
    _inherited.extend(_connections.values())
    _connections.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _open(path: str, timeout: float, check_same_thread: bool) -> sqlite3.Connection:
    make_private_directory(os.path.dirname(path))
    created = not os.path.exists(path)
    # autocommit: each statement is its own short transaction, so writers from several
    # processes hold the lock for microseconds and the busy timeout absorbs contention
    connection = sqlite3.connect(
        path, timeout=timeout, check_same_thread=check_same_thread, isolation_level=None
    )
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(_SCHEMA)
    except BaseException:
        connection.close()
        raise
    if created:
        os.chmod(path, 0o600)
    return connection


def connection(path: str, timeout: float, check_same_thread: bool) -> Shared:
    """The process-wide connection for this file and these options, opened on first use;
    with ``check_same_thread`` (a connection usable only by the thread that opened it)
    one per thread."""
    key = (path, timeout, check_same_thread,
           threading.get_ident() if check_same_thread else 0)
    shared = _connections.get(key)
    if shared is None:
        with _guard:
            shared = _connections.get(key)
            if shared is None:
                shared = (_open(path, timeout, check_same_thread), threading.Lock())
                _connections[key] = shared
    return shared


def discard(path: str) -> None:
    """Forget this process's connections to ``path`` (after an error on it), closing
    those this thread may close (another thread's same-thread connection refuses)."""
    with _guard:
        for key in [key for key in _connections if key[0] == path]:
            with contextlib.suppress(sqlite3.ProgrammingError):
                _connections.pop(key)[0].close()
