"""One SQLite connection per thread and database file, reopened after ``fork`` and when
the file is replaced or removed.

Opening a connection and setting it up costs far more than a cache read, and an extension
builds a new cache adapter on every event: keeping the connection makes the adapter
nearly free to build. Each thread has its own, so a thread waiting for a locked database
never holds up another thread's read (in WAL mode readers do not wait for writers), and
no thread can close a connection another thread is using. A connection must not cross a
``fork`` (SQLite's own rule), so the child forgets the inherited ones, without closing
them: they belong to the parent.
"""

import contextlib
import os
import sqlite3
import threading
import time
from typing import Any, Dict, List, Tuple

from rndi.cache.adapters._files import make_private_directory

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cache ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT NOT NULL,"
    " expire_at REAL NOT NULL"
    ") WITHOUT ROWID"
)

# a connection and a lock for whoever shares it; the lock is kept for callers that
# hand one connection to several threads themselves
Shared = Tuple[sqlite3.Connection, threading.Lock]
# the file and options, and the thread
_Key = Tuple[str, float, bool, int]
# what a connection is open on: the file's device and inode
_Identity = Tuple[int, int]

# how often a connection checks that its file is still the one at its path: a stat costs
# a third of a cache read, and a removed file is then noticed within this many seconds
RECHECK_EVERY = 1.0


class _Opened:
    """A connection, the file it is open on, and when to check that file again."""

    __slots__ = ("check_at", "identity", "shared")

    def __init__(self, shared: Shared, identity: _Identity) -> None:
        self.shared = shared
        self.identity = identity
        self.check_at = time.monotonic() + RECHECK_EVERY


# module level, not thread-local: the locals of a parent's other threads are destroyed in
# a forked child, and destroying a connection closes it, which SQLite forbids there
_connections: Dict[_Key, _Opened] = {}
_inherited: List[Any] = []  # kept referenced so the child never closes them
_guard = threading.Lock()  # for changes; a thread finds its own connection without it


def _forget_after_fork() -> None:
    global _guard
    _inherited.extend(_connections.values())
    _connections.clear()
    _guard = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def _identity(path: str) -> _Identity:
    status = os.stat(path)
    return status.st_dev, status.st_ino


def _open(path: str, timeout: float) -> sqlite3.Connection:
    make_private_directory(os.path.dirname(path))
    created = not os.path.exists(path)
    # autocommit: each statement is its own short transaction, so writers from several
    # processes hold the lock for microseconds and the busy timeout absorbs contention
    # Each thread has a connection of its own whatever ``check_same_thread`` says (the
    # option is kept, as published); sqlite3 is told False so that the connection of a
    # thread that ended can be closed from another one, not left for the collector
    # (Python 3.13 warns about a connection collected unclosed).
    connection = sqlite3.connect(
        path, timeout=timeout, check_same_thread=False, isolation_level=None
    )
    try:
        _enable_wal(connection, timeout)
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute(_SCHEMA)
    except BaseException:
        connection.close()
        raise
    if created:
        os.chmod(path, 0o600)
    return connection


def _enable_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch a new file to WAL. SQLite answers "database is locked" at once, without its
    busy handler, while another connection makes the same switch (several threads or
    processes opening a new file together): try again until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() >= deadline:
                raise
            time.sleep(0.005)


def _remove_orphaned_journal(path: str) -> None:
    """Remove the WAL files of a database file that was removed: SQLite would apply the
    old database's pages to the new file made in its place."""
    if not os.path.exists(path):
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path + suffix)


def _close(shared: Shared) -> None:
    # (an inherited or already closed connection may refuse: it is forgotten all the same)
    with contextlib.suppress(sqlite3.ProgrammingError):
        shared[0].close()


def _close_those_of_ended_threads() -> None:
    alive = {thread.ident for thread in threading.enumerate()}
    for key in [key for key in _connections if key[3] not in alive]:
        _close(_connections.pop(key).shared)


def connection(path: str, timeout: float, check_same_thread: bool) -> Shared:
    """This thread's connection to this file with these options, opened on first use,
    and opened again when the file was removed or replaced since (writes to a removed
    file would be lost without a word), which it checks every ``RECHECK_EVERY`` s."""
    key = (path, timeout, check_same_thread, threading.get_ident())
    found = _connections.get(key)
    if found is not None:
        now = time.monotonic()
        if now < found.check_at:
            return found.shared
        found.check_at = now + RECHECK_EVERY
        try:
            same = _identity(path) == found.identity
        except FileNotFoundError:
            same = False
        if same:
            return found.shared
        with _guard:
            del _connections[key]
        _close(found.shared)
        _remove_orphaned_journal(path)
    threading.current_thread()  # so a thread not started by threading is listed alive
    shared = (_open(path, timeout), threading.Lock())
    with _guard:
        _close_those_of_ended_threads()  # rare, as opening is: here it costs nothing
        _connections[key] = _Opened(shared, _identity(path))
    return shared


def discard(path: str) -> None:
    """Close and forget this thread's connections to ``path`` (after an error on it)."""
    me = threading.get_ident()
    with _guard:
        mine = [_connections.pop(key).shared for key in list(_connections)
                if key[0] == path and key[3] == me]
    for shared in mine:
        _close(shared)
