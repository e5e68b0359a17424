"""The layer rules of DESIGN.md, enforced by import-linter so a wrong import fails CI."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    """The style, bug-pattern and complexity rules of pyproject.toml, also run by CI: seen here first."""
    exe = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([exe, "check", "--no-cache", "playground", "tests"], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_layer_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    result = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower() or "0 broken" in result.stdout.lower()


def import_graph(package: str = "playground") -> dict[str, set[str]]:
    """Which modules of the package each module imports, read from the source: every import statement, a deferred one
    inside a function too (deferring an import hides a circle, it does not remove it). ``from pkg import name``
    counts as importing ``pkg.name`` when that is a module. A package's ``__init__`` that a submodule's import runs
    first is not counted: every package does that."""
    import ast

    files: dict[str, tuple[Path, bool]] = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        files[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in files.items():
        here = name.split(".") if is_package else name.split(".")[:-1]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(here[:len(here) - node.level + 1] + [node.module or ""]) if node.level else \
                    node.module or ""
                base = base.rstrip(".")
                imported.update(f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names)
        graph[name] = {m for m in imported if m in files and m != name}
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or round a longer circle (Tarjan's strongly connected
    components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


@pytest.mark.slow
def test_the_import_graph_sees_deferred_and_relative_imports():
    graph = import_graph()
    assert "playground.ui.views.view_spec" in graph["playground.ui.views.gan_views"]  # from .view_spec import ...
    assert "playground.ui.views.gan_views" in graph["playground.ui.views.families"]  # from . import gan_views
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.slow
def test_no_import_circle_through_the_views_or_the_window_layout():
    """The views, their registry and the layout presenter import downwards only: a view module declares its spec
    and imports no module that imports it back."""
    ours = ("playground.ui.views", "playground.ui.digit_pad", "playground.app.presenters.view_layout")
    circles = [c for c in import_circles(import_graph()) if any(m.startswith(ours) for m in c)]
    assert not circles, circles


def test_every_layer_below_the_composition_root_is_kept_from_importing_it():
    """A new package or top-level module is covered by the composition-root contract as soon as it exists."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    contract = contracts["nothing below the composition root imports it"]
    assert contract["forbidden_modules"] == ["playground.app"]
    package = ROOT / "playground"
    below = {f"playground.{p.stem}" for p in package.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or (p.suffix == ".py" and not p.stem.startswith("__"))}
    below -= {"playground.app"}
    assert below and below <= set(contract["source_modules"]), sorted(below - set(contract["source_modules"]))
