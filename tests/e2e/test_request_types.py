"""Each request type Connect sends, through the real runner: an extension subscribed to
every processing event gets each request, its saga sees the request's model and type, and
Connect's stand-in applies the approval as Connect does (a suspend suspends the asset, a
cancel terminates it, the others leave it active).

The extension is written and installed by the test, so it declares exactly the events
``connect-eaas-core`` lists.
"""

import json
import textwrap

import pytest

from rndi.connect.business_objects.request_types import (
    ASSET_REQUEST_TYPES,
    TIER_CONFIG_REQUEST_TYPES,
    processing_event,
)
from rndi.connect.devops_fulfillment_framework.wiring import sample_requests
from rndi.connect.testing import ConnectAPI
from rndi.connect.testing.eaas import FakeEaaS
from rndi.connect.testing.runner import ExtensionRunner
from tests.e2e.conftest import install

pytestmark = pytest.mark.e2e

EVERY_TYPE = [("asset", kind) for kind in ASSET_REQUEST_TYPES] + [
    ("tier-config", kind) for kind in TIER_CONFIG_REQUEST_TYPES]
EVENTS = [processing_event(model, kind) for model, kind in EVERY_TYPE]
ASSET_STATUS_AFTER_APPROVAL = {"suspend": "suspended", "cancel": "terminated"}

SAGA = '''
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.api_facades.facade import ConnectOpenAPIFacade
from rndi.connect.business_objects import Request
from rndi.connect.business_transactions.contracts import BackgroundTransaction
from rndi.connect.devops_fulfillment_framework.application import Saga


class Approve(BackgroundTransaction):
    """Approves with a template naming the model and type the framework read."""

    def __init__(self, client, logger):
        self.facade = ConnectOpenAPIFacade(client)
        self.logger = logger

    def should_execute(self, request):
        return True

    def execute(self, request):
        read = Request(request)
        template = f"TL-{read.request_model()}-{read.type()}"
        self.logger.info("Approving with %s.", template)
        if read.is_asset_request():
            self.facade.approve_asset_request(read, template)
        else:
            self.facade.approve_tier_configuration_request(read, template)
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail(str(e))


class ApproveSaga(Saga):
    def transactions(self, request):
        return [Approve]
'''

HANDLER = '''
    @event({event!r}, statuses=["pending"])
    def handle_{number}(self, request):
        return ApproveSaga.make(self.config, self.client, self.logger, request).resolve(request)
'''


def write_extension(root):
    package = root / "every_type_extension"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "saga.py").write_text(SAGA)
    handlers = "".join(HANDLER.format(event=event, number=number)
                       for number, event in enumerate(EVENTS))
    (package / "extension.py").write_text(
        "from connect.eaas.core.decorators import event\n"
        "from connect.eaas.core.extension import EventsApplicationBase\n\n"
        "from every_type_extension.saga import ApproveSaga\n\n\n"
        "class EveryTypeExtension(EventsApplicationBase):" + handlers)
    (package / "extension.json").write_text(json.dumps({
        "name": "Every request type", "description": "Approves every request type.",
        "version": "1.0.0", "audience": ["vendor"],
        "readme_url": "https://example.com/README.md",
        "changelog_url": "https://example.com/CHANGELOG.md"}))
    (root / "pyproject.toml").write_text(textwrap.dedent('''
        [project]
        name = "every-type-extension"
        version = "1.0.0"
        requires-python = ">=3.10"

        [project.entry-points."connect.eaas.ext"]
        eventsapp = "every_type_extension.extension:EveryTypeExtension"

        [tool.poetry]
        packages = [{ include = "every_type_extension" }]
        include = ["every_type_extension/extension.json"]

        [build-system]
        requires = ["poetry-core>=2.0"]
        build-backend = "poetry.core.masonry.api"
        '''))
    return root


@pytest.fixture(scope="module")
def stack(tls, tmp_path_factory):
    context, bundle = tls
    site = install(write_extension(tmp_path_factory.mktemp("every-type")),
                   tmp_path_factory.mktemp("every-type-site"))
    requests = sample_requests()
    for request in requests:
        member = request.get("asset") or request["configuration"]
        member["status"] = "processing" if request["type"] in ("purchase", "setup") else "active"
    with ConnectAPI(requests, ssl_context=context) as connect, \
            FakeEaaS({}, event_types=EVENTS) as eaas:
        runner = ExtensionRunner(eaas, connect, bundle, python_path=[str(site)], deadline=240)
        runner.start()
        try:
            eaas.wait_ready(timeout=90)
            yield connect, eaas, runner, requests
        finally:
            # no graceful shutdown to wait for: test_async_runner.py proves it
            runner.kill()
            runner.close()


def test_the_runner_subscribes_to_every_processing_event(stack):
    _, eaas, _, _ = stack
    subscribed = eaas.setup_requests["background"]["event_subscriptions"]
    assert sorted(subscribed) == sorted(EVENTS)


@pytest.fixture(scope="module")
def outputs(stack):
    """The runner's answer to each request, all delivered at once: the runner sends its
    results every half second, which one delivery after the other would wait out each
    time."""
    _, eaas, _, requests = stack
    sent = [eaas.send(event, request["id"], timeout=90)
            for event, request in zip(EVENTS, requests, strict=True)]
    return [future.result(120) for future in sent]


@pytest.mark.parametrize("index", range(len(EVERY_TYPE)))
def test_each_type_is_delivered_read_and_approved_as_connect_does(stack, outputs, index):
    connect, _, runner, requests = stack
    (model, kind), request = EVERY_TYPE[index], requests[index]
    assert outputs[index]["result"] == "success", runner.output
    final = connect.request(request["id"])
    assert final["status"] == "approved"
    if model == "asset":
        (approve,) = connect.calls_to("POST", f"requests/{request['id']}/approve")
        assert approve.body == {"template_id": f"TL-asset-{kind}"}
        assert final["asset"]["status"] == ASSET_STATUS_AFTER_APPROVAL.get(kind, "active")
    else:
        (approve,) = connect.calls_to("POST", f"tier/config-requests/{request['id']}/approve")
        assert approve.body == {"template": {"id": f"TL-tier-config-{kind}"}}
        assert final["configuration"]["status"] == "active"
    # the saga's logger is bound to the request whatever its type
    assert f"{request['id']} Approving with TL-{model}-{kind}." in runner.output
