"""What else may be in a shared cache directory never blocks or misleads the file cache:
a lock held by a stopped or foreign process, a FIFO where an entry should be, a symlink
planted as the lock file, the temporary files of killed writers."""

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest

from rndi.cache import CacheConfigurationError, CacheUnavailable
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter, provide_fs_cache_adapter

# far longer than any operation takes: a thread still running then is blocked for good
BLOCKED = 60


def finishes(operation):
    """Run ``operation`` in a thread; its answer, or ``"blocked"`` when it does not end."""
    answer = []
    thread = threading.Thread(target=lambda: answer.append(operation()), daemon=True)
    thread.start()
    thread.join(BLOCKED)
    return answer[0] if answer else "blocked"


HOLDER = textwrap.dedent("""
    import fcntl, os, signal, sys
    descriptor = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    print("locked", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)  # a stopped holder: it never lets go
""")


def test_a_stopped_lock_holder_makes_changes_logged_misses_not_hangs(tmp_path, clock, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path), clock=clock, lock_timeout=0.2)
    cache.put("live", "v", 600)
    cache.put("expiring", "v", 5)
    clock.advance(10)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with caplog.at_level(logging.ERROR, logger="rndi.cache"):
            # the lock is only for changes: a plain read of a live entry still answers
            assert finishes(lambda: cache.get("live")) == "v"
            assert finishes(lambda: cache.put("k", "v")) == "v"
            assert finishes(lambda: cache.get("live", ttl=60)) is None
            assert finishes(lambda: cache.get("expiring", "default")) == "default"
            assert finishes(lambda: cache.add("lease", "token")) is False
            assert finishes(lambda: cache.delete_if_equal("live", "v")) is False
            assert finishes(lambda: cache.flush(expired_only=True)) is None
            assert finishes(lambda: cache.flush()) is None
        errors = [r.getMessage() for r in caplog.records]
        assert len(errors) == 7
        assert all("TimeoutError" in e and "stayed locked by another process for 0.2 s" in e
                   for e in errors)
    finally:
        holder.kill()  # a stopped process is killed all the same
        holder.wait(30)
        holder.stdout.close()
    cache.put("k", "after")  # the holder is gone: the lock is free again
    assert cache.get("k") == "after"


def test_lock_timeout_is_configurable_and_checked(tmp_path):
    cache = provide_fs_cache_adapter({"CACHE_DIR": str(tmp_path),
                                      "CACHE_FILE_LOCK_TIMEOUT": "0.5"})
    assert cache.lock_timeout == 0.5
    assert provide_fs_cache_adapter({"CACHE_DIR": str(tmp_path)}).lock_timeout == 5.0
    with pytest.raises(CacheConfigurationError, match="CACHE_FILE_LOCK_TIMEOUT"):
        provide_fs_cache_adapter({"CACHE_DIR": str(tmp_path), "CACHE_FILE_LOCK_TIMEOUT": "-1"})
    with pytest.raises(ValueError, match="lock_timeout must be a finite number"):
        FileSystemCacheAdapter(str(tmp_path), lock_timeout=float("inf"))


def test_an_entry_that_is_a_fifo_is_a_logged_miss_not_a_hang(tmp_path, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path))
    fifo = cache._get_file_name("k")
    os.mkfifo(fifo)
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert finishes(lambda: cache.has("k")) is False
        os.mkfifo(fifo)
        assert finishes(lambda: cache.get("k", "default")) == "default"
    assert "not a readable cache entry" in caplog.text
    assert cache.get("k") == "default"  # the FIFO was replaced by the entry


def test_a_file_planted_where_the_old_lock_file_was_changes_nothing(tmp_path):
    directory, outside = tmp_path / "cache", tmp_path / "outside"
    directory.mkdir()
    outside.mkdir()
    os.symlink(outside / "planted", directory / ".cache.lock")
    cache = FileSystemCacheAdapter(str(directory))
    assert cache.put("k", "v") == "v"
    assert cache.add("k", "v") is False
    assert cache.get("k") == "v"
    assert list(outside.iterdir()) == []  # the directory itself is locked: nothing followed


def test_the_lock_holds_while_files_around_it_are_removed(tmp_path):
    """A cleaner of old files removes what it finds under the cache directory while a
    process holds the lock: a second writer still waits (the lock is the directory's)."""
    cache = FileSystemCacheAdapter(str(tmp_path), lock_timeout=0.2)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        for name in os.listdir(tmp_path):  # everything a cleaner could remove
            os.unlink(tmp_path / name)
        assert finishes(lambda: cache.add("lease", "token")) is False
        with pytest.raises(CacheUnavailable, match="claim of key #"):
            cache.claim("lease", "token")  # bounded by lock_timeout
    finally:
        holder.kill()
        holder.wait(30)
        holder.stdout.close()
    assert cache.claim("lease", "token") is True


def test_a_symlinked_entry_is_not_followed(tmp_path, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path / "cache"))
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text('{"key": "k", "expire_at": 9e99, "value": "from elsewhere"}')
    os.symlink(elsewhere, cache._get_file_name("k"))
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k", "default") == "default"
    assert elsewhere.exists()


KILLED_WRITER = textwrap.dedent("""
    import os, signal, sys
    from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
    cache = FileSystemCacheAdapter(sys.argv[1])
    # killed after writing the temporary file, before renaming it over the entry
    os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    cache.put("k", "never renamed")
""")


@pytest.mark.parametrize("expired_only", [False, True])
def test_flush_removes_the_temporary_files_of_killed_writers(tmp_path, expired_only):
    for _ in range(2):
        killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(tmp_path)],
                                check=False)
        assert killed.returncode == -signal.SIGKILL
    leftovers = [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert len(leftovers) == 2
    foreign = ["notes.tmp", "cache.tmp", "cache.ABCDEFGH.tmp", "tmpabcdefgh.tmp"]
    for name in foreign:
        (tmp_path / name).write_text("not the cache's")
    cache = FileSystemCacheAdapter(str(tmp_path))
    cache.put("kept", "v")
    cache.flush(expired_only=expired_only)
    assert sorted(name for name in os.listdir(tmp_path) if name.endswith(".tmp")) == sorted(
        foreign)
    assert cache.has("kept") is expired_only
