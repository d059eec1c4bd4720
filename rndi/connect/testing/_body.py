"""Reading the body of a call to the stand-in servers: sized or chunked, bounded in memory,
and never left half-read when the call is refused, so the client gets the answer rather
than a reset connection."""

import contextlib
import json
import re
from email.message import Message
from io import BufferedIOBase
from typing import Any, Optional

# No test sends more; a bigger body is answered with a 413, not kept in memory.
MAX_BODY_BYTES = 10 * 1024 * 1024
# A body over the limit is answered, then read and dropped up to this much: a client sends
# its whole body before it reads the answer, and closing on unread data resets the
# connection, losing the answer.
DISCARD_LIMIT_BYTES = 1024 * 1024 * 1024
_BLOCK_BYTES = 64 * 1024
_MAX_LINE_BYTES = 8 * 1024
_MAX_TRAILERS = 100


class BadCall(Exception):
    """A call answered with an error before it is routed.

    Attributes:
        unread: how many more bytes of the body may follow, to drop after answering.
    """

    def __init__(self, status: int, message: str, unread: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.unread = unread


def read_body(headers: Message, rfile: BufferedIOBase) -> Any:
    """The call's body: decoded JSON, else text; ``None`` when there is none.

    Raises:
        BadCall: the framing is wrong (400), unsupported (501) or the body too big (413).
    """
    raw = _raw_body(headers, rfile)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except RecursionError:
        raise BadCall(400, "The JSON body is nested too deeply") from None
    except ValueError:
        return raw.decode("utf-8", "replace")


def _raw_body(headers: Message, rfile: BufferedIOBase) -> bytes:
    encodings = headers.get_all("Transfer-Encoding") or []
    lengths = headers.get_all("Content-Length") or []
    if encodings:
        if lengths:  # the two disagree on where the body ends: refuse, as proxies must
            raise BadCall(400, "A call must not carry both Transfer-Encoding and "
                               "Content-Length")
        codings = [coding.strip().lower() for value in encodings
                   for coding in value.split(",") if coding.strip()]
        if codings != ["chunked"]:
            raise BadCall(501, f"Transfer-Encoding {', '.join(codings)[:80]} is not "
                               "supported; send the body chunked or with a Content-Length")
        return _read_chunked(rfile)
    if len(lengths) > 1:
        raise BadCall(400, f"Content-Length is given {len(lengths)} times; give it once")
    if not lengths:
        return b""
    return _read_sized(rfile, _declared_length(lengths[0]))


def _declared_length(declared: str) -> int:
    text = declared.strip()
    if re.fullmatch(r"-[0-9]+", text):
        raise BadCall(400, f"Content-Length must not be negative, got {text}")
    if not re.fullmatch(r"[0-9]+", text):
        raise BadCall(400, f"Content-Length must be a number, got {declared[:40]!r}")
    return int(text)


def _read_sized(rfile: BufferedIOBase, length: int) -> bytes:
    if length > MAX_BODY_BYTES:
        raise BadCall(413, f"The body is {length} bytes; this server takes at most "
                           f"{MAX_BODY_BYTES}", unread=min(length, DISCARD_LIMIT_BYTES))
    raw = bytearray()
    got = _copy(rfile, length, raw)
    if got < length:
        raise BadCall(400, f"The body ended after {got} of {length} bytes")
    return bytes(raw)


def discard(rfile: BufferedIOBase, length: int) -> None:
    """Drop up to ``length`` bytes of what the client still sends; stop when it stops."""
    with contextlib.suppress(OSError):  # a timeout or a reset: nothing more to drop
        _copy(rfile, length, None)


def _copy(rfile: BufferedIOBase, length: int, sink: Optional[bytearray]) -> int:
    """Read ``length`` bytes into ``sink``, or drop them when it is ``None``.

    Returns:
        How many bytes came: fewer than ``length`` when the client stopped sending.
    """
    left = length
    while left:
        block = rfile.read(min(left, _BLOCK_BYTES))
        if not block:
            break
        left -= len(block)
        if sink is not None:
            sink += block
    return length - left


def _line(rfile: BufferedIOBase, what: str) -> bytes:
    line = rfile.readline(_MAX_LINE_BYTES + 1)
    if not line:
        raise BadCall(400, f"The chunked body ended before its {what}")
    if not line.endswith(b"\n"):
        raise BadCall(400, f"A chunked body's {what} line is longer than "
                           f"{_MAX_LINE_BYTES} bytes")
    return line


def _read_chunked(rfile: BufferedIOBase) -> bytes:
    kept = bytearray()
    total = 0
    while True:
        size_text = _line(rfile, "chunk size").split(b";", 1)[0].strip()
        if not re.fullmatch(rb"[0-9A-Fa-f]{1,16}", size_text):
            raise BadCall(400, "A chunk size must be a hexadecimal number")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > MAX_BODY_BYTES:
            raise BadCall(413, f"The chunked body is over {MAX_BODY_BYTES} bytes, the most "
                               "this server takes", unread=DISCARD_LIMIT_BYTES)
        if _copy(rfile, size, kept) < size:
            raise BadCall(400, f"The chunked body ended inside a chunk of {size} bytes")
        if _line(rfile, "chunk end").strip():
            raise BadCall(400, "A chunk is longer than its declared size")
    for _ in range(_MAX_TRAILERS):
        if not _line(rfile, "last line").strip():
            break
    else:
        raise BadCall(400, f"A chunked body has more than {_MAX_TRAILERS} trailer lines")
    return bytes(kept)
