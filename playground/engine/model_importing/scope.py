"""The file's scope: its classes and functions, the module names bound so far, the budgets spent, and the lookups
every later step of the reader uses (a class's bases and methods, the error with the file's line)."""

from __future__ import annotations

import ast
from typing import Any

from .builder import _Builder
from .given import GivenValues
from .results import ModelImportError
from .steps import _StepLoop
from .syntax import _is_module_class, _method
from .values import _ClassRef, _FuncRef
from .vocabulary import HELPERS


class _FileScope:
    """The state of one reading of a file. The reader's jobs are classes built on this one, in the order of the
    package's modules; :class:`~.networks._Reader` is the whole reader."""

    def __init__(self, filename: str, tree: ast.Module, given: GivenValues | None = None) -> None:
        self.filename = filename
        self.tree = tree
        self.given = given if given is not None else GivenValues()
        self.classes: dict[str, ast.ClassDef] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.env: dict[str, Any] = {}
        self.constants: dict[str, Any] = {}
        self.depth = 0
        self.step_loops: list[_StepLoop] = []  # the loops over time steps being read, innermost last
        self.steps = 0
        for stmt in tree.body:
            if isinstance(stmt, ast.ClassDef) and stmt.name not in HELPERS:
                self.classes[stmt.name] = stmt
                self.env[stmt.name] = _ClassRef(stmt)
            elif isinstance(stmt, ast.FunctionDef):
                self.functions[stmt.name] = stmt
                self.env[stmt.name] = _FuncRef(stmt)
        # Scripts often define their model inside main() or under "if __name__ == '__main__'": such a class
        # counts when its name is not taken.
        for outer in tree.body:
            for node in ast.walk(outer):
                if isinstance(node, ast.ClassDef) and node.name not in self.env and node.name not in HELPERS:
                    self.classes[node.name] = node
                    self.env[node.name] = _ClassRef(node)

    def fail(self, node: ast.AST | int, text: str) -> ModelImportError:
        line = node if isinstance(node, int) else getattr(node, "lineno", 0)
        return ModelImportError(f"{self.filename}, line {line}: {text}")

    def _bases(self, cls: ast.ClassDef) -> list[ast.ClassDef]:
        """``cls`` and the classes of the file it derives from, nearest first."""
        out: list[ast.ClassDef] = []
        todo = [cls]
        while todo and len(out) < 50:
            c = todo.pop(0)
            if c in out:
                continue
            out.append(c)
            todo.extend(self.classes[b.id] for b in c.bases if isinstance(b, ast.Name) and b.id in self.classes)
        return out

    def _m(self, cls: ast.ClassDef, name: str) -> ast.FunctionDef | None:
        """A method of ``cls``, inherited from a class of the file where ``cls`` does not define it."""
        for c in self._bases(cls):
            found = _method(c, name)
            if found is not None:
                return found
        return None

    def _is_module(self, cls: ast.ClassDef) -> bool:
        return any(_is_module_class(c) for c in self._bases(cls))

    # Defined by the interpreter (a later class), used by the jobs between: declared here for the type checker.

    def call(self, func: Any, args: list[Any], kwargs: dict[str, Any], node: ast.AST,
             builder: _Builder | None = None) -> Any:
        raise NotImplementedError

    def evaluate(self, expr: ast.expr, env: dict[str, Any], builder: _Builder | None) -> Any:
        raise NotImplementedError
