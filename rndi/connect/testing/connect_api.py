"""A local stand-in for the Connect REST API, for tests and demos of extensions.

It serves requests it was seeded with (asset requests under ``requests``, tier-config
requests under ``tier/config-requests``), applies the calls an extension makes
(parameter updates, approve, fail, inquire) the way Connect does, and records every call
so a test can assert on the exact method, path and body::

    with ConnectAPI([purchase_request]) as api:
        client = api.client()
        ...  # run the extension code with client
        assert api.calls_to("POST", "requests/PR-1/approve")[0].body == {"template_id": "TL-1"}
"""

import contextlib
import copy
import itertools
import json
import re
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Union

from rndi.connect.business_objects.request_types import (
    ASSET,
    ASSET_REQUEST_TYPES,
    TIER_CONFIG,
    TIER_CONFIG_REQUEST_TYPES,
    processing_event,
)
from rndi.connect.testing.http import Answer, FakeHTTPService, HTTPError, RecordedCall

# a request to serve: the dict, or the path of a JSON file holding it
SeedRequest = Union[Dict[str, Any], str, Path]

_ID = r"(?P<object_id>[^/]+)"
_ACTION = r"(?P<action>approve|fail|inquire|pend)"

# Connect answers a transition from the wrong status with 400 and this code.
_WRONG_STATUS = "REQ_003"

# What the runner's start-up validation reads: the account behind the API key, the
# ``Connect-Version`` header of that answer, and the event types with their statuses.
CONNECT_VERSION = "43.0.0"
ACCOUNT = {"id": "VA-000-000", "name": "Local vendor", "type": "vendor"}
_ASSET_REQUEST_STATUSES = ["approved", "draft", "failed", "inquiring", "pending",
                           "revoked", "revoking", "tiers_setup"]
_TIER_CONFIG_REQUEST_STATUSES = ["approved", "failed", "inquiring", "pending", "tiers_setup"]
EVENT_DEFINITIONS = [
    *({"type": processing_event(ASSET, kind), "object_statuses": _ASSET_REQUEST_STATUSES}
      for kind in ASSET_REQUEST_TYPES),
    *({"type": f"asset_{kind}_request_validation", "object_statuses": ["draft"]}
      for kind in ("purchase", "change", "renew", "transfer")),
    *({"type": processing_event(TIER_CONFIG, kind),
       "object_statuses": _TIER_CONFIG_REQUEST_STATUSES}
      for kind in TIER_CONFIG_REQUEST_TYPES),
    *({"type": f"tier_config_{kind}_request_validation", "object_statuses": ["draft"]}
      for kind in ("setup", "change")),
]

# What approving a request makes of its asset (by the request's type) or tier
# configuration, as Connect does: a suspend suspends, a cancel terminates, every other
# asset type (purchase, change, resume, adjustment, renew, transfer) leaves it active.
_ASSET_STATUS_ON_APPROVAL = {**dict.fromkeys(ASSET_REQUEST_TYPES, "active"),
                             "suspend": "suspended", "cancel": "terminated"}
_TIER_CONFIG_STATUS_ON_APPROVAL = dict.fromkeys(TIER_CONFIG_REQUEST_TYPES, "active")


def _seed_requests(given: Iterable[Any]) -> Iterator[Any]:
    """Each request of ``given``, whose items are requests or lists of them (the two
    forms a caller may write); anything else is left for ``add_request`` to refuse."""
    for item in given:
        if isinstance(item, (dict, str, bytes, Path)) or not isinstance(item, Iterable):
            yield item
        else:
            yield from item


def _not_found(kind: str, object_id: str) -> HTTPError:
    return HTTPError(404, {"error_code": "REQ_001", "errors": [f"{kind} {object_id} not found."]})


def _touch(request: Dict[str, Any]) -> None:
    """Move a request's ``updated`` forward, as Connect does on every change: what tells
    two copies of a request apart (``RequestLease`` answers a copy it already answered).
    Each change moves it at least a second, so no two states share it. A request seeded
    without ``updated`` is left without one."""
    previous = request.get("updated")
    if not isinstance(previous, str):
        return
    now = datetime.now(timezone.utc).replace(microsecond=0)
    # one it cannot read or compare (no time zone) is replaced by now
    with contextlib.suppress(ValueError, TypeError):
        now = max(now, datetime.fromisoformat(previous) + timedelta(seconds=1))
    request["updated"] = now.isoformat()


def _update_params(params: Any, updates: Any) -> None:
    """Apply parameter updates the way Connect does: all of them or, on an unknown or
    malformed one, none."""
    if not isinstance(updates, list):
        raise _invalid("params must be a list.")
    if not isinstance(params, list):
        raise _invalid(f"The seeded params are a {type(params).__name__}, not a list.")
    by_id = {param["id"]: param for param in params
             if isinstance(param, dict) and isinstance(param.get("id"), str)}
    for update in updates:
        if not isinstance(update, dict):
            raise _invalid(f"Each parameter update must be an object, got "
                           f"{type(update).__name__}.")
        param_id = update.get("id")
        if not isinstance(param_id, str) or param_id not in by_id:
            raise _invalid(f"Unknown parameter {str(param_id)[:80]!r}.")
    for update in updates:
        target = by_id[update["id"]]
        for key in ("value", "value_error", "structured_value"):
            if key in update:
                target[key] = update[key]


def _invalid(message: str) -> HTTPError:
    return HTTPError(400, {"error_code": "VAL_001", "errors": [message]})


def _object_body(call: RecordedCall) -> Dict[str, Any]:
    """The JSON object a call sent (none sent: an empty one).

    Raises:
        HTTPError: 400, as Connect answers, when the body is JSON but not an object.
    """
    if call.body is None:
        return {}
    if not isinstance(call.body, dict):
        raise _invalid(f"The body must be a JSON object, got {type(call.body).__name__}.")
    return call.body


def _object_member(body: Dict[str, Any], key: str) -> Dict[str, Any]:
    """``body[key]`` when it is an object, ``{}`` when absent; anything else is a 400."""
    member = body.get(key, {})
    if not isinstance(member, dict):
        raise _invalid(f"{key} must be an object, got {type(member).__name__}.")
    return member


def _rql_values(query: str, operator: str, field: str) -> Optional[List[str]]:
    if operator == "eq":
        match = re.search(rf"eq\({field},([^)]*)\)", query)
        return [match.group(1)] if match else None
    match = re.search(rf"in\({field},\(([^)]*)\)\)", query)
    return match.group(1).split(",") if match else None


def _member_with_id(collection: Dict[str, Dict[str, Any]], member: str, kind: str,
                    object_id: str) -> Dict[str, Any]:
    """The ``member`` object (``asset``, ``configuration``) of a seeded request with that
    id; requests seeded without one are passed over."""
    for request in collection.values():
        found = request.get(member)
        if isinstance(found, dict) and found.get("id") == object_id:
            return found
    raise _not_found(kind, object_id)


def _approve_member(request: Dict[str, Any], model: str) -> None:
    """The asset or tier configuration of an approved request takes the status its type
    leads to; an unknown type, or a request seeded without the object, changes nothing."""
    member, statuses = (("asset", _ASSET_STATUS_ON_APPROVAL) if model == ASSET
                        else ("configuration", _TIER_CONFIG_STATUS_ON_APPROVAL))
    found = request.get(member)
    status = statuses.get(str(request.get("type")))
    if isinstance(found, dict) and status is not None:
        found["status"] = status


def _page(found: List[Any], query: str) -> Answer:
    """One page of a collection, per ``limit`` and ``offset``, with Connect's
    ``Content-Range`` (``items <first>-<last>/<total>``)."""
    limit_match = re.search(r"(?:^|&)limit=(\d+)", query)
    offset_match = re.search(r"(?:^|&)offset=(\d+)", query)
    offset = int(offset_match.group(1)) if offset_match else 0
    end = len(found) if limit_match is None else offset + int(limit_match.group(1))
    page = found[offset:end]
    last = max(offset + len(page) - 1, 0)
    return 200, page, {"Content-Range": f"items {offset}-{last}/{len(found)}"}


class ConnectAPI(FakeHTTPService):
    """Connect's REST API for the calls fulfillment extensions make.

    Args:
        requests: request dicts (or JSON file paths) to serve, deep-copied: given as
            separate arguments, as one list of them, or both
            (``ConnectAPI(purchase, change)`` is ``ConnectAPI([purchase, change])``).
        ssl_context: serve HTTPS (the real runner only talks HTTPS).
        base_path: the API prefix, ``/public/v1`` like Connect.
    """

    def __init__(self, *requests: Union[SeedRequest, Iterable[SeedRequest]],
                 ssl_context: Optional[ssl.SSLContext] = None,
                 base_path: str = "/public/v1") -> None:
        super().__init__(ssl_context)
        self.base_path = base_path.rstrip("/")
        self.asset_requests: Dict[str, Dict[str, Any]] = {}
        self.tier_config_requests: Dict[str, Dict[str, Any]] = {}
        self.schedules: Dict[str, Dict[str, Any]] = {}
        self._schedule_ids = itertools.count(1)
        self._transport: Any = None  # what async_client() gives connect-openapi-client
        for request in _seed_requests(requests):
            if isinstance(request, ssl.SSLContext):
                raise TypeError("ConnectAPI takes the SSL context as a keyword: "
                                "ConnectAPI(requests, ssl_context=context).")
            self.add_request(request)
        base = re.escape(self.base_path)
        self.route("GET", rf"{base}/requests", self._list_asset_requests)
        self.route("GET", rf"{base}/requests/{_ID}", self._get_asset_request)
        self.route("PUT", rf"{base}/requests/{_ID}", self._update_asset_request)
        self.route("POST", rf"{base}/requests/{_ID}/{_ACTION}", self._transition_asset_request)
        self.route("GET", rf"{base}/assets/{_ID}", self._get_asset)
        self.route("GET", rf"{base}/tier/config-requests", self._list_tier_config_requests)
        self.route("GET", rf"{base}/tier/config-requests/{_ID}", self._get_tier_config_request)
        self.route("PUT", rf"{base}/tier/config-requests/{_ID}", self._update_tier_config_request)
        self.route("POST", rf"{base}/tier/config-requests/{_ID}/{_ACTION}",
                   self._transition_tier_config_request)
        self.route("GET", rf"{base}/tier/configs/{_ID}", self._get_tier_config)
        self.route("GET", rf"{base}/accounts", self._list_accounts)
        self.route("GET", rf"{base}/devops/event-definitions", self._list_event_definitions)
        self.route("GET", rf"{base}/devops/services/[^/]+/environments/[^/]+/schedules/{_ID}",
                   self._get_schedule)

    # seeding and inspection ------------------------------------------------------------

    def add_request(self, request: SeedRequest) -> Dict[str, Any]:
        """Serve a request (a dict or a JSON file); tier-config requests are recognised by
        their ``configuration`` object.

        Raises:
            ValueError: the request (or the file's JSON) is not an object with an ``id``;
                the message names what was found by type, never by content.
        """
        source = "The request"
        if isinstance(request, (str, Path)):
            source = f"The file {request}"
            try:
                request = json.loads(Path(request).read_text(encoding="utf-8"))
            except ValueError as e:  # the position of the fault, never the text
                raise ValueError(f"{source} is not JSON ({e}): it must hold one Connect "
                                 "request object.") from None
        if not isinstance(request, dict):
            raise ValueError(f"{source} holds a {type(request).__name__}; expected a "
                             "Connect request: a JSON object with an 'id'.")
        if not isinstance(request.get("id"), str) or not request["id"]:
            raise ValueError(f"{source} has no 'id' (a non-empty string); expected a "
                             "Connect request such as {\"id\": \"PR-1\", ...}.")
        stored = copy.deepcopy(request)
        collection = (self.tier_config_requests if "configuration" in stored
                      and "asset" not in stored else self.asset_requests)
        with self._lock:
            collection[stored["id"]] = stored
        return stored

    def add_schedule(self, method: str, parameter: Optional[Dict[str, Any]] = None,
                     schedule_id: Optional[str] = None) -> Dict[str, Any]:
        """Serve a schedule of the extension's ``@schedulable`` method ``method``, as
        Connect's DevOps module keeps it; the runner reads it when the schedule fires
        (``FakeEaaS.trigger(schedule)``).

        Returns:
            The schedule (a copy): ``id``, ``method``, ``parameter``, ``status`` …

        Raises:
            ValueError: ``method`` is not a method name.
        """
        if not isinstance(method, str) or not method.isidentifier():
            raise ValueError("add_schedule(method) takes the name of the extension's "
                             f"@schedulable method, got {type(method).__name__} "
                             f"{str(method)[:80]!r}.")
        identifier = schedule_id or f"EFS-{next(self._schedule_ids):04d}-0000-0000"
        schedule: Dict[str, Any] = {
            "id": identifier,
            "name": f"Schedule of {method}", "description": "", "method": method,
            "parameter": copy.deepcopy(parameter or {}), "status": "enabled",
            "trigger": {"type": "recurring", "unit": "days", "amount": 1},
        }
        with self._lock:
            self.schedules[identifier] = schedule
        return copy.deepcopy(schedule)

    def request(self, request_id: str) -> Dict[str, Any]:
        """The current state of a seeded request (a copy)."""
        with self._lock:
            found = self.asset_requests.get(request_id) or self.tier_config_requests.get(
                request_id)
            if found is None:
                raise KeyError(f"No request {request_id!r} is seeded.")
            return copy.deepcopy(found)

    @property
    def endpoint(self) -> str:
        """What ``ConnectClient(endpoint=...)`` takes."""
        return self.url + self.base_path

    def client(self, api_key: str = "ApiKey SU-000:local", **kwargs: Any) -> Any:
        """A real ``connect.client.ConnectClient`` pointed at this server."""
        from connect.client import ConnectClient

        kwargs.setdefault("use_specs", False)
        return ConnectClient(api_key, endpoint=self.endpoint, **kwargs)

    def async_client(self, api_key: str = "ApiKey SU-000:local", **kwargs: Any) -> Any:
        """A real ``connect.client.AsyncConnectClient`` pointed at this server: what the
        runner gives an ``async def`` handler."""
        import httpx
        from connect.client import AsyncConnectClient, fluent

        # connect-openapi-client shares one transport per endpoint among its async
        # clients, and a pooled connection belongs to the event loop that opened it: a
        # test that delivers again in a second asyncio.run() would reuse one whose loop
        # is closed ("Event loop is closed"), or leave it unclosed. The stand-in's
        # endpoint gets a transport that keeps no connection once a call is answered.
        transports = getattr(fluent, "_ASYNC_TRANSPORTS", None)
        if isinstance(transports, dict) and (self._transport is None or transports.get(
                self.endpoint) is not self._transport):
            self._transport = transports[self.endpoint] = httpx.AsyncHTTPTransport(
                verify=getattr(fluent, "_SSL_CONTEXT", True),
                limits=httpx.Limits(max_keepalive_connections=0))
        kwargs.setdefault("use_specs", False)
        return AsyncConnectClient(api_key, endpoint=self.endpoint, **kwargs)

    def calls_to(self, method: str, path: str) -> List[RecordedCall]:
        """Calls with ``method`` to ``path`` (relative to the API prefix)."""
        full = f"{self.base_path}/{path.lstrip('/')}"
        return [call for call in list(self.calls) if call.method == method and call.path == full]

    def api_calls(self) -> List[str]:
        """Every call as ``'METHOD path'`` relative to the API prefix, in order."""
        return [f"{call.method} {call.path[len(self.base_path):].lstrip('/')}"
                for call in list(self.calls)]

    # routes ------------------------------------------------------------------------------

    def _listing(self, collection: Dict[str, Dict[str, Any]], call: RecordedCall) -> Answer:
        ids = _rql_values(call.query, "eq", "id")
        statuses = _rql_values(call.query, "in", "status") or _rql_values(
            call.query, "eq", "status")
        found = [request for request in collection.values()
                 if (ids is None or request["id"] in ids)
                 and (statuses is None or request.get("status") in statuses)]
        return _page(found, call.query)

    def _list_accounts(self, call: RecordedCall) -> Answer:
        status, page, headers = _page([copy.deepcopy(ACCOUNT)], call.query)
        return status, page, {**headers, "Connect-Version": CONNECT_VERSION}

    def _list_event_definitions(self, call: RecordedCall) -> Answer:
        return _page(copy.deepcopy(EVENT_DEFINITIONS), call.query)

    def _get_schedule(self, call: RecordedCall, object_id: str) -> Answer:
        if object_id not in self.schedules:
            raise _not_found("Schedule", object_id)
        return 200, self.schedules[object_id], {}

    def _list_asset_requests(self, call: RecordedCall) -> Answer:
        return self._listing(self.asset_requests, call)

    def _list_tier_config_requests(self, call: RecordedCall) -> Answer:
        return self._listing(self.tier_config_requests, call)

    def _find(self, collection: Dict[str, Dict[str, Any]], object_id: str) -> Dict[str, Any]:
        if object_id not in collection:
            raise _not_found("Request", object_id)
        return collection[object_id]

    def _get_asset_request(self, call: RecordedCall, object_id: str) -> Answer:
        return 200, self._find(self.asset_requests, object_id), {}

    def _get_tier_config_request(self, call: RecordedCall, object_id: str) -> Answer:
        return 200, self._find(self.tier_config_requests, object_id), {}

    def _get_asset(self, call: RecordedCall, object_id: str) -> Answer:
        return 200, _member_with_id(self.asset_requests, "asset", "Asset", object_id), {}

    def _get_tier_config(self, call: RecordedCall, object_id: str) -> Answer:
        return 200, _member_with_id(self.tier_config_requests, "configuration",
                                    "Tier configuration", object_id), {}

    def _update_asset_request(self, call: RecordedCall, object_id: str) -> Answer:
        request = self._find(self.asset_requests, object_id)
        body = _object_body(call)
        asset = _object_member(body, "asset")
        if "params" in asset:
            seeded = request.get("asset")
            if not isinstance(seeded, dict):
                raise _invalid(f"Request {object_id} was seeded without an asset object: "
                               "there are no parameters to update.")
            _update_params(seeded.setdefault("params", []), asset["params"])
        if "note" in body:
            request["note"] = body["note"]
        _touch(request)
        return 200, request, {}

    def _update_tier_config_request(self, call: RecordedCall, object_id: str) -> Answer:
        request = self._find(self.tier_config_requests, object_id)
        body = _object_body(call)
        if "params" in body:
            _update_params(request.setdefault("params", []), body["params"])
        _touch(request)
        return 200, request, {}

    def _transition(self, request: Dict[str, Any], action: str, body: Dict[str, Any],
                    template_given: bool, model: str) -> Answer:
        allowed = {"approve": {"pending", "inquiring"}, "fail": {"pending", "inquiring"},
                   "inquire": {"pending"}, "pend": {"inquiring", "draft"}}[action]
        if request.get("status") not in allowed:
            raise HTTPError(400, {"error_code": _WRONG_STATUS, "errors": [
                f"Request {request['id']} is {request.get('status')}: cannot {action} it."]})
        if action == "approve" and not template_given:
            raise HTTPError(400, {"error_code": "VAL_001",
                                  "errors": ["An approval needs an activation template."]})
        if action == "fail":
            if not body.get("reason"):
                raise HTTPError(400, {"error_code": "VAL_001", "errors": ["reason is required."]})
            request["reason"] = body["reason"]
        request["status"] = {"approve": "approved", "fail": "failed", "inquire": "inquiring",
                             "pend": "pending"}[action]
        if action == "approve":
            _approve_member(request, model)
        _touch(request)
        return 200, request, {}

    def _transition_asset_request(self, call: RecordedCall, object_id: str,
                                  action: str) -> Answer:
        request = self._find(self.asset_requests, object_id)
        body = _object_body(call)
        given = bool(body.get("template_id") or body.get("activation_tile"))
        return self._transition(request, action, body, given, ASSET)

    def _transition_tier_config_request(self, call: RecordedCall, object_id: str,
                                        action: str) -> Answer:
        request = self._find(self.tier_config_requests, object_id)
        body = _object_body(call)
        given = bool(_object_member(body, "template").get("id"))
        return self._transition(request, action, body, given, TIER_CONFIG)
