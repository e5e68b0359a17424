"""Runs side by side: duplicates of one lab with one change, trained together in turns on one thread."""

from __future__ import annotations

import numpy as np
import pytest

from playground.engine.errors import EngineError
from playground.engine.project_format import ProjectError
from playground.engine.run_group import (
    RunChange,
    RunGroup,
    SavedRun,
    duplicate,
    parse_runs,
    runs_section,
    settings_table,
)
from playground.graph.templates import tensorflow_playground
from playground.snapshots import DecisionBoundary
from playground.snapshots.comparison import RunFailed, RunProgress


def small_lab(epochs: int = 4, dropout: bool = False):
    lab = tensorflow_playground()
    lab.dataset.samples = 200
    lab.training = lab.training.updated(epochs=epochs, optimizer="adam", learning_rate=0.03)
    return duplicate(lab, RunChange("dropout", 0.3)) if dropout else lab


def train_all(group: RunGroup) -> dict[int, list[RunProgress]]:
    seen: dict[int, list[RunProgress]] = {}
    while (progress := group.advance()) is not None:
        assert isinstance(progress, RunProgress), progress
        seen.setdefault(progress.run, []).append(progress)
    return seen


CURVES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def test_two_duplicates_without_a_change_give_identical_curves_while_other_runs_share_the_thread():
    # Dropout draws from torch's global generator: each run keeps its own state of it between turns, so two
    # copies stay identical although a third run trains between their turns.
    lab = small_lab(dropout=True)
    group = RunGroup(device="cpu")
    group.add(1, duplicate(lab))
    group.add(2, duplicate(lab, RunChange("learning_rate", 0.1)))
    group.add(3, duplicate(lab))
    seen = train_all(group)
    a, b = seen[1][-1].snapshot, seen[3][-1].snapshot
    assert a.state == b.state == "finished" and a.epoch == b.epoch == 4
    for name in CURVES:
        assert np.array_equal(a.history[name], b.history[name]), name
    assert np.array_equal(a.probes.get(DecisionBoundary).values, b.probes.get(DecisionBoundary).values)
    assert not np.array_equal(a.history["test_loss"], seen[2][-1].snapshot.history["test_loss"])


def test_a_changed_learning_rate_differs_and_the_table_marks_exactly_that_setting():
    lab = small_lab()
    runs = [(1, duplicate(lab)), (2, duplicate(lab, RunChange("learning_rate", 0.3)))]
    table = settings_table(runs)
    assert table.differing == ("Learning rate",)
    row = next(r for r in table.rows if r.name == "Learning rate")
    assert row.values == ("0.03", "0.3")
    group = RunGroup(device="cpu")
    for run_id, run_lab in runs:
        group.add(run_id, run_lab)
    seen = train_all(group)
    assert seen[1][0].snapshot.history["train_loss"].size == 0  # both start where the untrained network is
    first = seen[1][1].snapshot.history["train_loss"][0], seen[2][1].snapshot.history["train_loss"][0]
    assert first[0] != first[1]


def test_four_runs_train_together_in_turns_of_one_epoch():
    lab = small_lab(epochs=3)
    group = RunGroup(device="cpu")
    changes = [RunChange(), RunChange("optimizer", "sgd"), RunChange("batch_size", 50),
               RunChange("activation", "ReLU")]
    for i, change in enumerate(changes):
        group.add(i, duplicate(lab, change))
    order: list[tuple[int, int]] = []
    while (progress := group.advance()) is not None:
        assert isinstance(progress, RunProgress)
        order.append((progress.run, progress.snapshot.epoch))
    # Each run's epochs come in turn with the others': no run is more than one epoch ahead of another.
    epochs = {i: 0 for i in range(4)}
    for run, epoch in order:
        epochs[run] = epoch
        assert max(epochs.values()) - min(epochs.values()) <= 1
    assert epochs == {0: 3, 1: 3, 2: 3, 3: 3}
    assert not group.training


def test_an_architecture_change_starts_from_the_first_runs_weights_where_shapes_fit():
    # Hidden units 4, 2 -> 2, 2: the output layer (2 -> 2) keeps its shape but, drawn after smaller layers, its
    # own initial weights would differ; it starts from the first run's. A rate this small leaves them as they were.
    lab = small_lab(epochs=1)
    lab.training = lab.training.updated(optimizer="sgd", learning_rate=1e-7)
    group = RunGroup(device="cpu")
    group.add(1, duplicate(lab))
    group.add(2, duplicate(lab, RunChange("units", 2)))
    group.advance()
    base = group.trainer(1)
    assert base is not None
    start = base.state_dicts()["model"]
    group.advance()
    narrow = group.trainer(2)
    assert narrow is not None and narrow.epoch == 1
    after = narrow.state_dicts()["model"]
    assert after["dense_1.weight"].shape != start["dense_1.weight"].shape
    assert np.allclose(after["dense_3.weight"].numpy(), start["dense_3.weight"].numpy(), atol=1e-5)
    own = RunGroup(device="cpu")
    own.add(2, duplicate(lab, RunChange("units", 2)))
    own.advance()
    alone = own.trainer(2)
    assert alone is not None
    assert not np.allclose(alone.state_dicts()["model"]["dense_3.weight"].numpy(), start["dense_3.weight"].numpy())


def test_changes_build_valid_labs_and_refuse_what_does_not_fit():
    lab = small_lab()
    dropped = duplicate(lab, RunChange("dropout", 0.25))
    assert [n.params["p"] for n in dropped.networks[0].graph.nodes_of_kind("Dropout")] == [0.25]
    again = duplicate(dropped, RunChange("dropout", 0.5))
    assert [n.params["p"] for n in again.networks[0].graph.nodes_of_kind("Dropout")] == [0.5]
    relu = duplicate(lab, RunChange("activation", "ReLU"))
    kinds = {n.kind for n in relu.networks[0].graph.nodes.values()}
    assert "ReLU" in kinds and "Tanh" not in kinds
    assert duplicate(lab, RunChange("batch_size", 64)).training.batch_size == 64
    with pytest.raises(EngineError):
        duplicate(lab, RunChange("activation", "Softmax"))
    with pytest.raises(EngineError):
        duplicate(lab, RunChange("colour", "red"))
    assert RunChange("learning_rate", 0.3).describe() == "learning rate 0.3"


def test_a_run_that_cannot_be_built_fails_alone():
    lab = small_lab(epochs=1)
    bad = duplicate(lab)
    bad.dataset.name = "no_such_dataset"
    group = RunGroup(device="cpu")
    group.add(1, bad)
    group.add(2, duplicate(lab))
    results = []
    while (progress := group.advance()) is not None:
        results.append(progress)
    assert isinstance(results[0], RunFailed) and results[0].run == 1
    assert isinstance(results[-1], RunProgress) and results[-1].snapshot.state == "finished"


def test_runs_section_round_trips_and_bad_sections_are_refused():
    lab = small_lab()
    runs = [SavedRun("Adam", lab, "no change", False, {"epoch": [1.0, 2.0], "test_loss": [0.5, float("nan")]}),
            SavedRun("SGD", duplicate(lab, RunChange("optimizer", "sgd")), "optimizer sgd", True, {})]
    back = parse_runs(runs_section(runs), "x.nnp")
    assert [r.name for r in back] == ["Adam", "SGD"] and back[1].hidden and back[1].lab.training.optimizer == "sgd"
    assert back[0].history["epoch"] == [1.0, 2.0] and np.isnan(back[0].history["test_loss"][1])
    for bad in ({"name": "x"}, [{"lab": lab.to_dict()}], [{"name": "x", "lab": {"networks": 3}}],
                [{"name": "x", "lab": lab.to_dict(), "history": {"epoch": ["a"]}}]):
        with pytest.raises(ProjectError):
            parse_runs(bad, "x.nnp")


def test_runs_are_saved_with_the_project_and_a_project_without_them_opens_as_before(tmp_path):
    from playground.engine.project import load_project, save_project

    lab = small_lab()
    runs = [SavedRun("Base", lab, "no change", False, {"epoch": [1.0], "test_loss": [0.4]}),
            SavedRun("Fast", duplicate(lab, RunChange("learning_rate", 0.3)), "learning rate 0.3", True,
                     {"epoch": [1.0], "test_loss": [0.3]})]
    path = tmp_path / "with_runs.nnp"
    save_project(path, lab, runs=runs_section(runs))
    back = load_project(path)
    assert [(r.name, r.change, r.hidden, r.history["test_loss"]) for r in back.runs] == [
        ("Base", "no change", False, [0.4]), ("Fast", "learning rate 0.3", True, [0.3])]
    assert back.runs[1].lab.training.learning_rate == 0.3
    plain = tmp_path / "plain.nnp"
    save_project(plain, lab)
    assert load_project(plain).runs == []
