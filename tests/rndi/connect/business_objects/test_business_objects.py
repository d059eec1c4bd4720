import pytest

from rndi.connect.business_objects import (
    Asset,
    MissingItemError,
    MissingParameterError,
    Request,
    TierConfiguration,
    find_by_id,
    make_param,
    merge,
    request_model,
)


def test_request_readers_on_an_asset_purchase(asset_purchase):
    request = Request(asset_purchase)
    assert (request.id(), request.type(), request.status()) == (
        "PR-8790-0160-2196-001", "purchase", "pending")
    assert request.request_model() == "asset" and request.is_asset_request()
    assert request.marketplace() == {"id": "MP-45818", "name": "Adobe Cloud Marketplace"}
    assert request.product()["id"] == "PRD-568-313-088"
    assert request.connection()["type"] == "preview"
    assert request.contract()["id"] == "CRD-00000-00000-00000"
    assert request.events()["created"]["at"] == "2021-12-23T09:09:25+00:00"
    assert request.tier_customer("id") == "TA-1188-9782-5267"
    assert request.asset_param("ORDER_TYPE", "value") == "RANDOM"
    assert request.asset_param("MISSING", "value", "fallback") == "fallback"
    assert request.item("PRD_568_313_088_0001", "quantity") == "10"
    assert request.item("MPN-CAT-IMG", "id") == "PRD_568_313_088_0001"
    assert request.items()[0]["display_name"] == "Cat Image"
    assert request.configuration_params() == []


def test_asset_readers(asset_purchase):
    asset = Request(asset_purchase).asset()
    assert asset.id() == "AS-8790-0160-2196"
    assert asset.external_id() == "LANHCJK19Q"
    assert asset.param("CATEGORIES", "structured_value")["1"] is True
    assert asset.param("CATEGORIES")["type"] == "checkbox"
    assert asset.tier_tier1("id") == "TA-7155-0491-6708"
    assert asset.tier_tier2() == {}
    assert asset.tier_tier2("id", "none") == "none"
    assert asset.item("unknown") is None
    assert asset.item_params("PRD_568_313_088_0001") == []


def test_tier_config_request_readers(tier_config_setup):
    request = Request(tier_config_setup)
    assert request.request_model() == "tier-config" and request.is_tier_config_request()
    configuration = request.tier_configuration()
    assert isinstance(configuration, TierConfiguration)
    assert configuration.account()["id"] == "TA-0000-0000-0000"
    assert configuration.tier_level() == 1
    assert request.marketplace()["id"] == "MP-15233"
    assert request.product()["id"] == "PRD-000-000-000"
    assert request.param("my_ordering_parameter", "value") == "111111"
    assert [p["id"] for p in request.params()] == ["my_ordering_parameter"]


def test_builders_are_fluent_and_edit_the_wrapped_dict():
    request = (Request()
               .with_id("PR-1").with_type("purchase").with_status("pending")
               .with_asset(Asset().with_id("AS-1").with_tier_customer("TA-1"))
               .with_asset_param("SUB", "S-1")
               .with_marketplace("MP-1", "Main")
               .with_contract("CRD-1")
               .with_note("n").with_reason("r").with_assignee("me"))
    raw = request.raw()
    assert raw["asset"]["tiers"]["customer"] == {"id": "TA-1"}
    assert raw["asset"]["params"] == [{"id": "SUB", "name": "SUB", "type": "text", "value": "S-1"}]
    assert (request.note(), request.reason(), request.assignee()) == ("n", "r", "me")
    assert request.marketplace() == {"id": "MP-1", "name": "Main"}
    assert request.request_model() == "asset"


def test_with_param_updates_existing_values_and_structured_values(asset_purchase):
    asset = Request(asset_purchase).asset()
    asset.with_param("CAT_SUBSCRIPTION_ID", "SUB-1", value_error="bad")
    asset.with_param("CATEGORIES", {"1": False})
    assert asset.param("CAT_SUBSCRIPTION_ID", "value") == "SUB-1"
    assert asset.param("CAT_SUBSCRIPTION_ID", "value_error") == "bad"
    assert asset.param("CAT_SUBSCRIPTION_ID", "title") == "Subscription ID"  # kept
    assert asset.param("CATEGORIES", "structured_value") == {"1": False}
    assert asset_purchase["asset"]["params"][1]["value"] == "SUB-1"


def test_with_param_without_create_raises_missing_parameter():
    with pytest.raises(MissingParameterError) as error:
        Asset({"id": "AS-1"}).with_param("NOPE", "x", create=False)
    assert error.value.parameter == "NOPE" and "create=True" in str(error.value)


def test_items_and_item_params():
    asset = Asset().with_id("AS-1").with_item("ITEM-1", quantity=5)
    asset.with_item_param("ITEM-1", "seats", "5")
    assert asset.item("ITEM-1", "quantity") == "5"
    assert asset.item_param("ITEM-1", "seats", "value") == "5"
    assert asset.item_param("ITEM-1", "other", "value", "-") == "-"
    with pytest.raises(MissingItemError) as error:
        asset.with_item_param("ITEM-2", "seats", "1")
    assert error.value.item == "ITEM-2"


def test_configuration_params():
    asset = Asset().with_configuration_param("offline_mode_list", ["AS-1"])
    assert asset.configuration_param("offline_mode_list", "structured_value") == ["AS-1"]
    assert asset.configuration_param("missing", default=3) == 3


def test_placeholder_data_only_when_asked():
    asset = Asset().with_tier_customer()
    assert asset.tier_customer("id").startswith("TA-")
    assert Asset().raw() == {}
    assert TierConfiguration().with_account().account()["id"].startswith("TA-")


def test_raw_copies_only_when_asked_and_members_can_be_removed():
    data = {"id": "PR-1", "extra": 1}
    request = Request(data)
    assert request.raw() is data
    assert request.raw(deep_copy=True) == data and request.raw(deep_copy=True) is not data
    request.with_member("custom", {"a": 1}).without_member("extra")
    assert data == {"id": "PR-1", "custom": {"a": 1}}
    assert request.get("custom") == {"a": 1} and request.get("nope", 0) == 0


def test_params_can_be_removed():
    asset = Asset().with_param("A", "1").with_param("B", "2").without_param("A")
    assert [p["id"] for p in asset.params()] == ["B"]


@pytest.mark.parametrize("wrong", ["PR-1", ["a"], 3])
def test_constructors_reject_non_dicts(wrong):
    for cls in (Request, Asset, TierConfiguration):
        with pytest.raises(ValueError, match="wraps a dict"):
            cls(wrong)


def test_unknown_tier_is_rejected():
    with pytest.raises(ValueError, match="Unknown tier"):
        Asset().with_tier("tier9", "TA-1")


def test_helpers():
    assert find_by_id([{"id": "a"}, {"id": "b", "v": 1}], "b") == {"id": "b", "v": 1}
    assert find_by_id(None, "x", "d") == "d"
    assert merge({"a": {"b": 1, "c": 2}, "l": [1]}, {"a": {"b": 3}, "l": [2]}) == {
        "a": {"b": 3, "c": 2}, "l": [2]}
    assert make_param("P", ["x"]) == {"id": "P", "name": "P", "type": "text",
                                      "structured_value": ["x"]}


@pytest.mark.parametrize(("request_data", "model"), [
    ({"type": "purchase"}, "asset"),
    ({"type": "cancel"}, "asset"),
    ({"type": "setup"}, "tier-config"),
    ({"type": "update"}, "tier-config"),
    ({"type": "adjustment", "asset": {}}, "asset"),
    ({"type": "adjustment", "configuration": {}}, "tier-config"),
    ({"type": "adjustment"}, "undefined"),
    ({"type": "billing"}, "undefined"),
])
def test_request_model_decides_adjustments_by_the_object_key(request_data, model):
    assert request_model(request_data) == model


def test_request_builders_put_members_where_connect_keeps_them():
    asset_request = (Request().with_type("purchase").with_product("PRD-1")
                     .with_connection("CT-1", "production").with_tier_customer("TA-9")
                     .with_item("ITEM-1", quantity=3))
    raw = asset_request.raw()
    assert raw["asset"]["product"] == {"id": "PRD-1", "status": "published"}
    assert raw["asset"]["connection"] == {"id": "CT-1", "type": "production"}
    assert "product" not in raw and "connection" not in raw
    assert asset_request.product()["id"] == "PRD-1"
    assert asset_request.tier_customer("id") == "TA-9"
    assert asset_request.item("ITEM-1", "quantity") == "3"
    asset_request.with_items([])
    assert asset_request.items() == []

    tier_request = Request().with_type("setup").with_tier_configuration(
        TierConfiguration().with_id("TC-1")).with_product("PRD-2")
    assert tier_request.raw()["configuration"]["product"]["id"] == "PRD-2"
    assert tier_request.product()["id"] == "PRD-2"


def test_request_configuration_params_come_from_its_asset_or_tier_configuration(
        asset_purchase, tier_config_setup):
    request = Request(asset_purchase)
    request.asset().with_configuration_param("offline_mode_list", ["AS-1"])
    assert request.configuration_param("offline_mode_list", "structured_value") == ["AS-1"]
    tier = Request(tier_config_setup)
    tier.tier_configuration().with_configuration_param("region", "EU")
    assert tier.configuration_param("region", "value") == "EU"
