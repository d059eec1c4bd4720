"""A published rndi-* distribution installed over this package is refused at import, with
the fix; ``rndi-saga doctor`` prints the installation and exits 1 on such a clash.

Each test builds its published distribution itself: a ``.dist-info`` folder, as pip
leaves it, in a temporary site folder put on the path.
"""

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from rndi.connect.devops_fulfillment_framework import cli, installation
from rndi.connect.devops_fulfillment_framework.installation import (
    DISTRIBUTION,
    PACKAGES,
    Clash,
    PublishedPackageClash,
    doctor_report,
    find_clashes,
    refuse_clashes,
    stack_name,
)

ROOT = Path(__file__).resolve().parents[4]
RNDI_SAGA = Path(sys.executable).with_name("rndi-saga")


def published(site, name, version, files):
    """Install the metadata of distribution ``name`` owning ``files`` into ``site``."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [*files, f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(f"{path},," if "," not in path else path
                                           for path in record) + "\n")
    return site


@pytest.fixture
def business_objects(tmp_path):
    return published(tmp_path / "site", "rndi-connect-business-objects", "1.0.0", [
        "rndi/connect/business_objects/__init__.py",
        "rndi/connect/business_objects/adapters.py",
        "rndi/connect/business_objects/helpers.py"])


def test_a_published_distribution_over_this_package_is_found(business_objects):
    (clash,) = find_clashes([str(business_objects)])
    assert clash == Clash("rndi-connect-business-objects", "1.0.0",
                          ("rndi.connect.business_objects",), None)
    message = clash.message()
    assert message.startswith("rndi-connect-business-objects 1.0.0 is installed next to "
                              f"{DISTRIBUTION} and ships its own rndi.connect.business_objects")
    assert "leaving a mix of both" in message
    assert ("Fix: remove rndi-connect-business-objects from your pyproject.toml (depend on "
            f"{DISTRIBUTION} instead)") in message


def test_the_fix_names_the_extra_that_replaces_a_published_driver(tmp_path):
    site = published(tmp_path, "rndi-cache-redis-adapter", "2.1.0", [
        "rndi/cache/adapters/redis/adapter.py"])
    (clash,) = find_clashes([str(site)])
    assert (clash.packages, clash.extra) == (("rndi.cache",), "redis")
    assert f"depend on {DISTRIBUTION}[redis] instead" in clash.message()


def test_the_published_telemetry_observer_is_replaced_by_the_insights_extra(tmp_path):
    site = published(tmp_path, "rndi-python-telemetry-observer", "1.2.0", [
        "rndi/telemetry/provider.py", "rndi/telemetry/adapters/azure.py"])
    (clash,) = find_clashes([str(site)])
    assert (clash.packages, clash.extra) == (("rndi.telemetry",), "insights")
    assert f"depend on {DISTRIBUTION}[insights] instead" in clash.message()


def test_an_extra_this_installation_does_not_provide_is_not_offered(tmp_path, monkeypatch):
    monkeypatch.setitem(installation.EXTRA_FOR, "rndi-cache-redis-adapter", "no-such-extra")
    site = published(tmp_path, "rndi-cache-redis-adapter", "2.1.0", ["rndi/cache/contracts.py"])
    assert find_clashes([str(site)])[0].extra is None


def test_distributions_that_share_nothing_with_this_package_are_left_alone(tmp_path):
    site = published(tmp_path, "rndi-python-metrics", "1.0.0", [
        "rndi/metrics/__init__.py", "rndi/metrics/meter.py"])
    published(site, "rndi-connect-extras", "0.1", ["rndi/connect/helpers.py", "rndi/x.py"])
    published(site, "requests-toolbelt", "1.0", ["rndi/cache/contracts.py"])  # not rndi-*
    published(site, DISTRIBUTION, "0.9", ["rndi/cache/contracts.py"])  # this one
    assert find_clashes([str(site), str(tmp_path / "missing"), str(site / "x.zip")]) == []


def test_only_foreign_rndi_metadata_is_read(tmp_path, monkeypatch, business_objects):
    read = []
    real = metadata.PathDistribution
    monkeypatch.setattr(metadata, "PathDistribution",
                        lambda path: read.append(Path(path)) or real(path))
    published(business_objects, "requests", "2.32.0", ["requests/__init__.py"])
    published(business_objects, DISTRIBUTION, "1.0.0", ["rndi/cache/contracts.py"])
    assert len(find_clashes([str(business_objects)])) == 1
    # in the site folder, only the foreign rndi distribution's metadata is read
    assert [path.name for path in read if path.parent == business_objects] == [
        "rndi_connect_business_objects-1.0.0.dist-info"]


def test_each_distribution_is_reported_once_even_on_two_paths(tmp_path, business_objects):
    again = published(tmp_path / "other", "rndi-connect-business-objects", "1.0.0", [
        "rndi/connect/business_objects/helpers.py"])
    assert len(find_clashes([str(business_objects), str(again)])) == 1


def test_the_package_list_is_this_distribution_s_tree():
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "rndi").glob("*/__init__.py")}
    found |= {".".join(path.parent.relative_to(ROOT).parts)
              for path in (ROOT / "rndi" / "connect").glob("*/__init__.py")}
    assert set(PACKAGES) == found


@pytest.fixture
def fresh_lookup(monkeypatch):
    installation._clashes_on_sys_path.cache_clear()
    yield monkeypatch
    installation._clashes_on_sys_path.cache_clear()


def test_refuse_clashes_raises_an_import_error_naming_every_clash(fresh_lookup, business_objects):
    fresh_lookup.setattr(sys, "path", [str(business_objects), *sys.path])
    with pytest.raises(ImportError) as raised:
        refuse_clashes()
    assert isinstance(raised.value, PublishedPackageClash)
    assert [clash.distribution for clash in raised.value.clashes] == [
        "rndi-connect-business-objects"]
    assert str(raised.value) == raised.value.clashes[0].message()


def test_doctor_is_let_through_to_report_the_clash(fresh_lookup, business_objects):
    fresh_lookup.setattr(sys, "path", [str(business_objects), *sys.path])
    fresh_lookup.setattr(sys, "argv", ["/venv/bin/rndi-saga", "doctor"])
    assert refuse_clashes() is False
    fresh_lookup.setattr(sys, "argv", ["/venv/bin/rndi-saga", "check", "doctor"])
    with pytest.raises(PublishedPackageClash):
        refuse_clashes()


def test_a_clean_installation_imports(fresh_lookup):
    assert refuse_clashes() is True


def test_doctor_prints_the_installation_and_exits_0_when_sound(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out.splitlines()
    eaas_core = metadata.version("connect-eaas-core")
    assert f"connect-eaas-core: {eaas_core}" in out
    assert f"pydantic: {metadata.version('pydantic')}" in out
    assert ("the Connect client (connect-openapi-client): "
            f"{metadata.version('connect-openapi-client')}") in out
    assert f"stack: {stack_name(eaas_core)}" in out
    assert out[-1] == "published rndi-* packages over this one: none"
    drivers = next(line for line in out if line.startswith("cache drivers: "))
    assert drivers.startswith("cache drivers: none, file, sqlite")
    runner = next(line for line in out if line.startswith("the runner "))
    try:
        assert runner.endswith(f": {metadata.version('connect-extension-runner')}")
    except metadata.PackageNotFoundError:
        assert "not installed (connect-extension-runner 43 needs connect-eaas-core < 38" in runner


def test_doctor_reports_a_clash_and_exits_1(monkeypatch, capsys, business_objects):
    monkeypatch.setattr(sys, "path", [str(business_objects), *sys.path])
    assert cli.main(["doctor"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("CLASH: rndi-connect-business-objects 1.0.0 is installed next")


def test_doctor_without_the_runner_says_why(monkeypatch):
    monkeypatch.setattr(installation, "stack_versions", lambda: [
        ("connect-eaas-core", "connect-eaas-core", "38.0"),
        ("connect-extension-runner", "the runner", None),
        ("pydantic", "pydantic", "2.14.4"),
        ("connect-openapi-client", "the Connect client", None)])
    monkeypatch.setattr(metadata, "version", lambda name: (_ for _ in ()).throw(
        metadata.PackageNotFoundError(name)))
    lines, sound = doctor_report()
    assert sound is True
    assert lines[0].startswith(f"{DISTRIBUTION} not installed (imported from its source")
    assert lines[2] == ("the runner (connect-extension-runner): not installed "
                        "(connect-extension-runner 43 needs connect-eaas-core < 38 (pydantic 1) "
                        "and Python < 3.13; the end-to-end tests skip without it)")
    assert lines[4] == "the Connect client (connect-openapi-client): not installed"
    assert lines[5] == ("stack: connect-eaas-core 38 + pydantic 2 (connect-cli 41's stack; "
                        "no runner)")


@pytest.mark.parametrize(("version", "name"), [
    ("37.4", "connect-eaas-core 37 + pydantic 1 (the runner's stack)"),
    ("36.1", "connect-eaas-core 36.1 (not a supported stack)"),
    (None, "connect-eaas-core missing (not a supported stack)"),
])
def test_stack_names(version, name):
    assert stack_name(version) == name


def test_importing_the_framework_over_a_published_package_fails_with_the_fix(business_objects):
    result = subprocess.run(
        [sys.executable, "-c", "import rndi.connect.devops_fulfillment_framework"],
        env={**os.environ, "PYTHONPATH": str(business_objects)}, capture_output=True,
        text=True, timeout=300, check=False)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("rndi.connect.devops_fulfillment_framework.installation."
                           "PublishedPackageClash: rndi-connect-business-objects 1.0.0 is "
                           "installed next to")
    assert "remove rndi-connect-business-objects from your pyproject.toml" in last


@pytest.mark.skipif(not RNDI_SAGA.exists(), reason="rndi-saga is not installed next to Python")
@pytest.mark.parametrize("command", [
    [str(RNDI_SAGA)], [sys.executable, "-m", "rndi.connect.devops_fulfillment_framework"]])
def test_rndi_saga_doctor_runs_on_the_clashing_installation(business_objects, command):
    result = subprocess.run([*command, "doctor"], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(business_objects)},
                            timeout=300, check=False)
    assert (result.returncode, result.stderr) == (1, "")
    assert "connect-eaas-core: " in result.stdout
    assert "\nCLASH: rndi-connect-business-objects 1.0.0 " in result.stdout
