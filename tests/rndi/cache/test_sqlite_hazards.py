"""A locked, removed or replaced database never stalls or silences the SQLite cache
beyond its timeout: a lock costs an operation one timeout, a waiting thread holds up no
other thread, and a removed file is noticed."""

import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing

import pytest

from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter

HOLDER = textwrap.dedent("""
    import sqlite3, sys
    path, mode = sys.argv[1], sys.argv[2]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY NOT NULL,"
                       " value TEXT NOT NULL, expire_at REAL NOT NULL) WITHOUT ROWID")
    if mode == "exclusive":  # nobody else may even read
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        connection.execute("BEGIN EXCLUSIVE")
    else:  # nobody else may write
        connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT OR REPLACE INTO cache VALUES ('holder', '1', 9e99)")
    print("held", flush=True)
    sys.stdin.readline()  # then rolls back and ends
""")


class Holder:
    """Another process holding the database's lock until it is released."""

    def __init__(self, path, mode):
        self.process = subprocess.Popen([sys.executable, "-c", HOLDER, path, mode],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        assert self.process.stdout.readline().strip() == "held"

    def release(self):
        self.process.communicate("\n", timeout=60)
        assert self.process.returncode == 0


def errors(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_get_with_default_under_an_exclusive_lock_pays_the_timeout_once(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 0.3})
    holder = Holder(cache.path, "exclusive")
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            assert cache.get("k", lambda: "computed") == "computed"
        # the read waited for the lock and failed: the computed value is not written,
        # which would wait for the same lock a second time
        (line,) = errors(caplog)
        assert "get of" in line and "database is locked" in line
    finally:
        holder.release()
    cache.put("k", "after")
    assert cache.get("k") == "after"


def waiting_in_the_cache(thread):
    """Whether ``thread`` is inside the SQLite cache's statement runner."""
    frame = sys._current_frames().get(thread.ident)
    while frame is not None:
        if frame.f_code.co_name == "_execute" and "sqlite" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def test_a_thread_waiting_for_a_locked_database_holds_up_no_other_thread(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 30})
    cache.put("hit", "v")
    holder = Holder(cache.path, "write")
    answers = {}
    writer = threading.Thread(target=lambda: answers.update(put=cache.put("k", "w")))
    reader = threading.Thread(target=lambda: answers.update(hit=cache.get("hit")))
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        try:
            writer.start()
            deadline = time.monotonic() + 60
            while not waiting_in_the_cache(writer) and time.monotonic() < deadline:
                time.sleep(0.01)
            assert waiting_in_the_cache(writer)
            reader.start()
            reader.join(60)
            # answered while the writer still waits: readers do not wait for writers
            assert answers == {"hit": "v"}
            assert writer.is_alive()
        finally:
            holder.release()
        writer.join(60)
    assert answers == {"hit": "v", "put": "w"}
    assert errors(caplog) == []
    assert cache.get("k") == "w" and cache.get("hit") == "v"


def test_each_thread_has_its_own_connection(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("k", 1)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(cache.connection))
    thread.start()
    thread.join(60)
    assert seen[0] is not cache.connection
    assert cache.connection is cache.connection


def test_a_busy_database_keeps_the_connection_open(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"timeout": 0.1})
    cache.put("k", "v")
    connection = cache.connection
    holder = Holder(cache.path, "write")
    try:
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            cache.put("k", "blocked")
        assert "database is locked" in errors(caplog)[0]
    finally:
        holder.release()
    assert cache.connection is connection
    assert connection.execute("SELECT 1").fetchone() == (1,)  # still open


def raw_rows(path):
    with closing(sqlite3.connect(path, isolation_level=None)) as connection:
        return connection.execute("SELECT key, value FROM cache ORDER BY key").fetchall()


def eventually(condition):
    """Whether ``condition()`` comes true, tried again for up to a minute."""
    deadline = time.monotonic() + 60
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("removed", [("",), ("", "-wal", "-shm")])
def test_a_database_file_removed_while_connected_is_made_again(tmp_path, caplog, removed,
                                                              monkeypatch):
    monkeypatch.setattr(_pool, "RECHECK_EVERY", 0.0)  # checked on every operation
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("before", 1)
    for suffix in removed:
        if os.path.exists(cache.path + suffix):
            os.unlink(cache.path + suffix)

    def written_to_the_file_that_exists():
        cache.put("after", 2)
        return os.path.exists(cache.path) and ("after", "2") in raw_rows(cache.path)

    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        assert eventually(written_to_the_file_that_exists)
        assert cache.get("after") == 2
        assert cache.get("before") is None
    assert errors(caplog) == []
    assert raw_rows(cache.path) == [("after", "2")]


def test_a_database_file_replaced_while_connected_is_read_from_its_replacement(tmp_path,
                                                                              monkeypatch):
    monkeypatch.setattr(_pool, "RECHECK_EVERY", 0.0)
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("old", 1)
    other = SQLiteCacheAdapter(str(tmp_path / "elsewhere"))
    other.put("new", 2)
    _pool.discard(other.path)
    # the documented way: the old database's WAL files go with it
    for suffix in ("-wal", "-shm"):
        os.unlink(cache.path + suffix)
    os.replace(other.path, cache.path)
    assert eventually(lambda: cache.get("new") == 2)
    assert cache.get("old") is None


def test_the_file_is_checked_once_per_recheck_interval(tmp_path, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(_pool, "time", type("Clock", (), {"monotonic": lambda: now[0]}))
    checks = []
    identity = _pool._identity
    monkeypatch.setattr(_pool, "_identity", lambda path: checks.append(path) or identity(path))
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("k", 1)
    opened = len(checks)
    for _ in range(100):
        assert cache.get("k") == 1
    assert len(checks) == opened  # a stat costs a third of a read: not on every one
    now[0] += _pool.RECHECK_EVERY
    cache.get("k")
    assert len(checks) == opened + 1


def test_threads_opening_a_new_database_together_all_get_it(tmp_path, caplog):
    """Switching a new file to WAL is answered "database is locked" at once (no busy
    wait) while another connection does the same: opening retries instead of failing."""
    failures = []
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        for round_number in range(10):
            cache = SQLiteCacheAdapter(str(tmp_path / f"round-{round_number}"),
                                       options={"check_same_thread": True})
            barrier = threading.Barrier(8)

            def first_put(worker, cache=cache, barrier=barrier):
                barrier.wait(60)
                cache.put(f"k{worker}", worker)
                if cache.get(f"k{worker}") != worker:
                    failures.append(worker)

            threads = [threading.Thread(target=first_put, args=(w,)) for w in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
    assert failures == []
    assert "database is locked" not in caplog.text
