"""Real model files from public repositories (tests/engine/import_corpus/, each with its source and licence): the
importer opens each network it can, and what it opens is the network torch builds from the same code.

Only the test runs the code, to have torch's own answer: the class and function definitions, imports of torch and
the standard library, and module constants; never the training code around them. The importer itself never runs
anything. A network is correct when every parameter shape, the parameter count and every output shape for the
imported input shape match torch's; refused is acceptable, wrong is not.
"""

from __future__ import annotations

import argparse
import ast
import functools
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from playground.compile import compile_network
from playground.engine.model_import import import_report

CORPUS = Path(__file__).parent / "import_corpus"
FILES = sorted(p.name for p in CORPUS.glob("*.py"))
# Of the files, imported correctly; the rest may be refused, none may be wrong. Measured: 48 of 69 (70%); of the
# teaching collections (yunjey, MorvanZhou, jcjohnson, kuangliu, pytorch/tutorials) 34 of 40 (85%). Issue 17 asks for
# 80% of all, which this corpus cannot reach without guessing: of the 21 refused, 11 take their sizes from what exists
# only when the script runs (a required argparse option such as the DCGAN's --dataset, a dataset's vocabulary or
# labels, a tokenizer, Optuna trials, a gym environment, the arguments given in another file), 5 build on layers
# outside torch.nn (torchvision and Hugging Face backbones, Brevitas layers) and 5 compute what the editor has no
# layer for (a Linear subclass with a forward and training of its own, a polynomial of parameters, a depth drawn at
# random, a recurrent state passed in and returned, lists of activations returned beside the output). Adding easy
# files would only pad the share. This floor guards what is reached.
SHARE = 48 / 69
_IMPORTABLE = ("torch", "math", "collections", "functools", "typing", "numpy", "argparse")
_CALLS = {"Sequential", "ModuleList", "OrderedDict", "int", "float", "len", "range", "tuple", "list", "max", "min",
          "device", "is_available", "dict", "to", "randn", "rand", "zeros", "ones", "empty", "size",
          "ArgumentParser", "parse_args", "add_argument_group"}
_OPTIONS = {"add_argument", "set_defaults"}


class _RunWithoutOptions(argparse.ArgumentParser):
    """The script's parser as the importer reads it: each option at the default the file writes. A required option
    is left unset (None), so what depends on it fails here as it is refused there."""

    def add_argument(self, *args, **kwargs):  # argparse's own signature
        kwargs.pop("required", None)
        return super().add_argument(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        return super().parse_args([] if args is None else args, namespace)

    def error(self, message: str):
        raise ValueError(message)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module's statements as the script runs them when nothing fails: what runs under "if __name__ ==
    '__main__':" and inside a try block is module level too."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test):
            out.extend(_statements(stmt.body))
        elif isinstance(stmt, ast.Try):
            out.extend(_statements([*stmt.body, *stmt.orelse, *stmt.finalbody]))
        else:
            out.append(stmt)
    return out


def _runs(stmt: ast.stmt, allowed: set[str]) -> bool:
    """Imports of torch and the standard library, classes and functions, assignments that only call what builds
    layers, numbers or options, and the options added to a parser."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        roots = [a.name.split(".")[0] for a in stmt.names] if isinstance(stmt, ast.Import) \
            else [(stmt.module or "").split(".")[0]]
        return all(r in _IMPORTABLE for r in roots)
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        names = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "") for n in calls}
        return names <= allowed
    if isinstance(stmt, ast.Expr):
        call = stmt.value
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _OPTIONS
    if isinstance(stmt, ast.If):  # a branch on a constant or an option, as the importer follows it
        calls = [n for n in ast.walk(stmt.test) if isinstance(n, ast.Call)]
        names = {n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "") for n in calls}
        return names <= allowed and all(_runs(s, allowed) for s in [*stmt.body, *stmt.orelse])
    return isinstance(stmt, (ast.ClassDef, ast.FunctionDef))


def _namespace(tree: ast.Module) -> dict:
    """Torch's view of the file: its imports of torch and the standard library, classes, functions and the module
    assignments that only build layers or numbers (not data loaders, training or downloads)."""
    namespace: dict = {"__name__": "corpus"}
    layer_names = {n for n in dir(torch.nn) if n[:1].isupper()}
    defined = {s.name for s in tree.body if isinstance(s, (ast.ClassDef, ast.FunctionDef))}
    for stmt in _statements(tree.body):
        if not _runs(stmt, _CALLS | layer_names | defined):
            continue
        try:
            exec(compile(ast.Module([stmt], []), "corpus", "exec"), namespace)  # the test's own check
        except Exception:  # a statement torch cannot run here is left out, as the importer would
            continue
        if "argparse" in namespace:
            namespace["argparse"] = SimpleNamespace(**{**vars(argparse), "ArgumentParser": _RunWithoutOptions})
        if "ArgumentParser" in namespace:
            namespace["ArgumentParser"] = _RunWithoutOptions
    return namespace


def _inputs(graph, device: str) -> list[torch.Tensor]:
    shapes = graph.infer().shapes
    out = []
    for node in graph.nodes_of_kind("Input"):
        dims = shapes[node.name].dims
        kind = torch.long if node.params["kind"] == "tokens" else torch.float32
        out.append(torch.zeros((2, *dims), dtype=kind, device=device))
    return out


def _shapes(value) -> list[tuple[int, ...]]:
    parts = value if isinstance(value, (tuple, list)) else (value,)
    return [tuple(p.shape) for p in parts]


def _compare(net, namespace: dict, double: bool = False) -> str:
    """'' when the imported network is torch's, else what differs; ``double``: compared in double precision, as
    the script runs it."""
    # On the meta device torch works out every shape without computing (or initialising) anything; models that
    # make tensors on the CPU in forward (a recurrent state) run on the CPU instead.
    for device in ("meta", "cpu"):
        with torch.device(device):
            model = eval(net.origin, namespace)
            ours = compile_network(net.graph, net.name).module
        theirs_params = sorted(tuple(p.shape) for p in model.parameters())
        ours_params = sorted(tuple(p.shape) for p in ours.parameters())
        if theirs_params != ours_params:
            return f"parameter shapes differ: torch {theirs_params} against imported {ours_params}"
        model.eval()
        ours.eval()
        x = _inputs(net.graph, device)
        if device == "cpu" and double:  # the script runs the model in double precision (model.double())
            model.double()
            ours.double()
            x = [t.double() if t.is_floating_point() else t for t in x]
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                expected = _shapes(model(*x))
            except Exception as e:
                if device == "meta":
                    continue
                return f"torch's model fails on the imported input shape: {type(e).__name__}: {e}"
            got = _shapes(ours(*x))
        if expected != got:
            return f"output shapes differ: torch {expected} against imported {got}"
        return ""
    raise AssertionError("unreachable")


@functools.cache
def _result(name: str) -> tuple[str, str]:
    """('correct' | 'refused' | 'wrong', detail) for one corpus file."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    report = import_report(text, name)
    if not report.networks:
        return "refused", "; ".join(why for _n, why in report.refused) or f"{name} holds no model"
    namespace = _namespace(ast.parse(text))
    for net in report.networks:
        wrong = _compare(net, namespace, ".double()" in text)
        if wrong:
            return "wrong", f"{net.name}: {wrong}"
    return "correct", ", ".join(n.name for n in report.networks)


def test_the_corpus_is_large_enough_and_says_where_each_file_comes_from():
    assert len(FILES) >= 40
    for name in FILES:
        head = (CORPUS / name).read_text(encoding="utf-8").splitlines()[:2]
        assert head[0].startswith("# Source: https://github.com/") and head[1].startswith("# Licence: "), name


@pytest.mark.parametrize("name", FILES)
def test_no_corpus_network_is_imported_wrong(name):
    outcome, detail = _result(name)
    assert outcome != "wrong", detail
    if outcome == "refused":
        assert detail and "\n" not in detail


def test_most_of_the_corpus_imports_correctly():
    outcomes = {name: _result(name)[0] for name in FILES}
    correct = sum(o == "correct" for o in outcomes.values())
    share = correct / len(FILES)
    print(f"\ncorpus: {correct} of {len(FILES)} files imported correctly ({share:.0%}); refused: "
          f"{sorted(n for n, o in outcomes.items() if o == 'refused')}")
    assert share >= SHARE
