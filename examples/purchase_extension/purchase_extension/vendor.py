"""The vendor system the example provisions subscriptions in, and a local fake of it.

A real extension has a client for its vendor's API like ``VendorClient``; tests and the
demo run ``FakeVendorAPI`` on 127.0.0.1 in place of the vendor.
"""

import itertools
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import quote

import requests

from rndi.connect.testing.http import Answer, FakeHTTPService, HTTPError, RecordedCall


class VendorError(Exception):
    """The vendor API refused a call (``permanent``) or could not be reached."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        """A 4xx answer: asking again will not help, the order itself is wrong."""
        return self.status is not None and 400 <= self.status < 500


def idempotency_headers(key: Optional[str]) -> Dict[str, str]:
    return {"Idempotency-Key": key} if key else {}


class VendorClient:
    """A minimal vendor API client; one instance serves one event."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 10.0) -> None:
        if not base_url:
            raise ValueError("VendorClient needs the vendor API URL (config VENDOR_API_URL).")
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {api_key}"
        self.timeout = timeout
        self._subscriptions: Dict[str, Dict[str, Any]] = {}

    def _call(self, method: str, path: str, body: Optional[dict] = None,
              headers: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        try:
            answer = self.session.request(method, f"{self.base_url}{path}", json=body,
                                          headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            raise VendorError(f"Vendor API unreachable: {e}") from e
        if answer.status_code >= 400:
            message = answer.json().get("message", answer.text) if answer.content else ""
            raise VendorError(f"Vendor API refused {method} {path}: {message}",
                              answer.status_code)
        return answer.json()

    def find_or_create_customer(self, external_id: str, name: str, email: str) -> Dict[str, Any]:
        """The vendor customer for a Connect tier account (created on first use)."""
        return self._call("POST", "/customers",
                          {"external_id": external_id, "name": name, "email": email})

    def create_subscription(self, customer_id: str, external_id: str,
                            items: List[Dict[str, Any]],
                            idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Order a subscription; the vendor provisions it asynchronously. An order sent
        again with the same ``idempotency_key`` answers the first one's subscription."""
        return self._call("POST", "/subscriptions",
                          {"customer_id": customer_id, "external_id": external_id,
                           "items": items}, idempotency_headers(idempotency_key))

    def renew_subscription(self, subscription_id: str,
                           idempotency_key: Optional[str] = None) -> Dict[str, Any]:
        """Renew a subscription for another term; a renewal sent again with the same
        ``idempotency_key`` answers the first one instead of adding a term."""
        return self._call("POST", f"/subscriptions/{quote(subscription_id, safe='')}/renew",
                          {}, idempotency_headers(idempotency_key))

    def _lookup(self, path: str) -> Optional[Dict[str, Any]]:
        """What the vendor has at ``path``; ``None`` when it answers 404."""
        try:
            return self._call("GET", path)
        except VendorError as e:
            if e.status == 404:
                return None
            raise

    def order_type(self, code: str) -> Optional[Dict[str, Any]]:
        """The order type ``code`` as the vendor offers it; ``None`` when it offers none."""
        return self._lookup(f"/order-types/{quote(code, safe='')}")

    def customer(self, customer_id: str) -> Optional[Dict[str, Any]]:
        """A vendor customer by its vendor id; ``None`` when the vendor has no such one."""
        return self._lookup(f"/customers/{quote(customer_id, safe='')}")

    def subscription(self, subscription_id: str) -> Dict[str, Any]:
        """A subscription, read once per event however many transactions ask."""
        if subscription_id not in self._subscriptions:
            self._subscriptions[subscription_id] = self._call(
                "GET", f"/subscriptions/{subscription_id}")
        return self._subscriptions[subscription_id]


def _idempotency_key(call: RecordedCall) -> Optional[str]:
    return next((value for name, value in call.headers.items()
                 if name.lower() == "idempotency-key"), None)


class FakeVendorAPI(FakeHTTPService):
    """The vendor, locally: customers, subscriptions active after a few status reads, the
    order types it offers.

    Args:
        provisioning_polls: how many status reads a subscription stays ``provisioning``.
        reject_reason: when set, every subscription order is refused with it (422).
        order_types: the order type codes the vendor offers.
    """

    def __init__(self, provisioning_polls: int = 1, reject_reason: Optional[str] = None,
                 order_types: Iterable[str] = ("ASC", "DESC", "RANDOM"),
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.provisioning_polls = provisioning_polls
        self.reject_reason = reject_reason
        self.order_types = set(order_types)
        self.customers: Dict[str, Dict[str, Any]] = {}
        self.subscriptions: Dict[str, Dict[str, Any]] = {}
        self._orders: Dict[str, str] = {}  # idempotency key -> subscription id
        self._renewals: Dict[str, int] = {}  # idempotency key -> the term it added
        # numbered like a real vendor: each kind of record has its own sequence
        self._customer_ids = itertools.count(1)
        self._subscription_ids = itertools.count(1)
        self.route("POST", "/customers", self._customer)
        self.route("GET", r"/customers/(?P<customer_id>[^/]+)", self._find_customer)
        self.route("GET", r"/order-types/(?P<code>[^/]+)", self._order_type)
        self.route("POST", "/subscriptions", self._order)
        self.route("GET", r"/subscriptions/(?P<subscription_id>[^/]+)", self._status)
        self.route("POST", r"/subscriptions/(?P<subscription_id>[^/]+)/renew", self._renew)

    def _customer(self, call: RecordedCall) -> Answer:
        external_id = call.body["external_id"]
        if external_id not in self.customers:
            self.customers[external_id] = {"id": f"CUS-{next(self._customer_ids):04d}", **call.body}
        return 200, self.customers[external_id], {}

    def _find_customer(self, call: RecordedCall, customer_id: str) -> Answer:
        for customer in self.customers.values():
            if customer["id"] == customer_id:
                return 200, customer, {}
        raise HTTPError(404, {"message": f"No customer {customer_id}"})

    def _order_type(self, call: RecordedCall, code: str) -> Answer:
        if code not in self.order_types:
            raise HTTPError(404, {"message": f"No order type {code}"})
        return 200, {"code": code}, {}

    def _order(self, call: RecordedCall) -> Answer:
        if self.reject_reason:
            raise HTTPError(422, {"message": self.reject_reason})
        key = _idempotency_key(call)
        if key in self._orders:  # the same order again: the same subscription
            return 200, self.subscriptions[self._orders[key]], {}
        subscription = {"id": f"SUB-{next(self._subscription_ids):04d}", "status": "provisioning",
                        "polls": 0, **call.body}
        self.subscriptions[subscription["id"]] = subscription
        if key:
            self._orders[key] = subscription["id"]
        return 201, subscription, {}

    def _renew(self, call: RecordedCall, subscription_id: str) -> Answer:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise HTTPError(404, {"message": f"No subscription {subscription_id}"})
        if subscription["status"] != "active":
            raise HTTPError(409, {"message": f"Subscription {subscription_id} is "
                                             f"{subscription['status']}, not active"})
        key = _idempotency_key(call)
        if key not in self._renewals:  # the same renewal again adds no term
            subscription["term"] = subscription.get("term", 1) + 1
            if key:
                self._renewals[key] = subscription["term"]
        return 200, subscription, {}

    def _status(self, call: RecordedCall, subscription_id: str) -> Answer:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise HTTPError(404, {"message": f"No subscription {subscription_id}"})
        subscription["polls"] += 1
        if subscription["polls"] > self.provisioning_polls:
            subscription["status"] = "active"
        return 200, subscription, {}
