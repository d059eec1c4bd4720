import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_objects import Asset, Request
from rndi.connect.request_offline_criteria import (
    PARAM_OFFLINE_MODE,
    PARAM_OFFLINE_MODE_LIST,
    OfflineCriteria,
    composited_match_offline_asset_and_marketplace_parameter,
    match_offline_asset_parameter,
    match_offline_marketplace_parameter,
    match_request_type,
)

ASSET_ID = "AS-8790-0160-2196"


def test_constants():
    assert (PARAM_OFFLINE_MODE, PARAM_OFFLINE_MODE_LIST) == ("offline_mode", "offline_mode_list")


def test_fixture_request_is_not_offline(asset_purchase):
    for rule in (match_request_type, match_offline_asset_parameter,
                 match_offline_marketplace_parameter,
                 composited_match_offline_asset_and_marketplace_parameter):
        assert rule(asset_purchase) is False


@pytest.mark.parametrize("request_type", ["cancel", "suspend"])
def test_request_type_matches_cancel_and_suspend(asset_purchase, request_type):
    assert match_request_type(Request(asset_purchase).with_type(request_type).raw()) is True


@pytest.mark.parametrize("request_type", ["purchase", "change", "resume", "adjustment"])
def test_request_type_does_not_match_other_types(asset_purchase, request_type):
    assert match_request_type(Request(asset_purchase).with_type(request_type).raw()) is False


def listing(request, listed):
    """The request, its asset's ``offline_mode`` parameter set to ``listed``."""
    Request(request).asset().with_param("offline_mode", listed)
    return request


def test_asset_parameter_whose_value_is_the_asset_id_matches(asset_purchase):
    request = listing(asset_purchase, ASSET_ID)
    assert match_offline_asset_parameter(request) is True
    assert composited_match_offline_asset_and_marketplace_parameter(request) is True


def test_request_level_parameter_lists_the_asset(asset_purchase):
    request = Request(asset_purchase).with_param("offline_mode", ASSET_ID).raw()
    assert match_offline_asset_parameter(request) is True


@pytest.mark.parametrize("listed", [
    # as in the published rule, the value is compared whole: a text holding several ids
    # is not a list of them, and a structured value is not read
    f"AS-0000-0000-0000,{ASSET_ID}", f"AS-1;{ASSET_ID}", f"{ASSET_ID} ", [ASSET_ID],
    "AS-1,AS-2", "",
])
def test_asset_parameter_matches_only_the_asset_id_itself(asset_purchase, listed):
    request = listing(asset_purchase, listed)
    assert match_offline_asset_parameter(request) is False
    assert composited_match_offline_asset_and_marketplace_parameter(request) is False


@pytest.mark.parametrize("listed", [
    [ASSET_ID, "AS-2"], {ASSET_ID: True, "AS-2": False}, {ASSET_ID: False},
    f"AS-2,{ASSET_ID}",
])
def test_marketplace_configuration_list_lists_the_asset(asset_purchase, listed):
    # a list item, an object key (whatever its value) or a part of a text, as published
    request = Request(asset_purchase)
    request.asset().with_configuration_param("offline_mode_list", ["placeholder"])
    request.asset().configuration_param("offline_mode_list")["structured_value"] = listed
    assert match_offline_marketplace_parameter(request.raw()) is True
    assert composited_match_offline_asset_and_marketplace_parameter(request.raw()) is True


@pytest.mark.parametrize("listed", [["AS-2"], {"AS-2": True}, "AS-2", None, 7])
def test_marketplace_list_without_the_asset_does_not_match(asset_purchase, listed):
    request = Request(asset_purchase)
    request.asset().with_configuration_param("offline_mode_list", ["placeholder"])
    request.asset().configuration_param("offline_mode_list")["structured_value"] = listed
    assert match_offline_marketplace_parameter(request.raw()) is False


def test_marketplace_list_value_text_is_not_read(asset_purchase):
    request = Request(asset_purchase)
    request.asset().with_configuration_param("offline_mode_list", ASSET_ID)
    param = request.asset().configuration_param("offline_mode_list")
    assert param.get("value") == ASSET_ID and not param.get("structured_value")
    assert match_offline_marketplace_parameter(request.raw()) is False


def test_requests_without_asset_never_match(tier_config_setup):
    assert match_offline_asset_parameter(tier_config_setup) is False
    assert match_offline_marketplace_parameter(tier_config_setup) is False
    assert match_offline_asset_parameter({"asset": {"configuration": "broken"}}) is False


def test_builder_made_offline_cancel_matches_the_default_criteria():
    request = (Request().with_id("PR-1").with_type("cancel")
               .with_asset(Asset().with_id("AS-1").with_param("offline_mode", "AS-1"))).raw()
    criteria = OfflineCriteria([composited_match_offline_asset_and_marketplace_parameter,
                                match_request_type])
    assert criteria.is_offline_enabled(request) is True
    assert criteria.is_offline_enabled(Request(request).with_type("purchase").raw()) is False


def test_offline_criteria_needs_at_least_one_rule():
    assert OfflineCriteria([]).is_offline_enabled({"type": "cancel"}) is False


def test_offline_criteria_as_middleware():
    offline = OfflineCriteria([lambda r: r["offline"]],
                              on_match=lambda r: BackgroundResponse.skip("offline"))
    nxt = lambda r: BackgroundResponse.done()  # noqa: E731
    assert offline({"offline": True}, nxt).output == "offline"
    assert offline({"offline": False}, nxt).status == "success"
    assert OfflineCriteria([lambda r: True])({"id": "PR-1"}).status == "skip"


def test_offline_criteria_without_next_step_raises_a_clear_error():
    with pytest.raises(ValueError, match=r"'PR-1' is not offline.*no next step"):
        OfflineCriteria([lambda r: False])({"id": "PR-1"})


def test_offline_criteria_validates_its_arguments():
    with pytest.raises(TypeError, match=r"criteria\[0\]"):
        OfflineCriteria(["not a rule"])
    with pytest.raises(TypeError, match="on_match"):
        OfflineCriteria([], on_match="skip")


@pytest.mark.parametrize("arguments", [(["the-api-key"],), ([], "the-api-key")])
def test_offline_criteria_names_the_type_of_what_it_refuses_never_its_value(arguments):
    with pytest.raises(TypeError, match="got a str") as refused:
        OfflineCriteria(*arguments)
    assert "the-api-key" not in str(refused.value)
