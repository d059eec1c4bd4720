"""``rndi-saga new``: the project it writes passes the runner's start-up validation, its
sagas are wired, and nothing is ever overwritten. (That the project's own tests pass in a
fresh environment is tests/packaging/test_new_project.py.)"""

import json
import sys

import pytest
import toml  # what the runner reads pyproject.toml with (tomllib is 3.11+)
from connect.eaas.core.validation.validators import (
    validate_eventsapp,
    validate_extension_json,
    validate_pyproject_toml,
)

from rndi.connect.devops_fulfillment_framework._scaffold import (
    ScaffoldError,
    project_names,
    render,
    write_project,
)
from rndi.connect.devops_fulfillment_framework.cli import main
from rndi.connect.testing.connect_api import EVENT_DEFINITIONS


@pytest.fixture
def project(tmp_path, monkeypatch, capsys):
    """``rndi-saga new acme-extension`` run in an empty directory, importable."""
    monkeypatch.chdir(tmp_path)
    assert main(["new", "acme-extension"]) == 0
    root = tmp_path / "acme-extension"
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in [name for name in sys.modules if name.startswith("acme_extension")]:
        del sys.modules[name]


@pytest.mark.parametrize(("name", "package", "class_name", "title"), [
    ("acme-extension", "acme_extension", "AcmeExtension", "Acme extension"),
    ("acme", "acme", "AcmeExtension", "Acme"),
    ("Big_Vendor-sync", "big_vendor_sync", "BigVendorSyncExtension", "Big vendor sync"),
])
def test_names_follow_the_project_name(name, package, class_name, title):
    names = project_names(name)
    assert (names["package"], names["class_name"], names["title"]) == (
        package, class_name, title)


@pytest.mark.parametrize("name", ["9lives", "acme extension", "acme--x", "-acme", "acme-",
                                  "", "ünïcode"])
def test_a_name_that_cannot_make_a_package_is_refused(name):
    with pytest.raises(ScaffoldError, match="use a letter, then letters, digits"):
        project_names(name)


@pytest.mark.parametrize("name", ["class", "import", "Async"])
def test_a_name_whose_package_is_a_keyword_says_so(name):
    with pytest.raises(ScaffoldError, match=r"a Python keyword, which cannot be imported"):
        project_names(name)


@pytest.mark.parametrize("name", ["rndi", "tests", "requests"])
def test_a_name_that_would_hide_a_module_is_refused(name):
    with pytest.raises(ScaffoldError, match="hides a module the extension needs"):
        project_names(name)


def test_the_project_has_every_part(project, capsys):
    files = sorted(str(path.relative_to(project)) for path in project.rglob("*")
                   if path.is_file())
    assert files == [
        ".gitignore", "README.md",
        *(f"acme_extension/{name}" for name in (
            "__init__.py", "extension.json", "extension.py", "saga.py", "validation.py",
            "vendor.py")),
        "pyproject.toml",
        *(f"tests/{name}" for name in (
            "__init__.py", "conftest.py", "samples.py", "test_runner.py", "test_saga.py",
            "test_validation.py")),
    ]
    printed = capsys.readouterr().out
    assert printed.startswith("Wrote 15 files into acme-extension/:\n")
    assert printed.endswith("Next: cd acme-extension && poetry install && poetry run pytest\n")
    assert "$" not in "".join(path.read_text() for path in project.rglob("*") if path.is_file())


def test_the_project_passes_the_runners_validation(project):
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
    assert extension.__name__ == "AcmeExtension"
    assert {e["event_type"]: e["method"] for e in extension.get_events()} == {
        "asset_purchase_request_processing": "handle_purchase_request",
        "asset_purchase_request_validation": "validate_purchase_request"}
    assert json.loads((project / "acme_extension" / "extension.json").read_text())[
        "name"] == "Acme extension"


def test_the_pyproject_depends_on_this_framework_and_runs_its_tests(project):
    pyproject = toml.loads((project / "pyproject.toml").read_text())
    poetry = pyproject["tool"]["poetry"]
    assert poetry["name"] == "acme-extension"
    assert "rndi-connect-devops-fulfillment-framework" in poetry["dependencies"]
    test_group = poetry["group"]["test"]["dependencies"]
    assert test_group["rndi-connect-devops-fulfillment-framework"]["extras"] == [
        "testing", "runner"]
    assert pyproject["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]


def test_the_saga_and_the_validation_are_wired(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    settings = ["--set", "ACTIVATION_TEMPLATE=TL-1", "--set", "VENDOR_API_URL=http://vendor",
                "--set", "CACHE_DRIVER=sqlite"]
    assert main(["check", "acme_extension.saga:PurchaseSaga", *settings]) == 0
    assert main(["check", "acme_extension.validation:PurchaseValidation", *settings]) == 0
    out = capsys.readouterr().out
    assert "PurchaseSaga: the wiring is complete" in out
    assert "PurchaseValidation: the wiring is complete" in out
    # without a shared cache, the lease and the journal protect nothing: check says so
    assert main(["check", "acme_extension.saga:PurchaseSaga", *settings[:4]]) == 1
    assert "unsafe:" in capsys.readouterr().out


def test_nothing_is_overwritten(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "notes.txt").write_text("mine")
    assert main(["new", "acme"]) == 2
    assert "'acme' already exists and is not an empty directory" in capsys.readouterr().err
    assert [path.name for path in (tmp_path / "acme").iterdir()] == ["notes.txt"]
    (tmp_path / "file").write_text("")
    with pytest.raises(ScaffoldError, match="nothing was written"):
        write_project("acme", tmp_path / "file")


def test_an_empty_directory_is_filled(tmp_path, capsys):
    target = tmp_path / "here"
    target.mkdir()
    assert main(["new", "acme", "--directory", str(target)]) == 0
    assert (target / "acme" / "saga.py").is_file()
    assert f"into {target}/:" in capsys.readouterr().out


def test_a_bad_name_exits_2_naming_the_rule(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["new", "9lives"]) == 2
    assert "'9lives' cannot name a project" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_framework_version_is_the_lower_bound(monkeypatch):
    from rndi.connect.devops_fulfillment_framework import _scaffold

    monkeypatch.setattr(_scaffold, "version", lambda name: "7.1.0")
    assert 'rndi-connect-devops-fulfillment-framework = ">=7.1.0"' in render("acme")[
        "pyproject.toml"]

    def not_installed(name):
        raise _scaffold.PackageNotFoundError(name)

    monkeypatch.setattr(_scaffold, "version", not_installed)
    assert ">=1.0.0" in render("acme")["pyproject.toml"]


def test_a_directory_that_cannot_be_made_exits_2(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["new", "acme", "--directory", str(tmp_path / "file" / "inside")]) == 2
    assert capsys.readouterr().err.startswith("rndi-saga: ")
