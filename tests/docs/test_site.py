"""The site's pages keep their promise: every code block runs in the test suite (the
Python ones through Sybil, see docs/conftest.py) or says why it does not, and the quick
start shows the saga ``rndi-saga new`` writes."""

import re
from pathlib import Path

import pytest

from rndi.connect.devops_fulfillment_framework._scaffold import render

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
# what may stand right before a block that is not run: why it is not
SKIP = re.compile(r'<!-- skip: next "([^"]+)" -->\n$')
EXCERPT = re.compile(r"<!-- excerpt: (\S[^>]*\S) -->\n$")


def blocks(page):
    text = page.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        yield match.group(1), match.group(2), text[:match.start()]


def test_there_are_pages_with_python_blocks():
    assert len(PAGES) >= 16
    assert sum(language == "python" for page in PAGES for language, _, _ in blocks(page)) >= 25


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_every_block_runs_or_says_why_not(page):
    unexplained = []
    for language, source, before in blocks(page):
        if language == "python" and not before.endswith("-->\n"):
            continue  # run by Sybil
        if language == "python" and SKIP.search(before):
            continue  # shown, not run: the reason is given
        if language != "python" and EXCERPT.search(before):
            continue
        unexplained.append(f"{language or 'plain'} block starting {source[:40]!r}")
    assert unexplained == [], (
        "Each block that is not run needs, on the line before it, "
        '<!-- skip: next "why" --> (Python) or <!-- excerpt: why --> (any other).')


def test_the_quick_start_shows_the_saga_rndi_saga_new_writes():
    page = DOCS / "quick-start.md"
    shown = [source for language, source, before in blocks(page)
             if language == "python" and "acme_extension/saga.py" in before[-200:]]
    assert shown == [render("acme-extension")["acme_extension/saga.py"]]
