"""The purchase draft validation: Connect asks, while the customer fills in the order,
whether the ordering parameters are acceptable.

``CheckOrderType`` asks the vendor whether it offers the ``ORDER_TYPE`` the customer chose.
An order type it does not offer gets a ``value_error`` on the parameter (Connect shows it
next to the field) and the answer is still ``done``: the other validators run, so the
customer sees every error at once. When the vendor cannot be asked, the answer is
``fail``: nothing could be validated.
"""

from typing import Any

from connect.eaas.core.responses import ValidationResponse

from purchase_extension.saga import VendorServiceProvider
from purchase_extension.vendor import VendorClient, VendorError
from rndi.connect.business_objects.adapters import Request
from rndi.connect.business_transactions.contracts import ValidationTransaction
from rndi.connect.devops_fulfillment_framework import ValidationFlow

ORDER_TYPE_PARAM = "ORDER_TYPE"


class CheckOrderType(ValidationTransaction):
    def __init__(self, vendor: VendorClient, logger: Any) -> None:
        self.vendor = vendor
        self.logger = logger

    def name(self) -> str:
        return "Check order type"

    def execute(self, request: dict) -> ValidationResponse:
        asset = Request(request).asset()
        code = asset.param(ORDER_TYPE_PARAM, "value", default="") or ""
        if not code:
            error = "Choose an order type."
        else:
            try:
                offered = self.vendor.order_type(code)
            except VendorError as e:
                self.logger.warning("Cannot validate the order type: %s", e)
                return ValidationResponse.fail(
                    request, output=f"The vendor could not be asked about {code}: {e}")
            error = "" if offered else f"The vendor does not offer the order type {code}."
        asset.with_param(ORDER_TYPE_PARAM, code, value_error=error)
        if error:
            self.logger.info("Order type refused: %s", error)
        return ValidationResponse.done(request)


class PurchaseValidation(ValidationFlow):
    providers = {**ValidationFlow.providers, "vendor": VendorServiceProvider}

    def transactions(self, request: dict) -> list:
        return [CheckOrderType]
