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
    _dumps = _encoder.encode
    loads = json.loads
    DecodeError = json.JSONDecodeError


def dumps(key: str, value: Any) -> str:
    """Encode ``value`` for ``key``.

    Raises:
        UnserializableValue: JSON cannot represent the value.
    """
    try:
        return _dumps(value)
    except (TypeError, ValueError, OverflowError) as e:
        raise UnserializableValue(key, value, str(e)) from e
