import copy
from datetime import datetime, timezone

import pytest

from rndi.connect.business_objects import (
    Asset,
    MissingItemError,
    MissingItemParameterError,
    MissingParameterError,
    Request,
    TierConfiguration,
    find_by_id,
    make_param,
    make_tier,
    merge,
    request_model,
)
from rndi.connect.business_objects.contracts import AssetSource, RequestBuilder, RequestSource


def test_request_readers_on_an_asset_purchase(asset_purchase):
    request = Request(asset_purchase)
    assert (request.id(), request.type(), request.status()) == (
        "PR-8790-0160-2196-001", "purchase", "pending")
    assert request.request_model() == "asset" and request.is_asset_request()
    assert request.marketplace("name") == "Adobe Cloud Marketplace"
    assert request.contract("id") == "CRD-00000-00000-00000"
    assert request.created() == datetime(2021, 12, 23, 9, 9, 25, tzinfo=timezone.utc)
    assert request.events("created") == {"at": "2021-12-23T09:09:25+00:00"}
    assert request.assignee() == "" and Request().assignee() is None


def test_asset_readers(asset_purchase):
    asset = Request(asset_purchase).asset()
    assert isinstance(asset, Asset) and asset.id() == "AS-8790-0160-2196"
    assert asset.external_id() == "LANHCJK19Q"
    assert asset.product("id") == "PRD-568-313-088"
    assert asset.connection("type") == "preview"
    assert asset.connection_vendor("id") == asset_purchase["asset"]["connection"]["vendor"]["id"]
    assert asset.param("ORDER_TYPE", "value") == "RANDOM"
    assert asset.param("CATEGORIES", "structured_value")["1"] is True
    assert asset.param("CATEGORIES", "no such field", "fallback") == "fallback"
    assert asset.tier_customer("id") == "TA-1188-9782-5267"
    assert asset.tier_tier2() == {} and asset.tier_tier2("id", "none") == "none"
    assert Asset().tier_tier2() is None
    assert asset.item("PRD_568_313_088_0001", "quantity") == "10"
    assert asset.item_params("PRD_568_313_088_0001") == []


def test_absent_members_read_as_none_and_fields_as_the_default():
    for obj in (Request(), Asset(), TierConfiguration()):
        assert obj.marketplace() is None and obj.marketplace("id", "d") is None
    assert Asset().product() is None and Asset().connection_hub("id") is None
    assert TierConfiguration().account() is None
    assert Asset({"product": {"id": "PRD-1"}}).product("status", "draft") == "draft"


def test_absent_parameters_and_items_raise_with_their_id():
    asset = Asset().with_item("ITEM-1", "MPN-1")
    with pytest.raises(MissingParameterError) as error:
        asset.param("SUBSCRIPTION_ID")
    assert error.value.parameter == "SUBSCRIPTION_ID" and "SUBSCRIPTION_ID" in error.value.message
    with pytest.raises(MissingParameterError):
        TierConfiguration().configuration_param("region")
    with pytest.raises(MissingItemError) as missing_item:
        asset.item("ITEM-2")
    assert missing_item.value.item == "ITEM-2"
    with pytest.raises(MissingItemError):
        asset.with_item_param("ITEM-2", "seats", "1")
    # an item without the parameter: catchable either way
    with pytest.raises(MissingItemParameterError) as missing_param:
        asset.item_param("ITEM-1", "seats")
    assert isinstance(missing_param.value, MissingParameterError)
    assert (missing_param.value.item, missing_param.value.parameter) == ("ITEM-1", "seats")


def read_everything(request):
    asset, configuration = request.asset(), request.tier_configuration()
    for reader in (request.marketplace, request.contract, request.events, request.assignee,
                   request.params, request.created, asset.product, asset.connection,
                   asset.connection_provider, asset.tier_customer, asset.tier_tier1,
                   asset.items, asset.params, asset.configuration_params,
                   configuration.account, configuration.product, configuration.params):
        reader()
    asset.tier("tier2", "id")
    for failing in (lambda: asset.param("nope"), lambda: asset.item("nope"),
                    lambda: configuration.configuration_param("nope")):
        with pytest.raises((MissingParameterError, MissingItemError)):
            failing()


@pytest.mark.parametrize("fixture", ["asset_purchase", "tier_config_setup"])
def test_readers_never_change_what_they_read(fixture, request):
    data = request.getfixturevalue(fixture)
    before = copy.deepcopy(data)
    read_everything(Request(data))
    read_everything(Request({}))
    assert data == before
    # reading a tier-config adjustment's asset must not turn it into an asset request
    adjustment = {"type": "adjustment", "configuration": {"id": "TC-1"}}
    read_everything(Request(adjustment))
    assert Request(adjustment).request_model() == "tier-config"
    assert set(adjustment) == {"type", "configuration"}


def test_a_view_writes_into_its_request_even_when_the_member_was_absent():
    raw = {"id": "PR-1", "type": "purchase"}
    request = Request(raw)
    asset = request.asset()
    assert "asset" not in raw
    asset.with_id("AS-1").with_param("SUB", "S-1")
    assert raw["asset"]["id"] == "AS-1" and request.asset().param("SUB", "value") == "S-1"
    # a view of an existing member is live too
    request.asset().with_status("active")
    assert raw["asset"]["status"] == "active"
    # a member set meanwhile is not overwritten by a stale detached view
    detached = Request(raw).tier_configuration()
    raw["configuration"] = {"id": "TC-9"}
    detached.with_id("TC-1")
    assert raw["configuration"] == {"id": "TC-9"}


def test_request_builders(asset_purchase):
    request = (Request()
               .with_id("PR-1").with_type("purchase").with_status("pending")
               .with_created(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
               .with_asset(Asset().with_id("AS-1").with_tier_customer("TA-1"))
               .with_marketplace("MP-1", "Main").with_marketplace("MP-1", "Main")
               .with_contract("CRD-1")
               .with_note("n").with_reason("r")
               .with_assignee("US-1", "Vincent", "v@example.com")
               .with_events(datetime(2024, 1, 1), datetime(2024, 1, 2)))
    raw = request.raw()
    assert raw["created"] == "2024-01-02T03:04:05+00:00"
    assert raw["asset"] == {"id": "AS-1", "tiers": {"customer": {"id": "TA-1"}}}
    assert raw["marketplace"] == {"id": "MP-1", "name": "Main"}
    assert raw["assignee"] == {"id": "US-1", "name": "Vincent", "email": "v@example.com"}
    assert request.events("updated") == {"at": "2024-01-02T00:00:00"}
    assert (request.note(), request.reason(), request.contract("id")) == ("n", "r", "CRD-1")
    assert request.request_model() == "asset"
    assert Request().with_asset(asset_purchase["asset"]).asset().id() == "AS-8790-0160-2196"


@pytest.mark.parametrize(("builder", "view"), [("with_asset", "Asset"),
                                             ("with_tier_configuration", "TierConfiguration")])
def test_a_member_that_is_neither_its_view_nor_a_dict_is_refused(builder, view):
    request = Request({"id": "PR-1"})
    with pytest.raises(TypeError, match=rf"{builder}\(\) takes a {view} or a dict, got a str"):
        getattr(request, builder)("AS-1")
    assert request.raw() == {"id": "PR-1"}


def test_with_param_creates_a_full_parameter_and_updates_only_what_is_given(asset_purchase):
    asset = Asset().with_param("SUB", "S-1", "bad")
    assert asset.params() == [{"id": "SUB", "value": "S-1", "value_error": "bad",
                               "title": "Parameter SUB title.",
                               "description": "Parameter SUB description.", "type": "text"}]
    asset.with_params([{"param_id": "SUB", "value": "S-2"}, {"param_id": "LIST",
                                                             "value": ["a"]}])
    assert asset.param("SUB", "value") == "S-2" and asset.param("SUB", "value_error") == "bad"
    assert asset.param("LIST", "structured_value") == ["a"]

    # Connect's own title and type stay when only the value is set
    connect_asset = Request(asset_purchase).asset()
    connect_asset.with_param("CATEGORIES", {"1": False})
    categories = connect_asset.param("CATEGORIES")
    assert categories["type"] == "checkbox" and categories["structured_value"] == {"1": False}
    assert not categories["title"].startswith("Parameter ")
    with pytest.raises(MissingParameterError, match="create=True"):
        connect_asset.with_param("NEW", "x", create=False)


def test_items_and_their_parameters():
    asset = Asset().with_items([
        {"item_id": "ITEM-1", "item_mpn": "MPN-1",
         "params": [{"param_id": "seats", "value": "5"}]},
        {"item_id": "ITEM-1", "item_mpn": "MPN-1B", "quantity": "3"},
        {"item_id": "ITEM-2", "item_mpn": "MPN-2", "period": "Monthly"},
    ])
    assert [i["id"] for i in asset.items()] == ["ITEM-1", "ITEM-2"]
    assert asset.item("ITEM-1", "mpn") == "MPN-1B" and asset.item("ITEM-1", "quantity") == "3"
    # a later with_item sets the item's parameters anew
    assert asset.item_params("ITEM-1") == []
    asset.with_item_param("ITEM-1", "seats", "7")
    assert asset.item_param("ITEM-1", "seats") == {
        "id": "seats", "value": "7", "title": "Parameter seats title.",
        "description": "Parameter seats description.", "type": "text", "scope": "item",
        "phase": "configuration"}


def test_configuration_params():
    asset = Asset().with_configuration_params([
        {"param_id": "offline_mode_list", "value": ["AS-1"]},
        {"param_id": "region", "value": "EU", "value_error": "unknown"},
    ])
    assert asset.configuration_param("offline_mode_list", "structured_value") == ["AS-1"]
    assert asset.configuration_param("region", "value_error") == "unknown"
    assert len(asset.configuration_params()) == 2


def test_tiers_and_accounts():
    asset = Asset().with_tier_customer("TA-1").with_tier_tier1("random")
    assert asset.tier_customer() == {"id": "TA-1"}
    tier1 = asset.tier_tier1()
    assert tier1["type"] == "reseller" and "id" not in tier1 and tier1["contact_info"]["city"]
    asset.with_tier_tier1({"contact_info": {"country": "ES"}})
    assert asset.tier_tier1("contact_info")["country"] == "ES"
    assert asset.tier_tier1("name") == tier1["name"]  # merged, not replaced
    asset.with_tier_tier1("TA-2")
    assert asset.tier_tier1() == {"id": "TA-2"}  # an id replaces the account

    configuration = TierConfiguration().with_account().with_tier_level(2)
    assert configuration.account("type") == "reseller" and configuration.tier_level() == 2
    assert TierConfiguration().with_account("TA-3").account() == {"id": "TA-3"}
    with pytest.raises(ValueError, match="account is an id"):
        Asset().with_tier("customer", 5)


def test_connection_product_and_contract_builders_merge():
    asset = (Asset().with_connection("CT-1", "test", provider={"id": "PA-1", "name": "P"})
             .with_connection_hub("HB-1").with_product("PRD-1").with_product("PRD-1", "draft"))
    assert asset.connection() == {"id": "CT-1", "type": "test",
                                  "provider": {"id": "PA-1", "name": "P"},
                                  "hub": {"id": "HB-1", "name": None}}
    assert asset.product() == {"id": "PRD-1", "status": "draft"}


def test_raw_get_and_members():
    data = {"id": "PR-1", "extra": 1}
    request = Request(data)
    assert request.raw() is data
    assert request.raw(deep_copy=True) == data and request.raw(deep_copy=True) is not data
    request.with_member("custom", {"a": 1}).without_member("extra")
    assert data == {"id": "PR-1", "custom": {"a": 1}}
    assert request.get("custom") == {"a": 1} and request.get("nope", 0) == 0
    assert str(request) == str(data)


def test_repr_shows_the_class_and_its_data_as_the_published_objects_do():
    data = {"id": "PR-1", "asset": {"id": "AS-1"}}
    assert repr(Request(data)) == "Request(request={'id': 'PR-1', 'asset': {'id': 'AS-1'}})"
    assert repr(Request(data).asset()) == "Asset(asset={'id': 'AS-1'})"
    assert (repr(TierConfiguration({"id": "TC-1"}))
            == "TierConfiguration(tier_config={'id': 'TC-1'})")

    class Purchase(Request):
        pass

    assert repr(Purchase({})) == "Purchase(request={})"


@pytest.mark.parametrize("wrong", ["PR-1", ["a"], 3])
def test_constructors_reject_non_dicts(wrong):
    for cls in (Request, Asset, TierConfiguration):
        with pytest.raises(ValueError, match="must be a dictionary"):
            cls(wrong)


def test_helpers():
    assert find_by_id([{"id": "a"}, {"id": "b", "v": 1}], "b") == {"id": "b", "v": 1}
    assert find_by_id(None, "x", "d") == "d"
    base = {"a": {"b": 1, "c": 2}, "l": [1]}
    assert merge(base, {"a": {"b": 3}, "l": [2], "n": None}) == {
        "a": {"b": 3, "c": 2}, "l": [1, 2], "n": None}
    assert base == {"a": {"b": 1, "c": 2}, "l": [1]}
    assert make_param("P", ["x"], scope="asset")["structured_value"] == ["x"]
    assert make_param("P", "x", value_type="email")["type"] == "email"
    tier = make_tier("reseller")
    assert tier["type"] == "reseller" and "@" in tier["contact_info"]["contact"]["email"]


@pytest.mark.parametrize(("request_data", "model"), [
    ({"type": "purchase", "asset": {}}, "asset"),
    ({"type": "cancel", "asset": {}}, "asset"),
    ({"type": "purchase"}, "undefined"),
    ({"type": "setup", "configuration": {}}, "tier-config"),
    ({"type": "adjustment", "asset": {}}, "asset"),
    ({"type": "adjustment", "configuration": {}}, "tier-config"),
    ({"type": "adjustment"}, "undefined"),
    ({"type": "billing", "asset": {}}, "undefined"),
])
def test_request_model_needs_the_type_and_the_object_it_carries(request_data, model):
    assert request_model(request_data) == model


def test_business_objects_fulfil_their_contracts():
    assert isinstance(Request(), RequestSource) and isinstance(Request(), RequestBuilder)
    assert isinstance(Asset(), AssetSource)

    class HalfAsset(AssetSource):  # type: ignore[misc,valid-type]
        def id(self):
            return None

    with pytest.raises(TypeError, match="abstract"):
        HalfAsset()
