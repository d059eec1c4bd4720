"""The cache contract, written once: every test here runs against each persistent adapter
(file, SQLite, Redis), through the parametrized ``cache`` fixture of ``conftest.py``,
whose ``clock`` fixture is the adapters' time source."""

import pytest

from rndi.cache import UnserializableValue
from rndi.cache._base import MAX_TTL
from rndi.cache.exceptions import shown_key


def test_hit_returns_the_stored_value(cache):
    value = {"customer": {"id": "C-1", "tags": ["a", "b"]}, "count": 3, "ratio": 0.5}
    cache.put("customer", value)
    assert cache.get("customer") == value


def test_put_returns_the_value(cache):
    assert cache.put("k", [1, 2]) == [1, 2]


def test_miss_returns_none_and_stores_nothing(cache):
    assert cache.get("absent") is None
    assert cache.has("absent") is False


def test_default_value_is_stored(cache):
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get("k") == "fallback"


def test_callable_default_is_computed_once_and_stored(cache):
    calls = []

    def compute():
        calls.append(1)
        return {"token": "abc"}

    assert cache.get("token", compute) == {"token": "abc"}
    assert cache.get("token", compute) == {"token": "abc"}
    assert len(calls) == 1


def test_none_default_is_not_stored(cache):
    assert cache.get("k", lambda: None) is None
    assert cache.has("k") is False
    assert cache.get("k", "later") == "later"


def test_default_with_ttl_tuple_uses_that_ttl(cache, clock):
    assert cache.get("short", lambda: ("v", 10)) == "v"
    clock.advance(9)
    assert cache.get("short") == "v"
    clock.advance(2)
    assert cache.get("short") is None


def test_entry_expires_after_its_ttl(cache, clock):
    cache.put("k", "v", ttl=60)
    cache.put("default", "v")
    clock.advance(59.5)
    assert cache.get("k") == "v"
    clock.advance(1)
    assert cache.get("k") is None
    assert cache.has("k") is False
    assert cache.get("default") == "v"
    clock.advance(900)
    assert cache.get("default") is None


def test_get_with_ttl_refreshes_expiry(cache, clock):
    cache.put("k", "v", ttl=60)
    clock.advance(50)
    assert cache.get("k", ttl=60) == "v"
    clock.advance(50)  # 100 s after put, 50 s after the refresh
    assert cache.get("k") == "v"
    clock.advance(11)
    assert cache.get("k") is None


def test_put_replaces_value_and_ttl(cache, clock):
    cache.put("k", "old", ttl=10)
    cache.put("k", "new", ttl=100)
    clock.advance(50)
    assert cache.get("k") == "new"


def test_has_is_true_only_for_live_entries(cache, clock):
    cache.put("live", 0, ttl=10)
    cache.put("none", None, ttl=10)
    assert cache.has("live") is True
    assert cache.has("none") is True
    clock.advance(10)
    assert (cache.has("live"), cache.has("none")) == (False, False)


def test_delete_removes_only_that_key(cache):
    cache.put("a", 1)
    cache.put("b", 2)
    cache.delete("a")
    cache.delete("never-written")
    assert (cache.get("a"), cache.get("b")) == (None, 2)


def test_flush_removes_everything(cache):
    cache.put("a", 1)
    cache.put("b", 2, ttl=5)
    cache.flush()
    assert (cache.has("a"), cache.has("b")) == (False, False)


def test_flush_expired_only_keeps_live_entries(cache, clock):
    cache.put("short", 1, ttl=5)
    cache.put("long", 2, ttl=500)
    clock.advance(10)
    cache.flush(expired_only=True)
    clock.advance(-10)  # even seen from the past, the expired entry is gone for good
    assert cache.get("short") is None
    assert cache.get("long") == 2


def test_unserializable_value_names_key_and_type(cache):
    with pytest.raises(UnserializableValue) as error:
        cache.put("session", object())
    # named by its digest, as log lines name it: a key may hold what must not be shown
    assert shown_key("session") in str(error.value) and "object" in str(error.value)
    assert "session" not in str(error.value)
    assert isinstance(error.value, TypeError)
    assert cache.has("session") is False


def test_invalid_arguments_are_rejected(cache):
    with pytest.raises(TypeError, match="keys are strings"):
        cache.get(42)
    with pytest.raises(ValueError, match="ttl must be a number of seconds up to"):
        cache.put("k", 1, ttl=float("nan"))
    with pytest.raises(ValueError, match=rf"{shown_key('k')}.*ttl.*got 'a str'"):
        cache.get("k", ttl="soon")
    for too_long in (float("inf"), 1e300, MAX_TTL + 1):
        with pytest.raises(ValueError, match="a century"):
            cache.put("k", 1, ttl=too_long)
    assert not cache.has("k")


def test_ttl_zero_stores_an_already_expired_entry(cache):
    cache.put("live", "v", 3600)
    cache.put("dead", "v", 0)
    assert cache.has("live") and not cache.has("dead")
    assert cache.get("dead", "default") == "default"
    # a hit refreshed with ttl 0 is read one last time, then expired
    assert cache.get("live", ttl=0) == "v"
    assert not cache.has("live")
    cache.put("x", "v", 0)
    cache.flush(expired_only=True)
    assert cache.get("x") is None
