import logging

import pytest

from rndi.cache import provide_cache
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter
from rndi.cache.adapters.null.adapter import NullCacheAdapter
from rndi.cache.adapters.sqlite.adapter import SQLiteCacheAdapter

LOGGER = logging.getLogger("test.cache.provider")


def test_default_driver_is_none():
    assert isinstance(provide_cache({}, LOGGER), NullCacheAdapter)


def test_file_driver_is_built_in(tmp_path):
    cache = provide_cache({"CACHE_DRIVER": "file", "CACHE_DIR": str(tmp_path)}, LOGGER)
    assert isinstance(cache, FileSystemCacheAdapter)


def test_sqlite_driver_is_built_in_and_named_case_insensitively(tmp_path):
    cache = provide_cache({"CACHE_DRIVER": " SQLite ", "CACHE_DIR": str(tmp_path)}, LOGGER)
    assert isinstance(cache, SQLiteCacheAdapter)
    assert cache.path == str(tmp_path / "cache.sqlite")


def test_an_extra_driver_is_added_and_one_of_the_same_name_replaces_the_built_in(tmp_path):
    built = []

    def memory(config):
        built.append(config["CACHE_DRIVER"])
        return NullCacheAdapter()

    assert isinstance(provide_cache({"CACHE_DRIVER": "memory"}, LOGGER, {"memory": memory}),
                      NullCacheAdapter)
    assert isinstance(provide_cache({"CACHE_DRIVER": "sqlite", "CACHE_DIR": str(tmp_path)},
                                    LOGGER, {"sqlite": memory}), NullCacheAdapter)
    assert built == ["memory", "sqlite"]
    assert not (tmp_path / "cache.sqlite").exists()


def test_unknown_driver_logs_and_falls_back_to_null(caplog):
    with caplog.at_level(logging.ERROR):
        cache = provide_cache({"CACHE_DRIVER": "memcached"}, LOGGER)
    assert isinstance(cache, NullCacheAdapter)
    assert "Unknown cache driver in CACHE_DRIVER (a str of 9 characters)" in caplog.text
    assert "file, none, redis, sqlite" in caplog.text
    assert "memcached" not in caplog.text  # the setting is named, never its value


def test_failing_driver_logs_driver_and_cause_and_falls_back(caplog, tmp_path):
    with caplog.at_level(logging.ERROR):
        cache = provide_cache({"CACHE_DRIVER": "file", "CACHE_DIR": str(tmp_path),
                               "CACHE_TTL": "forever"}, LOGGER)
    assert isinstance(cache, NullCacheAdapter)
    assert "'file'" in caplog.text and "CACHE_TTL (a str of 7 characters)" in caplog.text
    assert "forever" not in caplog.text  # a setting is named, never its value


def test_config_must_be_a_mapping():
    with pytest.raises(TypeError, match="configuration mapping"):
        provide_cache(None, LOGGER)
