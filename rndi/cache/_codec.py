"""JSON encoding of cached values.

JSON, never pickle or jsonpickle: a cache entry is data that other processes (or an
attacker with access to the store) can write, and decoding it must not be able to run
code. orjson is used when installed (the ``orjson`` extra), the standard library otherwise.
"""

import json
import math
from typing import Any, Callable, Type

from rndi.cache.exceptions import UnserializableValue

# The deepest nesting a value may have (a list in a list … 254 containers, as orjson
# writes at most): deeper, a value could be written but never read back by every store.
MAX_DEPTH = 254
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"
_NOT_FINITE = "it holds NaN or Infinity, which JSON has no number for"

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def json_dumps(value: Any) -> str:
    """The standard library's encoding, held to what every store can write and read."""
    if _deeper_than(value, MAX_DEPTH):  # the json module writes what it cannot read
        raise RecursionError(_TOO_DEEP)
    try:
        text = _encoder.encode(value)
    except ValueError:
        if _holds_non_finite(value):  # said as the installed encoding says it
            raise ValueError(_NOT_FINITE) from None
        raise
    # a lone surrogate encodes here but cannot be written as UTF-8 by any store
    text.encode("utf-8")
    return text


_dumps: Callable[[Any], str]
try:
    import orjson

    def _dumps(value: Any) -> str:
        encoded = orjson.dumps(value)
        # orjson writes NaN and Infinity as null without a word: a put would answer a
        # value the store does not hold. Only a text with a null can hide one.
        if b"null" in encoded and _holds_non_finite(value):
            raise ValueError(_NOT_FINITE)
        return encoded.decode()

    loads: Callable[[Any], Any] = orjson.loads
    DecodeError: Type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - exercised where the extra is absent
    _dumps = json_dumps
    loads = json.loads
    DecodeError = json.JSONDecodeError


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether ``value`` nests more than ``limit`` dicts, lists or tuples. A loop over
    one level at a time, each container once per level, so any depth is measured and a
    structure that contains itself costs ``limit`` levels, not more."""
    level = {id(value): value} if isinstance(value, (dict, list, tuple)) else {}
    for _ in range(limit):
        if not level:
            return False
        below: dict = {}
        for container in level.values():
            for item in container.values() if isinstance(container, dict) else container:
                if isinstance(item, (dict, list, tuple)):
                    below[id(item)] = item
        level = below
    return bool(level)


def _holds_non_finite(value: Any) -> bool:
    """Whether ``value`` is, or holds in its dicts, lists and tuples, a float that is not
    finite; each container is looked into once, however often it is held."""
    pending, seen = [value], set()
    while pending:
        item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, (dict, list, tuple)) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(item.values() if isinstance(item, dict) else item)
    return False


def dumps(key: str, value: Any) -> str:
    """Encode ``value`` for ``key``.

    Raises:
        UnserializableValue: JSON cannot represent the value (an object JSON has no type
            for, NaN, a lone surrogate in a string, nesting too deep to decode again).
    """
    try:
        return _dumps(value)
    except RecursionError:
        raise UnserializableValue(key, value, _TOO_DEEP) from None
    except (TypeError, ValueError, OverflowError) as e:  # UnicodeEncodeError included
        reason = _TOO_DEEP if "Recursion limit" in str(e) else str(e)  # orjson's words
        raise UnserializableValue(key, value, reason) from e
