"""Every typed error for its cause, with a message that names the node and field and says how to fix it.

A refused edit changes nothing: the graph's dict and its listeners see no difference (validate before mutate).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from playground.graph import (
    KINDS,
    CycleError,
    DisconnectedNodeError,
    DuplicateEdgeError,
    DuplicateNameError,
    Graph,
    GraphError,
    GraphEvent,
    LabFormatError,
    MissingInputError,
    MissingOutputError,
    ParameterError,
    PortOccupiedError,
    ShapeError,
    UnknownKindError,
    UnknownNodeError,
    UnknownPortError,
)
from playground.graph.graph import RESERVED_NAMES


def base() -> Graph:
    """input_1 (vector 784) -> dense_1 -> output_1, a conv_1 and add_1 waiting unconnected."""
    g = Graph()
    g.add_node("Input", params={"kind": "vector", "features": 784})
    g.add_node("Dense", params={"units": 10})
    g.add_node("Output")
    g.add_node("Conv2d")
    g.add_node("Add")
    g.chain("input_1", "dense_1", "output_1")
    return g


def refused(g: Graph, error: type[GraphError], edit: Callable[[Graph], Any]) -> GraphError:
    """Run ``edit``, expect ``error``, and check that neither the graph nor its listeners saw a change."""
    events: list[GraphEvent] = []
    g.subscribe(events.append)
    before = g.to_dict()
    inference = g.infer()
    with pytest.raises(error) as info:
        edit(g)
    assert type(info.value) is error
    assert g.to_dict() == before
    assert events == []
    assert g.infer() is inference
    message = str(info.value)
    assert message and message == info.value.message
    return info.value


def test_every_error_is_a_graph_error() -> None:
    for cls in (CycleError, DisconnectedNodeError, DuplicateEdgeError, DuplicateNameError, LabFormatError,
                MissingInputError, MissingOutputError, ParameterError, PortOccupiedError, ShapeError,
                UnknownKindError, UnknownNodeError, UnknownPortError):
        assert issubclass(cls, GraphError)


# Edits that are refused ---------------------------------------------------------------------------------------


def test_cycle() -> None:
    g = base()
    g.add_node("ReLU")
    g.add_node("Dense", "loop_dense", {"units": 784})
    g.chain("relu_1", "loop_dense")
    e = refused(g, CycleError, lambda g: g.connect("loop_dense", "relu_1"))
    assert e.node == "relu_1"
    assert "cycle" in str(e) and "ReLU 'relu_1'" in str(e) and "Dense 'loop_dense'" in str(e)


def test_self_loop_is_a_cycle() -> None:
    g = base()
    g.add_node("ReLU")
    refused(g, CycleError, lambda g: g.connect("relu_1", "relu_1"))


def test_longer_cycle_through_a_merge() -> None:
    g = base()
    g.connect("dense_1", "add_1", "a")
    g.add_node("Tanh")
    g.connect("add_1", "tanh_1")
    refused(g, CycleError, lambda g: g.connect("tanh_1", "add_1", "b"))
    refused(g, CycleError, lambda g: g.connect("tanh_1", "add_1", "b", check_shapes=False))


def test_duplicate_edge() -> None:
    g = base()
    e = refused(g, DuplicateEdgeError, lambda g: g.connect("input_1", "dense_1"))
    assert "already connected" in str(e) and "Dense 'dense_1'" in str(e)
    refused(g, DuplicateEdgeError, lambda g: g.connect("input_1", "dense_1", "in"))


def test_port_occupied() -> None:
    g = base()
    g.add_node("Input", "other", {"features": 784})
    e = refused(g, PortOccupiedError, lambda g: g.connect("other", "dense_1"))
    assert e.node == "dense_1" and e.field == "in"
    assert "'input_1'" in str(e) and "remove that edge first" in str(e)


def test_shape_error_names_node_and_says_how_to_fix() -> None:
    g = base()
    e = refused(g, ShapeError, lambda g: g.connect("input_1", "conv_1"))
    assert str(e) == ("Conv2d 'conv_1' needs an image input (C×H×W) but receives a vector of 784: "
                      "insert a Reshape to 1×28×28")
    assert e.node == "conv_1"


def test_shape_error_on_second_merge_input() -> None:
    g = base()
    g.connect("input_1", "add_1", "a")
    e = refused(g, ShapeError, lambda g: g.connect("dense_1", "add_1", "b"))
    assert "Add 'add_1'" in str(e) and "same shape" in str(e)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda g: g.add_node("Dense", params={"units": -3}), "units"),
        (lambda g: g.add_node("Dense", params={"units": "many"}), "units"),
        (lambda g: g.add_node("Dense", params={"units": 2.5}), "units"),
        (lambda g: g.add_node("Dense", params={"bias": 1}), "bias"),
        (lambda g: g.add_node("Dense", params={"colour": "red"}), "colour"),
        (lambda g: g.add_node("Dropout", params={"p": float("nan")}), "p"),
        (lambda g: g.add_node("Dropout", params={"p": 0.99}), "p"),
        (lambda g: g.add_node("Upsample", params={"mode": "cubic"}), "mode"),
        (lambda g: g.add_node("Reshape", params={"shape": [-1, -1]}), "shape"),
        (lambda g: g.add_node("Reshape", params={"shape": [0, 4]}), "shape"),
        (lambda g: g.add_node("Reshape", params={"shape": []}), "shape"),
        (lambda g: g.set_param("dense_1", "units", -3), "units"),
        (lambda g: g.set_param("dense_1", "colour", 1), "colour"),
    ],
)
def test_parameter_errors(edit: Callable[[Graph], Any], field: str) -> None:
    e = refused(base(), ParameterError, edit)
    assert e.field == field
    assert e.node is not None
    assert f" '{e.node}'" in str(e).split(":")[0] or f" '{e.node}' has no parameter" in str(e)
    assert field in str(e)


def test_parameter_error_message_is_keras_style() -> None:
    e = refused(base(), ParameterError, lambda g: g.add_node("Dense", params={"units": -3}))
    assert str(e) == "Dense 'dense_2': units must be an integer from 1 to 100000. Received: units=-3"
    assert (e.node, e.field) == ("dense_2", "units")
    e = refused(base(), ParameterError, lambda g: g.set_param("dense_1", "units", -3))
    assert str(e) == "Dense 'dense_1': units must be an integer from 1 to 100000. Received: units=-3"
    e = refused(base(), ParameterError, lambda g: g.set_param("dense_1", "colour", 1))
    assert "Dense 'dense_1' has no parameter 'colour'" in str(e) and "units" in str(e)


def test_unknown_kind_suggests_the_right_spelling() -> None:
    e = refused(base(), UnknownKindError, lambda g: g.add_node("dense"))
    assert str(e) == "Unknown layer kind 'dense' (did you mean 'Dense'?)"
    e = refused(base(), UnknownKindError, lambda g: g.add_node("Transformer"))
    assert "known kinds: Input, Dense" in str(e)
    refused(base(), UnknownKindError, lambda g: g.add_node(["Dense"]))  # type: ignore[arg-type]


def test_unknown_port() -> None:
    g = base()
    g.add_node("Input", "other", {"features": 784})
    e = refused(g, UnknownPortError, lambda g: g.connect("other", "add_1", "c"))
    assert "no input port 'c'" in str(e) and "a, b" in str(e)
    e = refused(g, UnknownPortError, lambda g: g.connect("dense_1", "other"))
    assert "Input 'other' has no inputs" in str(e)
    e = refused(g, UnknownPortError, lambda g: g.connect("output_1", "add_1"))
    assert "Output 'output_1' has no output" in str(e)


@pytest.mark.parametrize(
    "name", ["dense_1", "1dense", "has space", "", "_private", "class", "x" * 65, "naïve", "abc\n", "a-b"]
)
def test_duplicate_or_invalid_names(name: str) -> None:
    g = base()
    if name == "":
        return  # an empty name asks for a generated one
    e = refused(g, DuplicateNameError, lambda g: g.add_node("ReLU", name))
    assert e.field == "name"
    refused(g, DuplicateNameError, lambda g: g.rename_node("output_1", name))


def test_longest_valid_name() -> None:
    g = base()
    assert g.add_node("ReLU", "x" * 64).name == "x" * 64


def test_duplicate_name_message() -> None:
    e = refused(base(), DuplicateNameError, lambda g: g.rename_node("output_1", "dense_1"))
    assert str(e) == "A node named 'dense_1' already exists: choose another name"


@pytest.mark.parametrize("name", ["forward", "training", "parameters", "to", "graph", "code", "self", "eval"])
def test_names_the_compiled_module_already_uses_are_reserved(name: str) -> None:
    assert name in RESERVED_NAMES
    e = refused(base(), DuplicateNameError, lambda g: g.add_node("ReLU", name))
    assert "reserved" in str(e) and f"'{name}_1'" in str(e)


def test_generated_names_are_never_reserved() -> None:
    for spec in KINDS.values():
        assert f"{spec.prefix}_1" not in RESERVED_NAMES


def test_unknown_node() -> None:
    g = base()
    e = refused(g, UnknownNodeError, lambda g: g.node("nope"))
    assert "no node named 'nope'" in str(e)
    refused(g, UnknownNodeError, lambda g: g.remove_node("nope"))
    refused(g, UnknownNodeError, lambda g: g.rename_node("nope", "fine"))
    refused(g, UnknownNodeError, lambda g: g.set_param("nope", "units", 3))
    refused(g, UnknownNodeError, lambda g: g.move_node("nope", (0, 0)))
    refused(g, UnknownNodeError, lambda g: g.connect("nope", "dense_1"))
    refused(g, UnknownNodeError, lambda g: g.connect("dense_1", ["x"]))  # type: ignore[arg-type]
    e = refused(g, UnknownNodeError, lambda g: g.disconnect("input_1", "output_1"))
    assert "no edge from 'input_1' to 'output_1'" in str(e)


# Problems of a whole graph ------------------------------------------------------------------------------------


def test_missing_input_node_and_missing_output_node() -> None:
    g = Graph()
    g.add_node("Dense")
    kinds = [type(p) for p in g.problems()]
    assert MissingInputError in kinds and MissingOutputError in kinds
    with pytest.raises(MissingInputError):
        g.check()
    g = Graph()
    g.add_node("Input")
    with pytest.raises(MissingOutputError) as info:
        g.check()
    assert "Output" in str(info.value) and "add one" in str(info.value)


def test_unconnected_port_is_a_missing_input_naming_the_port() -> None:
    g = base()
    g.remove_node("conv_1")
    g.disconnect("dense_1", "output_1")
    g.connect("dense_1", "add_1", "a")
    g.connect("add_1", "output_1")
    problem = g.infer().problem_for("add_1")
    assert isinstance(problem, MissingInputError)
    assert problem.field == "b"
    assert str(problem) == ("Add 'add_1' has nothing connected to its input 'b': drag an edge from a layer's "
                            "output to it")
    with pytest.raises(MissingInputError):
        g.check()


def test_disconnected_node() -> None:
    g = base()
    g.remove_node("conv_1")
    g.remove_node("add_1")
    g.add_node("Dense", "dead_end", {"units": 2})
    g.connect("input_1", "dead_end")
    with pytest.raises(DisconnectedNodeError) as info:
        g.check()
    assert info.value.node == "dead_end"
    assert str(info.value) == ("Dense 'dead_end' is not connected: its result reaches no Output. "
                               "Connect it or delete it")


def test_shape_problem_from_a_later_parameter_change() -> None:
    g = Graph()
    g.add_node("Input", params={"kind": "image", "channels": 1, "height": 5, "width": 5})
    g.add_node("Conv2d", params={"kernel_size": 3})
    g.add_node("Output")
    g.chain("input_1", "conv_1", "output_1")
    g.set_param("conv_1", "kernel_size", 7)
    with pytest.raises(ShapeError) as info:
        g.check()
    assert info.value.node == "conv_1" and info.value.field == "kernel_size"
    assert str(info.value) == ("Conv2d 'conv_1' has kernel 7, larger than its 5×5 input: use a kernel of at "
                               "most 5 or add padding")


@pytest.mark.parametrize(
    ("kind", "params", "shape", "expected"),
    [
        ("Dense", {}, {"kind": "image"}, "Dense 'x_1' needs a vector input but receives an image 1×28×28 "
                                         "(C×H×W): insert a Flatten before it"),
        ("LSTM", {}, {"kind": "vector", "features": 12},
         "LSTM 'x_1' needs a sequence input (steps×features) but receives a vector of 12: insert a Reshape "
         "to steps×features"),
        ("Embedding", {}, {"kind": "vector", "features": 12},
         "Embedding 'x_1' reads token ids but receives a vector of 12: connect it to an Input whose kind is "
         "'tokens'"),
        ("ReLU", {}, {"kind": "tokens", "steps": 5},
         "ReLU 'x_1' receives a sequence of 5 token ids: token ids must pass through an Embedding first"),
        ("BatchNorm", {}, {"kind": "sequence", "steps": 5, "features": 3},
         "BatchNorm 'x_1' receives a sequence 5×3 (steps×features): use LayerNorm to normalize sequences"),
        ("MaxPool2d", {"kernel_size": 4, "padding": 3}, {"kind": "image"},
         "MaxPool2d 'x_1' has padding 3, more than half its kernel 4: use padding of at most 2"),
        ("ConvTranspose2d", {"stride": 2, "output_padding": 2}, {"kind": "image"},
         "ConvTranspose2d 'x_1' has output padding 2, which must be smaller than its stride 2"),
        ("Reshape", {"shape": [5, -1]}, {"kind": "vector", "features": 12},
         "Reshape 'x_1' cannot reshape a vector of 12 (12 values) to 5×-1: 12 is not a multiple of 5"),
        ("Reshape", {"shape": [3, 3]}, {"kind": "vector", "features": 12},
         "Reshape 'x_1' cannot reshape a vector of 12 (12 values) to 3×3 (9 values): the sizes must match"),
        ("Conv2d", {}, {"kind": "vector", "features": 48},
         "Conv2d 'x_1' needs an image input (C×H×W) but receives a vector of 48: insert a Reshape to 3×4×4"),
    ],
)
def test_shape_messages(kind: str, params: dict[str, Any], shape: dict[str, Any], expected: str) -> None:
    g = Graph()
    g.add_node("Input", params=shape)
    g.add_node(kind, "x_1", params)
    e = refused(g, ShapeError, lambda g: g.connect("input_1", "x_1"))
    assert str(e) == expected
    assert e.node == "x_1"
