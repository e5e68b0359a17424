"""Input that used to crash or to break a message over several lines is refused with one line naming the field.

A JSON integer too large for a float (1 followed by 400 zeros), NaN and Infinity (literals Python's json accepts)
must never reach float() or int() unchecked; user text (node names, paths, kinds, fields) is echoed escaped, so a
newline in a name cannot split an error message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from playground.graph import (
    DATASET_FIELDS,
    KINDS,
    TRAINING_FIELDS,
    Graph,
    GraphError,
    Lab,
    LabFormatError,
    ParameterError,
)
from playground.graph.errors import shown
from playground.graph.templates import spiral

BIG = "1" + "0" * 400  # an integer JSON holds and float() cannot convert
MARK = '"@@VALUE@@"'


def lab_text(path: list[Any], raw: str, data: dict[str, Any] | None = None) -> str:
    """The spiral lab's JSON with the value at ``path`` replaced by the raw JSON text ``raw``."""
    data = json.loads(json.dumps(data or spiral().to_dict()))
    cur: Any = data
    for key in path[:-1]:
        cur = cur[key]
    cur[path[-1]] = "@@VALUE@@"
    return json.dumps(data).replace(MARK, raw)


def refused(text: str) -> GraphError:
    with pytest.raises(GraphError) as info:
        Lab.from_json(text)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message, message
    return info.value


def one_line(message: str) -> None:
    assert message and all(c.isprintable() for c in message), repr(message)


NUMERIC_TRAINING = [p.name for p in TRAINING_FIELDS if p.type in ("int", "float")]
NUMERIC_DATASET = [p.name for p in DATASET_FIELDS if p.type in ("int", "float")]


@pytest.mark.parametrize("raw", [BIG, "-" + BIG, "NaN", "Infinity", "-Infinity", "1e400"])
@pytest.mark.parametrize("name", NUMERIC_TRAINING)
def test_every_training_number_is_range_checked(name: str, raw: str) -> None:
    error = refused(lab_text(["training", name], raw))
    assert isinstance(error, LabFormatError) and error.field == name
    assert f"training: {name} must be" in str(error)
    if raw == BIG:
        assert str(error).endswith(f"Received: {name}=1e+400")


@pytest.mark.parametrize("raw", [BIG, "-" + BIG, "NaN", "Infinity"])
@pytest.mark.parametrize("name", NUMERIC_DATASET)
def test_every_dataset_number_is_range_checked(name: str, raw: str) -> None:
    error = refused(lab_text(["dataset", name], raw))
    assert f"dataset: {name} must be" in str(error) and error.field == name


def test_the_issue_example_names_the_field() -> None:
    assert str(refused(lab_text(["training", "learning_rate"], BIG))) == (
        "training: learning_rate must be a number from 1e-07 to 10000. Received: learning_rate=1e+400")


def _kind_params() -> list[tuple[str, str]]:
    return [(k.name, p.name) for k in KINDS.values() for p in k.params if p.type in ("int", "float")]


@pytest.mark.parametrize("raw", [BIG, "NaN", "-Infinity"])
@pytest.mark.parametrize(("kind", "param"), _kind_params())
def test_every_numeric_layer_parameter_is_range_checked(kind: str, param: str, raw: str) -> None:
    data = spiral().to_dict()
    data["networks"][0]["graph"] = {"nodes": [{"name": "layer_1", "kind": kind, "params": {param: "@@VALUE@@"}}],
                                    "edges": []}
    error = refused(json.dumps(data).replace(MARK, raw))
    assert isinstance(error, ParameterError) and error.field == param and error.node == "layer_1"
    assert f"{kind} 'layer_1': {param} must be" in str(error)


def test_reshape_dimensions_have_a_ceiling() -> None:
    data = spiral().to_dict()
    data["networks"][0]["graph"] = {"nodes": [{"name": "r", "kind": "Reshape", "params": {"shape": "@@VALUE@@"}}],
                                    "edges": []}
    error = refused(json.dumps(data).replace(MARK, f"[{BIG}]"))
    assert str(error).endswith("Received: shape=[1e+400]")


@pytest.mark.parametrize("raw", [f"[{BIG}, 0]", f"[0, -{BIG}]", "[NaN, 0]", "[0, Infinity]", "[1e8, 0]"])
def test_positions_are_range_checked(raw: str) -> None:
    error = refused(lab_text(["networks", 0, "graph", "nodes", 1, "position"], raw))
    assert "node 'dense_1' has a position that is not [x, y]" in str(error) and error.field == "position"


@pytest.mark.parametrize("position", [(10**400, 0.0), (0.0, float("nan")), (float("inf"), 0.0), (2e7, 0.0)])
def test_positions_from_python_are_range_checked_too(position: tuple[float, float]) -> None:
    g = Graph()
    with pytest.raises(ParameterError, match="Dense 'dense_1': position must be"):
        g.add_node("Dense", "dense_1", position=position)
    assert len(g) == 0
    g.add_node("Dense", "dense_1", position=(5.0, 6.0))
    with pytest.raises(ParameterError, match="position must be"):
        g.move_node("dense_1", position)
    assert g.node("dense_1").position == (5.0, 6.0)


@pytest.mark.parametrize("raw", [BIG, "NaN", "Infinity"])
@pytest.mark.parametrize(("path", "field"), [(["seed"], "seed"), (["version"], "version")])
def test_seed_and_version(path: list[str], field: str, raw: str) -> None:
    error = refused(lab_text(path, raw))
    assert error.field == field


@pytest.mark.parametrize("raw", [BIG, "NaN", "-Infinity"])
@pytest.mark.parametrize(("path", "where"), [
    (["dataset", "options", "steps"], "dataset.options.steps"),
    (["dataset", "options", "points"], "dataset.options.points[1][0]"),
    (["task_options", "latent"], "task_options.latent"),
])
def test_free_form_options_hold_only_finite_numbers(path: list[str], where: str, raw: str) -> None:
    text = lab_text(path, f"[[0, 1], [{raw}, 2]]" if path[-1] == "points" else raw)
    error = refused(text)
    assert str(error).startswith(f"{where} must be a finite number. Received: {where}=")


def test_finite_options_still_load() -> None:
    lab = Lab.from_json(lab_text(["dataset", "options", "points"], "[[0, 1.5], [2, -3]]"))
    assert lab.dataset.options["points"] == [[0, 1.5], [2, -3]]


# One line, whatever the user typed --------------------------------------------------------------------------


BAD_TEXT = ["x\n", "a\nb", "tab\there", "cr\r", "nul\x00", "line\u2028sep", "esc\x1b[31m"]


@pytest.mark.parametrize("text", BAD_TEXT)
def test_graph_edits_echo_names_escaped(text: str) -> None:
    g = Graph()
    g.add_node("Input", "input_1")
    edits: list[Callable[[], Any]] = [
        lambda: g.add_node("Dense", text),
        lambda: g.rename_node("input_1", text),
        lambda: g.node(text),
        lambda: g.remove_node(text),
        lambda: g.connect(text, "input_1"),
        lambda: g.disconnect("input_1", text),
        lambda: g.set_param(text, "units", 3),
        lambda: g.set_param("input_1", text, 3),
        lambda: g.set_param("input_1", "features", text),
        lambda: g.add_node(text),
        lambda: g.add_node("Dense", "dense_1", {text: 1}),
    ]
    for edit in edits:
        with pytest.raises(GraphError) as info:
            edit()
        one_line(str(info.value))
        assert repr(text)[1:-1] in str(info.value)


@pytest.mark.parametrize("text", BAD_TEXT)
@pytest.mark.parametrize("path", [
    ["name_of_node"], ["kind"], ["unknown_node_field"], ["param"], ["edge_source"], ["edge_port"], ["task"],
    ["network"], ["role"], ["field"], ["training_field"], ["format"], ["optimizer"],
])
def test_lab_files_echo_text_escaped(path: list[str], text: str) -> None:
    data = spiral().to_dict()
    net = data["networks"][0]
    nodes, edges = net["graph"]["nodes"], net["graph"]["edges"]
    where = path[0]
    if where == "name_of_node":
        nodes[1]["name"] = text
    elif where == "kind":
        nodes[1]["kind"] = text
    elif where == "unknown_node_field":
        nodes[1][text] = 1
    elif where == "param":
        nodes[1]["params"][text] = 1
    elif where == "edge_source":
        edges[0]["source"] = text
    elif where == "edge_port":
        edges[0]["port"] = text
    elif where == "task":
        data["task"] = text
    elif where == "network":
        net["name"] = text
    elif where == "role":
        net["role"] = text
    elif where == "field":
        data[text] = 1
    elif where == "training_field":
        data["training"][text] = 1
    elif where == "format":
        data["format"] = text
    elif where == "optimizer":
        data["training"]["optimizer"] = text
    one_line(str(refused(json.dumps(data))))


@pytest.mark.parametrize("text", BAD_TEXT)
def test_lab_networks_and_paths_echo_text_escaped(text: str, tmp_path: Any) -> None:
    lab = spiral()
    for edit in (lambda: lab.add_network(text, "model"), lambda: lab.network(text),
                 lambda: lab.add_network("other", text), lambda: Lab.load(str(tmp_path / f"no{text}.json"))):
        with pytest.raises(GraphError) as info:
            edit()
        one_line(str(info.value))


def test_a_bad_file_keeps_its_path_escaped(tmp_path: Any) -> None:
    path = tmp_path / "two\nlines.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(LabFormatError) as info:
        Lab.load(str(path))
    one_line(str(info.value))
    assert str(info.value).startswith(repr(str(path)))


@pytest.mark.parametrize("name", ["", "a\nb", "nul\x00", "tab\t", "x" * 101])
def test_network_names_must_be_printable(name: str) -> None:
    with pytest.raises(LabFormatError) as info:
        spiral().add_network(name)
    assert "A network's name must be printable text" in str(info.value)
    one_line(str(info.value))


@pytest.mark.parametrize("name", ["model", "encoder_2", "_net", "my net", "réseau", "../../my net"])
def test_network_names_that_are_fine(name: str) -> None:
    lab = Lab()
    lab.add_network(name)
    assert Lab.from_json(lab.to_json()).networks[0].name == name


def test_shown() -> None:
    assert shown("x\n") == "'x\\n'"
    assert shown("dense_1") == "'dense_1'" and shown("C:\\data") == "'C:\\data'"  # printable: as it is
    assert shown(10**400) == "1e+400"
    assert shown(-123456 * 10**30) == "-1.234e+35"
    assert shown(10**5000) == "about 1e+5000"  # more digits than Python turns into text
    assert shown(12) == "12" and shown(float("nan")) == "nan" and shown(True) == "True"
    assert shown("/tmp/a b.json", quote=False) == "/tmp/a b.json"
    assert shown("/tmp/a\nb.json", quote=False) == "'/tmp/a\\nb.json'"
    assert len(shown("a" * 10_000)) < 250 and len(shown(list(range(10_000)))) < 100


def test_deeply_nested_options_are_walked_without_recursion() -> None:
    depth = 5000  # deeper than Python's recursion limit; built in Python, since json.loads stops near 1000
    options: Any = float("nan")
    for _ in range(depth):
        options = [options]
    data = spiral().to_dict()
    data["dataset"]["options"] = {"deep": options}
    with pytest.raises(LabFormatError) as info:
        Lab.from_dict(data)
    assert str(info.value).startswith("dataset.options.deep" + "[0]" * depth + " must be a finite number")
