"""``Saga.check`` on a saga of 20 transactions, next to one event of the same saga
(``make()`` + ``resolve()``). check runs in CI and at start-up: it must stay in
milliseconds. Run: ``python benchmarks/check.py``.
"""

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _timing import microseconds, report
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga
from rndi.connect.request_offline_criteria.adapters import OfflineCriteria
from rndi.dicontainer.adapter import BaseServiceProvider

CONFIG = {"ACTIVATION_TEMPLATE": "TL-1", "CACHE_DRIVER": "none", "VENDOR_API_URL": "x",
          "VENDOR_API_KEY": "k", "RETRIES": "3"}
REQUEST = {"id": "PR-1", "type": "purchase", "status": "pending", "asset": {"id": "AS-1"}}


class Vendor:
    def __init__(self, url, key, retries):
        self.url, self.key, self.retries = url, key, retries


class VendorProvider(BaseServiceProvider):
    def provide_vendor(self, vendor_api_url, vendor_api_key, retries):
        return Vendor(vendor_api_url, vendor_api_key, retries)


class Step(BackgroundTransaction):
    def __init__(self, client, logger, cache, vendor, activation_template, timeout=10):
        self.vendor = vendor

    def should_execute(self, request):
        return type(self).__name__ == "Step19"

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


STEPS = [type(f"Step{i}", (Step,), {}) for i in range(20)]


class TwentySaga(Saga):
    providers = {**Saga.providers, "vendor": VendorProvider}

    def middlewares(self, request):
        return [OfflineCriteria]

    def transactions(self, request):
        return STEPS


def check():
    return TwentySaga.check(CONFIG, [REQUEST])


def one_event():
    return TwentySaga.make(CONFIG, None, logging.getLogger("bench")).resolve(REQUEST)


def main():
    assert check() == []
    assert one_event().status == "success"
    check_us = microseconds(check, number=200)
    event_us = microseconds(one_event, number=200)
    report("check(): 20 transactions, 1 request", check_us, event_us, "one event")
    print(f"check() takes {check_us / 1000:.2f} ms")


if __name__ == "__main__":
    main()
