"""The Connect API stand-in behaves like Connect for the calls extensions make."""

import json
import ssl

import pytest
import requests
from connect.client import ClientError

from rndi.connect.testing import ConnectAPI, FakeHTTPService, HTTPError
from tests.conftest import PR, TCR


def test_serves_seeded_requests_through_a_real_client(api):
    client = api.client()
    assert client.requests[PR].get()["status"] == "pending"
    assert client("tier").config_requests[TCR].get()["type"] == "setup"
    assert api.endpoint.endswith("/public/v1")


def test_collection_filters_by_id_and_status_and_reports_the_count(api):
    client = api.client()
    assert client.requests.filter(id=PR).count() == 1
    assert client.requests.filter(id=PR, status="approved").count() == 0
    answer = requests.get(f"{api.endpoint}/requests?and(eq(id,{PR}),in(status,(pending)))"
                          "&limit=0&offset=0", timeout=5)
    assert (answer.json(), answer.headers["Content-Range"]) == ([], "items 0-0/1")
    listed = requests.get(f"{api.endpoint}/tier/config-requests?eq(status,pending)", timeout=5)
    assert [r["id"] for r in listed.json()] == [TCR]


def test_unknown_objects_answer_404_like_connect(api):
    with pytest.raises(ClientError) as error:
        api.client().requests["PR-404"].get()
    assert (error.value.status_code, error.value.error_code) == (404, "REQ_001")
    for path in ("assets/AS-404", "tier/configs/TC-404", "nothing/here"):
        assert requests.get(f"{api.endpoint}/{path}", timeout=5).status_code == 404


def test_wrong_method_answers_405(api):
    answer = requests.delete(f"{api.endpoint}/requests/{PR}", timeout=5)
    assert answer.status_code == 405


def test_double_slashes_in_paths_are_collapsed(api):
    answer = requests.get(f"{api.url}/public/v1//requests/{PR}", timeout=5)
    assert answer.json()["id"] == PR


def test_unknown_parameter_update_is_refused(api):
    with pytest.raises(ClientError) as error:
        api.client().requests[PR].update(payload={"asset": {"params": [{"id": "NOPE"}]}})
    assert error.value.status_code == 400 and "NOPE" in str(error.value)
    with pytest.raises(ClientError):
        api.client().requests[PR].update(payload={"asset": {"params": "not a list"}})


@pytest.mark.parametrize(("method", "path", "body", "complaint"), [
    ("PUT", f"requests/{PR}", {"asset": 5}, "asset must be an object, got int"),
    ("PUT", f"requests/{PR}", {"asset": None}, "asset must be an object, got NoneType"),
    ("PUT", f"requests/{PR}", {"asset": {"params": "x"}}, "params must be a list"),
    ("PUT", f"requests/{PR}", {"asset": {"params": [5]}}, "must be an object, got int"),
    ("PUT", f"requests/{PR}", [1, 2], "body must be a JSON object, got list"),
    ("PUT", f"tier/config-requests/{TCR}", {"params": {"id": "x"}}, "params must be a list"),
    ("POST", f"tier/config-requests/{TCR}/approve", {"template": "TL-1"},
     "template must be an object, got str"),
    ("POST", f"requests/{PR}/approve", "just text", "body must be a JSON object, got str"),
])
def test_json_of_the_wrong_shape_is_a_400_and_changes_nothing(api, method, path, body,
                                                              complaint):
    before = json.dumps([api.request(PR), api.request(TCR)], sort_keys=True)
    data = body if isinstance(body, str) else json.dumps(body)
    answer = requests.request(method, f"{api.endpoint}/{path}", data=data, timeout=5,
                              headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error_code"] == "VAL_001"
    assert complaint in answer.json()["errors"][0]
    assert json.dumps([api.request(PR), api.request(TCR)], sort_keys=True) == before
    assert api.client().requests[PR].get()["id"] == PR  # the server goes on


def test_note_updates_and_transitions_follow_connect_rules(api):
    client = api.client()
    client.requests[PR].update(payload={"note": "checked"})
    assert api.request(PR)["note"] == "checked"
    with pytest.raises(ClientError, match="activation template"):
        client.requests[PR]("approve").post(payload={})
    with pytest.raises(ClientError, match="reason is required"):
        client.requests[PR]("fail").post(payload={})
    client.requests[PR]("inquire").post(payload={"template_id": "TL-1"})
    client.requests[PR]("pend").post(payload={})
    assert api.request(PR)["status"] == "pending"
    with pytest.raises(ClientError, match="activation template"):
        client("tier").config_requests[TCR]("approve").post(payload={"template": {}})
    client("tier").config_requests[TCR]("approve").post(payload={"template": {"id": "TL-2"}})
    with pytest.raises(ClientError, match="is approved: cannot approve"):
        client("tier").config_requests[TCR]("approve").post(payload={"template": {"id": "TL-2"}})


def test_calls_are_recorded_with_method_path_query_and_body(api):
    requests.post(f"{api.endpoint}/requests/{PR}/fail?x=1", data="not json",
                  headers={"X-Test": "1"}, timeout=5)
    (call,) = api.calls
    assert (call.method, call.path, call.query, call.body) == (
        "POST", f"/public/v1/requests/{PR}/fail", "x=1", "not json")
    assert call.headers["X-Test"] == "1"
    assert api.api_calls() == [f"POST requests/{PR}/fail"]


def test_seeding_validates_and_copies(asset_purchase, tmp_path):
    api = ConnectAPI()
    with pytest.raises(ValueError, match="'id'"):
        api.add_request({"no": "id"})
    path = tmp_path / "request.json"
    path.write_text(json.dumps(asset_purchase))
    stored = api.add_request(str(path))
    assert stored == asset_purchase and stored is not asset_purchase
    with pytest.raises(KeyError, match="PR-404"):
        api.request("PR-404")


def test_port_needs_a_started_service():
    with pytest.raises(RuntimeError, match="not started"):
        _ = FakeHTTPService().port


def test_custom_routes_for_other_services():
    class Vendor(FakeHTTPService):
        def __init__(self):
            super().__init__()
            self.route("GET", r"/things/(?P<thing>\w+)", self.thing)

        def thing(self, call, thing):
            if thing == "missing":
                raise HTTPError(404, {"message": "no"})
            return 200, {"thing": thing}, {"X-Served-By": "vendor"}

    with Vendor() as vendor:
        answer = requests.get(f"{vendor.url}/things/hat", timeout=5)
        assert answer.json() == {"thing": "hat"} and answer.headers["X-Served-By"] == "vendor"
        assert requests.get(f"{vendor.url}/things/missing", timeout=5).status_code == 404


def test_requests_seeded_without_an_asset_are_answered_not_dropped(api, asset_purchase):
    bare = {"id": "PR-BARE", "status": "pending"}
    null_asset = {"id": "PR-NULL", "status": "pending", "asset": None}
    api.add_request(bare)
    api.add_request(null_asset)
    update = {"asset": {"params": [{"id": "CAT_SUBSCRIPTION_ID", "value": "S-1"}]}}
    for request_id in ("PR-BARE", "PR-NULL"):
        answer = requests.put(f"{api.endpoint}/requests/{request_id}", json=update, timeout=5)
        assert answer.status_code == 400
        assert "seeded without an asset object" in answer.json()["errors"][0]
    asset_id = asset_purchase["asset"]["id"]
    assert api.client().assets[asset_id].get()["id"] == asset_id
    assert requests.get(f"{api.endpoint}/assets/AS-404", timeout=5).status_code == 404
    assert api.failures == []


def test_a_parameter_update_names_the_unknown_id_never_a_value_and_applies_nothing(api):
    before = api.request(PR)
    updates = [{"id": "CAT_SUBSCRIPTION_ID", "value": "applied?"},
               {"id": "NOPE", "value": "hunter2-secret"}]
    answer = requests.put(f"{api.endpoint}/requests/{PR}",
                          json={"asset": {"params": updates}}, timeout=5)
    assert answer.status_code == 400 and "'NOPE'" in answer.json()["errors"][0]
    assert "hunter2" not in answer.text
    assert api.request(PR) == before


@pytest.mark.parametrize(("content", "named"), [
    ([{"id": "PR-1", "secret": "hunter2"}], "holds a list"),
    ("hunter2", "holds a str"),
    ({"secret": "hunter2"}, "has no 'id'"),
    ({"id": ["hunter2"]}, "has no 'id'"),
])
def test_seeding_from_a_file_of_the_wrong_shape_names_the_type_not_the_content(
        tmp_path, content, named):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ValueError, match="expected a Connect request") as error:
        ConnectAPI([path])
    assert named in str(error.value) and str(path) in str(error.value)
    assert "hunter2" not in str(error.value)


def test_seeding_from_a_file_that_is_not_json_names_the_file(tmp_path):
    path = tmp_path / "seed.json"
    path.write_text("password=hunter2")
    with pytest.raises(ValueError, match="is not JSON") as error:
        ConnectAPI([path])
    assert str(path) in str(error.value) and "hunter2" not in str(error.value)


def test_serves_what_the_runners_start_up_validation_reads(api):
    client = api.client()
    assert client.accounts.all().first()["id"] == "VA-000-000"
    assert client.response.headers["Connect-Version"].split(".")[0].isdigit()
    definitions = {d["type"]: d for d in client("devops").event_definitions.all()}
    assert "pending" in definitions["asset_purchase_request_processing"]["object_statuses"]
    assert definitions["tier_config_setup_request_validation"]["object_statuses"] == ["draft"]
    page = requests.get(f"{api.endpoint}/devops/event-definitions?limit=2&offset=3", timeout=5)
    assert [d["type"] for d in page.json()] == list(definitions)[3:5]
    assert page.headers["Content-Range"] == f"items 3-4/{len(definitions)}"


def test_parameter_updates_are_applied_like_connect(api):
    api.client().requests[PR].update(payload={"asset": {"params": [
        {"id": "CAT_SUBSCRIPTION_ID", "value": "SUB-1", "value_error": ""}]}})
    (param,) = [p for p in api.request(PR)["asset"]["params"]
                if p["id"] == "CAT_SUBSCRIPTION_ID"]
    assert (param["value"], param["value_error"]) == ("SUB-1", "")
    api.add_request({"id": "PR-ODD", "status": "pending", "asset": {"params": None}})
    answer = requests.put(f"{api.endpoint}/requests/PR-ODD", timeout=5,
                          json={"asset": {"params": [{"id": "X", "value": "1"}]}})
    assert answer.status_code == 400 and "NoneType, not a list" in answer.json()["errors"][0]


def test_requests_are_taken_as_separate_arguments_a_list_or_both(asset_purchase,
                                                                   tier_config_setup, tmp_path):
    path = tmp_path / "change.json"
    path.write_text(json.dumps({**asset_purchase, "id": "PR-CHANGE", "type": "change"}))
    forms = [ConnectAPI(asset_purchase, tier_config_setup, str(path)),
             ConnectAPI([asset_purchase, tier_config_setup, path]),
             ConnectAPI([asset_purchase], (r for r in [tier_config_setup]), path)]
    for api in forms:
        assert (sorted(api.asset_requests), list(api.tier_config_requests)) == (
            sorted([PR, "PR-CHANGE"]), [TCR])
    with pytest.raises(ValueError, match="holds a int; expected a Connect request"):
        ConnectAPI(5)
    with pytest.raises(TypeError, match="as a keyword: ConnectAPI"):
        ConnectAPI([asset_purchase], ssl.create_default_context())


def test_the_connect_api_fixture_takes_both_forms(connect_api, asset_purchase,
                                                  tier_config_setup):
    separate = connect_api(asset_purchase, tier_config_setup)
    listed = connect_api([asset_purchase, tier_config_setup])
    for api in (separate, listed):
        assert api.client().requests[PR].get()["id"] == PR
        assert api.request(TCR)["id"] == TCR


def test_every_change_moves_updated_forward_as_connect_does(api):
    seeded = api.add_request({"id": "PR-9000-0000-0000-001", "status": "pending",
                              "updated": "2021-12-23T09:09:25+00:00",
                              "asset": {"id": "AS-1", "params": [{"id": "P", "value": ""}]}})
    client = api.client()
    seen = [seeded["updated"]]
    client.requests[seeded["id"]].update({"asset": {"params": [{"id": "P", "value": "x"}]}})
    seen.append(api.request(seeded["id"])["updated"])
    client.requests[seeded["id"]]("inquire").post(payload={"template_id": "TL-1"})
    seen.append(api.request(seeded["id"])["updated"])
    client.requests[seeded["id"]]("pend").post(payload={})
    seen.append(api.request(seeded["id"])["updated"])
    assert seen == sorted(seen) and len(set(seen)) == 4  # each state its own


def test_a_request_seeded_without_updated_gets_none(api):
    seeded = api.add_request({"id": "PR-9000-0000-0000-002", "status": "pending"})
    api.client().requests[seeded["id"]]("approve").post(payload={"template_id": "TL-1"})
    assert "updated" not in api.request(seeded["id"])


def test_an_updated_it_cannot_read_is_replaced_by_now(api):
    seeded = api.add_request({"id": "PR-9000-0000-0000-003", "status": "pending",
                              "updated": "yesterday"})
    naive = api.add_request({"id": "PR-9000-0000-0000-004", "status": "pending",
                             "updated": "2021-12-23T09:09:25"})
    api.client().requests[naive["id"]]("approve").post(payload={"template_id": "TL-1"})
    assert api.request(naive["id"])["updated"].endswith("+00:00")
    api.client().requests[seeded["id"]]("approve").post(payload={"template_id": "TL-1"})
    assert api.request(seeded["id"])["updated"].endswith("+00:00")


def test_async_clients_work_on_one_event_loop_after_another(api):
    # a test delivers a request again in a second asyncio.run(): the client made for it
    # must not reuse connections the first (now closed) event loop opened
    import asyncio

    async def fetch():
        return await api.async_client().requests[PR].get()

    assert [asyncio.run(fetch())["id"] for _ in range(3)] == [PR, PR, PR]
