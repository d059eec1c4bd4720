"""A logger bound to the request it is about, and masking of secrets before logging."""

import logging
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, MutableMapping, Set, Tuple, Union

from rndi.connect.business_objects.helpers import request_model

AnyLogger = Union[logging.Logger, logging.LoggerAdapter]

MASK = "*" * 9
_PARAM_VALUES = frozenset({"value", "structured_value"})
DEFAULT_SECRET_KEYS = frozenset({
    "api_key", "apikey", "authorization", "password", "passwd", "secret", "client_secret",
    "token", "access_token", "refresh_token", "private_key",
})


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


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _secret_matcher(to_mask: Union[str, Iterable[str], None]) -> Callable[[Any], bool]:
    names = DEFAULT_SECRET_KEYS if to_mask is None else (
        [to_mask] if isinstance(to_mask, str) else list(to_mask))
    suffixes = tuple(_normal(name) for name in names if isinstance(name, str) and name)

    def is_secret(key: Any) -> bool:
        # CACHE_REDIS_PASSWORD and X-Api-Key end with a secret name once normalised
        return isinstance(key, str) and bool(suffixes) and _normal(key).endswith(suffixes)

    return is_secret


def mask_dictionary(data: Any, to_mask: Union[str, Iterable[str], None] = None) -> Any:
    """A deep copy of ``data`` with the values of secret keys replaced by ``*********``.

    A key is secret when, lower-cased and without ``_`` and ``-``, it ends with one of
    the names (``CACHE_REDIS_PASSWORD`` and ``X-Api-Key`` match ``password`` and
    ``api_key``). Connect parameters (``{"id": "password", "value": ...}``) are masked by
    their ``id``: their ``value`` and ``structured_value``. The mask has a fixed width,
    so it does not tell the secret's length.

    Args:
        data: any mapping, list, tuple (named tuples too) or value; nested ones are
            walked; a structure that contains itself is cut at the repetition.
        to_mask: the secret names (one name or several); common secret names
            (api_key, password, token, authorization …) when not given.
    """
    is_secret = _secret_matcher(to_mask)
    on_path: Set[int] = set()

    def walk(value: Any) -> Any:
        if not isinstance(value, (Mapping, list, tuple)):
            return value
        if id(value) in on_path:
            return "<cycle>"
        on_path.add(id(value))
        try:
            if isinstance(value, Mapping):
                secret_param = is_secret(value.get("id"))
                return {k: (MASK if is_secret(k) or (secret_param and k in _PARAM_VALUES)
                            else walk(v)) for k, v in value.items()}
            items = [walk(item) for item in value]
            if isinstance(value, tuple) and hasattr(value, "_fields"):
                return type(value)(*items)
            return type(value)(items) if isinstance(value, tuple) else items
        finally:
            on_path.discard(id(value))

    return walk(data)


__all__ = ["ExtensionLoggerAdapter", "bind_logger", "mask_dictionary", "request_model"]
