"""The site's Python code blocks run as tests, page by page, in order, each page in one
namespace (as the README's blocks run in tests/docs/test_readme.py). A block that cannot
run is preceded by ``<!-- skip: next "why" -->``; any other kind of block (shell, text,
templates) by ``<!-- excerpt: why -->``, which tests/docs/test_site.py enforces."""

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def _setup(namespace):
    # classes defined in a block get a module name, as the README runner gives them
    namespace["__name__"] = "docs"


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["*.md"],
    setup=_setup,
).pytest()
