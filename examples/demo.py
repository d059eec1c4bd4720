"""Process the sample purchase request end to end with the example extension.

A local Connect API stand-in serves ``fixtures/asset_purchase.json`` and a local fake
vendor provisions subscriptions; the extension runs with the embedded SQLite cache. The
request is delivered again and again, as Connect does after a reschedule, until it is
approved. Exits 0 only if it ends approved.
"""

import json
import logging
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "purchase_extension"))

from purchase_extension.extension import PurchaseExtension  # noqa: E402
from purchase_extension.vendor import FakeVendorAPI  # noqa: E402

from rndi.connect.testing import ConnectAPI  # noqa: E402

FIXTURE = HERE / "fixtures" / "asset_purchase.json"
SAGA_LOGGER = "rndi.connect.devops_fulfillment_framework.application"


class TransactionRecorder(logging.Handler):
    """Notes which transaction the saga selected for each delivery."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.names: list = []

    def emit(self, record: logging.LogRecord) -> None:
        self.names.append(getattr(record, "transaction", "?"))


def run(max_deliveries: int = 10, out=sys.stdout) -> str:
    """Deliver the request until it leaves ``pending``; return its final status."""
    recorder = TransactionRecorder()
    saga_logger = logging.getLogger(SAGA_LOGGER)
    saga_logger.addHandler(recorder)
    saga_logger.setLevel(logging.DEBUG)
    saga_logger.propagate = False  # the recorder reports the selection; no debug noise
    extension_logger = logging.getLogger("purchase-extension")
    with tempfile.TemporaryDirectory() as cache_dir, ConnectAPI([FIXTURE]) as connect, \
            FakeVendorAPI(provisioning_polls=1) as vendor:
        request_id = connect.asset_requests and next(iter(connect.asset_requests))
        config = {
            "ACTIVATION_TEMPLATE": "TL-662-440-096",
            "VENDOR_API_URL": vendor.url,
            "VENDOR_API_KEY": "demo-key",
            "CACHE_DRIVER": "sqlite",
            "CACHE_DIR": cache_dir,
        }
        print(f"Processing {request_id} (Connect stand-in {connect.endpoint}, "
              f"SQLite cache in {cache_dir})", file=out)
        for delivery in range(1, max_deliveries + 1):
            client = connect.client()
            request = client.requests[request_id].get()  # what Connect delivers
            if request["status"] != "pending":
                break
            connect_before, vendor_before = len(connect.calls), len(vendor.calls)
            extension = PurchaseExtension(client, extension_logger, config)
            response = extension.handle_purchase_request(request)
            chosen = recorder.names[-1] if recorder.names else "(none: middleware answered)"
            print(f"\ndelivery {delivery}: transaction {chosen!r} -> {response.status}"
                  + (f" ({response.output})" if response.output else ""), file=out)
            for line, call in zip(connect.api_calls()[connect_before:],
                                  connect.calls[connect_before:], strict=True):
                body = f" {json.dumps(call.body)}" if call.body is not None else ""
                print(f"    connect: {line}{body}", file=out)
            for call in vendor.calls[vendor_before:]:
                print(f"    vendor:  {call.method} {call.path}", file=out)
        final = connect.request(request_id)
    saga_logger.removeHandler(recorder)
    subscription = next((p.get("value") for p in final["asset"]["params"]
                         if p["id"] == "CAT_SUBSCRIPTION_ID"), None)
    print(f"\n{request_id} is {final['status']} (CAT_SUBSCRIPTION_ID={subscription})",
          file=out)
    return str(final["status"])


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="    log:     %(message)s",
                        stream=sys.stdout)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    return 0 if run() == "approved" else 1


if __name__ == "__main__":
    sys.exit(main())
