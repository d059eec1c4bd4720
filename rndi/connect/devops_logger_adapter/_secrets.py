"""Which names hold secrets, and the credentials inside URLs."""

import re
from typing import Any, Callable, Iterable, Tuple, Union

MASK = "*" * 9

# a secret hides inside longer names: CACHE_REDIS_PASSWORD, X-Auth-Token, set-cookie
_SECRET_PARTS = ("password", "passwd", "pwd", "passphrase", "secret", "token", "credential",
                 "cookie", "authorization")
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
    contains password, passwd, pwd, passphrase, secret, token, credential, cookie or
    authorization, or when it has the word ``key`` or ``keys`` or ends with one
    (``API_KEY_PROD``, ``SECRET_KEY``, ``apikey``). Anything but a string is not a name.
    """
    if not isinstance(name, str):
        return False
    normal = _normal(name)
    if any(part in normal for part in _SECRET_PARTS):
        return True
    if normal.endswith(("key", "keys")):
        return True
    return any(word.lower() in _KEY_WORDS for word in _WORDS.findall(name))


def mask_url_credentials(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@host`` masked."""
    if "://" not in text:  # the common case: no URL, no regular expression run
        return text
    return _URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)


def secret_matcher(to_mask: Union[str, Iterable[str], None]) -> Callable[[Any], bool]:
    """The rule of ``is_secret_name``, widened by the names in ``to_mask``: a key also
    matches when, normalised, it ends with one of them (``vendor_pin`` for ``pin``)."""
    names = [] if to_mask is None else [to_mask] if isinstance(to_mask, str) else list(to_mask)
    suffixes: Tuple[str, ...] = tuple(_normal(n) for n in names if isinstance(n, str) and n)

    def is_secret(key: Any) -> bool:
        if not isinstance(key, str):
            return False
        return is_secret_name(key) or (bool(suffixes) and _normal(key).endswith(suffixes))

    return is_secret
