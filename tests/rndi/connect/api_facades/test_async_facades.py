"""The awaitable ``a…`` twins of the facade operations, through a real AsyncConnectClient,
side by side with the sync operations on a real ConnectClient."""

import inspect

import pytest
from connect.client import ClientError

from rndi.connect.api_facades import ConnectOpenAPIFacade
from rndi.connect.api_facades.exceptions import ClientMismatch
from rndi.connect.testing import ConnectAPI
from tests.conftest import PR, TCR, load

pytestmark = pytest.mark.anyio

OPERATIONS = [
    ("find_asset", ("AS-8790-0160-2196",), {}),
    ("find_asset_request", (PR,), {}),
    ("approve_asset_request", (PR, "TL-1"), {"effective_date": "2024-01-01"}),
    ("approve_asset_request", (PR, None), {"activation_tile": "# Welcome"}),
    ("fail_asset_request", (PR, "Out of stock"), {}),
    ("inquire_asset_request", (PR, "TL-INQ"), {}),
    ("update_asset_request_parameters", (PR, [{"id": "CAT_SUBSCRIPTION_ID", "value": "S-9"}]),
     {}),
    ("find_tier_configuration", ("TC-000-000-001",), {}),
    ("find_tier_configuration_request", (TCR,), {}),
    ("approve_tier_configuration_request", (TCR, "TL-T"), {}),
    ("fail_tier_configuration_request", (TCR, "No such reseller"), {}),
    ("inquire_tier_configuration_request", (TCR,), {"template_id": "TL-I"}),
    ("update_tier_configuration_request_parameters",
     (TCR, [{"id": "my_ordering_parameter", "value": "222"}]), {}),
]
NAMES = sorted({name for name, _, _ in OPERATIONS})


def fresh_api():
    return ConnectAPI([load("asset_purchase"), load("tier_config_setup")])


def recorded(api):
    return [(call.method, call.path, call.body) for call in api.calls]


def without_clock(state):
    """A request or answer without ``updated``: the two APIs write it from the clock, so two
    runs a second boundary apart differ there and nowhere else."""
    return {key: value for key, value in state.items() if key != "updated"}


@pytest.mark.parametrize(("name", "args", "kwargs"), OPERATIONS)
async def test_each_twin_answers_what_the_sync_operation_answers(name, args, kwargs):
    with fresh_api() as sync_api, fresh_api() as async_api:
        expected = getattr(ConnectOpenAPIFacade(sync_api.client()), name)(*args, **kwargs)
        facade = ConnectOpenAPIFacade(async_api.async_client())
        answer = await getattr(facade, f"a{name}")(*args, **kwargs)
        assert type(answer) is type(expected)
        assert without_clock(answer.raw()) == without_clock(expected.raw())
        assert recorded(async_api) == recorded(sync_api) != []
        for request_id in (PR, TCR):  # Connect ends in the same state
            after_async, after_sync = async_api.request(request_id), sync_api.request(request_id)
            assert without_clock(after_async) == without_clock(after_sync)
            # both moved ``updated`` on the same requests
            seeded = fresh_api().request(request_id).get("updated")
            assert ((after_async.get("updated") == seeded)
                    == (after_sync.get("updated") == seeded))


@pytest.mark.parametrize("name", NAMES)
def test_each_twin_takes_the_same_parameters(name):
    sync = inspect.signature(getattr(ConnectOpenAPIFacade, name))
    twin = inspect.signature(getattr(ConnectOpenAPIFacade, f"a{name}"))
    assert twin == sync
    assert next(iter(sync.parameters)) == "self"
    assert sync.return_annotation is not inspect.Signature.empty
    assert inspect.iscoroutinefunction(getattr(ConnectOpenAPIFacade, f"a{name}"))
    assert not inspect.iscoroutinefunction(getattr(ConnectOpenAPIFacade, name))


async def test_on_error_and_on_success_behave_as_in_the_sync_operation(api):
    facade = ConnectOpenAPIFacade(api.async_client())
    await facade.afail_asset_request(PR, "first")
    seen = []
    handled = await facade.aapprove_asset_request(
        PR, "TL-1", on_error=lambda e: seen.append(e) or "handled",
        on_success=lambda r: "not called")
    assert handled == "handled" and seen[0].status_code == 400
    with pytest.raises(ClientError) as error:
        await facade.aapprove_asset_request(PR, "TL-1")
    assert error.value.error_code == "REQ_003"
    assert (await facade.afind_asset_request(PR)).status() == "failed"


async def test_callbacks_may_be_async_def(api):
    facade = ConnectOpenAPIFacade(api.async_client())

    async def status(request):
        return request.status()

    async def code(error):
        return error.status_code

    assert await facade.ainquire_asset_request(PR, "TL-INQ", on_success=status) == "inquiring"
    assert await facade.afail_asset_request("PR-404", "x", on_error=code) == 404


async def test_a_sync_operation_on_an_async_client_raises_before_any_call(api):
    facade = ConnectOpenAPIFacade(api.async_client())
    with pytest.raises(ClientMismatch, match=r"await self\.aapprove_asset_request") as error:
        facade.approve_asset_request(PR, "TL-1")
    assert error.value.operation == "approve_asset_request"
    assert error.value.client == "AsyncConnectClient"
    assert "aresolve()" in str(error.value)
    with pytest.raises(ClientMismatch, match="aupdate_tier_configuration_request_parameters"):
        facade.update_tier_configuration_request_parameters(TCR, [])
    assert api.calls == []
    assert api.request(PR)["status"] == "pending"


async def test_a_twin_on_a_sync_client_raises_before_any_call(api):
    facade = ConnectOpenAPIFacade(api.client())
    with pytest.raises(ClientMismatch, match=r"self\.fail_asset_request\(\.\.\.\) without await"):
        await facade.afail_asset_request(PR, "reason")
    with pytest.raises(ClientMismatch, match="async def"):
        await facade.afind_tier_configuration("TC-000-000-001")
    assert api.calls == []


async def test_a_client_of_unknown_kind_is_judged_by_what_it_answers(api):
    """A wrapper around either client (not a subclass) still cannot fail silently."""

    class Wrapped:
        def __init__(self, client):
            self._client = client

        def __getattr__(self, name):
            return getattr(self._client, name)

    facade = ConnectOpenAPIFacade(Wrapped(api.async_client()))
    # the coroutine it answered is closed unrun: no "never awaited" warning (an error here)
    with pytest.raises(ClientMismatch, match="only run when awaited"):
        facade.approve_asset_request(PR, "TL-1")
    assert api.calls == []
    facade = ConnectOpenAPIFacade(Wrapped(api.client()))
    with pytest.raises(ClientMismatch, match="must be awaited"):
        await facade.aapprove_asset_request(PR, "TL-1")
    # the sync client did send that one call: an unknown client is only judged afterwards
    assert [call.method for call in api.calls] == ["POST"]
    assert api.request(PR)["status"] == "approved"
