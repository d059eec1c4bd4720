"""What a store cannot keep is refused at put, never answered as stored: a key with a lone
surrogate, a value nested deeper than every store reads back; and a file entry whose
expiry is not a finite number is no entry."""

import json
import logging
import math
import os
import re

import pytest

from rndi.cache import UnserializableValue, _codec
from rndi.cache._base import shown_key
from rndi.cache.adapters.fs.adapter import FileSystemCacheAdapter

SURROGATE_KEY = "token:\ud800secret"


def nested(depth):
    """A list ``depth`` containers deep (``[]`` is 1)."""
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_a_key_with_a_lone_surrogate_is_refused_without_showing_it(cache, caplog):
    with (caplog.at_level(logging.DEBUG, logger="rndi.cache"),
          pytest.raises(ValueError, match="lone surrogate at index 6") as raised):
        cache.put(SURROGATE_KEY, "v")
    assert "secret" not in str(raised.value)
    assert shown_key(SURROGATE_KEY) in str(raised.value)
    assert caplog.records == []  # no ERROR line, with or without the key
    for operation in (cache.get, cache.has, cache.delete):
        with pytest.raises(ValueError, match="lone surrogate"):
            operation(SURROGATE_KEY)


def test_a_key_of_any_other_text_is_stored_and_read_back(cache):
    cache.put("clé ☃ 𝄞", "v")
    assert cache.get("clé ☃ 𝄞") == "v"


@pytest.mark.parametrize("dumps", ["installed", "standard library"])
def test_the_deepest_value_allowed_is_read_back_and_one_deeper_is_refused(
        cache, dumps, monkeypatch):
    if dumps == "standard library":
        monkeypatch.setattr(_codec, "_dumps", _codec.json_dumps)
        monkeypatch.setattr(_codec, "loads", json.loads)
    cache.put("deepest", nested(_codec.MAX_DEPTH))
    assert cache.get("deepest") == nested(_codec.MAX_DEPTH)
    with pytest.raises(UnserializableValue, match=f"nested more than {_codec.MAX_DEPTH}"):
        cache.put("deeper", nested(_codec.MAX_DEPTH + 1))
    assert cache.has("deeper") is False


@pytest.mark.parametrize("dumps", ["installed", "standard library"])
@pytest.mark.parametrize("value", [float("nan"), [1.0, float("inf")], {"a": {"b": -math.inf}}])
def test_a_number_json_has_none_for_is_refused_not_stored_as_null(cache, dumps, value,
                                                                  monkeypatch):
    # orjson writes NaN and Infinity as null without a word: the put would answer the
    # value while the store keeps something else
    if dumps == "standard library":
        monkeypatch.setattr(_codec, "_dumps", _codec.json_dumps)
    with pytest.raises(UnserializableValue, match="NaN or Infinity"):
        cache.put("k", value)
    assert cache.has("k") is False
    cache.put("k", [None, "NaN", 1.5])  # null and the text are data, not a lost number
    assert cache.get("k") == [None, "NaN", 1.5]


def test_the_standard_library_encoding_refuses_a_value_that_contains_itself():
    looped = []
    looped.append(looped)
    looped.append(looped)  # twice: measuring it must not grow with the paths through it
    with pytest.raises(UnserializableValue, match="nested more than"):
        _codec.dumps("k", looped)
    assert _codec.json_dumps({"a": [1, {"b": (2, 3)}]}) == '{"a":[1,{"b":[2,3]}]}'


@pytest.mark.parametrize("expiry", ["NaN", "Infinity", "-Infinity", '"tomorrow"'])
def test_a_file_entry_whose_expiry_is_not_a_finite_number_is_a_miss_and_removed(
        tmp_path, clock, expiry, caplog):
    cache = FileSystemCacheAdapter(str(tmp_path), clock=clock)
    cache.put("k", "v")
    path = cache._get_file_name("k")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'{{"key": "k", "expire_at": {expiry}, "value": "v"}}')
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("k") is None
    assert not os.path.exists(path)
    assert "not a readable cache entry" in caplog.text


def test_a_file_entry_that_cannot_be_decoded_is_logged_under_its_key_digest(
        tmp_path, clock, caplog):
    # the entry's file is named by the key's whole digest; a line must name the key as
    # every other line does (sha256 of the key), not by a digest of the file's name
    cache = FileSystemCacheAdapter(str(tmp_path), clock=clock)
    cache.put("token:abc", "v")
    with open(cache._get_file_name("token:abc"), "w", encoding="utf-8") as f:
        f.write('{"key": "token:abc", "expire_at": NaN, "value": "v"}')
    with caplog.at_level(logging.WARNING, logger="rndi.cache"):
        assert cache.get("token:abc") is None
    shown = re.findall(r"key #[0-9a-f]+", caplog.text)
    assert shown and set(shown) == {shown_key("token:abc")}, caplog.text


@pytest.mark.parametrize("value", [float("nan"), nested(_codec.MAX_DEPTH + 1), object(),
                                   {1: "an int key"}, "a lone \udc80 surrogate"])
def test_the_null_cache_refuses_what_no_store_can_keep_as_every_store_does(
        null_cache, value):
    # an extension tried with CACHE_DRIVER=none must meet the error it meets in
    # production, not find it there
    for operation in (lambda: null_cache.put("k", value),
                      lambda: null_cache.add("k", value),
                      lambda: null_cache.claim("k", value),
                      lambda: null_cache.replace_if_equal("k", None, value),
                      lambda: null_cache.replace_if_equal("k", value, None),
                      lambda: null_cache.delete_if_equal("k", value),
                      lambda: null_cache.get("k", lambda: value),
                      lambda: null_cache.get("k", (value, 60))):
        with pytest.raises(UnserializableValue, match=shown_key("k")):
            operation()
    assert null_cache.put("k", {"plain": [1, "data", None]}) == {"plain": [1, "data", None]}
    assert null_cache.get("k", lambda: ("v", 60)) == "v"
