"""Every layer kind's pure shape rule, held against torch itself.

For each kind of the catalog (Input and Output have no torch module), hypothesis draws parameters inside each
Param's range and input shapes of every sort (vectors, images, sequences, token ids), then:

* our rule gives a shape  -> torch, built by ``build_layer`` and run on a batch of 2, gives exactly that shape, and
  our parameter count equals the number of values in torch's parameters;
* our rule raises ShapeError -> torch refuses too (raises, or returns an empty tensor), unless the case is one
  of the refusals we make on purpose (``intentional_refusal`` below), where torch would compute *something* but
  not what a student means. For those we only assert that we refuse with a ShapeError that names the node.

Anything else our rule raises (KeyError, TypeError, ...) fails the test.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from playground.compile import build_layer
from playground.graph import KINDS, LayerKind, Node, Param, Shape, ShapeError

# Small sizes keep every example cheap; the ranges still cross every boundary the rules care about (kernels
# larger than the image, padding larger than half the window, output padding not below the stride, ...).
CAPS = {"units": 6, "filters": 4, "hidden": 5, "dim": 5, "vocabulary": 12, "layers": 3, "groups": 4}

IMAGE_ONLY = {"Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "Upsample", "PixelShuffle", "Pad2d",
              "InstanceNorm", "GroupNorm"}
RECURRENT = {"RNN", "GRU", "LSTM"}
# CI runs a fixed set of examples; PLAYGROUND_EXPLORE=1 PLAYGROUND_EXAMPLES=1000 hunts with fresh random ones.
EXAMPLES = int(os.environ.get("PLAYGROUND_EXAMPLES", "60"))
EXPLORE = bool(os.environ.get("PLAYGROUND_EXPLORE"))
RULE_KINDS = sorted(k for k in KINDS if k not in ("Input", "Output"))


def vectors() -> st.SearchStrategy[Shape]:
    return st.builds(lambda n: Shape((n,)), st.integers(1, 12))


def images() -> st.SearchStrategy[Shape]:
    return st.builds(lambda c, h, w: Shape((c, h, w)), st.integers(1, 4), st.integers(1, 10), st.integers(1, 10))


def sequences() -> st.SearchStrategy[Shape]:
    return st.builds(lambda t, f: Shape((t, f)), st.integers(1, 6), st.integers(1, 8))


def token_ids() -> st.SearchStrategy[Shape]:
    return st.builds(lambda t: Shape((t,), "index"), st.integers(1, 6))


def any_shape() -> st.SearchStrategy[Shape]:
    return st.one_of(vectors(), images(), sequences(), token_ids())


def shapes_for(kind: str) -> st.SearchStrategy[Shape]:
    """Mostly the inputs a kind is meant for, sometimes anything, so both success and refusal are exercised."""
    if kind in IMAGE_ONLY:
        usual = images()
    elif kind in RECURRENT:
        usual = sequences()
    elif kind == "Embedding":
        usual = token_ids()
    else:
        usual = st.one_of(vectors(), images(), sequences())
    return st.integers(0, 4).flatmap(lambda i: usual if i else any_shape())


def param_values(p: Param) -> st.SearchStrategy[Any]:
    if p.type == "int":
        lo = int(p.minimum if p.minimum is not None else 0)
        hi = int(p.maximum if p.maximum is not None else lo + 20)
        full = st.integers(lo, min(hi, CAPS.get(p.name, hi)))
        if p.name in ("padding", "output_padding", "stride", "kernel_size"):
            # Mostly the small values that give a valid layer, sometimes anything in range.
            return st.integers(0, 2).flatmap(lambda i: full if i == 0 else st.integers(lo, min(hi, lo + 2)))
        return full
    if p.type == "float":
        lo = p.minimum if p.minimum is not None else -10.0
        hi = p.maximum if p.maximum is not None else 10.0
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if p.type == "bool":
        return st.booleans()
    if p.type == "choice":
        return st.sampled_from(p.choices)
    raise AssertionError(f"no strategy for {p.type}")


@st.composite
def reshape_target(draw: st.DrawFn, size: int) -> list[int]:
    """A target shape: often a factorisation of ``size`` (maybe with one -1), sometimes random."""
    if draw(st.booleans()):
        rank = draw(st.integers(1, 3))
        dims, rest = [], size
        for _ in range(rank - 1):
            divisors = [d for d in range(1, rest + 1) if rest % d == 0]
            d = draw(st.sampled_from(divisors))
            dims.append(d)
            rest //= d
        dims.append(rest)
        if draw(st.booleans()):
            dims[draw(st.integers(0, rank - 1))] = -1
        return dims
    dims = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    if draw(st.booleans()):
        dims[draw(st.integers(0, len(dims) - 1))] = -1
    return dims


@st.composite
def second_shape(draw: st.DrawFn, first: Shape) -> Shape:
    """The shape on port b of a merge: the same, the same but for its channels or features, or anything."""
    how = draw(st.sampled_from(["same", "same", "vary_one", "any"]))
    if how == "same":
        return first
    if how == "vary_one" and not first.is_tokens:
        dims = list(first.dims)
        axis = 0 if first.rank == 3 else -1
        dims[axis] = draw(st.integers(1, 6))
        return Shape(tuple(dims))
    return draw(any_shape())


@st.composite
def cases(draw: st.DrawFn, kind: str) -> tuple[dict[str, Any], list[Shape]]:
    spec = KINDS[kind]
    first = draw(shapes_for(kind))
    inputs = [first]
    if len(spec.inputs) == 2:
        inputs.append(draw(second_shape(first)))
    params: dict[str, Any] = {}
    for p in spec.params:
        if p.type == "shape":
            params[p.name] = draw(reshape_target(first.size))
        else:
            params[p.name] = draw(param_values(p))
    return params, inputs


def intentional_refusal(kind: str, inputs: list[Shape]) -> bool:
    """Cases our rules refuse on purpose although torch would compute something (documented in the catalog).

    * token ids are integers that only an Embedding may read; torch happily flattens or ReLUs a long tensor;
    * Dense on an image: torch's Linear would act on the last axis (the image width) only;
    * convolution, pooling and upsampling need C×H×W: torch reads a batch of sequences as one unbatched image,
      or upsamples a sequence in 1-D;
    * RNN/GRU/LSTM need steps×features: torch reads a batch of vectors as one unbatched sequence;
    * BatchNorm on a sequence: BatchNorm1d would treat the steps as channels;
    * Softmax on an image: there are no class scores to normalise;
    * Add of different shapes: torch broadcasts (1 + vector), which hides a wiring mistake.
    """
    if kind != "Embedding" and any(s.is_tokens for s in inputs):
        return True
    first = inputs[0]
    if kind == "Dense" and first.is_image:
        return True
    if kind in IMAGE_ONLY and not first.is_image:
        return True
    if kind in RECURRENT and not first.is_sequence:
        return True
    if kind == "BatchNorm" and first.is_sequence:
        return True
    if kind == "Softmax" and first.is_image:
        return True
    # Multiply also takes an image and its channel weights (C×1×1), checked against torch
    return kind in ("Add", "Multiply", "Sample") and inputs[0].dims != inputs[1].dims


def batch(shape: Shape) -> torch.Tensor:
    if shape.is_tokens:
        return torch.randint(0, 2, (2, *shape.dims))  # every vocabulary has at least 2 ids
    return torch.randn(2, *shape.dims)


def run_torch(node: Node, inputs: list[Shape]) -> tuple[tuple[int, ...] | None, int]:
    """Output shape of torch on a batch of 2 (None when torch refuses) and torch's parameter count."""
    try:
        module = build_layer(node, inputs)
    except Exception:
        return None, 0
    count = sum(p.numel() for p in module.parameters())
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = module(*[batch(s) for s in inputs])
    except Exception:
        return None, count
    if out.numel() == 0:
        return None, count
    return tuple(out.shape), count


def check_kind(kind: str, params: dict[str, Any], inputs: list[Shape]) -> None:
    spec: LayerKind = KINDS[kind]
    name = f"{spec.prefix}_1"
    checked = spec.check_params(params, name)
    node = Node(name, kind, checked)
    try:
        ours: Shape | None = spec.output_shape(name, checked, inputs)
    except ShapeError as e:
        ours = None
        assert e.node == name, e
        assert str(e).startswith(f"{kind} '{name}' "), str(e)
    torch_shape, torch_count = run_torch(node, inputs)
    event(f"ours: {'refused' if ours is None else 'shape'}, torch: {'refused' if torch_shape is None else 'shape'}")
    where = f"{kind} {checked} on {[str(s) + ('/ids' if s.is_tokens else '') for s in inputs]}"
    if ours is not None:
        assert torch_shape == (2, *ours.dims), f"{where}: ours {ours}, torch {torch_shape}"
        assert ours.size > 0
        assert spec.parameter_count(checked, inputs) == torch_count, f"{where}: parameter count"
    elif torch_shape is not None:
        assert intentional_refusal(kind, inputs), f"{where}: we refuse, torch gives {torch_shape}"


@pytest.mark.parametrize("kind", RULE_KINDS)
def test_shape_rule_matches_torch(kind: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
              derandomize=not EXPLORE)
    @given(cases(kind))
    def run(case: tuple[dict[str, Any], list[Shape]]) -> None:
        params, inputs = case
        check_kind(kind, params, inputs)

    torch.manual_seed(0)
    run()


def test_every_kind_but_input_and_output_is_covered() -> None:
    assert set(RULE_KINDS) | {"Input", "Output"} == set(KINDS)


@pytest.mark.parametrize(
    ("kind", "params", "inputs"),
    [
        ("Dense", {"units": 3}, [Shape((1, 4, 4))]),
        ("BatchNorm", {}, [Shape((5, 3))]),
        ("Softmax", {}, [Shape((1, 4, 4))]),
        ("Conv2d", {}, [Shape((10, 3))]),
        ("LSTM", {}, [Shape((7,))]),
        ("Add", {}, [Shape((1,)), Shape((4,))]),
        ("Flatten", {}, [Shape((4,), "index")]),
    ],
)
def test_intentional_refusals_raise_shape_errors(kind: str, params: dict[str, Any], inputs: list[Shape]) -> None:
    spec = KINDS[kind]
    with pytest.raises(ShapeError) as info:
        spec.output_shape("x_1", spec.check_params(params, "x_1"), inputs)
    assert info.value.node == "x_1"
    assert str(info.value).startswith(f"{kind} 'x_1' ")
    assert ": " in str(info.value)  # a cause, then how to fix it
