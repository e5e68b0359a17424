"""The layer catalog: kinds, parameters, defaults, teaching text; and the settings tables of a lab."""

from __future__ import annotations

import pytest

from playground.graph import (
    CATEGORIES,
    DATASET_FIELDS,
    KINDS,
    TRAINING_FIELDS,
    DatasetSettings,
    Param,
    ParameterError,
    TrainingSettings,
    UnknownKindError,
    get_kind,
    kinds_in,
)
from playground.graph.catalog import PARAM_TYPES


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_kind_is_complete_and_its_defaults_are_valid(kind: str) -> None:
    spec = KINDS[kind]
    assert spec.name == kind and get_kind(kind) is spec
    assert spec.category in CATEGORIES
    assert spec.summary and spec.tooltip().startswith(f"{kind}: ")
    assert spec.prefix.isidentifier() and spec.prefix.islower()
    assert set(spec.key_params) <= {p.name for p in spec.params}
    assert spec.check_params({}, "n_1") == spec.defaults()
    for p in spec.params:
        assert p.type in PARAM_TYPES
        assert p.help and p.title
        assert p.check(p.default, "here") == p.default
        if p.type == "choice":
            assert p.default in p.choices
        with pytest.raises(KeyError):
            spec.param("no_such_param")
        assert spec.param(p.name) is p


def test_prefixes_are_unique_and_every_category_has_kinds() -> None:
    prefixes = [k.prefix for k in KINDS.values()]
    assert len(prefixes) == len(set(prefixes))
    assert sorted(k.name for c in CATEGORIES for k in kinds_in(c)) == sorted(KINDS)
    assert all(kinds_in(c) for c in CATEGORIES)


def test_get_kind_errors() -> None:
    with pytest.raises(UnknownKindError, match="did you mean 'LSTM'"):
        get_kind("lstm")
    with pytest.raises(UnknownKindError, match="known kinds"):
        get_kind("Attention")
    with pytest.raises(UnknownKindError, match="must be a name"):
        get_kind(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("param", "text"),
    [
        (Param("n", "int", 1, "", 1, 10), "an integer from 1 to 10"),
        (Param("n", "int", 1, "", 0), "an integer of at least 0"),
        (Param("x", "float", 0.5, "", 0.0, 0.95), "a number from 0 to 0.95"),
        (Param("x", "float", 0.5, ""), "a number"),
        (Param("b", "bool", True, ""), "true or false"),
        (Param("c", "choice", "a", "", choices=("a", "b")), "one of 'a', 'b'"),
        (Param("s", "shape", [1], ""), "a list of positive integers (one of them may be -1)"),
    ],
)
def test_range_text(param: Param, text: str) -> None:
    assert param.range_text() == text


def test_param_check_normalises_and_refuses() -> None:
    n = Param("units", "int", 1, "", 1, 10)
    assert n.check(3.0, "w") == 3 and type(n.check(3.0, "w")) is int
    for bad in (0, 11, 2.5, "3", True, None, float("inf"), float("nan")):
        with pytest.raises(ParameterError) as info:
            n.check(bad, "Dense 'dense_1'")
        assert str(info.value) == f"Dense 'dense_1': units must be an integer from 1 to 10. Received: units={bad!r}"
        assert info.value.field == "units"
    x = Param("p", "float", 0.5, "", 0.0, 1.0)
    assert x.check(1, "w") == 1.0 and type(x.check(1, "w")) is float
    for bad in (-0.1, 1.5, "0.5", False, float("nan")):
        with pytest.raises(ParameterError):
            x.check(bad, "w")
    s = Param("shape", "shape", [1], "")
    assert s.check((2, -1), "w") == [2, -1]
    for bad in ([], [0], [-1, -1], [1, 2, 3, 4], [1.0], [True], "12", 5):
        with pytest.raises(ParameterError):
            s.check(bad, "w")


def test_settings_tables_match_the_dataclasses() -> None:
    training = TrainingSettings().to_dict()
    assert [p.name for p in TRAINING_FIELDS] == list(training)
    assert {p.name: p.default for p in TRAINING_FIELDS} == training
    dataset = DatasetSettings().to_dict()
    assert {p.name: p.default for p in DATASET_FIELDS} == {p.name: dataset[p.name] for p in DATASET_FIELDS}
