"""Every layer kind has one home on the torch side: a build, a code writer and an import pattern (or a stated
reason for none), and the three agree: build -> code -> import gives the node's params back."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import pytest
import torch
from kind_variants import CASES, VARIANTS, one_layer
from torch import nn
from torch.nn import functional as F

from playground.compile import build_layer
from playground.compile.kinds import (
    FUNCTIONAL,
    HELPER_NAMES,
    HOMES,
    PATTERNS,
    STATEFUL_PATTERNS,
    STRUCTURAL,
    WRITERS,
    CodeError,
    Imported,
    PatternError,
    helper_sources,
    module_code,
)
from playground.graph import KINDS, Graph, Shape


def _read_back(code: str) -> tuple[str, Imported]:
    """The import pattern's reading of a written constructor, the way a file's ``nn.X(...)`` is read."""
    call = ast.parse(code, mode="eval").body
    assert isinstance(call, ast.Call)
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ast.unparse(call.func)
    pattern = PATTERNS[name]
    args = dict(zip(pattern.signature, (ast.literal_eval(a) for a in call.args)))
    args.update({k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg})
    assert set(args) <= set(pattern.signature), code
    for key, fixed in pattern.fixed.items():
        assert args.get(key, fixed) == fixed, code
    return name, pattern.read(args)


def test_every_catalog_kind_has_a_home_or_says_why_it_is_no_module() -> None:
    assert set(HOMES) | set(STRUCTURAL) == set(KINDS)
    assert not set(HOMES) & set(STRUCTURAL)
    assert all(reason.strip() for reason in STRUCTURAL.values())
    for kind, home in HOMES.items():
        assert home.kind == kind
        assert home.writers, f"{kind} has no code writer"
        # A kind without an import pattern must say why; none of today's kinds needs to.
        assert home.patterns or home.no_pattern.strip(), f"{kind} has no import pattern and no reason"
        for pattern in home.patterns:
            assert (STATEFUL_PATTERNS if pattern.stateful else PATTERNS)[pattern.name] is pattern


def test_the_variants_cover_every_kind_with_a_home() -> None:
    assert set(VARIANTS) == set(HOMES)


@pytest.mark.parametrize(("kind", "source", "params"), CASES)
def test_build_then_code_then_import_gives_the_params_back(kind: str, source: str, params: dict[str, Any]) -> None:
    graph, name = one_layer(kind, source, params)
    node = graph.node(name)
    inputs = graph.infer().input_shapes[name]
    module = build_layer(node, inputs)
    home = HOMES[kind]
    assert type(module) in {w.module for w in home.writers}, f"{kind} built a {type(module).__name__}"
    code = module_code(module)
    pattern_name, found = _read_back(code)
    assert PATTERNS[pattern_name] in home.patterns
    assert found.kind == kind
    expected = dict(node.params)
    if kind == "Reshape":  # the code holds the shape with -1 worked out
        expected["shape"] = graph.infer().shapes[name].to_list()
    # What the editor holds after the import: the pattern's params with the catalog's defaults filled in.
    assert Graph().add_node(found.kind, "again", found.params).params == expected
    if found.expects is not None:
        assert found.expects(inputs[0]) is None
    # And the module built from what was read back is written the same way.
    assert module_code(build_layer(Graph().add_node(found.kind, "again", found.params), inputs)) == code


@pytest.mark.parametrize(("kind", "source", "params"), CASES)
def test_a_kind_said_to_pass_its_input_on_at_inference_does_and_no_other(kind: str, source: str,
                                                                        params: dict[str, Any]) -> None:
    graph, name = one_layer(kind, source, params)
    inputs = graph.infer().input_shapes[name]
    module = build_layer(graph.node(name), inputs).eval()
    xs = [torch.randint(0, 3, (2, *s.dims)) if s.is_tokens else torch.randn(2, *s.dims) for s in inputs]
    with torch.no_grad():
        out = module(*xs)
    passes_on = out.shape == xs[0].shape and torch.equal(out, xs[0])
    assert passes_on == HOMES[kind].eval_identity


def test_a_bare_recurrent_class_is_read_by_its_stateful_pattern() -> None:
    found = STATEFUL_PATTERNS["GRU"].read({"input_size": 6, "hidden_size": 9, "num_layers": 2, "batch_first": True})
    assert (found.kind, found.params, found.size) == (
        "GRU", {"hidden": 9, "layers": 2, "bidirectional": False, "output": "sequence"}, 6)
    assert found.expects is not None and "expects 6 features" in str(found.expects(Shape((5, 4))))
    with pytest.raises(PatternError, match="batch_first=True"):
        STATEFUL_PATTERNS["LSTM"].read({"input_size": 6, "hidden_size": 9})
    assert not set(STATEFUL_PATTERNS) & set(PATTERNS)


def _positional_after_input(function: Any) -> list[str]:
    """The parameter names of a torch function after its input, from its signature or its documented one."""
    try:
        names = list(inspect.signature(function).parameters)
    except ValueError:  # a builtin: torch documents the signature on the docstring's first line
        names = []
    if names in ([], ["args", "kwargs"]):
        found = re.match(r"\s*\w+\((.*?)\)", function.__doc__ or "")
        assert found, function
        names = [a.split("=")[0].strip() for a in found.group(1).split(",")]
    names = [n for n in names if n not in ("*", "/")]
    assert names[0] == "input", (function, names)
    return names[1:]


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_a_functional_form_takes_its_layers_arguments_in_the_order_the_pattern_reads_them(name: str) -> None:
    # F.max_pool2d puts ceil_mode before return_indices, nn.MaxPool2d after: reading one with the other's order
    # would take a ceil_mode for a return_indices.
    function = getattr(F, name, None) or getattr(torch, name)
    declared = list(FUNCTIONAL[name].functional_arguments)
    assert _positional_after_input(function)[:len(declared)] == declared


def test_helper_sources_define_the_playgrounds_own_classes_once_each() -> None:
    helpers = {w.module.__name__: w.helper for w in WRITERS.values() if w.helper}
    assert set(helpers) == set(HELPER_NAMES)
    for name, source in helpers.items():
        namespace: dict[str, Any] = {"nn": nn, "torch": torch}
        exec(compile(source, name, "exec"), namespace)  # our own class text, the point of the test
        assert issubclass(namespace[name], nn.Module)
    graph, name = one_layer("Add", "vector", {})
    add = build_layer(graph.node(name), graph.infer().input_shapes[name])
    assert helper_sources([add, add, nn.ReLU()]) == [helpers["Add"]]


def test_a_setting_that_cannot_be_written_or_read_is_refused_with_its_reason() -> None:
    with pytest.raises(CodeError, match=r"kernel_size of \(3, 5\)"):
        module_code(nn.Conv2d(1, 2, (3, 5)))
    with pytest.raises(CodeError, match="cannot write a Conv1d"):
        module_code(nn.Conv1d(1, 2, 3))
    with pytest.raises(PatternError, match="non-square kernel"):
        PATTERNS["Conv2d"].read({"in_channels": 1, "out_channels": 2, "kernel_size": (3, 5)})
    with pytest.raises(PatternError, match="dim=-1"):
        PATTERNS["Softmax"].read({"dim": 0})
