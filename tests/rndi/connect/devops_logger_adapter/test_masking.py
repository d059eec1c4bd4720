"""mask_dictionary finds secrets in every shape they reach a log in."""

from collections import OrderedDict, namedtuple
from types import MappingProxyType

import pytest

from rndi.connect.devops_fulfillment_framework import ConfigurationServiceProvider, Saga
from rndi.connect.devops_logger_adapter import (
    is_secret_name,
    mask_dictionary,
    mask_url_credentials,
)
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


def test_any_mapping_named_tuples_and_tuples_are_walked_and_come_back_as_published():
    Credentials = namedtuple("Credentials", "user password")
    data = MappingProxyType({"nested": OrderedDict(token="t"),
                             "pair": Credentials({"user": "u"}, {"password": "p"}),
                             "plain": ({"secret": "s"}, 1)})
    masked = mask_dictionary(data)
    assert masked["nested"] == {"token": MASK}
    # the published function answers a list for a list or a tuple, named or not
    assert masked["pair"] == [{"user": "u"}, {"password": MASK}]
    assert masked["plain"] == [{"secret": MASK}, 1]
    assert mask_dictionary(("a", {"pwd": "x"})) == ["a", {"pwd": MASK}]


@pytest.mark.parametrize("key", [
    "password", "DB_PASSWD", "mysql_pwd", "ssh-passphrase", "client_secret", "X-Auth-Token",
    "aws_credentials", "Set-Cookie", "Authorization", "Proxy-Authorization",
    "API_KEY_PROD", "SECRET_KEY", "AWS_SECRET_ACCESS_KEY", "apikey", "apiKeys", "key",
    "signing_keys", "API_KEY ", "password ", " token",
])
def test_the_rule_masks_what_users_name_their_secrets(key):
    assert mask_dictionary({key: "S3cretPW", "host": "redis"}) == {key: MASK, "host": "redis"}


@pytest.mark.parametrize("key", ["keyboard", "KEYBOARD_LAYOUT", "host", "seats", "id",
                                 "hockey_team", "passenger"])
def test_the_rule_leaves_other_names_alone(key):
    assert mask_dictionary({key: "visible"}) == {key: "visible"}


def test_a_connect_parameter_of_type_password_is_masked_whatever_its_id():
    params = [{"id": "vendor_login", "type": "password", "value": "S3cretPW",
               "structured_value": {"p": "S3cretPW"}, "title": "Login"},
              {"id": "vendor_login_name", "type": "text", "value": "alice"}]
    assert mask_dictionary(params) == [
        {"id": "vendor_login", "type": "password", "value": MASK, "structured_value": MASK,
         "title": "Login"},
        {"id": "vendor_login_name", "type": "text", "value": "alice"}]


@pytest.mark.parametrize(("text", "masked"), [
    ("redis://alice:S3cretPW@cache:6379/0", f"redis://alice:{MASK}@cache:6379/0"),
    ("rediss://:S3cretPW@cache", f"rediss://:{MASK}@cache"),
    ("see https://bob:S3c@retPW@vendor.example/api?x=1 and ftp://u:p2@h",
     f"see https://bob:{MASK}@vendor.example/api?x=1 and ftp://u:{MASK}@h"),
    ("https://vendor.example/a:b@c", "https://vendor.example/a:b@c"),  # not in the netloc
    ("https://user@vendor.example", "https://user@vendor.example"),
])
def test_the_password_inside_a_url_is_masked_in_any_string(text, masked):
    assert mask_dictionary({"url": text, "notes": [text]}) == {"url": masked, "notes": [masked]}
    assert mask_dictionary(text) == masked
    assert mask_url_credentials(text) == masked


def test_nesting_thousands_deep_is_masked_without_recursion():
    depth = 5_000
    data: dict = {"password": "S3cretPW", "list": []}
    for level in range(depth):
        data = {"child": data, "level": level}
    masked = mask_dictionary(data)
    for level in reversed(range(depth)):
        assert masked["level"] == level
        masked = masked["child"]
    assert masked == {"password": MASK, "list": []}
    deep_list: list = ["redis://u:S3cretPW@h"]
    for _ in range(depth):
        deep_list = [deep_list]
    masked_list = mask_dictionary(deep_list)
    for _ in range(depth):
        (masked_list,) = masked_list
    assert masked_list == [f"redis://u:{MASK}@h"]


def test_is_secret_name_is_the_rule():
    assert is_secret_name("VENDOR_API_KEY") and is_secret_name("Cookie")
    assert not is_secret_name("VENDOR_API_URL") and not is_secret_name(42)


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
