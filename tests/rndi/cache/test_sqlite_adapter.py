import logging
import multiprocessing
import os
import sqlite3
import stat
from contextlib import closing

import pytest

from rndi.cache import CacheConfigurationError
from rndi.cache._base import shown_key
from rndi.cache.adapters.sqlite import _pool
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter, provide_sqlite_cache_adapter


def raw_sql(cache, sql, parameters=()):
    """Run SQL on the cache file behind the adapter's back, with a connection of its own."""
    with closing(sqlite3.connect(cache.path, isolation_level=None)) as connection:
        return connection.execute(sql, parameters).fetchall()


def test_file_lives_at_dir_slash_name_dot_sqlite_in_an_owner_only_directory(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path / "nested" / "dir"), name="tokens")
    cache.put("k", 1)
    assert cache.path == str(tmp_path / "nested" / "dir" / "tokens.sqlite")
    assert os.path.isfile(cache.path)
    assert stat.S_IMODE(os.stat(tmp_path / "nested" / "dir").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(cache.path).st_mode) == 0o600


def test_database_uses_the_wal_journal(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("k", 1)
    connection, _ = _pool.connection(cache.path, 15.0, False)
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_put_is_a_single_upsert(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("warm", 1)
    connection, _ = _pool.connection(cache.path, 15.0, False)
    statements = []
    connection.set_trace_callback(statements.append)
    try:
        cache.put("k", {"v": 1})
        cache.put("k", {"v": 2})
    finally:
        connection.set_trace_callback(None)
    assert len(statements) == 2
    assert all(s.startswith("INSERT INTO cache") and "ON CONFLICT" in s for s in statements)
    assert cache.get("k") == {"v": 2}


def test_expiry_is_checked_in_the_query_not_by_deleting(tmp_path, clock):
    cache = SQLiteCacheAdapter(str(tmp_path), clock=clock)
    cache.put("k", "v", ttl=10)
    clock.advance(11)
    assert cache.get("k") is None
    rows = raw_sql(cache, "SELECT key FROM cache")
    assert rows == [("k",)]


def test_adapters_on_one_file_share_one_connection_per_thread(tmp_path):
    first = SQLiteCacheAdapter(str(tmp_path))
    second = SQLiteCacheAdapter(str(tmp_path))
    first.put("k", "from first")
    assert second.get("k") == "from first"
    assert _pool.connection(first.path, 15.0, False) is _pool.connection(second.path, 15.0, False)


def _child_reports_connection(path, parent_connection_id, queue):
    cache = SQLiteCacheAdapter(os.path.dirname(path))
    cache.put("child", "written after fork")
    connection, _ = _pool.connection(path, 15.0, False)
    queue.put((id(connection) != parent_connection_id, cache.get("parent")))


def test_connection_is_reopened_after_fork(tmp_path):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("parent", "written before fork")
    parent_connection, _ = _pool.connection(cache.path, 15.0, False)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(
        target=_child_reports_connection, args=(cache.path, id(parent_connection), queue))
    child.start()
    fresh, seen = queue.get(timeout=30)
    child.join(30)
    assert child.exitcode == 0
    assert fresh is True
    assert seen == "written before fork"
    assert cache.get("child") == "written after fork"


def _writer(directory, worker, pairs, queue):
    cache = SQLiteCacheAdapter(directory)
    errors = 0
    for i in range(pairs):
        key = f"w{worker}-k{i % 250}"
        cache.put(key, {"worker": worker, "i": i})
        if cache.get(key) != {"worker": worker, "i": i}:
            errors += 1
        cache.put("shared", i)  # every worker fights over one row too
    queue.put(errors)


def test_several_processes_share_one_file_without_errors_or_lost_writes(tmp_path, caplog):
    workers, pairs = 3, 2000
    directory = str(tmp_path)
    SQLiteCacheAdapter(directory).put("opened-by-parent", True)
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    processes = [context.Process(target=_writer, args=(directory, w, pairs, queue))
                 for w in range(workers)]
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        for process in processes:
            process.start()
        errors = [queue.get(timeout=120) for _ in processes]
        for process in processes:
            process.join(60)
    assert [p.exitcode for p in processes] == [0] * workers
    assert errors == [0] * workers
    assert caplog.records == []
    cache = SQLiteCacheAdapter(directory)
    for worker in range(workers):
        for slot in range(250):
            last = max(i for i in range(pairs) if i % 250 == slot)
            assert cache.get(f"w{worker}-k{slot}") == {"worker": worker, "i": last}
    assert cache.get("shared") == pairs - 1


def test_crafted_jsonpickle_entry_comes_back_as_plain_data(tmp_path, monkeypatch):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("token", "placeholder")
    crafted = '{"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}'
    raw_sql(cache, "UPDATE cache SET value = ? WHERE key = 'token'", (crafted,))
    calls = []
    monkeypatch.setattr(os, "getcwd", lambda: calls.append("called") or "/")
    value = cache.get("token")
    assert value == {"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}
    assert calls == []


def test_corrupt_entry_is_a_logged_miss_and_is_removed(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("k", "v")
    raw_sql(cache, "UPDATE cache SET value = '{not json' WHERE key = 'k'")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k", "recomputed") == "recomputed"
    assert f"{shown_key('k')} cannot be decoded" in caplog.text
    assert cache.get("k") == "recomputed"


def test_a_file_that_is_not_a_database_turns_into_logged_misses(tmp_path, caplog):
    (tmp_path / "cache.sqlite").write_bytes(b"this is not a database" * 100)
    cache = SQLiteCacheAdapter(str(tmp_path))
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        assert cache.get("k", "default") == "default"
        assert cache.has("k") is False
        cache.delete("k")
        cache.flush()
    assert "cache.sqlite" in caplog.text and "miss" in caplog.text


def test_adapter_recovers_when_the_broken_file_is_replaced(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"garbage" * 100)
    cache = SQLiteCacheAdapter(str(tmp_path))
    assert cache.get("k") is None
    path.unlink()
    cache.put("k", "v")
    assert cache.get("k") == "v"


def test_config_strings_are_coerced(tmp_path):
    cache = provide_sqlite_cache_adapter({
        "CACHE_DIR": str(tmp_path), "CACHE_TTL": "60", "CACHE_SQLITE_NAME": " tokens ",
        "CACHE_SQLITE_CHECK_SAME_THREAD": "true", "CACHE_SQLITE_TIMEOUT": "2.5",
    })
    assert cache.ttl == 60
    assert cache.path == str(tmp_path / "tokens.sqlite")
    assert cache.options == {"check_same_thread": True, "timeout": 2.5}


def test_config_defaults(tmp_path):
    cache = provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path)})
    assert (cache.ttl, cache.options) == (900, {"check_same_thread": False, "timeout": 15.0})
    assert cache.path.endswith("/cache.sqlite")


@pytest.mark.parametrize(("key", "value"), [
    ("CACHE_TTL", "abc"), ("CACHE_TTL", "-5"), ("CACHE_TTL", "1.5"),
    ("CACHE_SQLITE_TIMEOUT", "soon"), ("CACHE_SQLITE_TIMEOUT", "inf"),
    ("CACHE_SQLITE_TIMEOUT", "nan"), ("CACHE_SQLITE_CHECK_SAME_THREAD", "maybe"),
    ("CACHE_SQLITE_NAME", "../escape"),
])
def test_nonsense_config_names_the_key_never_the_value(tmp_path, key, value):
    with pytest.raises(CacheConfigurationError) as error:
        provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path), key: value})
    assert key in str(error.value) and value not in str(error.value)
    assert f"(a str of {len(value)} characters)" in str(error.value)
    assert error.value.key == key and error.value.value == value.strip()


def test_constructor_rejects_bad_name_and_options(tmp_path):
    with pytest.raises(ValueError, match="plain file name"):
        SQLiteCacheAdapter(str(tmp_path), name="a/b")
    with pytest.raises(ValueError, match="Unknown SQLite cache options"):
        SQLiteCacheAdapter(str(tmp_path), options={"journal": "off"})


def test_ttl_refresh_works_without_update_returning(tmp_path, clock, monkeypatch):
    from rndi.cache.adapters.sqlite import adapter

    monkeypatch.setattr(adapter, "_HAS_RETURNING", False)  # as on SQLite < 3.35
    cache = SQLiteCacheAdapter(str(tmp_path), clock=clock)
    cache.put("k", "v", ttl=60)
    clock.advance(50)
    assert cache.get("k", ttl=60) == "v"
    clock.advance(50)
    assert cache.get("k") == "v"
    clock.advance(11)
    assert cache.get("k", ttl=60) is None


def test_connection_and_the_entry_query_are_public_as_published(tmp_path, clock):
    cache = SQLiteCacheAdapter(str(tmp_path), clock=clock)
    cache.put("k", {"v": 1}, 300)
    with cache.connection as connection:
        rows = connection.execute(cache._get_sql, ("k",)).fetchall()
    assert rows == [('{"v":1}', round(clock.now + 300))]


def test_settings_read_once_per_set_of_values_still_read_each_configuration(tmp_path):
    first = provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path), "CACHE_TTL": "60"})
    again = provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path), "CACHE_TTL": "60"})
    other = provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path), "CACHE_TTL": 60.0})
    assert (first.ttl, again.ttl, other.ttl) == (60, 60, 60)
    assert first is not again and first.options == again.options
    assert first.options is not again.options  # each its own, as built by hand
    for _ in range(2):  # an unhashable value is read each time, and named each time
        with pytest.raises(CacheConfigurationError, match="CACHE_SQLITE_TIMEOUT"):
            provide_sqlite_cache_adapter({"CACHE_DIR": str(tmp_path),
                                          "CACHE_SQLITE_TIMEOUT": ["2"]})
