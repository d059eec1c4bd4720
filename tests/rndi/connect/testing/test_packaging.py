"""The ``testing`` extra installs everything the test kit and its documentation page
(docs/runner.md) import."""

import ast
import importlib.util
import re
import sys
from functools import cache
from importlib.metadata import (
    PackageNotFoundError,
    distribution,
    distributions,
    packages_distributions,
)
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python 3.10: tomli, which pytest itself needs there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[4]
KIT = ROOT / "rndi" / "connect" / "testing"
# pytest loads the plugin module itself, so it is there whenever the plugin is
PROVIDED_BY_THE_HOST = {"pytest"}


def imported_modules(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def runner_page_imports():
    """What the page on running under the real runner imports in its examples."""
    section = (ROOT / "docs" / "runner.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"```(?:python|text)\n(.*?)```", section, re.S))
    return set(imported_modules("\n".join(
        line for line in code.splitlines() if line.startswith(("import ", "from ")))))


def third_party(modules):
    return {module for module in modules
            if module.split(".")[0] not in sys.stdlib_module_names
            and module.split(".")[0] != "rndi"
            and module.split(".")[0] not in PROVIDED_BY_THE_HOST}


# it reads every installed distribution's file list: once, not once per module
top_level_distributions = cache(packages_distributions)


@cache
def distribution_of(module):
    """The distribution that installed the module's file (``connect`` is shared by
    several distributions, so the top-level name alone does not tell)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin, f"{module} is not installed here"
    origin = Path(spec.origin).resolve()
    # Python 3.10 maps only distributions that ship a top_level.txt (connect-* do not)
    top = module.split(".")[0]
    names = top_level_distributions().get(top) or [d.metadata["Name"] for d in distributions()]
    for name in names:
        dist = distribution(name)
        if any(Path(dist.locate_file(file)).resolve() == origin for file in dist.files or []):
            return canonicalize_name(name)
    raise AssertionError(f"no installed distribution holds {origin}")


def installed_by(requirements):
    """Distribution names the requirements install, transitively, on this Python."""
    found, pending = set(), [(Requirement(r), "") for r in requirements]
    while pending:
        requirement, extra = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        wanted = {(name, e) for e in ["", *requirement.extras]}
        if wanted <= {(n, e) for n, e in found}:
            continue
        found |= wanted
        try:
            requires = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for chosen in ["", *requirement.extras]:
            pending.extend((Requirement(r), chosen) for r in requires)
    return {name for name, _ in found}


def test_the_testing_extra_installs_every_module_the_kit_and_its_docs_import():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    available = installed_by([*project["dependencies"],
                              *project["optional-dependencies"]["testing"]])
    modules = third_party({module for path in KIT.glob("*.py")
                           for module in imported_modules(path.read_text(encoding="utf-8"))})
    modules |= third_party(runner_page_imports())
    assert {"trustme", "websockets.asyncio.server", "connect.client"} <= modules
    missing = {module: distribution_of(module) for module in sorted(modules)
               if distribution_of(module) not in available}
    assert missing == {}
