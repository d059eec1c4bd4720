"""A broken store never fails a fulfillment: each fault is a logged miss. Real files, real
processes, a real redis-server; only the caller's own mistakes raise."""

import hashlib
import logging
import multiprocessing
import os
import subprocess
import sys
import textwrap
import threading

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache import UnserializableValue
from rndi.cache._base import shown_key
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga

DEEP = 100_000  # deeper than any JSON decoder goes


def exercise(cache):
    """Every operation; returns what the reads answered."""
    answers = (cache.get("k"), cache.get("k", lambda: "computed"), cache.has("k"))
    cache.put("k", "v")
    cache.delete("k")
    cache.flush()
    cache.flush(expired_only=True)
    return answers


def store_errors(caplog):
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.fixture
def not_a_directory(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a regular file where the cache directory should be")
    return str(blocker / "cache")


@pytest.mark.parametrize("make", [FileSystemCacheAdapter, SQLiteCacheAdapter])
def test_cache_dir_under_a_regular_file_is_a_logged_miss(make, not_a_directory, caplog):
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        cache = make(not_a_directory)
        assert exercise(cache) == (None, "computed", False)
    errors = store_errors(caplog)
    assert errors and all("NotADirectoryError" in e or "FileExistsError" in e for e in errors)
    assert all(("File cache" in e or "SQLite cache" in e) and not_a_directory in e
               for e in errors)


def test_a_saga_with_a_broken_cache_still_answers(not_a_directory, caplog):
    class CreateCustomer(BackgroundTransaction):
        def __init__(self, cache):
            self.cache = cache

        def should_execute(self, request):
            return True

        def execute(self, request):
            customer = self.cache.get(f"customer:{request['id']}", lambda: "C-1")
            return BackgroundResponse.reschedule() if customer == "C-1" else None

        def compensate(self, request, e):
            return BackgroundResponse.fail(str(e))

    class Purchase(Saga):
        def transactions(self, request):
            return [CreateCustomer]

    config = {"CACHE_DRIVER": "file", "CACHE_DIR": not_a_directory}
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        response = Purchase.make(config, None, logging.getLogger("x")).resolve({"id": "PR-1"})
    assert response.status == "reschedule"
    assert any("Not a directory" in e for e in store_errors(caplog))


def test_unreadable_entries_are_logged_misses_and_removed(tmp_path, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path))
    for key, content in (("latin1", b'{"key": "latin1", "expire_at": 9e9, "value": "\xe9"}'),
                         ("deep", b"[" * DEEP + b"]" * DEEP)):
        cache.put(key, "placeholder")
        path = cache._get_file_name(key)
        with open(path, "wb") as f:
            f.write(content)
        with caplog.at_level(logging.WARNING, logger="rndi.cache"):
            assert cache.get(key) is None
        assert not os.path.exists(path)  # a poisoned entry does not miss forever
        cache.put(key, "fresh")
        assert cache.get(key) == "fresh"


def test_an_entry_path_that_is_a_directory_is_a_logged_miss(tmp_path, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path))
    os.mkdir(cache._get_file_name("k"))
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        assert exercise(cache) == (None, "computed", False)
    assert any("IsADirectoryError" in e for e in store_errors(caplog))
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_a_removed_cache_dir_is_made_again_on_put(tmp_path, caplog):
    directory = tmp_path / "cache"
    cache = FileSystemCacheAdapter(str(directory))
    cache.put("k", "v")
    for name in os.listdir(directory):
        os.unlink(directory / name)
    os.rmdir(directory)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        cache.flush()  # nothing to flush: a logged miss
        assert cache.get("k") is None
        cache.put("k", "again")
    assert cache.get("k") == "again"
    assert any("FileNotFoundError" in e and "flush" in e for e in store_errors(caplog))


def test_a_full_disk_is_a_logged_miss(tmp_path):
    # a file size limit gives the same EFBIG a full disk or quota gives (ENOSPC)
    script = textwrap.dedent(f"""
        import logging, resource, signal
        from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
        logging.basicConfig(level=logging.ERROR)
        cache = FileSystemCacheAdapter({str(tmp_path)!r})
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        # only the soft limit, lifted again before exit: coverage writes its data file
        # when this process ends, and a truncated one spoils every later report
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
        try:
            assert cache.put("big", "x" * 100_000) == "x" * 100_000
            assert cache.get("big") is None
            cache.put("small", "fits")
            assert cache.get("small") == "fits"
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        print("survived")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "survived"
    assert "File too large" in result.stderr
    assert f"put of {shown_key('big')} failed" in result.stderr
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []


def test_same_thread_sqlite_connections_serve_several_threads(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path), options={"check_same_thread": True})
    failures = []

    def work(worker):
        for i in range(200):
            key = f"{worker}:{i}"
            cache.put(key, i)
            if cache.get(key) != i:
                failures.append(key)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(3)]
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert failures == [] and store_errors(caplog) == []


def test_a_poisoned_sqlite_row_is_a_logged_miss_and_removed(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("deep", "placeholder")
    cache.connection.execute("UPDATE cache SET value = ? WHERE key = 'deep'",
                             ("[" * DEEP + "]" * DEEP,))
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("deep") is None
    assert f"{shown_key('deep')} cannot be decoded" in caplog.text
    assert next(cache.connection.execute("SELECT count(*) FROM cache"))[0] == 0


@pytest.mark.parametrize("value", ["lone \ud800 surrogate", {"deep": [[[]]]}])
def test_values_json_cannot_hold_raise_unserializable(cache, value):
    if isinstance(value, dict):
        for _ in range(DEEP // 10):
            value = [value]
    with pytest.raises(UnserializableValue, match="not JSON-serializable"):
        cache.put("k", value)
    assert cache.get("k") is None


def test_redis_keys_and_values_that_are_not_utf8(make_redis, redis_server, caplog):
    import redis

    cache = make_redis(prefix="bytes:")
    raw = redis.Redis(host="127.0.0.1", port=redis_server.port)
    raw.set(b"bytes:k", b"\xff\xfe not utf-8")
    raw.set(b"bytes:\xff", b'"value"')
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k") is None
        cache.flush()
    assert raw.keys(b"bytes:*") == []
    assert store_errors(caplog) == []
    raw.close()


def _refresher(directory, stop):
    cache = FileSystemCacheAdapter(directory)
    while not stop.is_set():
        cache.get("k", ttl=600)


def _expirer(directory, stop):
    cache = FileSystemCacheAdapter(directory)
    while not stop.is_set():
        cache.get("k")  # removes the entry when it finds it expired


@pytest.mark.parametrize("other", [_refresher, _expirer])
def test_no_put_is_undone_by_another_process(tmp_path, other):
    """A refresh (get with ttl) or the removal of an expired entry in one process never
    reverts or removes a put made meanwhile by another."""
    directory = str(tmp_path)
    cache = FileSystemCacheAdapter(directory)
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    process = context.Process(target=other, args=(directory, stop))
    process.start()
    reverted, lost = [], []  # read back an older value / no value at all
    try:
        for i in range(400):
            cache.put("k", "expired", ttl=0)  # what an expirer may find and remove
            cache.put("k", i, ttl=600)
            read = cache.get("k")
            if read is None:
                lost.append(i)
            elif read != i:
                reverted.append((i, read))
    finally:
        stop.set()
        process.join(120)
    assert process.exitcode == 0
    assert (reverted, lost) == ([], [])


def test_fault_lines_show_a_digest_of_the_key_never_the_key(not_a_directory, caplog):
    secret_key = "token:eyJhbGciOiJIUzI1NiJ9.s3cr3t"
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        cache = FileSystemCacheAdapter(not_a_directory)
        cache.get(secret_key, "default")
        cache.put(secret_key, "v")
        cache.add(secret_key, "v")
    assert len(caplog.records) == 4  # making the directory, get, put, add
    assert "s3cr3t" not in caplog.text and "token:" not in caplog.text
    digest = hashlib.sha256(secret_key.encode()).hexdigest()[:12]
    assert caplog.text.count(f"key #{digest}") == 3


def test_undecodable_entry_lines_show_a_digest_of_the_key(tmp_path, caplog):
    cache = SQLiteCacheAdapter(str(tmp_path))
    cache.put("session:s3cr3t", "v")
    cache.connection.execute("UPDATE cache SET value = '{bad' WHERE key = 'session:s3cr3t'")
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("session:s3cr3t") is None
    assert "s3cr3t" not in caplog.text
    assert shown_key("session:s3cr3t") in caplog.text
