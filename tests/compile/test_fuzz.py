"""Thousands of random graphs: each compiles and runs to the predicted shapes, or fails with a GraphError.

Graphs are drawn by a seeded generator (random kinds, parameters, inputs and edges, many of them invalid), then
edited at random (set_param, rename, remove, disconnect). Every step either succeeds or raises a subclass of
playground.graph.GraphError, and a refused edit changes nothing. Then:

* the cached inference equals a fresh inference of a copy of the graph (the cache is dropped on every change);
* compile_network either raises a GraphError, or gives a module whose forward pass on random inputs of the
  input shapes returns tensors of exactly the output shapes inference predicted, with as many parameters as
  inference counted. A torch RuntimeError, a KeyError or any other exception fails the test.
"""

from __future__ import annotations

import os
import random
import warnings
from typing import Any

import pytest
import torch

from playground.compile import compile_network
from playground.graph import KINDS, Graph, GraphError, Param, Shape

# PLAYGROUND_FUZZ_GRAPHS=50000 PLAYGROUND_FUZZ_SEED=1000000 hunts further than CI does.
GRAPHS = int(os.environ.get("PLAYGROUND_FUZZ_GRAPHS", "3000"))
FIRST_SEED = int(os.environ.get("PLAYGROUND_FUZZ_SEED", "0"))
CHUNKS = 4
LAYER_KINDS = [k for k in KINDS if k not in ("Input", "Output")]
SMALL = {"units": 6, "filters": 4, "hidden": 4, "dim": 4, "vocabulary": 8, "layers": 2, "kernel_size": 5,
         "stride": 3, "padding": 3, "output_padding": 2, "scale": 3, "features": 6, "channels": 3, "height": 9,
         "width": 9, "steps": 5}


def random_value(rng: random.Random, p: Param) -> Any:
    """Mostly a valid small value; now and then one out of range or of the wrong type."""
    if rng.random() < 0.03:
        return rng.choice([-3, 0, 10**9, 2.5, "x", None, True, [1], float("nan")])
    if p.type == "int":
        lo = int(p.minimum if p.minimum is not None else 0)
        hi = min(int(p.maximum if p.maximum is not None else lo + 10), SMALL.get(p.name, lo + 10))
        return rng.randint(lo, max(lo, hi))
    if p.type == "float":
        lo = p.minimum if p.minimum is not None else 0.0
        hi = p.maximum if p.maximum is not None else 1.0
        return rng.uniform(lo, hi)
    if p.type == "bool":
        return rng.random() < 0.5
    if p.type == "choice":
        return rng.choice(p.choices)
    dims = [rng.randint(1, 6) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.6:
        dims[rng.randrange(len(dims))] = -1
    return dims


def random_params(rng: random.Random, kind: str) -> dict[str, Any]:
    return {p.name: random_value(rng, p) for p in KINDS[kind].params if rng.random() < 0.7}


def attempt(graph: Graph, action: Any, *args: Any, **kwargs: Any) -> bool:
    """Run one edit; a GraphError is allowed but must leave the graph exactly as it was."""
    before = graph.to_dict()
    try:
        action(*args, **kwargs)
    except GraphError as e:
        assert str(e), f"{type(e).__name__} without a message"
        assert graph.to_dict() == before, f"a refused {action.__name__} changed the graph: {e}"
        return False
    return True


def random_graph(rng: random.Random) -> Graph:
    g = Graph()
    for _ in range(1 if rng.random() < 0.85 else 2):
        attempt(g, g.add_node, "Input", params=random_params(rng, "Input"))
    for _ in range(rng.randint(0, 7)):
        kind = rng.choice(LAYER_KINDS)
        attempt(g, g.add_node, kind, params=random_params(rng, kind))
    for _ in range(rng.choice([0, 1, 1, 1, 1, 2])):
        attempt(g, g.add_node, "Output", params=random_params(rng, "Output"))
    names = list(g.nodes)
    for i, name in enumerate(names):
        for port in g.node(name).spec.inputs:
            if rng.random() < 0.05:
                continue  # leave a port open
            # Mostly feed from an earlier node (a DAG); sometimes from anywhere, which may close a cycle.
            pool = names[:i] if (i and rng.random() < 0.9) else names
            source = rng.choice(pool)
            attempt(g, g.connect, source, name, port if rng.random() < 0.8 else None,
                    check_shapes=rng.random() < 0.5)
    for _ in range(rng.randint(0, 3) if names else 0):
        attempt(g, g.connect, rng.choice(names), rng.choice(names))  # duplicates, occupied ports, cycles
    return g


def grown_graph(rng: random.Random) -> Graph:
    """A graph grown layer by layer, keeping each layer whose edge inference accepts: mostly valid networks,
    with merges (Add, Concat) joining the newest layer to an earlier one, and now and then a second head."""
    g = Graph()
    if not attempt(g, g.add_node, "Input", params=random_params(rng, "Input")):
        return g
    names = list(g.nodes)
    for _ in range(rng.randint(1, 8)):
        for _try in range(6):
            kind = rng.choice(LAYER_KINDS)
            if not attempt(g, g.add_node, kind, params=random_params(rng, kind)):
                continue
            name = list(g.nodes)[-1]
            sources = [names[-1]] + ([rng.choice(names)] if len(g.node(name).spec.inputs) == 2 else [])
            if all(attempt(g, g.connect, src, name) for src in sources):
                names.append(name)
                break
            g.remove_node(name)
    heads = rng.choice([1, 1, 1, 2])
    for source in [names[-1], rng.choice(names)][:heads]:
        if attempt(g, g.add_node, "Output", params=random_params(rng, "Output")):
            attempt(g, g.connect, source, list(g.nodes)[-1])
    return g


def random_edits(rng: random.Random, g: Graph) -> None:
    for _ in range(rng.randint(0, 3)):
        if not g.nodes:
            return
        name = rng.choice(list(g.nodes))
        what = rng.random()
        if what < 0.5:
            spec = g.node(name).spec
            if spec.params:
                p = rng.choice(spec.params)
                attempt(g, g.set_param, name, p.name, random_value(rng, p))
            else:
                attempt(g, g.set_param, name, "units", 3)  # a parameter the kind does not have
        elif what < 0.7:
            attempt(g, g.rename_node, name, rng.choice([name + "_x", "forward", "1bad", next(iter(g.nodes))]))
        elif what < 0.85 and g.edges:
            e = rng.choice(g.edges)
            attempt(g, g.disconnect, e.source, e.target, e.port)
        elif what < 0.9:
            attempt(g, g.remove_node, name)
        else:
            attempt(g, g.move_node, name, (rng.uniform(-500, 500), rng.uniform(-500, 500)))


def sample(shape: Shape) -> torch.Tensor:
    if shape.is_tokens:
        return torch.randint(0, 2, (2, *shape.dims))  # every Embedding has at least 2 ids
    return torch.randn(2, *shape.dims)


def problems_text(g: Graph) -> list[tuple[str, str | None, str]]:
    return [(type(p).__name__, p.node, str(p)) for p in g.problems()]


def check_one(rng: random.Random) -> str:
    g = grown_graph(rng) if rng.random() < 0.6 else random_graph(rng)
    if rng.random() < 0.5:
        random_edits(rng, g)
    inference = g.infer()
    fresh = g.copy().infer()
    assert inference.shapes == fresh.shapes, "stale inference cache"
    assert inference.param_counts == fresh.param_counts
    assert problems_text(g) == problems_text(g.copy())
    try:
        net = compile_network(g)
    except GraphError as e:
        assert str(e)
        assert not inference.ok
        return "refused"
    assert inference.ok
    assert net.parameter_count == inference.total_params
    net.module.train(rng.random() < 0.5)
    args = [sample(net.input_shapes[n]) for n in net.inputs]
    with torch.no_grad():
        out = net.module(*args)
    outs = out if isinstance(out, tuple) else (out,)
    assert len(outs) == len(net.outputs)
    for name, tensor in zip(net.outputs, outs):
        expected = (2, *net.output_shapes[name].dims)
        assert tuple(tensor.shape) == expected, f"{name}: {tuple(tensor.shape)} != {expected}\n{net.code}"
        assert tensor.dtype == torch.float32
    return "ran"


@pytest.mark.parametrize("chunk", range(CHUNKS))
@pytest.mark.slow
def test_random_graphs_compile_and_run_or_raise_graph_errors(chunk: int) -> None:
    torch.manual_seed(chunk)
    outcomes = {"ran": 0, "refused": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torch warning is a bug to look at, too
        for i in range(chunk * GRAPHS // CHUNKS, (chunk + 1) * GRAPHS // CHUNKS):
            rng = random.Random(FIRST_SEED + i)
            try:
                outcomes[check_one(rng)] += 1
            except Exception as e:
                if isinstance(e, AssertionError):
                    raise AssertionError(f"graph seed {FIRST_SEED + i}: {e}") from e
                raise AssertionError(f"graph seed {FIRST_SEED + i} raised {type(e).__name__}: {e}") from e
    # Both branches must be well exercised, or the generator has drifted into testing nothing.
    assert outcomes["ran"] > GRAPHS // CHUNKS // 10, outcomes
    assert outcomes["refused"] > GRAPHS // CHUNKS // 10, outcomes
    print(outcomes)
