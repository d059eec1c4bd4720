"""One masking rule for every line the library writes: the outcome line, the traceback
under it, business-object errors, command output and the cache and offline error lines."""

import json
import logging
import threading
from urllib.parse import quote, urlencode

import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.cache.provider import provide_cache
from rndi.connect.business_objects import (
    Asset,
    MissingItemError,
    MissingParameterError,
    Request,
    TierConfiguration,
)
from rndi.connect.business_transactions import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework import Saga
from rndi.connect.devops_fulfillment_framework.cli import _redactor
from rndi.connect.devops_logger_adapter import is_secret_name, mask_dictionary
from rndi.connect.devops_logger_adapter._secrets import (
    config_secrets,
    mask_text,
    text_masker,
    url_values,
)
from rndi.connect.request_offline_criteria.adapters import DefaultOnMatchTransaction

MASK = "*********"
CONFIG = {
    "API_KEY": "Ab1-key",
    "API_KEY_NEXT": "Ab1-key-NEXT-7",  # the first one is a prefix of this one
    "VENDOR_PASSWORD": 'pa"ss\\wörd',  # a quote, a backslash, a non-ASCII letter
    "VENDOR_PIN_SECRET": 482913,  # a number
    "HOST": "vendor.example",
}
SECRETS = ("Ab1-key", "NEXT-7", "482913", 'pa"ss', 'pa\\"ss', "wörd", "w\\u00f6rd")


def shows_no_secret(text):
    return not any(secret in text.replace(MASK, "") for secret in SECRETS)


@pytest.mark.parametrize("shown", [
    "Ab1-key-NEXT-7 then Ab1-key",
    "pin 482913",
    repr('pa"ss\\wörd'),
    json.dumps('pa"ss\\wörd'),
    json.dumps('pa"ss\\wörd', ensure_ascii=False),
    "https://vendor.example/v1?api_key=Ab1-key-NEXT-7&user=me",
])
def test_every_rendering_of_a_secret_config_value_is_masked(shown):
    masked = text_masker(CONFIG)(shown)
    assert shows_no_secret(masked), masked
    assert MASK in masked


def test_a_longer_secret_is_masked_before_the_secret_it_starts_with():
    assert text_masker(CONFIG)("Ab1-key-NEXT-7") == MASK
    secrets = config_secrets(CONFIG)
    assert secrets.index("Ab1-key-NEXT-7") < secrets.index("Ab1-key")


def test_values_after_a_secret_name_are_masked_without_any_config():
    line = ('GET /v1?api_key=S3cr3t&page=2 {"password": "hunter2"} '
            "Authorization: Bearer eyJabc token=xyz1 host=vendor.example")
    masked = mask_text(line)
    assert "S3cr3t" not in masked and "hunter2" not in masked
    assert "eyJabc" not in masked and "xyz1" not in masked
    assert "page=2" in masked and "host=vendor.example" in masked
    assert "https://user:*********@host/" in mask_text("https://user:pw@host/")


def test_short_and_ordinary_values_are_left_alone():
    masked = text_masker({"API_KEY": "abc", "HOST": "vendor.example", "FLAG": True})(
        "abc vendor.example True")
    assert masked == "abc vendor.example True"


class Failing(BackgroundTransaction):
    def __init__(self, api_key, vendor_password, vendor_pin_secret):
        self.secrets = (api_key, vendor_password, vendor_pin_secret)

    def should_execute(self, request):
        return True

    def execute(self, request):
        key, password, pin = self.secrets
        raise RuntimeError(f"401 https://vendor.example/v1?api_key={key}&x=1 {password!r} "
                           f"{json.dumps(password)} pin {pin} next Ab1-key-NEXT-7")

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))  # the documentation's own pattern


class FailingSaga(Saga):
    def transactions(self, request):
        return [Failing]


def test_the_outcome_line_and_the_traceback_under_it_show_no_secret(caplog):
    logger = logging.getLogger("tests.masking.rule")
    request = {"id": "PR-1", "type": "purchase", "status": "pending"}
    with caplog.at_level(logging.INFO, logger="tests.masking.rule"):
        response = FailingSaga.make(CONFIG, object(), logger, request).resolve(request)
    assert response.status == "fail"
    lines = [record.getMessage() for record in caplog.records]
    assert any("answered fail (401" in line for line in lines)
    assert any("Traceback" in line for line in lines)
    for line in lines:
        assert shows_no_secret(line), line


def test_business_object_errors_name_the_key_and_the_id_never_a_value():
    asset = {"id": "AS-1", "params": [{"id": "PASSWORD", "value": "hunter2"}],
             "items": [{"id": "SKU-1", "params": [{"id": "p", "value": "hunter2"}]}]}
    errors = []
    for read in (lambda: Asset(asset).param("NOPE"),
                 lambda: Asset(asset).item("SKU-9"),
                 lambda: Asset(asset).item_param("SKU-1", "NOPE"),
                 lambda: Asset(asset).with_param("NOPE", "x", create=False),
                 lambda: Request({"id": "PR-1", "asset": asset}).asset().param("NOPE"),
                 lambda: TierConfiguration({"configuration": {"params": []}})
                 .configuration_param("NOPE")):
        with pytest.raises((MissingParameterError, MissingItemError)) as raised:
            read()
        errors.append(str(raised.value))
    assert errors[0] == "Missing parameter NOPE in Asset AS-1."
    assert errors[1] == "Missing item SKU-9 in Asset AS-1."
    assert errors[2] == "Missing parameter NOPE in item SKU-1 of Asset AS-1."
    assert errors[5] == "Missing parameter NOPE in the configuration of TierConfiguration " \
                        "without id."
    assert all("hunter2" not in error for error in errors)


def test_a_listed_key_that_is_no_string_is_masked():
    assert mask_dictionary({1: "pin", 2: "seats", "1": "text"}, [1]) == {
        1: MASK, 2: "seats", "1": "text"}


def test_one_name_that_is_no_string_is_refused_saying_what_is_taken():
    with pytest.raises(TypeError, match=r"a name or a list of names to mask, got a int; "
                                        r"pass \[name\] for one"):
        mask_dictionary({1: "pin"}, 1)


def test_command_output_follows_the_rule_and_masks_long_ordinary_values_too():
    redact = _redactor({**CONFIG, "VENDOR_URL": "https://vendor.example/v1"})
    assert shows_no_secret(redact("Ab1-key-NEXT-7 482913 " + json.dumps('pa"ss\\wörd')))
    assert redact("https://vendor.example/v1") == MASK


def test_a_cache_driver_that_fails_to_start_is_logged_masked(caplog):
    config = {"CACHE_DRIVER": "boom", "BOOM_PASSWORD": "s3cr3t-pw"}

    def boom(config):
        raise ValueError(f"cannot log in with {config['BOOM_PASSWORD']}")

    logger = logging.getLogger("tests.masking.cache")
    with caplog.at_level(logging.ERROR, logger="tests.masking.cache"):
        provide_cache(config, logger, {"boom": boom})
    assert "failed to start" in caplog.text and "s3cr3t-pw" not in caplog.text


def test_a_failed_offline_approval_is_logged_masked(caplog):
    logger = logging.getLogger("tests.masking.offline")
    transaction = DefaultOnMatchTransaction("TL-1", object(), logger)
    with caplog.at_level(logging.ERROR, logger="tests.masking.offline"):
        transaction.compensate({"id": "PR-1"}, RuntimeError("401 for ?api_key=S3cr3t"))
    assert "api_key=*********" in caplog.text and "S3cr3t" not in caplog.text


def test_the_values_a_url_carries_are_its_credentials_and_its_options_values():
    url = "rediss://ann:pa%2Fss@cache.example:6380/2?ssl_cert_reqs=hun%20ter&timeout=&x=1"
    # x=1: a number, which no secret is made of
    assert url_values(url) == sorted({"ann", "pa%2Fss", "pa/ss", "hun%20ter", "hun ter"})
    assert url_values("redis://cache.example:6379/0") == []
    assert url_values("redis://[::1") == []  # unreadable: nothing known to mask


def test_values_given_besides_the_config_are_masked_in_every_rendering():
    value = "hun\\ter"  # a backslash: repr() doubles it
    mask = text_masker(also=[value, "abc"])
    assert mask(f"flag {value}, or {value!r}") == f"flag {MASK}, or '{MASK}'"
    assert mask("abc stays: too short to be a secret") == "abc stays: too short to be a secret"


@pytest.mark.parametrize("awaited", [False, True])
def test_a_redis_error_quoting_a_value_of_the_url_is_logged_masked(awaited, caplog):
    import asyncio

    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    from rndi.cache.exceptions import CacheUnavailable

    # redis-py refuses the flag quoting it: "Invalid SSL Certificate Requirements Flag: ..."
    url = "rediss://127.0.0.1:1/0?ssl_cert_reqs=hunter2-flag"
    cache = RedisCacheAdapter(url=url, prefix="masking:", socket_timeout=0.5, retry_after=0)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        if awaited:  # a lookup tells its caller that what the key holds is unknown
            with pytest.raises(CacheUnavailable):
                asyncio.run(cache.alookup("k"))
        else:
            assert cache.get("k") is None
    assert "Requirements Flag" in caplog.text or "ssl_cert_reqs" in caplog.text
    assert "hunter2-flag" not in caplog.text


def _messages_along(error):
    """The messages of ``error`` and of every error behind it (its cause, its context)."""
    messages, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        messages.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return messages


@pytest.mark.parametrize("awaited", [False, True])
def test_a_value_redis_py_decodes_twice_is_masked_as_it_quotes_it(awaited, caplog):
    import asyncio

    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    from rndi.cache.exceptions import CacheUnavailable

    # redis-py reads an option's value %-decoded twice: %2541 is quoted as "A"
    url = "rediss://127.0.0.1:1/0?ssl_cert_reqs=hun%2541ter2"
    assert "hunAter2" in url_values(url)
    cache = RedisCacheAdapter(url=url, prefix="masking:", socket_timeout=0.5, retry_after=0)
    with caplog.at_level(logging.ERROR, logger="rndi.cache"):
        if awaited:
            with pytest.raises(CacheUnavailable):
                asyncio.run(cache.alookup("k"))
        else:
            assert cache.get("k") is None
    assert "Requirements Flag" in caplog.text
    assert "hunAter2" not in caplog.text


@pytest.mark.parametrize("awaited", [False, True])
def test_the_error_behind_a_cache_unavailable_quotes_no_value_of_the_url(awaited):
    import asyncio

    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter
    from rndi.cache.exceptions import CacheUnavailable

    # what a transaction's compensate or a span shows of it: its traceback, causes included
    url = "rediss://127.0.0.1:1/0?ssl_cert_reqs=hunter2-flag"
    cache = RedisCacheAdapter(url=url, prefix="masking:", socket_timeout=0.5, retry_after=0)
    lookup = (lambda: asyncio.run(cache.alookup("k"))) if awaited else (lambda: cache.lookup("k"))
    with pytest.raises(CacheUnavailable) as raised:
        lookup()
    told = "\n".join(_messages_along(raised.value))
    assert "Requirements Flag" in told  # the cause is kept, masked
    assert "hunter2-flag" not in told



def test_an_error_that_cannot_say_less_is_no_cause_of_a_cache_unavailable():
    import redis

    from rndi.cache.adapters.redis.adapter import RedisCacheAdapter

    cache = RedisCacheAdapter(url="redis://127.0.0.1:1/0?client_name=hunter2-name",
                              prefix="masking:")
    error = redis.ConnectionError("quoting hunter2-name")
    assert cache._masked(error) is error and str(error) == "quoting *********"
    # an OSError's text is made of its errno and strerror: raised without the cause
    assert cache._masked(OSError(111, "quoting hunter2-name")) is None

def test_option_values_no_secret_is_made_of_do_not_garble_a_line():
    url = ("rediss://10.0.3.7:6380/0?socket_connect_timeout=10.0&ssl_cert_reqs=required"
           "&ssl_check_hostname=true&ssl_password=12345678&client_name=worker-7")
    mask = text_masker(also=url_values(url))
    refused = "Error 111 connecting to 10.0.3.7:6380. Connection refused."
    assert mask(refused) == refused
    assert mask("NOAUTH Authentication required.") == "NOAUTH Authentication required."
    assert mask("true or not") == "true or not"
    # a secret option's value is masked, a number too; any other option's value is
    assert mask("key file 12345678, client worker-7") == f"key file {MASK}, client {MASK}"


@pytest.mark.parametrize("line", [
    "RuntimeError: api_key: sk-live-S3cretPW",
    "ValueError: the vendor refused; token=sk-live-S3cretPW",
    "config: password: sk-live-S3cretPW",
    "error=api_key=sk-live-S3cretPW",
], ids=["after-an-error-type", "after-a-word", "after-another-pair", "pair-in-a-pair"])
def test_a_secret_pair_right_after_another_name_and_colon_is_masked(line):
    assert "S3cretPW" not in text_masker()(line)
    assert text_masker()(line).endswith(MASK)


def test_a_name_that_is_no_secret_keeps_its_value_when_a_pair_follows():
    assert text_masker()("status: pending, api_key: x1y2z3") == (
        f"status: pending, api_key: {MASK}")
# a secret with what each encoding changes: a space, a slash, a plus, a quote, non-ASCII
ENCODED = {"API_TOKEN": "s3 cr/e+t'ö-99"}
ENCODED_PARTS = ("s3 cr", "s3+cr", "s3%20cr", "cr/e", "cr%2Fe", "e+t", "e%2Bt")


@pytest.mark.parametrize("shown", [
    "GET /v1?" + urlencode({"q": ENCODED["API_TOKEN"]}),  # a query string: + for a space
    "GET /v1/" + quote(ENCODED["API_TOKEN"]),  # a path: the slash kept
    "GET /v1/" + quote(ENCODED["API_TOKEN"], safe=""),
    str(ENCODED["API_TOKEN"].encode()),  # str() of bytes
    ascii(ENCODED["API_TOKEN"]),  # %a, ascii(): non-ASCII as \xf6
    repr(json.dumps(ENCODED["API_TOKEN"])),  # a JSON body shown through repr
    json.dumps({"body": json.dumps(ENCODED["API_TOKEN"])}),  # JSON inside JSON
    repr({"detail": repr(ENCODED["API_TOKEN"])}),  # a repr in a dict in an exception
])
def test_a_secret_is_masked_in_the_encodings_a_line_may_carry_it_in(shown):
    masked = text_masker(ENCODED)(shown)
    assert not any(part in masked for part in ENCODED_PARTS), masked
    assert MASK in masked


@pytest.mark.parametrize("name", ["INSIGHTS_CONNECTION_STRING", "OTEL_EXPORTER_OTLP_HEADERS",
                                  "OTEL_EXPORTER_OTLP_TRACES_HEADERS"])
def test_a_telemetry_credential_is_a_secret_in_every_line_not_only_in_spans(name):
    config = {name: "x-team=Hc0mbT3am", "HOST": "vendor.example"}
    assert is_secret_name(name)
    assert mask_dictionary(config) == {name: MASK, "HOST": "vendor.example"}
    assert text_masker(config)("export failed: Hc0mbT3am") == f"export failed: {MASK}"
    assert "Hc0mbT3am" not in _redactor(config)("x-team=Hc0mbT3am")


def test_a_secret_read_from_an_environment_variable_that_is_not_utf8_is_masked():
    # os.environ gives the bytes UTF-8 cannot decode as lone surrogates
    config = {"VENDOR_PASSWORD": "pass\udcffword"}
    masked = text_masker(config)(f"login failed for {'pass' + chr(0xdcff) + 'word'!r}")
    assert masked == f"login failed for '{MASK}'"


def test_a_string_in_a_masked_dictionary_follows_the_rule_of_a_line():
    # a dict logged through mask_dictionary shows what a log line of its text would not
    data = {"note": "retry with api_key=abcd1234 and Authorization: Bearer eyJhbGci",
            "callback": "https://user:pw@vendor.example/hook?token=zzzz9999&page=2",
            "items": [{"detail": '{"password": "hunter22"}'}]}
    masked = mask_dictionary(data)
    assert masked == {
        "note": f"retry with api_key={MASK} and Authorization: {MASK}",
        "callback": f"https://user:{MASK}@vendor.example/hook?token={MASK}&page=2",
        "items": [{"detail": f'{{"password": "{MASK}"}}'}]}
    assert masked == {key: mask_text(value) if isinstance(value, str) else masked[key]
                      for key, value in data.items()}


@pytest.mark.parametrize(("line", "expected"), [
    ("GET vendor.example:443/v1?api_key=S3cr3t&page=2",
     f"GET vendor.example:443/v1?api_key={MASK}&page=2"),
    ("POST https://user:pw@vendor.example/hook?token=S3cr3t",
     f"POST https://user:{MASK}@vendor.example/hook?token={MASK}"),
    ("retry: password=S3cr3t", f"retry: password={MASK}"),
    ("at 12:30 token: S3cr3t", f"at 12:30 token: {MASK}"),
])
def test_a_secret_name_after_another_name_value_pair_is_masked_too(line, expected):
    # the value of an ordinary name (host:443/…) may run over a secret name's pair
    assert mask_text(line) == expected


@pytest.mark.parametrize("blob", [
    "A" * 200_000,  # a base64 body in an error's text: one long word
    "a:" * 100_000,  # a value that runs over many name:value pairs
    "a-" * 100_000,
    " " * 100_000 + "x",
])
def test_masking_a_long_line_takes_time_in_proportion_to_it(blob):
    # each character is looked at a bounded number of times: 200 kB masked in well under a
    # second, where a scan from every position took minutes and held up the delivery
    done = threading.Event()
    out = []
    worker = threading.Thread(target=lambda: (out.append(mask_text(blob + " token=S3cr3t")),
                                              done.set()), daemon=True)
    worker.start()
    assert done.wait(30), "masking a 200 kB line did not end within 30 s"
    assert out == [blob + f" token={MASK}"]
