"""Behaviours an extension written for the published cache packages relies on."""

import logging

import pytest

from rndi.cache import provide_cache
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter
from rndi.cache.exceptions import shown_key


def test_a_stored_none_is_a_hit(cache):
    cache.put("k", None)
    assert cache.has("k") is True
    calls = []
    assert cache.get("k", "default") is None
    assert cache.get("k", lambda: calls.append(1) or "computed") is None
    assert calls == []
    assert cache.has("k") is True and cache.get("k", "again") is None


def test_a_stored_none_expires_like_any_entry(cache, clock):
    cache.put("k", None, ttl=10)
    clock.advance(11)
    assert cache.has("k") is False
    assert cache.get("k", "default") == "default"


def test_a_plain_tuple_default_is_unpacked_as_value_and_ttl(cache, clock):
    assert cache.get("k", ("v", 10)) == "v"
    clock.advance(9)
    assert cache.get("k") == "v"
    clock.advance(2)
    assert cache.get("k") is None


def test_a_tuple_default_without_ttl_uses_the_default_ttl(cache, clock):
    assert cache.get("k", lambda: ("v", None)) == "v"
    clock.advance(899)
    assert cache.get("k") == "v"
    assert cache.get("none", (None, 10)) is None
    assert cache.has("none") is False


def test_the_null_cache_unpacks_tuple_defaults_too(null_cache):
    assert null_cache.get("k", ("v", 10)) == "v"
    assert null_cache.get("k", lambda: ("v", 10)) == "v"
    with pytest.raises(ValueError, match=r"too many values to unpack \(expected 2\)"):
        null_cache.get("k", lambda: (1, 2, 3))


@pytest.mark.parametrize(("default", "published"), [
    (lambda: ("v", 10, "extra"), r"too many values to unpack \(expected 2\)"),
    (lambda: ("v",), r"not enough values to unpack \(expected 2"),
    (("v", 10, "extra"), r"too many values to unpack \(expected 2\)"),
])
def test_a_tuple_default_of_other_than_two_items_raises_value_error(cache, default, published):
    with pytest.raises(ValueError, match=published) as error:
        cache.get("k", default)
    assert shown_key("k") in str(error.value) and "(value, ttl)" in str(error.value)
    assert cache.has("k") is False


@pytest.mark.parametrize("ttl", [-5, -0.5, -1e12, float("-inf")])
def test_a_negative_ttl_means_already_expired(cache, ttl):
    assert cache.put("k", "v", ttl) == "v"
    assert cache.get("k") is None and cache.has("k") is False
    assert cache.add("a", "v", ttl) is True
    assert cache.has("a") is False
    cache.put("live", "v", 600)
    assert cache.add("live", "other", ttl) is False
    assert cache.get("live", ttl=ttl) == "v"  # read one last time, as with 0
    assert cache.has("live") is False
    assert cache.get("d", lambda: ("computed", ttl)) == "computed"
    assert cache.has("d") is False


def test_the_null_cache_takes_a_negative_ttl(null_cache):
    assert null_cache.put("k", "v", -5) == "v"
    assert null_cache.add("k", "v", -5) is True


def test_the_file_cache_strips_whitespace_from_its_directory(tmp_path):
    cache = FileSystemCacheAdapter(f"  {tmp_path}/cache/ \n")
    assert cache.directory_path == str(tmp_path / "cache")
    cache.put("k", 1)
    assert cache.get("k") == 1


def test_the_sqlite_cache_keeps_its_directory_and_name(tmp_path):
    cache = SQLiteCacheAdapter(f" {tmp_path}/db\n", name="tokens")
    assert (cache.directory_path, cache.name) == (str(tmp_path / "db"), "tokens")
    assert cache.path == str(tmp_path / "db" / "tokens.sqlite")


def test_provide_cache_logs_the_published_debug_line(tmp_path, caplog):
    with caplog.at_level(logging.DEBUG, logger="test.parity"):
        provide_cache({"CACHE_DRIVER": "file", "CACHE_DIR": str(tmp_path)},
                      logging.getLogger("test.parity"))
        provide_cache({}, logging.getLogger("test.parity"))
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug == ["Cache service configured with file driver.",
                     "Cache service configured with none driver."]


@pytest.fixture
def redis_adapter_module():
    pytest.importorskip("redis")
    from rndi.cache.adapters.redis import adapter

    return adapter


def test_the_redis_cache_keeps_its_server_settings_but_no_password(redis_adapter_module):
    cache = redis_adapter_module.RedisCacheAdapter(
        "cache.example", username="app", password="s3cret", database=3, port=6380,
        encoding="latin-1")
    assert (cache.host, cache.port, cache.database, cache.username, cache.encoding) == (
        "cache.example", 6380, 3, "app", "latin-1")
    assert not hasattr(cache, "password")
    assert "s3cret" not in repr(vars(cache))
    from_url = redis_adapter_module.provide_redis_cache_adapter(
        {"CACHE_REDIS_URL": "redis://user%40corp:pw@10.0.0.5:6390/7"})
    assert (from_url.host, from_url.port, from_url.database, from_url.username) == (
        "10.0.0.5", 6390, 7, "user@corp")
    defaults = redis_adapter_module.RedisCacheAdapter()
    assert (defaults.host, defaults.port, defaults.database, defaults.username,
            defaults.encoding) == ("localhost", 6379, 0, None, "utf-8")


def test_the_redis_connection_answers_bytes_as_published(make_redis):
    cache = make_redis()
    cache.put("k", {"a": 1})
    assert cache.connection.get("k") == b'{"a":1}'
    assert cache.connection.mget("k", "absent") == [b'{"a":1}', None]
    assert cache.get("k") == {"a": 1}  # the cache itself still answers values
