"""No circle of imports anywhere in the package (issue 12): the module graph as grimp (import-linter's own graph)
reads it, imports inside functions and under ``TYPE_CHECKING`` included, since deferring an import hides a circle
without removing it. A circle is named by its modules and the lines that close it."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

PACKAGE = "playground"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of more than one module that import each other, round any circle: Tarjan's algorithm, iterative
    so that a deep chain of imports cannot overflow Python's stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, edges = work[-1]
            w = next(edges, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                group = []
                while True:
                    u = stack.pop()
                    on_stack.discard(u)
                    group.append(u)
                    if u == v:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def module_graph(package: str = PACKAGE) -> tuple[grimp.ImportGraph, dict[str, set[str]]]:
    imports = grimp.build_graph(package, include_external_packages=False, cache_dir=None)
    graph = {m: set(imports.find_modules_directly_imported_by(m)) for m in imports.modules}
    return imports, graph


def describe(imports: grimp.ImportGraph, group: list[str]) -> str:
    """A circle's modules and, for each import between two of them, where it is made."""
    lines = [" <-> ".join(group)]
    members = set(group)
    for importer in group:
        for imported in sorted(imports.find_modules_directly_imported_by(importer) & members):
            for detail in imports.get_import_details(importer=importer, imported=imported):
                lines.append(f"    {importer}:{detail['line_number']}: {detail['line_contents']}")
    return "\n".join(lines)


@pytest.mark.parametrize(("graph", "groups"), [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set(), "c": {"c"}}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}}, [["a", "b"], ["c", "d"]]),
])
def test_the_circle_finder_finds_every_group_and_only_those(graph: dict[str, set[str]],
                                                            groups: list[list[str]]) -> None:
    assert sorted(strongly_connected(graph)) == groups


def test_a_long_chain_of_imports_is_read_without_recursion() -> None:
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5000)}
    chain["m5000"] = {"m0"}
    (group,) = strongly_connected(chain)
    assert len(group) == 5001


def test_a_circle_made_by_a_deferred_or_a_type_checking_import_is_found_and_named(tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    package = tmp_path / "circles_demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f() -> None:\n    from .high import g\n    g()\n")
    (package / "high.py").write_text("from .low import f\n\ndef g() -> None:\n    f()\n")
    (package / "typed.py").write_text("from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n"
                                      "    from .user import User\n")
    (package / "user.py").write_text("from .typed import TYPE_CHECKING\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    imports, graph = module_graph("circles_demo")
    circles = strongly_connected(graph)
    assert circles == [["circles_demo.high", "circles_demo.low"], ["circles_demo.typed", "circles_demo.user"]]
    text = describe(imports, circles[0])
    assert text.splitlines()[0] == "circles_demo.high <-> circles_demo.low"
    assert "circles_demo.low:2: from .high import g" in text


def test_no_circle_of_imports_anywhere_in_the_package() -> None:
    imports, graph = module_graph()
    circles = strongly_connected(graph)
    assert not circles, "modules that import each other:\n" + "\n".join(describe(imports, c) for c in circles)
