"""Which names hold secrets, and the credentials inside URLs."""

import json
import re
from collections.abc import Mapping
from typing import Any, Callable, Iterable, List, Optional, Set, Tuple, Union
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

MASK = "*" * 9

# a secret hides inside longer names: CACHE_REDIS_PASSWORD, X-Auth-Token, set-cookie
_SECRET_PARTS = ("password", "passwd", "pwd", "passphrase", "secret", "token", "credential",
                 "cookie", "authorization", "connectionstring")
# the OpenTelemetry exporter's headers carry its credentials (OTEL_EXPORTER_OTLP_HEADERS,
# OTEL_EXPORTER_OTLP_TRACES_HEADERS …) although their names do not say so
_HEADERS = re.compile(r"otelexporterotlp[a-z]*headers")
# key and keys are words: API_KEY_PROD, apiKeys; or the end of a name: apikey, privatekey
_KEY_WORDS = frozenset({"key", "keys"})
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# scheme://user:password@host; the password runs to the netloc's last '@', as urlsplit reads it
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^/?#\s:@]*:)[^/?#\s]+@")


def _normal(name: str) -> str:
    return name.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


def is_secret_name(name: Any) -> bool:
    """Whether a key named ``name`` holds a secret, by the rule ``mask_dictionary`` uses.

    Compared without case, ``_``, ``-`` or surrounding spaces, a name is secret when it
    contains password, passwd, pwd, passphrase, secret, token, credential, cookie,
    authorization or connection string (``INSIGHTS_CONNECTION_STRING``), when it is an
    OpenTelemetry exporter's headers (``OTEL_EXPORTER_OTLP_HEADERS``,
    ``OTEL_EXPORTER_OTLP_TRACES_HEADERS``), or when it has the word ``key`` or ``keys``
    or ends with one (``API_KEY_PROD``, ``SECRET_KEY``, ``apikey``). Anything but a
    string is not a name.
    """
    if not isinstance(name, str):
        return False
    normal = _normal(name)
    if any(part in normal for part in _SECRET_PARTS) or _HEADERS.fullmatch(normal):
        return True
    if normal.endswith(("key", "keys")):
        return True
    return any(word.lower() in _KEY_WORDS for word in _WORDS.findall(name))


def mask_url_credentials(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` masked."""
    if "://" not in text:  # the common case: no URL, no regular expression run
        return text
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)


# name=value, name: value, "name": "value" … in free text: the value of a secret name
# (not a URL's scheme: https://…); an Authorization value keeps its scheme word masked too
_SIGN = re.compile(r"[=:]")
_NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NAME_STARTS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_VALUE = re.compile(
    r"""\s*["']?(?P<value>(?:(?:Bearer|Basic|Token|ApiKey)\s+)?[^\s"'&,;)}\]]+)""")
# a secret shorter than this is no secret, and masking it would garble every line
SHORTEST_SECRET = 4


def _name_before(text: str, sign: int, start: int) -> str:
    """The name a ``=`` or ``:`` at ``sign`` follows (past spaces and a closing quote),
    looking no further back than ``start``; ``""`` for none."""
    end = sign
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and text[end - 1] in "\"'":
        end -= 1
    begin = end
    while begin > start and text[begin - 1] in _NAME_CHARACTERS:
        begin -= 1
    while begin < end and text[begin] not in _NAME_STARTS:  # --api-key, 2fa_token
        begin += 1
    return text[begin:end]


def _mask_named_values(text: str) -> str:
    """``text`` with the value after each secret name masked. Each ``=`` and ``:`` is
    looked at, the value of an ordinary name included: it may run over a secret's pair
    (``host:443/v1?api_key=…``). Each character is read a bounded number of times, so a
    long line (a base64 body) costs time in proportion to it."""
    shown: List[str] = []
    position = 0
    for sign in _SIGN.finditer(text):
        at = sign.start()
        if at < position or text.startswith("//", at + 1):  # masked already; a URL
            continue
        if not is_secret_name(_name_before(text, at, position)):
            continue
        value = _VALUE.match(text, at + 1)
        if value is None or value.group("value") == MASK:
            continue
        shown += (text[position:value.start("value")], MASK)
        position = value.end()
    shown.append(text[position:])
    return "".join(shown)


def _escaped(text: str) -> Set[str]:
    """``text`` inside a quoted literal: through ``repr`` and ``ascii`` (as alone, and
    single-quoted, as inside a text that holds a double quote), as ``str()`` of its UTF-8
    bytes shows it, and JSON-escaped (non-ASCII as it is and as \\uXXXX)."""
    data = text.encode("utf-8", "surrogatepass")
    return {repr(text)[1:-1], repr(text + '"')[1:-2], ascii(text)[1:-1],
            ascii(text + '"')[1:-2], repr(data)[2:-1], repr(data + b'"')[2:-2],
            json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1]}


def _renderings(text: str) -> Set[str]:
    """``text`` as a line may show it: as it is, URL-quoted (in a path, and in a query
    string with ``+`` for a space), inside a quoted literal (``_escaped``), and inside a
    literal inside another (a JSON body shown through ``repr``, a ``repr`` in a dict in an
    exception's message)."""
    shown = {text, *(quote(text, safe=safe, errors="surrogatepass") for safe in ("", "/")),
             quote_plus(text, safe="", errors="surrogatepass")}
    once = _escaped(text)
    return shown | once | {twice for inner in once for twice in _escaped(inner)}


# name=value pairs in a list (a connection string, exporter headers, a query string)
_PAIR_VALUE = re.compile(r"[^=,;&\s]+=([^,;&]+)")


def _pair_values(text: str) -> Set[str]:
    """The values of the ``name=value`` pairs ``text`` lists, as written and %-decoded
    (``x-team=abc,other=d%20e``; ``InstrumentationKey=…;IngestionEndpoint=…``): an error
    may quote one alone."""
    if "=" not in text:
        return set()
    values = {value.strip() for value in _PAIR_VALUE.findall(text)}
    values |= {unquote(value) for value in values}
    return {value for value in values if len(value) >= SHORTEST_SECRET}


def config_secrets(config: Any, shortest_other: Optional[int] = None) -> List[str]:
    """The texts that mask the secret values of ``config``, longest first (so a secret
    that starts another, ``API_KEY`` and ``API_KEY_NEXT``, leaves none of it showing).

    A value is secret when its key, or the key of a dict or list holding it, is secret by
    ``is_secret_name``, or when it is the ``value`` of a Connect parameter whose ``id``
    is; strings and numbers alike, of at least ``SHORTEST_SECRET`` characters, and the
    value of each ``name=value`` pair a secret lists (a connection string). With
    ``shortest_other``, every other value at least that long counts as secret too.
    """
    found: Set[str] = set()
    pending: List[Tuple[bool, Any]] = [(False, config)]
    while pending:  # a loop, not recursion: the config may nest deep
        secret, value = pending.pop()
        if isinstance(value, Mapping):
            param = is_secret_name(value.get("id")) or value.get("type") == "password"
            pending.extend((secret or is_secret_name(key)
                            or (param and key in ("value", "structured_value")), item)
                           for key, item in value.items())
        elif isinstance(value, (list, tuple)):  # an item is as secret as its key
            pending.extend((secret, item) for item in value)
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            if len(text) >= SHORTEST_SECRET and (secret or (
                    shortest_other is not None and len(text) >= shortest_other)):
                found |= _renderings(text)
                if secret:  # an ordinary value's parts are ordinary words
                    found.update(*(_renderings(part) for part in _pair_values(text)))
    return sorted(found, key=len, reverse=True)


def text_masker(config: Any = None, shortest_other: Optional[int] = None,
                also: Iterable[str] = ()) -> Callable[[str], str]:
    """The one rule for every line the library writes (log lines, exception messages it
    passes on, command output): the secret values of ``config`` (see
    ``config_secrets``) and the values of ``also`` (those of ``SHORTEST_SECRET``
    characters or more), in any of their renderings, the value after a secret name
    (``api_key=…``, ``"password": "…"``), and the password of a URL, each replaced by
    ``*********``."""
    secrets = config_secrets(config, shortest_other) if config is not None else []
    more = {shown for value in also if len(value.strip()) >= SHORTEST_SECRET
            for shown in _renderings(value.strip())}
    if more:
        secrets = sorted({*secrets, *more}, key=len, reverse=True)

    def mask(text: str) -> str:
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return mask_url_credentials(_mask_named_values(text))

    return mask


def event_secrets(config: Any, request: Any = None) -> Any:
    """What ``text_masker`` is given for a line about one event: its configuration and
    its request, whose parameters may hold secrets too (a ``password`` parameter, or one
    whose id is a secret's name, as ``mask_dictionary`` judges them)."""
    return config if request is None else {"config": config, "request": request}


def event_masker(config: Any, request: Any = None) -> Callable[[str], str]:
    """``text_masker`` for a line about one event (see ``event_secrets``)."""
    return text_masker(event_secrets(config, request))


def url_values(url: str) -> List[str]:
    """The values ``url`` carries besides where it points: its user name and password and
    the value of each query option, as written and %-decoded once and twice (redis-py
    decodes an option's value twice), for ``text_masker``'s ``also``: a client's error
    may quote an option's value. Left out are an option's number or switch word
    (``socket_timeout=10.0``, ``ssl_cert_reqs=required``) unless the option's name is a
    secret's: no secret is made of them, and masking them would garble a line
    (``connecting to 10.0.3.7``, ``NOAUTH Authentication required``)."""
    try:
        parts = urlsplit(url)
        credentials = [parts.username, parts.password]
        options = [(name, value) for name, _, value in
                   (pair.partition("=") for pair in parts.query.split("&"))]
        options += parse_qsl(parts.query)
    except (ValueError, TypeError, AttributeError):  # no URL that can be read: none known
        return []
    values = {value for value in credentials if value}
    values |= {value for name, value in options
               if value and (is_secret_name(unquote(name)) or not _plain(value))}
    once = {unquote(value) for value in values}
    return sorted(values | once | {unquote(value) for value in once})


# the words redis-py takes for a switch or for ``ssl_cert_reqs``
_PLAIN_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "optional",
                          "required"})
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _plain(value: str) -> bool:
    """Whether an option's ``value`` is a number or a switch word, as redis-py reads it."""
    value = unquote(unquote(value)).strip()
    return value.lower() in _PLAIN_WORDS or _NUMBER.fullmatch(value) is not None


def mask_text(text: str, config: Any = None) -> str:
    """``text`` masked by ``text_masker(config)``."""
    return text_masker(config)(text)


def secret_matcher(to_mask: Union[str, Iterable[str], None]) -> Callable[[Any], bool]:
    """The rule of ``is_secret_name``, widened by the names in ``to_mask``: a key also
    matches when, normalised, it ends with one of them (``vendor_pin`` for ``pin``)."""
    try:
        names = ([] if to_mask is None else [to_mask] if isinstance(to_mask, str)
                 else list(to_mask))
    except TypeError:  # one name that is no string: say what is taken
        raise TypeError(f"to_mask takes a name or a list of names to mask, got a "
                        f"{type(to_mask).__name__}; pass [name] for one.") from None
    suffixes: Tuple[str, ...] = tuple(_normal(n) for n in names if isinstance(n, str) and n)
    # a listed name that is no string (an int key) matches the keys equal to it
    others = [n for n in names if not isinstance(n, str)]

    def is_secret(key: Any) -> bool:
        if not isinstance(key, str):
            return bool(others) and key in others and not isinstance(key, bool)
        return is_secret_name(key) or (bool(suffixes) and _normal(key).endswith(suffixes))

    return is_secret

