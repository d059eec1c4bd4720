"""JSON encoding of cached values.

JSON, never pickle or jsonpickle: a cache entry is data that other processes (or an
attacker with access to the store) can write, and decoding it must not be able to run
code. orjson is used when installed (the ``orjson`` extra), the standard library otherwise.
"""

import json
from typing import Any, Callable, Type

from rndi.cache.exceptions import UnserializableValue

_dumps: Callable[[Any], str]
try:
    import orjson

    def _dumps(value: Any) -> str:
        return orjson.dumps(value).decode()

    loads: Callable[[Any], Any] = orjson.loads
    DecodeError: Type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - exercised where the extra is absent
    _encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def _dumps(value: Any) -> str:
        text = _encoder.encode(value)
        # a lone surrogate encodes here but cannot be written as UTF-8 by any store
        text.encode("utf-8")
        return text

    loads = json.loads
    DecodeError = json.JSONDecodeError


def dumps(key: str, value: Any) -> str:
    """Encode ``value`` for ``key``.

    Raises:
        UnserializableValue: JSON cannot represent the value (an object JSON has no type
            for, NaN, a lone surrogate in a string, nesting too deep to decode again).
    """
    try:
        return _dumps(value)
    except RecursionError:
        raise UnserializableValue(key, value, "nested too deeply") from None
    except (TypeError, ValueError, OverflowError) as e:  # UnicodeEncodeError included
        raise UnserializableValue(key, value, str(e)) from e
