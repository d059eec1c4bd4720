"""The README's Python code blocks run, in order, in one namespace, as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_the_framework_sections():
    text = README.read_text(encoding="utf-8")
    for heading in ("## Service container", "## Service providers", "## Transactions",
                    "## Sagas", "## The event handler"):
        assert heading in text
    assert len(python_blocks()) >= 6


def test_readme_python_blocks_run_as_written():
    namespace: dict = {"__name__": "readme"}
    for number, block in enumerate(python_blocks(), 1):
        exec(compile(block, f"README.md block {number}", "exec"), namespace)  # noqa: S102 - running the docs is the point
    assert namespace["car"].engine.power == 150


def test_readme_starts_with_the_demo_and_test_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    lines = first_block.group(1).strip().splitlines()
    assert lines[0].endswith("examples/demo.py")
    assert lines[1].endswith("poetry run pytest")
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert lines[1] in ci
