"""Graph edits, the events each one emits, topological order, and the inference cache."""

from __future__ import annotations

import pytest

from playground.graph import (
    Edge,
    EdgeAdded,
    EdgeRemoved,
    Graph,
    GraphEvent,
    NodeAdded,
    NodeMoved,
    NodeRemoved,
    NodeRenamed,
    ParamChanged,
    Shape,
)


def recorder(graph: Graph) -> list[GraphEvent]:
    events: list[GraphEvent] = []
    graph.subscribe(events.append)
    return events


def mlp() -> Graph:
    """input_1 (vector 4) -> dense_1 (8) -> relu_1 -> dense_2 (3) -> output_1"""
    g = Graph()
    g.add_node("Input", params={"kind": "vector", "features": 4})
    g.add_node("Dense", params={"units": 8})
    g.add_node("ReLU")
    g.add_node("Dense", params={"units": 3})
    g.add_node("Output")
    g.chain("input_1", "dense_1", "relu_1", "dense_2", "output_1")
    return g


# Adding -------------------------------------------------------------------------------------------------------


def test_add_node_names_from_prefix_fills_defaults_and_emits_node_added() -> None:
    g = Graph()
    events = recorder(g)
    a = g.add_node("Dense", position=(10, 20))
    b = g.add_node("Dense", params={"units": 5, "bias": False})
    c = g.add_node("Conv2d", "my_conv")
    assert (a.name, b.name, c.name) == ("dense_1", "dense_2", "my_conv")
    assert a.params == {"units": 16, "bias": True}
    assert b.params == {"units": 5, "bias": False}
    assert a.position == (10.0, 20.0) and isinstance(a.position[0], float)
    assert events == [NodeAdded(a), NodeAdded(b), NodeAdded(c)]
    assert list(g.nodes) == ["dense_1", "dense_2", "my_conv"]
    assert "dense_1" in g and len(g) == 3
    assert g.node("dense_2") is b


def test_add_node_normalises_values() -> None:
    g = Graph()
    d = g.add_node("Dense", params={"units": 4.0})
    dropout = g.add_node("Dropout", params={"p": 0})
    reshape = g.add_node("Reshape", params={"shape": (2, -1)})
    assert d.params["units"] == 4 and isinstance(d.params["units"], int)
    assert dropout.params["p"] == 0.0 and isinstance(dropout.params["p"], float)
    assert reshape.params["shape"] == [2, -1]


def test_defaults_are_copies_not_shared_lists() -> None:
    g = Graph()
    a = g.add_node("Reshape")
    b = g.add_node("Reshape")
    a.params["shape"].append(5)
    assert b.params["shape"] == [1, 28, 28]
    assert g.add_node("Reshape").params["shape"] == [1, 28, 28]


def test_unique_name_skips_taken_numbers() -> None:
    g = Graph()
    g.add_node("Dense", "dense_1")
    g.add_node("Dense", "dense_3")
    assert g.add_node("Dense").name == "dense_2"
    assert g.add_node("Dense").name == "dense_4"


# Removing -----------------------------------------------------------------------------------------------------


def test_remove_node_emits_edge_removed_for_each_edge_then_node_removed() -> None:
    g = mlp()
    events = recorder(g)
    node = g.node("relu_1")
    removed = g.remove_node("relu_1")
    assert removed is node
    assert events == [
        EdgeRemoved(Edge("dense_1", "relu_1", "in")),
        EdgeRemoved(Edge("relu_1", "dense_2", "in")),
        NodeRemoved(node),
    ]
    assert "relu_1" not in g
    assert all("relu_1" not in (e.source, e.target) for e in g.edges)
    assert [e.target for e in g.edges] == ["dense_1", "output_1"]


def test_remove_merge_node_removes_both_input_edges() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Add")
    g.connect("input_1", "add_1", "a")
    g.connect("input_1", "add_1", "b")
    events = recorder(g)
    g.remove_node("add_1")
    assert [type(e) for e in events] == [EdgeRemoved, EdgeRemoved, NodeRemoved]
    assert g.edges == ()


# Renaming and moving ------------------------------------------------------------------------------------------


def test_rename_keeps_order_rewrites_edges_and_emits_node_renamed() -> None:
    g = mlp()
    events = recorder(g)
    g.rename_node("relu_1", "hidden_act")
    assert events == [NodeRenamed("relu_1", "hidden_act")]
    assert list(g.nodes) == ["input_1", "dense_1", "hidden_act", "dense_2", "output_1"]
    assert g.node("hidden_act").name == "hidden_act"
    assert Edge("dense_1", "hidden_act") in g.edges and Edge("hidden_act", "dense_2") in g.edges
    assert g.incoming("dense_2") == {"in": "hidden_act"}
    assert g.infer().ok
    assert "hidden_act" in g.infer().shapes


def test_rename_to_same_name_does_nothing() -> None:
    g = mlp()
    events = recorder(g)
    g.rename_node("dense_1", "dense_1")
    assert events == []


def test_move_emits_node_moved_and_keeps_the_inference() -> None:
    g = mlp()
    events = recorder(g)
    before = g.infer()
    g.move_node("dense_1", (3, -4.5))
    assert events == [NodeMoved("dense_1", (3.0, -4.5))]
    assert g.node("dense_1").position == (3.0, -4.5)
    assert g.infer() is before  # moving changes no shape


# Connecting ---------------------------------------------------------------------------------------------------


def test_connect_and_disconnect_emit_edge_events() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Dense")
    events = recorder(g)
    edge = g.connect("input_1", "dense_1")
    assert edge == Edge("input_1", "dense_1", "in")
    assert events == [EdgeAdded(edge)]
    assert g.incoming("dense_1") == {"in": "input_1"}
    assert g.outgoing("input_1") == [edge]
    removed = g.disconnect("input_1", "dense_1")
    assert removed == edge
    assert events == [EdgeAdded(edge), EdgeRemoved(edge)]
    assert g.edges == ()


def test_connect_fills_merge_ports_in_order() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Dense", params={"units": 3})
    g.add_node("Concat")
    g.connect("input_1", "dense_1")
    assert g.connect("input_1", "concat_1").port == "a"
    assert g.connect("dense_1", "concat_1").port == "b"
    assert g.incoming("concat_1") == {"a": "input_1", "b": "dense_1"}
    assert g.infer().shapes["concat_1"] == Shape((6,))


def test_disconnect_a_given_port() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 3})
    g.add_node("Add")
    g.connect("input_1", "add_1", "a")
    g.connect("input_1", "add_1", "b")
    assert g.disconnect("input_1", "add_1", "b") == Edge("input_1", "add_1", "b")
    assert g.incoming("add_1") == {"a": "input_1"}


def test_check_connect_changes_nothing() -> None:
    g = mlp()
    g.disconnect("relu_1", "dense_2")
    events = recorder(g)
    before = g.to_dict()
    assert g.check_connect("relu_1", "dense_2") == Edge("relu_1", "dense_2", "in")
    assert g.to_dict() == before and events == []


def test_connect_without_shape_check_accepts_and_reports_later() -> None:
    g = Graph()
    g.add_node("Input", params={"features": 784})
    g.add_node("Conv2d")
    g.connect("input_1", "conv_1", check_shapes=False)
    problem = g.infer().problem_for("conv_1")
    assert problem is not None and "insert a Reshape to 1×28×28" in str(problem)


# Parameters ---------------------------------------------------------------------------------------------------


def test_set_param_emits_param_changed_with_old_and_new() -> None:
    g = mlp()
    events = recorder(g)
    g.set_param("dense_1", "units", 32)
    assert events == [ParamChanged("dense_1", "units", 8, 32)]
    assert g.node("dense_1").params["units"] == 32
    assert g.infer().shapes["dense_1"] == Shape((32,))


def test_set_param_to_the_same_value_emits_nothing() -> None:
    g = mlp()
    events = recorder(g)
    g.set_param("dense_1", "units", 8)
    g.set_param("dense_1", "units", 8.0)  # normalised to the same int
    assert events == []


def test_set_param_may_break_shapes_and_inference_reports_it() -> None:
    g = mlp()
    g.set_param("input_1", "kind", "image")
    problem = g.infer().problem_for("dense_1")
    assert problem is not None and "Flatten" in str(problem)


def test_unsubscribe_stops_events() -> None:
    g = Graph()
    events = recorder(g)
    g.unsubscribe(events.append)
    g.unsubscribe(events.append)  # twice is harmless
    g.add_node("Dense")
    assert events == []


# Order and inference ------------------------------------------------------------------------------------------


def test_topological_order_puts_sources_first_and_keeps_insertion_order_for_ties() -> None:
    g = Graph()
    g.add_node("Output", "out")
    g.add_node("Add", "add")
    g.add_node("Dense", "right", {"units": 3})
    g.add_node("Dense", "left", {"units": 3})
    g.add_node("Input", "inp", {"features": 3})
    g.connect("inp", "left")
    g.connect("inp", "right")
    g.connect("right", "add", "a")
    g.connect("left", "add", "b")
    g.connect("add", "out")
    order = g.topological_order()
    assert order == ["inp", "right", "left", "add", "out"]
    for e in g.edges:
        assert order.index(e.source) < order.index(e.target)


def test_topological_order_of_unconnected_nodes_is_insertion_order() -> None:
    g = Graph()
    for kind in ("Dense", "ReLU", "Input", "Output"):
        g.add_node(kind)
    assert g.topological_order() == list(g.nodes)


def test_reaches() -> None:
    g = mlp()
    assert g.reaches("input_1", "output_1")
    assert not g.reaches("output_1", "input_1")
    assert g.reaches("relu_1", "relu_1")


def test_inference_of_a_network() -> None:
    g = mlp()
    inf = g.infer()
    assert inf.ok and g.problems() == []
    assert inf.shapes["output_1"] == Shape((3,))
    assert inf.input_shapes["dense_2"] == [Shape((8,))]
    assert inf.param_counts == {"input_1": 0, "dense_1": 4 * 8 + 8, "relu_1": 0, "dense_2": 8 * 3 + 3,
                                "output_1": 0}
    assert inf.total_params == 67
    assert g.check() is inf


@pytest.mark.parametrize(
    "edit",
    [
        lambda g: g.add_node("Dense"),
        lambda g: g.remove_node("relu_1"),
        lambda g: g.rename_node("relu_1", "act"),
        lambda g: g.set_param("dense_1", "units", 9),
        lambda g: g.disconnect("relu_1", "dense_2"),
        lambda g: (g.disconnect("relu_1", "dense_2"), g.connect("dense_1", "dense_2")),
    ],
    ids=["add", "remove", "rename", "set_param", "disconnect", "connect"],
)
def test_every_change_invalidates_the_inference_cache(edit) -> None:
    g = mlp()
    first = g.infer()
    assert g.infer() is first  # cached
    edit(g)
    second = g.infer()
    assert second is not first
    fresh = Graph.from_dict(g.to_dict()).infer()
    assert second.shapes == fresh.shapes
    assert second.param_counts == fresh.param_counts
    assert [str(p) for p in second.problems] == [str(p) for p in fresh.problems]


def test_upstream_problem_is_reported_once() -> None:
    g = mlp()
    g.set_param("input_1", "kind", "tokens")
    problems = g.problems()
    assert [p.node for p in problems] == ["dense_1"]
    assert "Embedding" in str(problems[0])


def test_copy_is_independent_and_equal() -> None:
    g = mlp()
    c = g.copy()
    assert c.to_dict() == g.to_dict()
    c.set_param("dense_1", "units", 2)
    assert g.node("dense_1").params["units"] == 8
