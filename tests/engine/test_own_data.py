"""Your own data in the engine: a table as a lab's dataset (plane or not), the network sized to it, the table
carried by project files to another machine, and drawn points in labs, projects and live training."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from playground.data import table as tables
from playground.engine import commands as cmd
from playground.engine.datasets import load_dataset
from playground.engine.errors import EngineError
from playground.engine.own_data import fit_network, table_settings
from playground.engine.project import load_project, save_project
from playground.engine.trainer import Trainer
from playground.graph import DatasetSettings, Lab, templates
from playground.snapshots import DecisionBoundary

THREE_CLASSES = "\n".join(["a,b,c,kind"] + [
    f"{k + 0.1 * (i % 5)},{2 * k - 0.05 * (i % 3)},{(i * 7) % 11},{'xyz'[k]}" for i in range(60) for k in [i % 3]])


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(folder))
    return folder


def table_lab(tmp_path, features=("a", "b"), text=THREE_CLASSES) -> tuple[Lab, str]:
    path = tmp_path / "three.csv"
    path.write_text(text + "\n")
    table = tables.read_table(path)
    data = tables.prepare(table, features=list(features))
    lab = templates.tensorflow_playground()
    lab.training = lab.training.updated(epochs=3, learning_rate=0.1)
    fit_network(lab, data)
    lab.dataset = table_settings(str(path), table, data, "ask", 0.5)
    return lab, str(path)


def test_a_two_feature_table_is_a_plane_and_trains(tmp_path):
    lab, _ = table_lab(tmp_path)
    bundle = load_dataset(lab.dataset, lab.seed)
    assert bundle.kind == "classification" and bundle.classes == 3 and bundle.class_names == ["x", "y", "z"]
    assert bundle.is_plane and bundle.points_train.shape == (30, 2) and bundle.grid_extent >= 2
    trainer = Trainer(lab, probes=["boundary"])
    snap = trainer.train(epochs=3)
    assert snap.epoch == 3 and np.isfinite(snap.metrics["train_loss"])
    assert trainer.compute_probes(["boundary"])[DecisionBoundary].values.shape == (100, 100)


def test_more_features_are_no_plane_and_the_network_is_sized(tmp_path):
    lab, _ = table_lab(tmp_path, features=("a", "b", "c"))
    graph = lab.networks[0].graph
    assert graph.node("input_1").params["features"] == 3
    bundle = load_dataset(lab.dataset, lab.seed)
    assert not bundle.is_plane and bundle.input_shape == (3,)
    assert Trainer(lab).train(epochs=2).epoch == 2


def test_fit_network_says_what_it_changed_and_refuses_what_it_cannot(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(THREE_CLASSES + "\n")
    data = tables.prepare(tables.read_table(path), label="c", features=["a", "b"], task="regression")
    lab = templates.tensorflow_playground()
    said = fit_network(lab, data)
    assert said == ["Dense 'dense_3': 1 unit for one value (was 2)", "Output 'output_1': head regression",
                    "task: regression"]
    assert lab.task == "regression"
    image_lab = templates.build_template("lenet")
    before = image_lab.to_dict()
    with pytest.raises(EngineError, match=r"Input 'input_1' takes images, but a table gives 2 numbers per row: set "
                                          r"its kind to vector"):
        fit_network(image_lab, data)
    assert image_lab.to_dict() == before  # nothing changed


def test_a_project_carries_its_table_to_another_machine(tmp_path, cache):
    lab, _ = table_lab(tmp_path)
    trainer = Trainer(lab)
    trainer.train(epochs=2)
    out = tmp_path / "run.nnp"
    save_project(out, lab, trainer.checkpoint())
    sha = lab.dataset.options["sha256"]
    with zipfile.ZipFile(out) as zf:
        assert f"tables/{sha}.csv" in zf.namelist()
    # Another machine: the file is gone and the cache empty.
    (tmp_path / "three.csv").unlink()
    assert not cache.exists()
    with pytest.raises(EngineError, match="is not on this computer and no project file carried it"):
        load_dataset(lab.dataset, lab.seed)
    project = load_project(out)
    assert list(project.tables) == [sha]
    again = Trainer(project.lab)
    again.restore(project.checkpoint)
    assert again.epoch == 2 and again.data.classes == 3


def test_a_table_entry_that_does_not_match_its_name_is_refused(tmp_path):
    lab, _ = table_lab(tmp_path)
    out = tmp_path / "run.nnp"
    save_project(out, lab)
    forged = tmp_path / "forged.nnp"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, data)
    # Re-signed manifest, wrong content: the name's checksum still catches it.
    import hashlib
    import json

    with zipfile.ZipFile(forged) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n in entries if n.startswith("tables/"))
    entries[name] = b"a,b\n1,2\n"
    manifest = json.loads(entries["manifest.json"])
    manifest["files"][name] = {"size": len(entries[name]), "sha256": hashlib.sha256(entries[name]).hexdigest()}
    entries["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(forged, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    from playground.engine.project import ProjectError

    with pytest.raises(ProjectError, match=f"the table '{name}' does not match the checksum in its name"):
        load_project(forged)


# Drawn points ----------------------------------------------------------------------------------------------------

DRAWN = [[1.5, -2.0, 1], [0.25, 0.5, 0], [-3.0, 4.0, 1]]


def test_drawn_points_join_the_training_split(tmp_path):
    plain = load_dataset(DatasetSettings(name="circle"), 1)
    drawn = load_dataset(DatasetSettings(name="circle", options={"drawn": DRAWN}), 1)
    assert len(drawn.x_train) == len(plain.x_train) + 3
    np.testing.assert_array_equal(drawn.points_train[-3:], np.array(DRAWN)[:, :2].astype(np.float32))
    np.testing.assert_array_equal(drawn.y_train[-3:], [1, 0, 1])
    np.testing.assert_array_equal(drawn.x_test, plain.x_test)
    regression = load_dataset(DatasetSettings(name="plane", options={"drawn": [[1, 1, 0.5]]}), 1)
    assert regression.y_train.shape[1:] == (1,) and regression.y_train[-1, 0] == np.float32(0.5)


@pytest.mark.parametrize("drawn, message", [
    ([[1, 2]], "dataset.options.drawn point #1 must be [x, y, value], three numbers. Received: [1, 2]"),
    ([[0, 0, 0], [9, 0, 1]], "dataset.options.drawn point #2 (9, 0) lies off the plane"),
    ([[0, 0, 2]], "dataset.options.drawn point #1: the class must be a whole number from 0 to 1. Received: 2"),
    ("points", "dataset.options.drawn must be a list of [x, y, value] points. Received: 'points'"),
])
def test_bad_drawn_points_are_refused_with_the_point_named(drawn, message):
    with pytest.raises(EngineError) as e:
        load_dataset(DatasetSettings(name="circle", options={"drawn": drawn}), 1)
    assert message in str(e.value)


def test_drawn_points_round_trip_through_lab_json_and_project_files(tmp_path):
    lab = templates.tensorflow_playground()
    lab.dataset = DatasetSettings.from_dict({**lab.dataset.to_dict(), "options": {"drawn": DRAWN}})
    again = Lab.from_json(lab.to_json())
    assert again.dataset.options["drawn"] == DRAWN and again.to_json() == lab.to_json()
    out = tmp_path / "drawn.nnp"
    trainer = Trainer(lab)
    trainer.train(epochs=1)
    save_project(out, lab, trainer.checkpoint())
    project = load_project(out)
    assert project.lab.dataset.options["drawn"] == DRAWN
    assert len(Trainer(project.lab).data.x_train) == len(trainer.data.x_train)


def test_a_point_drawn_while_training_joins_the_running_trainer():
    lab = templates.tensorflow_playground()
    trainer = Trainer(lab)
    trainer.train(epochs=2)
    before = trainer.x_train.shape[0]
    trainer.send(cmd.SetDataset({"options": {"drawn": DRAWN}}))
    trainer.send(cmd.Step(batches=1))
    for _ in trainer.run(interval=None):
        pass
    assert trainer.x_train.shape[0] == before + 3 and trainer.epoch == 2  # the weights and the run go on
    assert trainer.snapshot().dataset["train_points"].shape[0] == before + 3


def test_a_table_beyond_the_project_limit_stays_where_the_lab_says(tmp_path, monkeypatch):
    from playground.engine import own_data

    lab, _ = table_lab(tmp_path)
    monkeypatch.setattr(own_data, "MAX_PROJECT_TABLE_BYTES", 100)
    out = tmp_path / "big.nnp"
    save_project(out, lab)
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.startswith("tables/")]
    assert load_project(out).lab.dataset.options["path"] == lab.dataset.options["path"]
