import logging
from unittest.mock import Mock

import pytest

from rndi.connect.devops_logger_adapter import (
    ExtensionLoggerAdapter,
    WithBoundedLogger,
    bind_logger,
    mask_dictionary,
    request_model,
)

LOGGER = logging.getLogger("tests.devops_logger")


def test_bound_logger_prefixes_the_request_id_and_sets_fields(asset_purchase, caplog):
    logger = bind_logger(LOGGER, asset_purchase)
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        logger.info("Ordering %s seats.", 10)
    (record,) = caplog.records
    assert record.getMessage() == "PR-8790-0160-2196-001 Ordering 10 seats."
    assert (record.request_id, record.request_type, record.request_status, record.asset_id) == (
        "PR-8790-0160-2196-001", "purchase", "pending", "AS-8790-0160-2196")
    assert record.tier_id == "TA-1188-9782-5267"  # the customer


def test_bound_fields_win_over_a_call_extra_that_is_left_unchanged(asset_purchase, caplog):
    call_extra = {"request_id": "spoofed", "step": "create"}
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        bind_logger(LOGGER, asset_purchase).info("x", extra=call_extra)
    (record,) = caplog.records
    assert (record.request_id, record.step) == ("PR-8790-0160-2196-001", "create")
    assert call_extra == {"request_id": "spoofed", "step": "create"}


def test_tier_config_requests_carry_the_tier_config_id(tier_config_setup, caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        bind_logger(LOGGER, tier_config_setup).info("x")
    assert caplog.records[0].tier_config_id == "TC-000-000-001"
    assert caplog.records[0].tier_id == tier_config_setup["configuration"]["account"]["id"]
    assert not hasattr(caplog.records[0], "asset_id")


def test_an_adapter_keeps_its_extra_whatever_it_holds(asset_purchase, caplog):
    runner_adapter = logging.LoggerAdapter(LOGGER, {"task_id": "TQ-1", "anything": [1, 2]})
    logger = bind_logger(runner_adapter, asset_purchase)
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        logger.info("hello", extra={"step": "create"})
    (record,) = caplog.records
    assert (record.task_id, record.anything, record.step) == ("TQ-1", [1, 2], "create")
    assert record.request_id == "PR-8790-0160-2196-001"
    assert logger.logger is LOGGER


def test_an_adapter_with_no_extra_works(asset_purchase, caplog):
    logger = bind_logger(logging.LoggerAdapter(LOGGER, None), asset_purchase)
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        logger.info("ok")
    assert caplog.records[0].getMessage() == "PR-8790-0160-2196-001 ok"


def test_rebinding_replaces_the_request(asset_purchase, tier_config_setup, caplog):
    logger = bind_logger(bind_logger(LOGGER, asset_purchase), tier_config_setup)
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        logger.info("again")
    assert caplog.records[0].getMessage() == "TCR-000-000-000-001 again"


def test_a_custom_adapter_is_wrapped_not_unwrapped(asset_purchase, caplog):
    class Shouting(logging.LoggerAdapter):
        def process(self, msg, kwargs):
            return msg.upper(), kwargs

    logger = bind_logger(Shouting(LOGGER, {}), asset_purchase)
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        logger.info("quiet")
    assert caplog.records[0].getMessage() == "PR-8790-0160-2196-001 QUIET"


def test_unbound_adapter_leaves_messages_alone(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        ExtensionLoggerAdapter(LOGGER, {}).info("plain")
    assert caplog.records[0].getMessage() == "plain"


def test_bind_logger_leaves_what_it_cannot_bind_as_it_is(asset_purchase):
    double = Mock()
    assert bind_logger(double, asset_purchase) is double  # a logger-like test double
    assert bind_logger(LOGGER, "PR-1") is LOGGER          # no request dict to bind
    assert bind_logger(LOGGER, None) is LOGGER


def test_an_adapter_over_a_logger_like_object_is_bound(asset_purchase):
    double = Mock()
    bound = bind_logger(logging.LoggerAdapter(double, {"task_id": "TQ-1"}), asset_purchase)
    assert bound.logger is double
    assert bound.extra["task_id"] == "TQ-1"
    assert bound.extra["request_id"] == "PR-8790-0160-2196-001"


def test_a_saga_made_with_a_mock_logger_still_resolves():
    from unittest.mock import MagicMock

    from connect.eaas.core.responses import BackgroundResponse

    from rndi.connect.devops_fulfillment_framework import Saga

    class Done(Saga):
        def transactions(self, request):
            return [("done", lambda r: True, lambda r: BackgroundResponse.done())]

    request = {"id": "PR-1", "type": "purchase"}
    assert Done.make({}, None, MagicMock(), request).resolve(request).status == "success"


def test_masked_secrets_never_reach_the_log_output(caplog):
    payload = {"user": "alice", "password": "hunter2-secret",
               "auth": {"Api_Key": "ApiKey SU-123:abcdef", "scopes": ["read"]},
               "vendors": [{"token": "tok-987654"}, {"name": "acme"}]}
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        LOGGER.info("Calling vendor with %s", mask_dictionary(payload))
    text = caplog.text
    for secret in ("hunter2-secret", "SU-123:abcdef", "tok-987654"):
        assert secret not in text
    assert "alice" in text and "acme" in text and "read" in text
    assert payload["password"] == "hunter2-secret"  # the original is untouched


def test_mask_dictionary_with_explicit_keys_adds_them_to_the_rule():
    masked = mask_dictionary({"Customer_Id": "C-1", "password": "p", "seats": 3,
                              "list": ({"customer_id": 2},)}, ["customer_id"])
    assert masked == {"Customer_Id": "*********", "password": "*********", "seats": 3,
                      "list": [{"customer_id": "*********"}]}


def test_with_bounded_logger_mixin(asset_purchase, caplog):
    class Transaction(WithBoundedLogger):
        def __init__(self, logger):
            self.logger = logger

    transaction = Transaction(LOGGER)
    bound = transaction.bind_logger(asset_purchase)
    assert transaction.logger is bound
    with caplog.at_level(logging.INFO, logger=LOGGER.name):
        transaction.logger.info("mixin")
    assert caplog.records[0].getMessage().startswith("PR-8790-0160-2196-001 ")


def test_request_model_is_exported(asset_purchase):
    assert request_model(asset_purchase) == "asset"


@pytest.mark.parametrize(("request_dict", "model"), [
    ({"type": "purchase"}, "asset"),  # decided by the type when no member says it
    ({"type": "cancel"}, "asset"),
    ({"type": "setup"}, "tier-config"),
    ({"type": "update"}, "undefined"),
    ({"type": "adjustment", "configuration": {"id": "TC-1"}}, "tier-config"),  # the member
    ({"type": "mystery", "asset": {"id": "AS-1"}}, "asset"),
    ({}, "undefined"),
])
def test_the_logger_decides_the_model_by_the_member_else_the_type(request_dict, model):
    assert request_model(request_dict) == model

