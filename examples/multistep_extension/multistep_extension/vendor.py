"""The licensing vendor the multi-step purchase provisions at, its client, and a local
stand-in of it that counts what each call did.

A real extension has a client for its vendor's API like ``LicensingVendor``; tests and
the demo run ``FakeLicensingVendor`` on 127.0.0.1 in place of the vendor.
"""

import collections
import itertools
from typing import Any, Dict, List, Optional

import requests

from rndi.connect.testing.http import Answer, FakeHTTPService, HTTPError, RecordedCall


def idempotency_headers(key: Optional[str]) -> Dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


class LicensingVendor:
    """A minimal client of the vendor's API. Its errors are those of requests (an
    ``HTTPError`` carrying the answer's status), which the framework knows: a 5xx or 429
    is retried, a 4xx is not."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise ValueError("LicensingVendor needs the vendor API URL (config VENDOR_API_URL).")
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Optional[dict] = None,
              key: Optional[str] = None) -> Dict[str, Any]:
        answer = self.session.request(method, f"{self.base_url}{path}", json=body,
                                      headers=idempotency_headers(key), timeout=self.timeout)
        answer.raise_for_status()
        return answer.json() if answer.content else {}

    def create_customer(self, external_id: str, name: str, key: str) -> Dict[str, Any]:
        return self._call("POST", "/customers", {"external_id": external_id, "name": name}, key)

    def delete_customer(self, customer_id: str) -> None:
        self._call("DELETE", f"/customers/{customer_id}")

    def create_subscription(self, customer_id: str, external_id: str,
                            items: List[Dict[str, Any]], key: str) -> Dict[str, Any]:
        return self._call("POST", "/subscriptions", {
            "customer_id": customer_id, "external_id": external_id, "items": items}, key)

    def cancel_subscription(self, subscription_id: str) -> None:
        self._call("DELETE", f"/subscriptions/{subscription_id}")

    def assign_licences(self, subscription_id: str, items: List[Dict[str, Any]],
                        key: str) -> Dict[str, Any]:
        return self._call("POST", f"/subscriptions/{subscription_id}/licences",
                          {"items": items}, key)


class FakeLicensingVendor(FakeHTTPService):
    """The vendor, locally. ``effects`` counts the calls that did something, by what they
    did (``create_customer``, ``delete_customer``, ``create_subscription``,
    ``cancel_subscription``, ``assign_licences``), in ``log`` in order.

    Attributes:
        history: every customer and subscription ever made, by id (deleted ones too).
        refuse_licences: when set, licence assignments are refused with it (422).
        unavailable: how many of the next licence assignments answer 503.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.refuse_licences: Optional[str] = None
        self.unavailable = 0
        self.effects: collections.Counter = collections.Counter()
        self.log: List[tuple] = []
        self.customers: Dict[str, Dict[str, Any]] = {}
        self.subscriptions: Dict[str, Dict[str, Any]] = {}
        self.history: Dict[str, Dict[str, Any]] = {}  # everything ever made, by id
        self._ids = itertools.count(1)
        self._by_key: Dict[str, Dict[str, Any]] = {}  # idempotency key -> what it made
        self.route("POST", "/customers", self._create_customer)
        self.route("DELETE", r"/customers/(?P<cid>[^/]+)", self._delete_customer)
        self.route("POST", "/subscriptions", self._create_subscription)
        self.route("DELETE", r"/subscriptions/(?P<sid>[^/]+)", self._cancel_subscription)
        self.route("POST", r"/subscriptions/(?P<sid>[^/]+)/licences", self._assign_licences)

    def done_for(self, external_id: str) -> List[str]:
        """What was done, in order, for the subscription of the asset ``external_id`` and
        its customer."""
        ids = {id_ for made in self.history.values() if made.get("external_id") == external_id
               and "customer_id" in made for id_ in (made["id"], made["customer_id"])}
        return [entry[0] for entry in self.log if entry[1] in ids]

    def _did(self, what: str, *about: Any) -> None:
        self.effects[what] += 1
        self.log.append((what, *about))

    def _once(self, call: RecordedCall, make: Any) -> Answer:
        key = next((v for k, v in call.headers.items() if k.lower() == "idempotency-key"), None)
        if key and key in self._by_key:  # the same call again: the same answer
            return 200, self._by_key[key], {}
        made = make()
        if key:
            self._by_key[key] = made
        return 201, made, {}

    def _create_customer(self, call: RecordedCall) -> Answer:
        def make() -> Dict[str, Any]:
            customer = {"id": f"CUS-{next(self._ids):04d}", **call.body}
            self.customers[customer["id"]] = self.history[customer["id"]] = customer
            self._did("create_customer", customer["id"])
            return customer
        return self._once(call, make)

    def _delete_customer(self, call: RecordedCall, cid: str) -> Answer:
        if self.customers.pop(cid, None) is None:
            raise HTTPError(404, {"message": f"No customer {cid}"})
        self._did("delete_customer", cid)
        return 204, None, {}

    def _create_subscription(self, call: RecordedCall) -> Answer:
        def make() -> Dict[str, Any]:
            subscription = {"id": f"SUB-{next(self._ids):04d}", "licences": [], **call.body}
            self.subscriptions[subscription["id"]] = self.history[subscription["id"]] = subscription
            self._did("create_subscription", subscription["id"])
            return subscription
        return self._once(call, make)

    def _cancel_subscription(self, call: RecordedCall, sid: str) -> Answer:
        if self.subscriptions.pop(sid, None) is None:
            raise HTTPError(404, {"message": f"No subscription {sid}"})
        self._did("cancel_subscription", sid)
        return 204, None, {}

    def _assign_licences(self, call: RecordedCall, sid: str) -> Answer:
        if self.unavailable > 0:
            self.unavailable -= 1
            raise HTTPError(503, {"message": "Try again later"})
        if self.refuse_licences:
            raise HTTPError(422, {"message": self.refuse_licences})

        def make() -> Dict[str, Any]:
            subscription = self.subscriptions[sid]
            subscription["licences"] = [f"LIC-{next(self._ids):04d}"
                                        for _ in call.body["items"]]
            self._did("assign_licences", sid)
            return {"licences": subscription["licences"]}
        return self._once(call, make)
