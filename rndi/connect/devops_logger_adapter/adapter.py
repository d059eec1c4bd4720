"""A logger bound to the request it is about, and masking of secrets before logging."""

import logging
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, Iterator, List, MutableMapping, Tuple, Union

from rndi.connect.business_objects.helpers import REQUEST_MODELS
from rndi.connect.devops_logger_adapter._secrets import (
    MASK,
    is_secret_name,
    mask_url_credentials,
)
from rndi.connect.devops_logger_adapter._secrets import secret_matcher as _secret_matcher
from rndi.connect.devops_logger_adapter._secrets import text_masker as _text_masker

AnyLogger = Union[logging.Logger, logging.LoggerAdapter]

_PARAM_VALUES = frozenset({"value", "structured_value"})
_CONTAINERS = (Mapping, list, tuple)
_DONE = object()


class ExtensionLoggerAdapter(logging.LoggerAdapter):
    """Prefixes every message with the bound ``request_id`` (``PR-1 message``) and puts the
    bound fields on every record (``record.request_id`` …), together with a call's own
    ``extra`` (the bound fields win a clash; the caller's dict is not changed).
    """

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        bound = dict(self.extra or {})
        kwargs["extra"] = {**(kwargs.get("extra") or {}), **bound}
        request_id = bound.get("request_id")
        return (f"{request_id} {msg}" if request_id else msg), kwargs


# The request types each model has for the logger, by which a request that carries
# neither member is still told apart (a purchase is an asset request).
_LOGGED_TYPES = {"asset": frozenset({"adjustment", "purchase", "change", "suspend", "resume",
                                     "cancel"}),
                 "tier-config": frozenset({"setup"})}


def request_model(request: Dict[str, Any]) -> str:
    """``'asset'``, ``'tier-config'`` or ``'undefined'``: the model whose member
    (``asset``, ``configuration``) the request carries, else the model of its type
    (``purchase`` … for an asset, ``setup`` for a tier config), as the logger decides."""
    for model, member, _ in REQUEST_MODELS:
        if member in request:
            return model
    kind = request.get("type")
    for model, types in _LOGGED_TYPES.items():
        if kind in types:
            return model
    return "undefined"


def _member(request: Dict[str, Any], *path: str) -> Any:
    value: Any = request
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _request_fields(request: Dict[str, Any]) -> Dict[str, Any]:
    fields: Dict[str, Any] = {
        "request_id": request.get("id"),
        "request_type": request.get("type"),
        "request_status": request.get("status"),
    }
    model = request_model(request)
    if model == "asset":
        fields["tier_id"] = _member(request, "asset", "tiers", "customer", "id")
        fields["asset_id"] = _member(request, "asset", "id")
    elif model == "tier-config":
        fields["tier_id"] = _member(request, "configuration", "account", "id")
        fields["tier_config_id"] = _member(request, "configuration", "id")
    return {key: value for key, value in fields.items() if value is not None}


def bind_logger(logger: AnyLogger, request: Dict[str, Any]) -> logging.LoggerAdapter:
    """A logger adapter whose records carry the request's id, type, status, its customer
    (or tier account) id and its asset or tier-config id, and whose messages start with
    the request id.

    Args:
        logger: a ``Logger`` or a ``LoggerAdapter`` (its ``extra``, whatever it holds, is
            kept; plain adapters are unwrapped so their fields are not overwritten).
        request: the Connect request dict.

    Returns:
        The bound adapter; the logger as it is when ``request`` is not a dict or the
        logger is neither a ``Logger`` nor a ``LoggerAdapter`` (a test double, say), as
        the published package does.
    """
    if not isinstance(request, dict):
        return logger
    extra: Dict[str, Any] = {}
    base: Any = logger
    # Plain adapters only carry fields: unwrap them and keep their fields, because their
    # process() would replace ours. A custom adapter keeps its behaviour: we wrap it.
    while type(base) in (logging.LoggerAdapter, ExtensionLoggerAdapter):
        extra = {**dict(base.extra or {}), **extra}
        base = base.logger
    # an adapter over a logger-like object (a test double) is bound too; a bare
    # logger-like object is left as it is
    if base is logger and not isinstance(base, (logging.Logger, logging.LoggerAdapter)):
        return logger
    extra.update(_request_fields(request))
    return ExtensionLoggerAdapter(base, extra)


class _Copy:
    """A mapping, list or tuple being copied: the items copied so far, and the rest."""

    __slots__ = ("keys", "pending", "source", "values")

    def __init__(self, source: Any, is_secret: Callable[[Any], bool]) -> None:
        self.source = source
        self.keys: List[Any] = []
        self.values: List[Any] = []
        self.pending: Iterator[Tuple[Any, Any]]
        if isinstance(source, Mapping):
            param_secret = is_secret(source.get("id")) or source.get("type") == "password"
            self.pending = (
                (key, MASK if is_secret(key) or (param_secret and key in _PARAM_VALUES)
                 else value)
                for key, value in source.items())
        else:
            self.pending = ((None, item) for item in source)

    def built(self) -> Any:
        if isinstance(self.source, Mapping):
            return dict(zip(self.keys, self.values, strict=True))
        return self.values  # lists and tuples alike, as the published function answers


# a string in a masked dictionary follows the rule of a log line's text: a URL's password,
# the value after a secret name (``?token=…``, ``"password": "…"``, ``Authorization: …``)
_free_text = _text_masker()


def _leaf(value: Any) -> Any:
    return _free_text(value) if isinstance(value, str) else value


def mask_dictionary(data: Any, to_mask: Union[str, Iterable[str], None] = None) -> Any:
    """A copy of ``data`` with the values of secret keys replaced by ``*********``.

    A key is secret by the rule of ``is_secret_name`` (password, secret, token, API_KEY,
    Authorization …, in any case and with any prefix or suffix) or, when ``to_mask`` names
    keys, when it ends with one of them once lower-cased and stripped of ``_`` and ``-``.
    Connect parameters (``{"id": "password", "value": ...}``, or any with
    ``"type": "password"``) have their ``value`` and ``structured_value`` masked. Any
    string is masked as a log line's text is: the password of a URL
    (``redis://user:password@host``) and the value after a secret name (``?token=…``,
    ``"password": "…"``, ``Authorization: Bearer …``). The mask
    has a fixed width, so it does not tell the secret's length.

    Args:
        data: any mapping, list, tuple or value; nested ones are walked, however deep.
            Mappings come back as dicts, lists and tuples as lists (as the published
            function answers); a structure that contains itself is cut at the repetition
            with ``"<cycle>"``.
        to_mask: more secret names (one name or several), besides the rule.
    """
    is_secret = _secret_matcher(to_mask)
    if not isinstance(data, _CONTAINERS):
        return _leaf(data)
    # an explicit stack, not recursion: data nested thousands deep is masked too
    stack = [_Copy(data, is_secret)]
    on_path = {id(data)}
    while True:
        top = stack[-1]
        key, value = next(top.pending, (_DONE, None))
        if key is not _DONE:
            top.keys.append(key)
            if not isinstance(value, _CONTAINERS):
                top.values.append(_leaf(value))
            elif id(value) in on_path:
                top.values.append("<cycle>")
            else:  # copied first; its copy is appended when it is finished
                stack.append(_Copy(value, is_secret))
                on_path.add(id(value))
            continue
        stack.pop()
        on_path.discard(id(top.source))
        if not stack:
            return top.built()
        stack[-1].values.append(top.built())


__all__ = ["ExtensionLoggerAdapter", "bind_logger", "is_secret_name", "mask_dictionary",
           "mask_url_credentials", "request_model"]
