import logging
import os
import stat

import pytest

from rndi.cache.adapters.fs.adapter import (
    FileSystemCacheAdapter,
    get_file_contents,
    provide_fs_cache_adapter,
)


def entry_files(cache):
    return [name for name in os.listdir(cache.directory_path) if name.endswith(".json")]


def test_directory_is_created_owner_only(tmp_path):
    FileSystemCacheAdapter(str(tmp_path / "a" / "b"))
    assert stat.S_IMODE(os.stat(tmp_path / "a" / "b").st_mode) == 0o700


def test_keys_never_escape_the_directory(tmp_path):
    cache = FileSystemCacheAdapter(str(tmp_path / "cache"))
    cache.put("../../etc/passwd", "nope")
    assert cache.get("../../etc/passwd") == "nope"
    assert len(entry_files(cache)) == 1
    assert not (tmp_path / "etc").exists()


def test_get_file_contents_returns_the_entry(tmp_path, clock):
    cache = FileSystemCacheAdapter(str(tmp_path), ttl=100, clock=clock)
    cache.put("k", {"v": 1})
    cache.put("fraction", 1, ttl=2.5)
    path = cache._get_file_name("k")
    assert get_file_contents(path) == {"key": "k", "value": {"v": 1},
                                       "expire_at": round(clock.now + 100)}
    assert get_file_contents(cache._get_file_name("fraction"))["expire_at"] == clock.now + 2.5
    with pytest.raises(FileNotFoundError):
        get_file_contents(str(tmp_path / "missing.json"))
    (tmp_path / "other.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="not a cache entry"):
        get_file_contents(str(tmp_path / "other.json"))


def test_crafted_jsonpickle_file_comes_back_as_plain_data(tmp_path, monkeypatch, clock):
    cache = FileSystemCacheAdapter(str(tmp_path), clock=clock)
    cache.put("token", "placeholder")
    (name,) = entry_files(cache)
    (tmp_path / name).write_text(
        '{"key": "token", "expire_at": 9e99, "value": '
        '{"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}}')
    calls = []
    monkeypatch.setattr(os, "getcwd", lambda: calls.append("called") or "/")
    assert cache.get("token") == {"py/reduce": [{"py/function": "os.getcwd"}, {"py/tuple": []}]}
    assert calls == []


@pytest.mark.parametrize("content", [
    "{not json", '["a list"]', '{"key": "k"}',
    '{"key": "k", "value": 1, "expire_at": "tomorrow"}',
])
def test_corrupt_file_is_a_logged_miss(tmp_path, caplog, content):
    cache = FileSystemCacheAdapter(str(tmp_path))
    cache.put("k", "v")
    (name,) = entry_files(cache)
    (tmp_path / name).write_text(content)
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k", "fresh") == "fresh"
    assert name in caplog.text
    assert cache.get("k") == "fresh"


@pytest.mark.parametrize("expired_only", [False, True])
def test_flush_touches_only_the_entries_it_made(tmp_path, clock, expired_only):
    cache = FileSystemCacheAdapter(str(tmp_path), clock=clock)
    foreign = {"notes.txt": "keep me", "settings.json": '{"debug": true}',
               "cache.k.json": '{"expire_at": 0, "value": 1}',
               f"cache.{'0' * 64}.json.bak": "backup"}
    for name, content in foreign.items():
        (tmp_path / name).write_text(content)
    cache.put("k", 1, ttl=10)
    clock.advance(11)
    cache.flush(expired_only=expired_only)
    assert sorted(entry_files(cache)) == ["cache.k.json", "settings.json"]
    for name, content in foreign.items():
        assert (tmp_path / name).read_text() == content
    assert cache._get_file_name("k") not in [str(p) for p in tmp_path.iterdir()]


def test_config_strings_are_coerced(tmp_path):
    cache = provide_fs_cache_adapter({"CACHE_DIR": f" {tmp_path} ", "CACHE_TTL": "120"})
    assert (cache.directory_path, cache.ttl) == (str(tmp_path), 120)
