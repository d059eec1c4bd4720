"""The library's modules import one another in layers: no two of them import each other,
directly or through others (a function-level import counts too)."""

import ast
from pathlib import Path
from typing import Dict, List, Set

import pytest

ROOT = Path(__file__).resolve().parents[2] / "rndi"


def module_names() -> Dict[str, Path]:
    names = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def imports(path: Path, names: Dict[str, Path]) -> Set[str]:
    """The library modules ``path`` imports; ``from package import module`` imports that
    module, not its package (which Python loads first, but which does not need us)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & set(names)
            found.update(submodules)
            if len(submodules) < len(node.names) and node.module in names:
                found.add(node.module)
    return found


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """The groups of modules that reach one another (Tarjan's strongly connected
    components, iteratively: no recursion limit to meet)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    found: List[List[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, following = work[-1]
            advanced = False
            for target in following:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(sorted(graph[target]))))
                    advanced = True
                    break
                if target in stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_two_modules_of_the_library_import_each_other():
    names = module_names()
    graph = {name: imports(path, names) - {name} for name, path in names.items()}
    assert "rndi.connect.devops_fulfillment_framework._kinds" in graph[
        "rndi.connect.devops_fulfillment_framework.wiring"]
    assert cycles(graph) == []


@pytest.mark.parametrize(("graph", "expected"), [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_cycle_finder_finds_what_it_should(graph, expected):
    assert cycles(graph) == expected
