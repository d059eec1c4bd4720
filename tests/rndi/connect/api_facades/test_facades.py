"""Each facade call through a real ConnectClient against the local Connect stand-in."""

import pytest
from connect.client import ClientError

from rndi.connect.api_facades import ConnectOpenAPIFacade
from rndi.connect.api_facades.assets.contracts import AssetManagementService
from rndi.connect.api_facades.tier_configurations.contracts import (
    TierConfigurationManagementService,
)
from rndi.connect.business_objects import Asset, Request, TierConfiguration
from tests.conftest import PR, TCR


@pytest.fixture
def facade(api):
    return ConnectOpenAPIFacade(api.client())


def only_call(api):
    (call,) = api.calls
    return call.method, call.path, call.body


def test_find_asset_request_and_asset_answer_business_objects(api, facade):
    request = facade.find_asset_request(PR)
    assert isinstance(request, Request) and request.id() == PR
    assert request.asset().param("CAT_SUBSCRIPTION_ID", "id") == "CAT_SUBSCRIPTION_ID"
    asset = facade.find_asset("AS-8790-0160-2196")
    assert isinstance(asset, Asset) and asset.external_id() == "LANHCJK19Q"
    assert api.api_calls() == [f"GET requests/{PR}", "GET assets/AS-8790-0160-2196"]


def test_approve_asset_request_takes_and_answers_a_request(api, facade, asset_purchase):
    request = Request(asset_purchase)
    result = facade.approve_asset_request(request, "TL-1", effective_date="2024-01-01")
    assert result is request and result.status() == "approved"
    assert api.request(PR)["status"] == "approved"
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/approve",
                              {"template_id": "TL-1", "effective_date": "2024-01-01"})


def test_approve_with_an_activation_tile_only(api, facade):
    facade.approve_asset_request(PR, None, activation_tile="# Welcome")
    assert only_call(api)[2] == {"activation_tile": "# Welcome"}


def test_approve_needs_a_template_or_tile(facade):
    with pytest.raises(ValueError, match="template_id or an activation_tile"):
        facade.approve_asset_request(PR, None)


def test_a_request_dict_is_wrapped_and_records_the_outcome(api, facade, asset_purchase):
    result = facade.approve_asset_request(asset_purchase, "TL-1")
    assert isinstance(result, Request) and result.raw() is asset_purchase
    assert asset_purchase["status"] == "approved"


def test_fail_asset_request(api, facade):
    result = facade.fail_asset_request(PR, "Out of stock")
    assert (result.status(), result.reason()) == ("failed", "Out of stock")
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/fail",
                              {"reason": "Out of stock"})


def test_inquire_asset_request(api, facade):
    assert facade.inquire_asset_request(PR, "TL-INQ").status() == "inquiring"
    assert only_call(api) == ("POST", f"/public/v1/requests/{PR}/inquire",
                              {"template_id": "TL-INQ"})


def test_update_asset_request_parameters_answers_the_updated_asset(api, facade,
                                                                   asset_purchase):
    params = [{"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-9"}]
    request = Request(asset_purchase)
    result = facade.update_asset_request_parameters(request, params)
    assert only_call(api) == ("PUT", f"/public/v1/requests/{PR}", {"asset": {"params": params}})
    assert api.request(PR)["asset"]["params"][1]["value"] == "SUB-9"
    assert result is request
    assert result.asset().param("CAT_SUBSCRIPTION_ID", "value") == "SUB-9"


def test_find_tier_configuration_request_reads_the_requests_collection(api, facade):
    request = facade.find_tier_configuration_request(TCR)
    assert isinstance(request, Request) and request.is_tier_config_request()
    configuration = facade.find_tier_configuration("TC-000-000-001")
    assert isinstance(configuration, TierConfiguration) and configuration.tier_level() == 1
    assert api.api_calls() == [f"GET tier/config-requests/{TCR}", "GET tier/configs/TC-000-000-001"]


def test_approve_tier_configuration_request(api, facade, tier_config_setup):
    result = facade.approve_tier_configuration_request(Request(tier_config_setup), "TL-T")
    assert result.status() == "approved" and result.raw() is tier_config_setup
    assert only_call(api) == ("POST", f"/public/v1/tier/config-requests/{TCR}/approve",
                              {"template": {"id": "TL-T"}})


def test_fail_tier_configuration_request(api, facade):
    facade.fail_tier_configuration_request(TCR, "No such reseller")
    assert only_call(api) == ("POST", f"/public/v1/tier/config-requests/{TCR}/fail",
                              {"reason": "No such reseller"})


def test_inquire_asset_request_without_a_template_sends_no_template_id(api, facade):
    assert facade.inquire_asset_request(PR, None).status() == "inquiring"
    method, path, body = only_call(api)
    assert (method, path) == ("POST", f"/public/v1/requests/{PR}/inquire")
    assert not body  # a template_id of None is left out, as from approve


def test_inquire_tier_configuration_request_takes_callbacks_second(api, facade):
    seen = []
    assert facade.inquire_tier_configuration_request(TCR, None, seen.append) is None
    assert seen[0].status() == "inquiring"
    method, path, body = only_call(api)
    assert (method, path) == ("POST", f"/public/v1/tier/config-requests/{TCR}/inquire")
    assert not body  # no template: an empty body


def test_inquire_tier_configuration_request_with_a_template(api, facade):
    facade.inquire_tier_configuration_request(TCR, template_id="TL-I")
    assert only_call(api)[2] == {"template": {"id": "TL-I"}}


def test_update_tier_configuration_request_parameters(api, facade):
    params = [{"id": "my_ordering_parameter", "value": "222"}]
    result = facade.update_tier_configuration_request_parameters(TCR, params)
    assert only_call(api) == ("PUT", f"/public/v1/tier/config-requests/{TCR}", {"params": params})
    assert api.request(TCR)["params"][0]["value"] == "222"
    assert result.param("my_ordering_parameter", "value") == "222"
    assert result.tier_configuration().id() == "TC-000-000-001"


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
    assert facade.inquire_asset_request(PR, "TL-1", on_success=lambda r: r.status()) == (
        "inquiring")


def test_errors_that_are_not_connect_answers_always_raise(facade):
    with pytest.raises(ZeroDivisionError):
        facade.approve_asset_request(PR, "TL-1", on_error=lambda e: "swallowed",
                                     on_success=lambda r: 1 / 0)


def test_facade_rejects_missing_client_and_bad_ids(facade):
    with pytest.raises(ValueError, match="ConnectClient"):
        ConnectOpenAPIFacade(None)
    with pytest.raises(ValueError, match="has no 'id'"):
        facade.fail_asset_request({"no": "id"}, "reason")
    with pytest.raises(ValueError, match="got a list"):
        facade.fail_asset_request([], "reason")


def test_facades_fulfil_their_published_contracts(facade):
    assert isinstance(facade, AssetManagementService)
    assert isinstance(facade, TierConfigurationManagementService)

    class Partial(AssetManagementService):  # type: ignore[misc,valid-type]
        def find_asset(self, asset_id):
            return None

    with pytest.raises(TypeError, match="abstract"):
        Partial()


def test_the_facade_client_is_read_only_as_published(api):
    client = api.client()
    facade = ConnectOpenAPIFacade(client)
    assert facade.client is client
    with pytest.raises(AttributeError):
        facade.client = api.client()


def test_a_custom_on_success_gets_the_request_with_its_reason(api):
    """Connect has the reason once the request failed: the Request says so, whatever
    on_success is (the published tier facade set it only without one)."""
    assert ConnectOpenAPIFacade(api.client()).fail_tier_configuration_request(
        TCR, "No such reseller", on_success=lambda r: r.reason()) == "No such reseller"
