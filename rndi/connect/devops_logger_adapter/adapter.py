"""A logger bound to the request it is about, and masking of secrets before logging."""

import logging
from typing import Any, Dict, Iterable, MutableMapping, Optional, Tuple, Union

from rndi.connect.business_objects.helpers import request_model

AnyLogger = Union[logging.Logger, logging.LoggerAdapter]

MASK = "*" * 9
DEFAULT_SECRET_KEYS = frozenset({
    "api_key", "apikey", "authorization", "password", "passwd", "secret", "client_secret",
    "token", "access_token", "refresh_token", "private_key",
})


class ExtensionLoggerAdapter(logging.LoggerAdapter):
    """Prefixes every message with the bound ``request_id`` and merges ``extra``.

    The bound fields land on every record (``record.request_id`` …) and a call's own
    ``extra`` adds to them instead of replacing them.
    """

    def process(
        self, msg: Any, kwargs: MutableMapping[str, Any]
    ) -> Tuple[Any, MutableMapping[str, Any]]:
        bound = dict(self.extra or {})
        kwargs["extra"] = {**bound, **(kwargs.get("extra") or {})}
        request_id = bound.get("request_id")
        return (f"{request_id} - {msg}" if request_id else msg), kwargs


def _request_fields(request: Dict[str, Any]) -> Dict[str, Any]:
    fields: Dict[str, Any] = {
        "request_id": request.get("id"),
        "request_type": request.get("type"),
        "request_status": request.get("status"),
    }
    model = request_model(request)
    if model == "asset" and isinstance(request.get("asset"), dict):
        fields["asset_id"] = request["asset"].get("id")
    elif model == "tier-config" and isinstance(request.get("configuration"), dict):
        fields["tier_config_id"] = request["configuration"].get("id")
    return {key: value for key, value in fields.items() if value is not None}


def bind_logger(logger: AnyLogger, request: Dict[str, Any]) -> logging.LoggerAdapter:
    """A logger adapter whose records carry the request's id, type, status and its asset or
    tier-config id, and whose messages start with the request id.

    Args:
        logger: a ``Logger`` or a ``LoggerAdapter`` (its ``extra``, whatever it holds, is
            kept; plain adapters are unwrapped so their fields are not overwritten).
        request: the Connect request dict.

    Raises:
        TypeError: ``logger`` is not a logger or ``request`` is not a dict.
    """
    if not isinstance(request, dict):
        raise TypeError(f"bind_logger() needs the request dict, got {request!r}.")
    extra: Dict[str, Any] = {}
    base: Any = logger
    # Plain adapters only carry fields: unwrap them and keep their fields, because their
    # process() would replace ours. A custom adapter keeps its behaviour: we wrap it.
    while type(base) in (logging.LoggerAdapter, ExtensionLoggerAdapter):
        extra = {**dict(base.extra or {}), **extra}
        base = base.logger
    if not isinstance(base, (logging.Logger, logging.LoggerAdapter)):
        raise TypeError(f"bind_logger() needs a logging.Logger or LoggerAdapter, got {logger!r}.")
    extra.update(_request_fields(request))
    return ExtensionLoggerAdapter(base, extra)


def mask_dictionary(data: Any, to_mask: Optional[Iterable[str]] = None) -> Any:
    """A deep copy of ``data`` with the values of secret keys replaced by ``*********``.

    Args:
        data: a dict (lists and nested dicts are walked).
        to_mask: key names to mask, compared case-insensitively; common secret names
            (api_key, password, token, authorization …) when not given.
    """
    keys = {key.lower() for key in (DEFAULT_SECRET_KEYS if to_mask is None else to_mask)}

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (MASK if isinstance(k, str) and k.lower() in keys else walk(v))
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(walk(item) for item in value)
        return value

    return walk(data)


__all__ = ["ExtensionLoggerAdapter", "bind_logger", "mask_dictionary", "request_model"]
