"""Each facade call through a real ConnectClient against the local Connect stand-in."""

import pytest
from connect.client import ClientError

from rndi.connect.api_facades import ConnectOpenAPIFacade
from tests.conftest import PR, TCR


@pytest.fixture
def facade(api):
    return ConnectOpenAPIFacade(api.client())


def only_call(api):
    (call,) = api.calls
    return call.method, call.path, call.body


def test_find_asset_request_and_asset(api, facade):
    assert facade.find_asset_request(PR)["id"] == PR
    assert facade.find_asset("AS-8790-0160-2196")["external_id"] == "LANHCJK19Q"
    assert api.api_calls() == [f"GET requests/{PR}", "GET assets/AS-8790-0160-2196"]


def test_approve_asset_request(api, facade, asset_purchase):
    result = facade.approve_asset_request(asset_purchase, "TL-1", effective_date="2024-01-01")
    assert result["status"] == "approved"
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/approve",
                              {"template_id": "TL-1", "effective_date": "2024-01-01"})


def test_approve_with_an_activation_tile_only(api, facade):
    facade.approve_asset_request(PR, None, activation_tile="# Welcome")
    assert only_call(api)[2] == {"activation_tile": "# Welcome"}


def test_approve_needs_a_template_or_tile(facade):
    with pytest.raises(ValueError, match="template_id or an activation_tile"):
        facade.approve_asset_request(PR, None)


def test_fail_asset_request(api, facade):
    assert facade.fail_asset_request(PR, "Out of stock")["status"] == "failed"
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/fail",
                              {"reason": "Out of stock"})


def test_inquire_asset_request(api, facade):
    assert facade.inquire_asset_request(PR, "TL-INQ")["status"] == "inquiring"
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/inquire",
                              {"template_id": "TL-INQ"})


def test_update_asset_request_parameters(api, facade):
    params = [{"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-9"}]
    facade.update_asset_request_parameters(PR, params)
    assert only_call(api) == ("PUT", f"/public/v1/requests/{PR}", {"asset": {"params": params}})
    assert api.request(PR)["asset"]["params"][1]["value"] == "SUB-9"


def test_find_tier_configuration_request_reads_the_requests_collection(api, facade):
    assert facade.find_tier_configuration_request(TCR)["id"] == TCR
    assert facade.find_tier_configuration("TC-000-000-001")["tier_level"] == 1
    assert api.api_calls() == [f"GET tier/config-requests/{TCR}", "GET tier/configs/TC-000-000-001"]


def test_approve_tier_configuration_request(api, facade, tier_config_setup):
    assert facade.approve_tier_configuration_request(tier_config_setup, "TL-T")["status"] == (
        "approved")
    assert only_call(api) == ("POST", f"/public/v1/tier/config-requests/{TCR}/approve",
                              {"template": {"id": "TL-T"}})


def test_fail_tier_configuration_request(api, facade):
    facade.fail_tier_configuration_request(TCR, "No such reseller")
    assert only_call(api) == ("POST", f"/public/v1/tier/config-requests/{TCR}/fail",
                              {"reason": "No such reseller"})


def test_inquire_tier_configuration_request(api, facade):
    facade.inquire_tier_configuration_request(TCR, "TL-I")
    assert only_call(api) == ("POST", f"/public/v1/tier/config-requests/{TCR}/inquire",
                              {"template": {"id": "TL-I"}})


def test_update_tier_configuration_request_parameters(api, facade):
    params = [{"id": "my_ordering_parameter", "value": "222"}]
    facade.update_tier_configuration_request_parameters(TCR, params)
    assert only_call(api) == ("PUT", f"/public/v1/tier/config-requests/{TCR}", {"params": params})
    assert api.request(TCR)["params"][0]["value"] == "222"


def test_a_4xx_answer_raises_without_on_error(facade):
    facade.approve_asset_request(PR, "TL-1")
    with pytest.raises(ClientError) as error:
        facade.approve_asset_request(PR, "TL-1")
    assert error.value.status_code == 400 and error.value.error_code == "REQ_003"


def test_on_error_receives_the_4xx_error_and_its_result_is_returned(facade):
    facade.fail_asset_request(PR, "first")
    seen = []
    result = facade.approve_asset_request(
        PR, "TL-1", on_error=lambda e: seen.append(e) or "handled",
        on_success=lambda r: "not called")
    assert result == "handled"
    assert seen[0].status_code == 400 and "is failed" in str(seen[0])


def test_on_error_sees_a_404(facade):
    result = facade.fail_asset_request("PR-404", "x", on_error=lambda e: e.status_code)
    assert result == 404


def test_on_success_transforms_the_answer(facade):
    assert facade.inquire_asset_request(PR, "TL-1", on_success=lambda r: r["status"]) == (
        "inquiring")


def test_facade_rejects_missing_client_and_bad_ids(facade):
    with pytest.raises(ValueError, match="ConnectClient"):
        ConnectOpenAPIFacade(None)
    with pytest.raises(ValueError, match="request id"):
        facade.fail_asset_request({"no": "id"}, "reason")
