"""Labs as JSON: exact round trips (templates and hypothesis-generated labs), and bad files that fail cleanly.

A bad lab file raises a GraphError subclass (LabFormatError for the format, or the graph error of the cause:
UnknownKindError, ParameterError, CycleError, ...) with a message that says what is wrong. Never a KeyError,
TypeError, ValueError or RecursionError.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground.graph import (
    DATASET_FIELDS,
    KINDS,
    ROLES,
    TASKS,
    TRAINING_FIELDS,
    CycleError,
    DatasetSettings,
    DuplicateNameError,
    Graph,
    GraphError,
    Lab,
    LabFormatError,
    Param,
    ParameterError,
    PortOccupiedError,
    TrainingSettings,
    UnknownKindError,
    UnknownNodeError,
    UnknownPortError,
)
from playground.graph.lab import FORMAT, VERSION
from playground.graph.templates import TEMPLATES

EXPLORE = bool(os.environ.get("PLAYGROUND_EXPLORE"))
FAST = settings(max_examples=60, deadline=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# Templates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_template_round_trips_exactly(key: str) -> None:
    lab = TEMPLATES[key].build()
    text = lab.to_json()
    again = Lab.from_json(text)
    assert again.to_json() == text
    assert again.to_dict() == lab.to_dict()
    assert json.loads(text)["format"] == FORMAT and json.loads(text)["version"] == VERSION


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_template_is_valid(key: str) -> None:
    lab = TEMPLATES[key].build()
    lab.check()
    assert lab.task in TASKS
    assert all(n.role in ROLES for n in lab.networks)


def test_save_and_load(tmp_path: Any) -> None:
    lab = next(iter(TEMPLATES.values())).build()
    path = tmp_path / "lab.json"
    lab.save(str(path))
    assert path.read_text(encoding="utf-8") == lab.to_json()
    assert Lab.load(str(path)).to_json() == lab.to_json()
    lab.name = "changed"
    lab.save(str(path))  # over the old file
    assert Lab.load(str(path)).name == "changed"
    assert [p.name for p in tmp_path.iterdir()] == ["lab.json"]  # no temporary file left


def test_load_a_file_with_a_byte_order_mark(tmp_path: Any) -> None:
    lab = TEMPLATES["spiral"].build()
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + lab.to_json().encode("utf-8"))
    assert Lab.load(str(path)).to_json() == lab.to_json()


def test_float_fields_set_as_ints_still_round_trip() -> None:
    lab = Lab(training=TrainingSettings(learning_rate=1, grad_clip=2), dataset=DatasetSettings(noise=5))
    text = lab.to_json()
    assert '"learning_rate": 1.0' in text
    assert Lab.from_json(text).to_json() == text


# Hypothesis-generated labs ------------------------------------------------------------------------------------


def value_of(p: Param) -> st.SearchStrategy[Any]:
    if p.type == "int":
        lo = int(p.minimum if p.minimum is not None else -1000)
        hi = int(p.maximum if p.maximum is not None else 1000)
        return st.integers(lo, min(hi, lo + 50))
    if p.type == "float":
        return st.floats(p.minimum, p.maximum, allow_nan=False, allow_infinity=False)
    if p.type == "bool":
        return st.booleans()
    if p.type == "choice":
        return st.sampled_from(p.choices)
    return st.lists(st.integers(1, 6), min_size=1, max_size=3)


def fields_of(specs: tuple[Param, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={p.name: value_of(p) for p in specs})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)

names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda n: n not in RESERVED)
LAYER_KINDS = sorted(KINDS)


@st.composite
def graphs(draw: st.DrawFn) -> Graph:
    g = Graph()
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(LAYER_KINDS))
        params = draw(fields_of(KINDS[kind].params))
        name = draw(st.one_of(st.none(), names))
        pos = (draw(st.floats(-1e4, 1e4)), draw(st.floats(-1e4, 1e4)))
        with contextlib.suppress(GraphError):  # a taken name, or a reshape target of two -1
            g.add_node(kind, name, params, pos)
    nodes = list(g.nodes)
    for _ in range(draw(st.integers(0, 8)) if nodes else 0):
        with contextlib.suppress(GraphError):
            g.connect(draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes)), check_shapes=False)
    return g


@st.composite
def labs(draw: st.DrawFn) -> Lab:
    lab = Lab(
        name=draw(st.text(max_size=20)),
        description=draw(st.text(max_size=40)),
        task=draw(st.sampled_from(sorted(TASKS))),
        seed=draw(st.integers(0, 2**32 - 1)),
        dataset=DatasetSettings.from_dict({
            "name": draw(st.text(min_size=1, max_size=10)),
            "features": draw(st.lists(st.text(max_size=4), max_size=4)),
            "options": draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
            **draw(fields_of(DATASET_FIELDS)),
        }),
        training=TrainingSettings.from_dict(draw(fields_of(TRAINING_FIELDS))),
        task_options=draw(st.dictionaries(st.text(max_size=5), json_values, max_size=3)),
    )
    for i in range(draw(st.integers(0, 3))):
        lab.add_network(f"net{i}", draw(st.sampled_from(sorted(ROLES))), draw(graphs()))
    return lab


from playground.graph.graph import RESERVED_NAMES as RESERVED  # noqa: E402


@FAST
@given(labs())
def test_generated_labs_round_trip_exactly(lab: Lab) -> None:
    text = lab.to_json()
    again = Lab.from_json(text)
    assert again.to_json() == text
    for a, b in zip(lab.networks, again.networks):
        assert a.graph.topological_order() == b.graph.topological_order()
        assert [str(p) for p in a.graph.problems()] == [str(p) for p in b.graph.problems()]


@FAST
@given(fields_of(TRAINING_FIELDS))
def test_training_settings_round_trip(values: dict[str, Any]) -> None:
    settings_ = TrainingSettings.from_dict(values)
    assert TrainingSettings.from_dict(settings_.to_dict()) == settings_
    assert settings_.updated(**values) == settings_


def test_training_updated_validates() -> None:
    t = TrainingSettings()
    assert t.updated(learning_rate=0.5).learning_rate == 0.5
    assert t.learning_rate == 0.01
    with pytest.raises(LabFormatError) as info:
        t.updated(learning_rate=-1)
    assert "learning_rate" in str(info.value) and "Received: learning_rate=-1" in str(info.value)
    with pytest.raises(LabFormatError):
        t.updated(colour="red")


# Bad lab files ------------------------------------------------------------------------------------------------


def good() -> dict[str, Any]:
    return TEMPLATES["residual_block"].build().to_dict()


def nodes(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["networks"][0]["graph"]["nodes"]  # type: ignore[no-any-return]


def edges(d: dict[str, Any]) -> list[dict[str, Any]]:
    return d["networks"][0]["graph"]["edges"]  # type: ignore[no-any-return]


def load(d: Any) -> Lab:
    return Lab.from_json(json.dumps(d))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ("{'format': 1}", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
        ('{"seed": ' + "9" * 5000 + "}", "holds a number of 5000 digits"),
        ("[]", "must hold a JSON object"),
        ("42", "must hold a JSON object"),
        ("null", "must hold a JSON object"),
        ('{"name": "\\ud800"}', "not valid Unicode"),
        ("\ufeff{}", "not valid JSON"),
    ],
)
def test_not_a_lab(text: str, words: str) -> None:
    with pytest.raises(LabFormatError) as info:
        Lab.from_json(text)
    assert words in str(info.value)


def mutate(path: str, value: Any) -> dict[str, Any]:
    d = good()
    *parents, last = path.split(".")
    target: Any = d
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return d


DELETE = object()
G = "networks.0.graph"


@pytest.mark.parametrize(
    ("path", "value", "error", "words"),
    [
        ("format", "something/else", LabFormatError, "Not a lab file"),
        ("format", DELETE, LabFormatError, "Not a lab file"),
        ("version", VERSION + 1, LabFormatError, "newer Neural Network Playground"),
        ("version", 0, LabFormatError, "positive integer"),
        ("version", "1", LabFormatError, "positive integer"),
        ("version", True, LabFormatError, "positive integer"),
        ("colour", "red", LabFormatError, "unknown field 'colour'"),
        ("task", "poetry", LabFormatError, "Unknown task 'poetry'"),
        ("task", ["gan"], LabFormatError, "Unknown task"),
        ("seed", -1, LabFormatError, "seed must be an integer"),
        ("seed", 1.5, LabFormatError, "seed must be an integer"),
        ("name", 3, LabFormatError, "must be strings"),
        ("task_options", [], LabFormatError, "task_options must be an object"),
        ("training", [], LabFormatError, "training must be an object"),
        ("training.learning_rate", -0.1, LabFormatError, "learning_rate must be a number from"),
        ("training.optimizer", "magic", LabFormatError, "optimizer must be one of"),
        ("training.colour", 1, LabFormatError, "training has no field 'colour'"),
        ("dataset", "circle", LabFormatError, "dataset must be an object"),
        ("dataset.name", "", LabFormatError, "dataset.name must be a non-empty string"),
        ("dataset.features", "x1", LabFormatError, "dataset.features must be a list"),
        ("dataset.samples", 3, LabFormatError, "samples must be an integer from 10"),
        ("dataset.colour", 3, LabFormatError, "dataset has no field 'colour'"),
        ("dataset.options", 3, LabFormatError, "dataset.options must be an object"),
        ("networks", {}, LabFormatError, "'networks' must be a list"),
        ("networks.0", "model", LabFormatError, "network #1 needs a 'name'"),
        ("networks.0.name", 7, LabFormatError, "network #1 needs a 'name'"),
        ("networks.0.role", "critic", LabFormatError, "Unknown network role 'critic'"),
        ("networks.0.role", {}, LabFormatError, "Unknown network role"),
        (G, [], LabFormatError, "must be an object with 'nodes' and 'edges'"),
        (G + ".nodes", {}, LabFormatError, "'nodes' and 'edges' must be lists"),
        (G + ".colour", 1, LabFormatError, "unknown field 'colour'"),
        (G + ".nodes.1", "dense", LabFormatError, "node #2 needs a 'name' and a 'kind'"),
        (G + ".nodes.1.kind", DELETE, LabFormatError, "node #2 needs a 'name' and a 'kind'"),
        (G + ".nodes.1.kind", "Dens", UnknownKindError, "Unknown layer kind 'Dens'"),
        (G + ".nodes.1.kind", ["Dense"], UnknownKindError, "layer kind must be a name"),
        (G + ".nodes.1.kind", None, UnknownKindError, "layer kind must be a name"),
        (G + ".nodes.1.name", "input_1", DuplicateNameError, "already exists"),
        (G + ".nodes.1.name", "forward", DuplicateNameError, "reserved"),
        (G + ".nodes.1.name", 5, LabFormatError, "non-empty string"),
        (G + ".nodes.1.name", "", LabFormatError, "non-empty string"),
        (G + ".nodes.1.params", [], LabFormatError, "params that are not an object"),
        (G + ".nodes.1.params.units", -3, ParameterError, "Dense 'dense_1': units must be an integer from 1 to "
                                                          "100000. Received: units=-3"),
        (G + ".nodes.1.params.colour", 1, ParameterError, "has no parameter 'colour'"),
        (G + ".nodes.1.position", [1], LabFormatError, "position that is not [x, y]"),
        (G + ".nodes.1.position", ["a", 1], LabFormatError, "position that is not [x, y]"),
        (G + ".nodes.1.colour", "red", LabFormatError, "unknown field 'colour'"),
        (G + ".edges.0", [], LabFormatError, "edge #1 needs a 'source' and a 'target'"),
        (G + ".edges.0.source", "nowhere", UnknownNodeError, "no node named 'nowhere'"),
        (G + ".edges.0.source", ["x"], UnknownNodeError, "no node named"),
        (G + ".edges.0.port", "side", UnknownPortError, "no input port 'side'"),
        (G + ".edges.0.port", 1, LabFormatError, "port that is not a name"),
        (G + ".edges.0.colour", 1, LabFormatError, "unknown field 'colour'"),
        (G + ".edges.1", {"source": "tanh_3", "target": "dense_1", "port": "in"}, PortOccupiedError,
         "already fed by"),
        (G + ".edges.1", {"source": "dense_3", "target": "tanh_1", "port": "in"}, CycleError, "would make a cycle"),
    ],
)
def test_bad_lab_fields(path: str, value: Any, error: type[GraphError], words: str) -> None:
    d = mutate(path, value)
    with pytest.raises(error) as info:
        load(d)
    assert type(info.value) is error
    assert words in str(info.value), str(info.value)
    if path.startswith(G):
        assert "network 'model'" in str(info.value)


def test_a_cycle_in_the_edges() -> None:
    d = good()
    edges(d)[:] = [{"source": "input_1", "target": "dense_1", "port": "in"},
                   {"source": "dense_1", "target": "tanh_1", "port": "in"},
                   {"source": "tanh_1", "target": "dense_1", "port": "in"}]
    with pytest.raises(GraphError):  # dense_1's port is taken first: either way a typed error
        load(d)
    edges(d)[:] = [{"source": "dense_1", "target": "tanh_1", "port": "in"},
                   {"source": "tanh_1", "target": "dense_1", "port": "in"}]
    with pytest.raises(CycleError) as info:
        load(d)
    assert "would make a cycle" in str(info.value)


def test_load_prefixes_the_path(tmp_path: Any) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(LabFormatError) as info:
        Lab.load(str(path))
    assert str(info.value).startswith(str(path))
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(LabFormatError):
        Lab.load(str(path))
    with pytest.raises(LabFormatError) as info:
        Lab.load(str(tmp_path / "missing.json"))
    assert "Cannot read" in str(info.value)


def test_lab_check_prefixes_network_once() -> None:
    lab = Lab()
    lab.add_network("encoder", "encoder")
    lab.add_network("decoder", "decoder")
    for _ in range(3):
        with pytest.raises(GraphError) as info:
            lab.check()
        assert str(info.value).startswith("[encoder] The network has no Input node")
    with pytest.raises(LabFormatError):
        Lab().check()


def test_network_lookup_errors() -> None:
    lab = TEMPLATES["spiral"].build()
    assert lab.network("model").role == "model"
    assert lab.network_by_role("model").name == "model"
    with pytest.raises(LabFormatError, match="no network named 'critic'"):
        lab.network("critic")
    with pytest.raises(LabFormatError, match="role is 'generator'"):
        lab.network_by_role("generator")
    with pytest.raises(LabFormatError, match="already has a network named 'model'"):
        lab.add_network("model")
    with pytest.raises(LabFormatError, match="Unknown network role"):
        lab.add_network("other", "critic")


# Any damage to a lab file gives a GraphError ------------------------------------------------------------------


def paths_of(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_of(v, prefix + (i,))
    return out


GOOD = good()
PATHS = paths_of(GOOD)[1:]
junk = st.one_of(json_values, st.sampled_from([-3, 0, 1e308, -1e308, "", "Dense", "input_1", [1, -1], [-1, -1],
                                               {"nodes": []}, 2**64]))


@settings(max_examples=300, deadline=None, derandomize=not EXPLORE,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PATHS), junk, st.booleans()), min_size=1, max_size=3))
@pytest.mark.slow
def test_damaged_lab_files_raise_graph_errors_only(damage: list[tuple[tuple[Any, ...], Any, bool]]) -> None:
    d = copy.deepcopy(GOOD)
    for path, value, delete in damage:
        target: Any = d
        try:
            for key in path[:-1]:
                target = target[key]
            if delete and isinstance(target, dict):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier damage already removed this place
    try:
        lab = Lab.from_json(json.dumps(d))
    except GraphError as e:
        assert str(e)
        return
    text = lab.to_json()
    assert Lab.from_json(text).to_json() == text


@settings(max_examples=100, deadline=None, derandomize=not EXPLORE)
@given(st.one_of(st.text(max_size=50), st.binary(max_size=50).map(lambda b: b.decode("latin-1"))))
def test_random_text_is_not_a_lab(text: str) -> None:
    with pytest.raises(LabFormatError):
        Lab.from_json(text)
