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


class TransactionRecorder(logging.Handler):
    """Notes the transaction the saga ran for each delivery: the saga logs its name and
    outcome at INFO through the extension's logger, bound to the request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.names: list = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "transaction"):
            self.names.append(record.transaction)


def run(max_deliveries: int = 10, out=sys.stdout) -> str:
    """Deliver the request until it leaves ``pending``; return its final status."""
    recorder = TransactionRecorder()
    extension_logger = logging.getLogger("purchase-extension")
    extension_logger.addHandler(recorder)
    level = extension_logger.level
    extension_logger.setLevel(logging.INFO)  # the saga's line per delivery is at INFO
    with tempfile.TemporaryDirectory() as cache_dir, ConnectAPI([FIXTURE]) as connect, \
            FakeVendorAPI(provisioning_polls=1) as vendor:
        request_id = next(iter(connect.asset_requests))
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
            print(f"\ndelivery {delivery}:", file=out, flush=True)  # before its log lines
            connect_before, vendor_before = len(connect.calls), len(vendor.calls)
            ran_before = len(recorder.names)
            extension = PurchaseExtension(client, extension_logger, config)
            response = extension.handle_purchase_request(request)
            for line, call in zip(connect.api_calls()[connect_before:],
                                  connect.calls[connect_before:], strict=True):
                body = f" {json.dumps(call.body)}" if call.body is not None else ""
                print(f"    connect: {line}{body}", file=out)
            for call in vendor.calls[vendor_before:]:
                print(f"    vendor:  {call.method} {call.path}", file=out)
            ran = recorder.names[ran_before:]
            chosen = repr(ran[-1]) if ran else "(none: a middleware answered)"
            print(f"    result:  transaction {chosen} -> {response.status}"
                  + (f" ({response.output})" if response.output else ""), file=out)
        final = connect.request(request_id)
    extension_logger.removeHandler(recorder)
    extension_logger.setLevel(level)
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
