"""mask_dictionary finds secrets in every shape they reach a log in."""

from collections import OrderedDict, namedtuple
from types import MappingProxyType

import pytest

from rndi.connect.devops_fulfillment_framework import ConfigurationServiceProvider, Saga
from rndi.connect.devops_logger_adapter import mask_dictionary
from rndi.dicontainer import BaseServiceProvider, Container, InvalidBinding

MASK = "*********"


def test_connect_parameters_are_masked_by_their_id():
    request = {"asset": {"params": [
        {"id": "password", "value": "pw", "title": "Password"},
        {"id": "admin_api_key", "structured_value": {"k": "v"}},
        {"id": "seats", "value": "10"},
    ]}}
    params = mask_dictionary(request)["asset"]["params"]
    assert params[0] == {"id": "password", "value": MASK, "title": "Password"}
    assert params[1] == {"id": "admin_api_key", "structured_value": MASK}
    assert params[2] == {"id": "seats", "value": "10"}


@pytest.mark.parametrize("key", ["CACHE_REDIS_PASSWORD", "X-Api-Key", "Authorization",
                                 "vendor_client_secret", "ACCESS-TOKEN"])
def test_keys_are_matched_ignoring_case_separators_and_prefixes(key):
    assert mask_dictionary({key: "S3cretPW", "host": "redis"}) == {key: MASK, "host": "redis"}


def test_a_single_name_is_one_name_not_its_letters():
    assert mask_dictionary({"pin": "1234", "p": "x", "i": "y"}, "pin") == {
        "pin": MASK, "p": "x", "i": "y"}


def test_any_mapping_named_tuples_and_tuples_are_walked():
    Credentials = namedtuple("Credentials", "user password")
    data = MappingProxyType({"nested": OrderedDict(token="t"),
                             "pair": Credentials({"user": "u"}, {"password": "p"}),
                             "plain": ({"secret": "s"}, 1)})
    masked = mask_dictionary(data)
    assert masked["nested"] == {"token": MASK}
    assert masked["pair"] == Credentials({"user": "u"}, {"password": MASK})
    assert masked["plain"] == ({"secret": MASK}, 1)


def test_a_structure_that_contains_itself_is_cut_not_recursed_forever():
    data = {"password": "p", "items": []}
    data["self"] = data
    data["items"].append(data["items"])
    masked = mask_dictionary(data)
    assert masked["password"] == MASK and masked["self"] == "<cycle>"
    assert masked["items"] == ["<cycle>"]
    assert data["password"] == "p"  # the input is left alone


def test_the_mask_has_a_fixed_width():
    assert mask_dictionary({"password": "x"}) == mask_dictionary({"password": "x" * 40})


def test_errors_name_the_type_never_the_value():
    class Providerless(Saga):
        def transactions(self, request):
            return []

    checks = [
        lambda: BaseServiceProvider({"api_key": "sk-S3cretPW"}),
        lambda: Container([BaseServiceProvider({"api_key": {"to_class": "sk-S3cretPW"}})]),
        lambda: ConfigurationServiceProvider(["API_KEY=sk-S3cretPW"]),
        lambda: Providerless.make({}, None, None).resolve(["sk-S3cretPW"]),
        lambda: Providerless(["sk-S3cretPW"]),
    ]
    for check in checks:
        with pytest.raises((TypeError, InvalidBinding)) as error:
            check()
        assert "S3cretPW" not in str(error.value)
