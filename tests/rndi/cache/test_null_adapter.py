import pytest

from rndi.cache.adapters.null.adapter import NullCacheAdapter, provide_null_cache_adapter


def test_null_cache_stores_nothing(null_cache):
    assert null_cache.put("k", "v") == "v"
    assert null_cache.get("k") is None
    assert null_cache.has("k") is False


def test_null_cache_computes_callable_default_every_time(null_cache):
    calls = []

    def compute():
        calls.append(1)
        return "token"

    assert null_cache.get("k", compute) == "token"
    assert null_cache.get("k", compute) == "token"
    assert len(calls) == 2


def test_null_cache_unwraps_value_ttl_tuples_and_returns_plain_defaults(null_cache):
    assert null_cache.get("k", lambda: ("v", 30)) == "v"
    assert null_cache.get("k", "plain") == "plain"


def test_null_cache_delete_and_flush_are_harmless(null_cache):
    null_cache.delete("k")
    null_cache.flush()
    null_cache.flush(expired_only=True)
    assert null_cache.get("k") is None


def test_null_cache_checks_arguments(null_cache):
    with pytest.raises(TypeError):
        null_cache.has(1)
    with pytest.raises(ValueError, match="ttl"):
        null_cache.put("k", 1, ttl="soon")


def test_provider_builds_a_null_cache():
    assert isinstance(provide_null_cache_adapter({}), NullCacheAdapter)


def test_the_published_name_of_the_null_provider_is_kept():
    from rndi.cache.adapters.null.adapter import provide_none_cache_adapter

    assert isinstance(provide_none_cache_adapter({}), NullCacheAdapter)
