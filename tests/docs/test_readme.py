"""The README is the front door: the demo and test commands at the top, a short example
that runs as written, the install extras the site shows, and a link to every page of the
site (whose own blocks run through Sybil, see docs/conftest.py)."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def blocks(path, language):
    return re.findall(rf"```{language}\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def site_pages():
    """Every page of the site's navigation, as a path under docs/."""
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    pending, pages = list(nav), []
    while pending:
        entry = pending.pop(0)
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            pending[:0] = value
        else:
            pages.append(value)
    return pages


def test_readme_starts_with_the_demo_and_test_commands():
    lines = blocks(README, "bash")[0].strip().splitlines()
    assert lines[0].endswith("examples/demo.py")
    assert lines[1].endswith("poetry run pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci


def test_readme_example_runs_as_written():
    (example,) = blocks(README, "python")
    assert len(example.splitlines()) <= 50
    namespace: dict = {"__name__": "readme"}
    exec(compile(example, "README.md example", "exec"), namespace)  # noqa: S102 - running the docs is the point
    assert namespace["connect"].request("PR-1")["status"] == "approved"


def test_readme_installs_what_the_site_installs():
    assert blocks(README, "bash")[1] == blocks(ROOT / "docs" / "index.md", "bash")[0]


def test_readme_links_to_every_page_of_the_site():
    text = README.read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(docs/([^)#]+)\)", text))
    pages = set(site_pages()) - {"changelog.md"}  # the site's copy of CHANGELOG.md
    missing = {page for page in pages if page not in linked
               and not (page.startswith("reference/") and "reference/framework.md" in linked)}
    assert missing == set()
    assert all((ROOT / "docs" / page).is_file() for page in linked)
    assert "](CHANGELOG.md)" in text
