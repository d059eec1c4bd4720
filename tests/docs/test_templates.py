"""The site's extension.json and pyproject.toml templates (docs/flows.md) pass the
runner's own start-up validators, with an extension declaring a background, a validation
and a scheduled handler."""

import json
import re
import sys
import textwrap
from pathlib import Path

import pytest
from connect.eaas.core.validation.validators import (
    validate_eventsapp,
    validate_extension_json,
    validate_pyproject_toml,
)

from rndi.connect.testing.connect_api import EVENT_DEFINITIONS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "flows.md"
SECTION = "## Declaring the handlers: extension.json and pyproject.toml"

EXTENSION = '''
from connect.eaas.core.decorators import event, schedulable, variables
from connect.eaas.core.extension import EventsApplicationBase

from rndi.connect.devops_fulfillment_framework import ScheduledFlow, ValidationFlow


class Validation(ValidationFlow):
    def transactions(self, request):
        return []


class Nightly(ScheduledFlow):
    def transactions(self, schedule):
        return []


@variables([{"name": "VENDOR_API_URL", "initial_value": "https://vendor.example"}])
class YourExtension(EventsApplicationBase):
    @event("asset_purchase_request_processing", statuses=["pending"])
    def handle_purchase_request(self, request):
        raise NotImplementedError

    @event("asset_purchase_request_validation", statuses=["draft"])
    def validate_purchase_request(self, request):
        return Validation.make(self.config, self.client, self.logger, request).resolve(request)

    @schedulable("Nightly", "Runs every night.")
    def nightly(self, schedule):
        return Nightly.make(self.config, self.client, self.logger, schedule).resolve(schedule)
'''


def template(language):
    section = PAGE.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    return block


@pytest.fixture
def project(tmp_path, monkeypatch):
    package = tmp_path / "your_extension"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "extension.py").write_text(textwrap.dedent(EXTENSION))
    (package / "extension.json").write_text(template("json"))
    (tmp_path / "pyproject.toml").write_text(template("toml"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("your_extension")]:
        del sys.modules[name]


def test_the_templates_pass_the_runners_validation(project):
    context = {"project_dir": str(project),
               "event_definitions": {d["type"]: d for d in EVENT_DEFINITIONS}}
    items = []
    for validator in (validate_pyproject_toml, validate_extension_json, validate_eventsapp):
        result = validator(context)
        assert not result.must_exit, result.items
        context.update(result.context or {})
        items.extend(result.items)
    assert items == []
    extension = context["extension_classes"]["eventsapp"]
    assert {e["event_type"]: e["method"] for e in extension.get_events()} == {
        "asset_purchase_request_processing": "handle_purchase_request",
        "asset_purchase_request_validation": "validate_purchase_request"}
    assert [s["method"] for s in extension.get_schedulables()] == ["nightly"]
    assert json.loads(template("json"))["name"] == "Your extension"
