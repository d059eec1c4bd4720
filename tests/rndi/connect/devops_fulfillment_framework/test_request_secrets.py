"""A secret of the request's own parameters (a ``password`` parameter, or one whose id is
a secret's name) is masked in every line the library writes about the event, as the
configuration's secrets are: the outcome line, the compensated traceback, and a validation
flow's outcome (a multi-step transaction's failed step: test_multistep.py)."""

import logging

from connect.eaas.core.responses import BackgroundResponse, ValidationResponse

from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.business_transactions.contracts import ValidationTransaction
from rndi.connect.devops_fulfillment_framework import Saga, ValidationFlow

LOGGER = logging.getLogger("tests.request_secrets")
PASSWORD = "ReqSecret99"
TOKEN = "tok-0123456789"
CONFIG_SECRET = "cfgSecret77"


def request_():
    return {"id": "PR-1", "type": "purchase", "status": "pending",
            "asset": {"id": "AS-1", "params": [
                {"id": "vendor_password", "type": "password", "value": PASSWORD},
                {"id": "api_token", "type": "text", "value": TOKEN},
                {"id": "plan", "type": "text", "value": "gold-plan"}]}}


def quoted(request):
    """What a vendor's error may quote: every parameter's value."""
    return ", ".join(p["value"] for p in request["asset"]["params"]) + " " + CONFIG_SECRET


class Rejected(BackgroundTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        try:
            raise ValueError({"body": quoted(request).encode()})
        except ValueError as e:
            raise RuntimeError(f"400 the vendor rejected: {quoted(request)}") from e

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class RejectedSaga(Saga):
    def transactions(self, request):
        return [Rejected]


def shown(caplog):
    return "\n".join(record.getMessage() for record in caplog.records)


def test_the_outcome_line_and_the_compensated_traceback_mask_the_requests_secrets(caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    request = request_()
    response = RejectedSaga.make({"API_KEY": CONFIG_SECRET}, None, LOGGER, request).resolve(
        request)
    assert response.status == "fail"
    text = shown(caplog)
    assert "answered fail (400 the vendor rejected: *********, *********, gold-plan " in text
    assert "raised RuntimeError" in text and "Traceback" in text
    assert "gold-plan" in text  # an ordinary parameter's value is no secret
    for secret in (PASSWORD, TOKEN, CONFIG_SECRET):
        assert secret not in text


class Check(ValidationTransaction):
    def should_execute(self, request):
        return True

    def execute(self, request):
        return ValidationResponse.fail(request, f"the vendor refused {quoted(request)}")


class Validate(ValidationFlow):
    def transactions(self, request):
        return [Check]


def test_a_validation_flows_outcome_masks_the_requests_secrets(caplog):
    caplog.set_level(logging.INFO, LOGGER.name)
    request = request_()
    Validate.make({"API_KEY": CONFIG_SECRET}, None, LOGGER, request).resolve(request)
    text = shown(caplog)
    assert "the vendor refused *********, *********, gold-plan" in text
    assert PASSWORD not in text and TOKEN not in text and CONFIG_SECRET not in text
