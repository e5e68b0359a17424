"""Probes for the live views, and changes a user makes while training: data, network edits, device."""

from __future__ import annotations

import numpy as np
import pytest

from playground.engine.commands import Recompile, SetDataset, SetProbes
from playground.engine.errors import EngineError
from playground.engine.probes import LINE_POINTS, LINES, NEURON_RESOLUTION
from playground.engine.trainer import Trainer
from playground.graph import GraphError, LabFormatError
from playground.graph.templates import regression_plane, tensorflow_playground
from playground.snapshots import Confusion, DecisionBoundary, FeatureMaps, Gradients, HiddenSpace, Neurons, Weights


def trainer_for(epochs=5, probes=(), **dataset):
    lab = tensorflow_playground()  # 2 -> 4 tanh -> 2 tanh -> 2
    lab.training = lab.training.updated(epochs=epochs)
    for k, v in dataset.items():
        setattr(lab.dataset, k, v)
    return Trainer(lab, probes=probes)


def test_neuron_probe_gives_every_hidden_unit_over_the_plane():
    t = trainer_for(probes=["neurons"])
    t.train(2)
    probes = t.snapshot().probes
    assert [type(r) for r in probes] == [Neurons] and list(probes[Neurons].layers) == ["tanh_1", "tanh_2"]
    r = NEURON_RESOLUTION
    assert probes[Neurons].layers["tanh_1"].shape == (4, r, r) and probes[Neurons].layers["tanh_2"].shape == (2, r, r)
    assert np.abs(probes[Neurons].layers["tanh_1"]).max() <= 1.0  # tanh outputs
    # Each unit's map varies over the plane (it is a real function of x, not a constant).
    assert all(m.std() > 1e-4 for m in probes[Neurons].layers["tanh_1"])


def test_hidden_space_probe_maps_points_and_grid_lines_through_the_chosen_layer():
    t = trainer_for(probes=["hidden:tanh_1"])
    t.train(1)
    probes = t.snapshot().probes
    points, lines = probes[HiddenSpace].layers["tanh_1"].points, probes[HiddenSpace].layers["tanh_1"].lines
    assert points.shape == (t.data.x_train.shape[0], 4)
    assert lines.shape == (2 * LINES, LINE_POINTS, 4)
    t.send(SetProbes(frozenset({"hidden:nonexistent"})))
    t._drain()
    assert len(t.snapshot().probes) == 0


def test_weights_and_gradient_norm_probes():
    t = trainer_for(probes=["weights", "gradients"])
    snaps = list(t.run(interval=0.0))
    probes = snaps[-1].probes
    assert probes[Weights].layers["dense_1"].shape == (4, 2) and probes[Weights].layers["dense_3"].shape == (2, 2)
    np.testing.assert_array_equal(probes[Weights].layers["dense_1"],
                                  t.task.model.get_submodule("dense_1").weight.detach().numpy())
    steps = probes[Gradients].steps
    assert len(steps) >= 3 and np.all(np.diff(steps) > 0)
    for layer in ("dense_1", "dense_2", "dense_3"):
        norms = probes[Gradients].layers[layer]
        assert norms.shape == steps.shape and np.all(norms[np.isfinite(norms)] >= 0)


def test_snapshot_carries_the_data_for_plane_views_without_copying_it_each_time():
    t = trainer_for()
    a, b = t.snapshot(), t.snapshot()
    assert a.dataset["train_points"] is b.dataset["train_points"]
    assert a.dataset["train_points"].shape == (250, 2) and not a.dataset["train_points"].flags.writeable
    assert a.task == "classification" and a.classes == 2 and float(a.dataset["extent"][0]) == pytest.approx(6.0)


def test_noise_change_mid_run_regenerates_the_data_and_keeps_the_weights():
    t = trainer_for(epochs=50)
    t.train(3)
    weights = t.task.model.get_submodule("dense_1").weight.detach().clone()
    version, points = t.data_version, t.snapshot().dataset["train_points"]
    t.send(SetDataset({"noise": 30.0}))
    t._drain()
    assert t.data_version == version + 1 and t.lab.dataset.noise == 30.0
    assert np.array_equal(t.task.model.get_submodule("dense_1").weight.detach(), weights)
    assert t.epoch == 3
    assert not np.array_equal(t.snapshot().dataset["train_labels"], points)
    assert t.train(2).epoch == 5


def test_bad_dataset_changes_are_refused_in_the_callers_thread():
    t = trainer_for()
    with pytest.raises(LabFormatError, match="noise"):
        t.send(SetDataset({"noise": 80.0}))
    with pytest.raises(EngineError, match="change the Input layer"):
        t.send(SetDataset({"features": ["x1", "x2", "x1*x2"]}))


def test_recompile_keeps_the_weights_of_unchanged_layers():
    t = trainer_for(epochs=20)
    t.train(3)
    before = {n: t.task.model.get_submodule(n).weight.detach().clone() for n in ("dense_1", "dense_2", "dense_3")}
    lab = t.lab
    lab.networks[0].graph.set_param("dense_2", "units", 6)  # dense_2 and dense_3 change shape
    t.send(Recompile(lab))
    t._drain()
    model = t.task.model
    assert np.array_equal(model.get_submodule("dense_1").weight.detach(), before["dense_1"])
    assert model.get_submodule("dense_2").weight.shape == (6, 4)
    assert "1 of 3 layers with weights kept theirs" in t.snapshot().message  # dense_1 only
    assert t.epoch == 3 and len(t.history) == 3
    assert t.train(2).epoch == 5


def test_recompile_with_a_broken_graph_is_refused_and_changes_nothing():
    t = trainer_for()
    lab = t.lab
    lab.networks[0].graph.disconnect("tanh_2", "dense_3")
    with pytest.raises(GraphError, match="dense_3"):
        t.send(Recompile(lab))


def test_recompile_that_does_not_fit_the_data_pauses_with_a_message_and_keeps_the_old_model():
    t = trainer_for()
    model = t.task.model
    lab = t.lab
    lab.networks[0].graph.set_param("dense_3", "units", 3)  # valid graph, but 3 classes for a 2-class set
    t.send(Recompile(lab))
    t._drain()
    assert t.task.model is model
    assert "cannot train" in t.snapshot().message and "2 classes" in t.snapshot().message
    assert t.train(1).epoch == 1


def test_regression_boundary_is_the_value_surface():
    t = Trainer(regression_plane(), probes=["boundary"])
    t.train(5)
    surface = t.snapshot().probes[DecisionBoundary].values
    assert surface.shape == (100, 100)
    # The plane's target rises with x1 + x2: the top-right corner is above the bottom-left one.
    assert surface[-1, -1] > surface[0, 0]


def test_a_lab_whose_data_comes_later_says_so(monkeypatch):
    from playground.engine import datasets
    from playground.graph.templates import build_template

    monkeypatch.setitem(datasets.PLANNED, "someday", "future")
    lab = build_template("spiral")
    lab.dataset.name = "someday"
    with pytest.raises(EngineError, match="not in this version yet: this lab can be designed and saved"):
        Trainer(lab)


@pytest.mark.slow
def test_expensive_probes_keep_to_their_budget_while_training():
    """A confusion matrix and every feature map of a CNN at 30 snapshots a second would cut training to a
    fraction; within the budget they are recomputed less often, cheap ones still every time."""
    import time as _time

    from playground.engine import trainer as trainer_module
    from playground.engine.trainer import Trainer
    from playground.graph.templates import build_template

    t = Trainer(build_template("lenet"), device="cpu", probes=("confusion", "feature_maps", "filters"))
    computed: list[str] = []
    original = t._probes.compute

    def counting(names):
        computed.extend(names)
        return original(names)

    t._probes.compute = counting
    start = _time.perf_counter()
    snaps = 0
    for snap in t.run(interval=1 / 30):
        snaps += 1
        assert Confusion in snap.probes
        if _time.perf_counter() - start > 3:
            break
    spent = sum(t._probe_costs.values())
    assert snaps > 10
    assert computed.count("filters") > computed.count("confusion")  # the cheap one is recomputed more often
    assert computed.count("confusion") < snaps
    assert trainer_module.PROBE_BUDGET < 0.5 and spent < 3


def test_a_drawing_gets_fresh_feature_maps_despite_the_budget():
    import numpy as np

    from playground.engine import commands as cmd
    from playground.engine.trainer import Trainer
    from playground.graph.templates import build_template

    t = Trainer(build_template("mnist_1_layer"), device="cpu", probes=("feature_maps",))
    run = t.run(interval=1 / 30, stop_when_idle=False)
    next(run)
    next(run)
    image = np.zeros((28, 28), np.float32)
    image[4:24, 13:15] = 1.0
    t.send(cmd.SetSample(image=image))
    snap = next(run)  # the very next snapshot, though the budget would have skipped it
    assert snap.probes[FeatureMaps].drawing and snap.probes[FeatureMaps].label is None
    assert np.allclose(snap.probes[FeatureMaps].input.reshape(28, 28), image)
    t.send(cmd.Stop())
    for _ in run:
        pass
