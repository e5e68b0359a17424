"""The snapshot contract on its own: numpy only, frozen records, read-only arrays, looked up by type."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

from playground.snapshots import (
    DecisionBoundary,
    FeatureMaps,
    HiddenLayer,
    HiddenSpace,
    Neurons,
    ProbeResults,
    Snapshot,
    Weights,
)

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_contract_loads_neither_torch_nor_qt():
    code = ("import sys, playground.snapshots; "
            "print(sorted(m for m in ('torch', 'PySide6', 'pyqtgraph', 'playground.engine', 'playground.ui') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_import_linter_contract_keeps_it_numpy_only():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts = [c for c in config["tool"]["importlinter"]["contracts"]
                 if c["source_modules"] == ["playground.snapshots"]]
    assert len(contracts) == 1
    forbidden = set(contracts[0]["forbidden_modules"])
    assert {"torch", "PySide6", "pyqtgraph", "playground.engine", "playground.ui", "playground.graph"} <= forbidden


def test_records_are_frozen_and_their_arrays_read_only():
    values = np.zeros((3, 3), np.float32)
    record = DecisionBoundary(values)
    assert record.values is values  # no second copy: the engine copied once when it made the array
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.values = np.ones((3, 3))  # type: ignore[misc]
    with pytest.raises(ValueError):
        record.values[0, 0] = 1.0
    layers = {"conv_1": np.ones((2, 4, 4), np.float32)}
    maps = FeatureMaps(np.zeros((1, 4, 4), np.float32), None, layers, drawing=True)
    layers["conv_2"] = np.ones(3)  # the caller's dict is not the record's
    assert list(maps.layers) == ["conv_1"]
    with pytest.raises(TypeError):
        maps.layers["x"] = np.ones(1)  # type: ignore[index]
    assert not maps.layers["conv_1"].flags.writeable


def test_probe_results_look_records_up_by_type_and_by_probe_name():
    boundary = DecisionBoundary(np.zeros((2, 2), np.float32))
    probes = ProbeResults([boundary, Weights({"dense_1": np.ones((2, 2), np.float32)})])
    assert probes.get(DecisionBoundary) is boundary and probes[DecisionBoundary] is boundary
    assert probes.get(Neurons) is None and Neurons not in probes
    assert DecisionBoundary in probes and "boundary" in probes and "weights" in probes and "neurons" not in probes
    with pytest.raises(KeyError):
        probes[Neurons]
    assert len(probes) == 2 and {type(r) for r in probes} == {DecisionBoundary, Weights}
    assert len(ProbeResults()) == 0


def test_hidden_spaces_of_two_layers_are_one_record():
    a = HiddenSpace({"tanh_1": HiddenLayer(np.zeros((4, 2)), np.zeros((2, 3, 2)))})
    b = HiddenSpace({"tanh_2": HiddenLayer(np.ones((4, 3)), np.ones((2, 3, 3)))})
    merged = ProbeResults([a, b])[HiddenSpace]
    assert list(merged.layers) == ["tanh_1", "tanh_2"]
    assert not merged.layers["tanh_2"].points.flags.writeable


def test_a_snapshot_without_probes_has_an_empty_collection():
    snap = Snapshot("ready", 0, 0, 0.0, 0.0, 0.1)
    assert isinstance(snap.probes, ProbeResults) and len(snap.probes) == 0
