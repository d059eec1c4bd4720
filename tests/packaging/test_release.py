"""What the release and test workflows rely on: the CI matrix is the package's declared
Python versions, a release tag must name the version and its changelog section, and the
release workflow builds, checks, smoke-tests, publishes by trusted publishing and
deploys the site."""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def run(script, *arguments):
    return subprocess.run([sys.executable, str(ROOT / ".ci" / script), *arguments],
                          capture_output=True, text=True, timeout=60, check=False)


def version():
    return re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(),
                     re.M).group(1)


def test_the_matrix_is_the_python_versions_the_classifiers_declare():
    declared = re.findall(r'"Programming Language :: Python :: (3\.\d+)"',
                          (ROOT / "pyproject.toml").read_text())
    result = run("python-versions")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == declared
    assert declared[0] == "3.10" and len(declared) >= 4
    test = yaml.safe_load((WORKFLOWS / "test.yml").read_text())
    matrix = test["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert matrix == "${{ fromJSON(needs.pythons.outputs.versions) }}"
    assert ".ci/python-versions" in json.dumps(test["jobs"]["pythons"])
    assert test["jobs"]["test"]["strategy"]["matrix"]["stack"] == ["locked", "eaas38"]


def test_the_changelog_has_an_unreleased_section_and_the_current_version():
    changelog = (ROOT / "CHANGELOG.md").read_text()
    headings = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)
    assert headings[:2] == ["Unreleased", version()]


def test_a_release_tag_must_name_the_version():
    assert run("check-release-tag", f"v{version()}").returncode == 0
    wrong = run("check-release-tag", "v0.0.1")
    assert wrong.returncode == 1
    assert "does not name the version in pyproject.toml" in wrong.stderr
    assert run("check-release-tag").returncode == 1


def test_the_release_builds_checks_publishes_and_deploys():
    release = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
    assert release[True]["push"]["tags"] == ["v*"]  # YAML reads the key 'on' as true
    jobs = release["jobs"]
    build = "\n".join(step.get("run", "") for step in jobs["build"]["steps"])
    for command in (".ci/check-release-tag", "python -m build", "twine check --strict",
                    "pip\" install --quiet dist/*.whl", "examples/demo.py"):
        assert command in build
    assert jobs["publish"]["needs"] == "build"
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert [step.get("uses") for step in jobs["publish"]["steps"]][-1] == (
        "pypa/gh-action-pypi-publish@release/v1")
    docs = "\n".join(step.get("run", "") for step in jobs["docs"]["steps"])
    assert "mkdocs build --strict" in docs
    assert "actions/deploy-pages@v4" in [step.get("uses") for step in jobs["docs"]["steps"]]


def test_ci_builds_the_docs_strict():
    assert "mkdocs build --strict" in (ROOT / ".ci" / "run").read_text()
