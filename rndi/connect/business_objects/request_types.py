"""The request types Connect sends, read from connect-eaas-core's event types.

Every processing event names a request type: ``asset_renew_request_processing`` is an
asset request of type ``renew``; ``tier_config_change_request_processing`` a tier-config
request of type ``update`` (Connect names that event *change* and the request's type
*update*). Reading them from ``connect.eaas.core.enums.EventType`` keeps this package in
step with the events the runner can subscribe to; the built-in list below is used only
where that enum cannot be read.

    >>> "renew" in ASSET_REQUEST_TYPES
    True
    >>> request_type_of_event("tier_config_change_request_validation")
    ('tier-config', 'update')
"""

import re
from typing import Dict, Iterable, Optional, Tuple

__all__ = [
    "ASSET",
    "ASSET_REQUEST_TYPES",
    "TIER_CONFIG",
    "TIER_CONFIG_REQUEST_TYPES",
    "processing_event",
    "request_type_of_event",
    "request_types_from_events",
]

ASSET = "asset"
TIER_CONFIG = "tier-config"

# the event prefix of each model, and event names that differ from the request's type
_EVENT_PREFIX = {"asset": ASSET, "tier_config": TIER_CONFIG}
_TYPE_OF_EVENT_KIND = {(TIER_CONFIG, "change"): "update"}
_EVENT_KIND_OF_TYPE = {(model, kind): event for (model, event), kind in
                       _TYPE_OF_EVENT_KIND.items()}
_EVENT = re.compile(r"^(asset|tier_config)_([a-z]+)_request_(processing|validation)$")

# what connect-eaas-core 37.4 and 38 list; used only when its enum cannot be read
_KNOWN_EVENTS = (
    *(f"asset_{kind}_request_processing" for kind in (
        "purchase", "change", "suspend", "resume", "cancel", "adjustment", "renew",
        "transfer")),
    *(f"tier_config_{kind}_request_processing" for kind in ("setup", "change", "adjustment")),
)


def request_type_of_event(event_type: str) -> Optional[Tuple[str, str]]:
    """The model (``'asset'`` or ``'tier-config'``) and request type an event is about,
    or ``None`` for an event that is not about a fulfillment request (a schedule, a
    listing, a usage file)."""
    match = _EVENT.match(event_type) if isinstance(event_type, str) else None
    if match is None:
        return None
    model = _EVENT_PREFIX[match.group(1)]
    return model, _TYPE_OF_EVENT_KIND.get((model, match.group(2)), match.group(2))


def processing_event(model: str, request_type: str) -> str:
    """The event Connect sends to process a pending request of that model and type
    (``processing_event('tier-config', 'update')`` is
    ``'tier_config_change_request_processing'``).

    Raises:
        ValueError: an unknown model or a type the model does not have.
    """
    known = {ASSET: ASSET_REQUEST_TYPES, TIER_CONFIG: TIER_CONFIG_REQUEST_TYPES}.get(model)
    if known is None or request_type not in known:
        raise ValueError(f"No {model!r} request type {request_type!r}: the asset types are "
                         f"{', '.join(ASSET_REQUEST_TYPES)}; the tier-config types are "
                         f"{', '.join(TIER_CONFIG_REQUEST_TYPES)}.")
    kind = _EVENT_KIND_OF_TYPE.get((model, request_type), request_type)
    prefix = "asset" if model == ASSET else "tier_config"
    return f"{prefix}_{kind}_request_processing"


def request_types_from_events(event_types: Iterable[str]) -> Dict[str, Tuple[str, ...]]:
    """Model -> its request types, in the order the events are listed."""
    found: Dict[str, Tuple[str, ...]] = {ASSET: (), TIER_CONFIG: ()}
    for event_type in event_types:
        about = request_type_of_event(event_type)
        if about is not None and about[1] not in found[about[0]]:
            found[about[0]] += (about[1],)
    return found


def _eaas_core_events() -> Tuple[str, ...]:
    try:
        from connect.eaas.core.enums import EventType
    except ImportError:  # pragma: no cover - connect-eaas-core is a dependency
        return _KNOWN_EVENTS
    return tuple(value for name, value in vars(EventType).items()
                 if name.isupper() and isinstance(value, str)) or _KNOWN_EVENTS


_TYPES = request_types_from_events(_eaas_core_events())
ASSET_REQUEST_TYPES: Tuple[str, ...] = _TYPES[ASSET]
TIER_CONFIG_REQUEST_TYPES: Tuple[str, ...] = _TYPES[TIER_CONFIG]
