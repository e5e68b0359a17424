from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pytest

from playground.snapshots import Forecast, Gates, GeneratedText, ProbeResults, SequenceStates
from playground.ui.views.base import PRESS_PLAY
from playground.ui.views.families import family_views
from playground.ui.views.sequence_views import (
    VIEWS,
    ForecastView,
    GateView,
    HiddenStateView,
    TextGenerationView,
)


@dataclass(frozen=True)
class Snap:
    task: str = "sequence"
    step: int = 10
    probes: object = field(default_factory=ProbeResults)
    metrics: object = field(default_factory=lambda: MappingProxyType({}))


def _snap(*records, task="sequence", step=10):
    return Snap(task=task, step=step, probes=ProbeResults(records))


def _forecast():
    t = np.arange(120)
    truth = np.sin(t / 4).astype(np.float32)
    one = np.full(120, np.nan, np.float32)
    one[1:] = truth[1:] + 0.01
    free = np.full(120, np.nan, np.float32)
    free[40:] = truth[40:] * 0.9
    return Forecast(truth=truth, one_step=one, free=free, start=40, one_step_error=0.0001, free_error=0.004,
                    baseline_error=0.06)


def test_views_are_registered_for_the_sequence_task(qtbot):
    keys = {v.key for v in family_views()}
    assert {v.key for v in VIEWS} <= keys
    for entry in VIEWS:
        view = entry.factory()
        qtbot.addWidget(view)
        assert entry.tasks == ("sequence",) and view.probes


def test_forecast_view_draws_truth_prediction_and_free_run(qtbot):
    view = ForecastView()
    qtbot.addWidget(view)
    assert view.is_empty and view.empty_message == PRESS_PLAY
    view.show_snapshot(_snap(_forecast()))
    assert not view.is_empty
    x, y = view.free_curve.getData()
    assert len(x) == 120 and np.isnan(y[:40]).all()
    assert view.start_line.value() == 40
    assert "600× better than repeating the last value" in view.caption.text()
    items = view.graphics_item_count()
    view.show_snapshot(_snap(_forecast(), step=11))
    assert view.graphics_item_count() == items  # a redraw adds nothing


def test_forecast_view_explains_other_labs(qtbot):
    view = ForecastView()
    qtbot.addWidget(view)
    view.show_snapshot(_snap(SequenceStates({"gru_1": np.zeros((5, 3))}, np.zeros(5, np.float32))))
    assert "forecasting labs" in view.empty_message
    view.show_snapshot(_snap(_forecast(), task="classification"))
    assert "sequence task" in view.empty_message


def test_hidden_state_view_shows_a_heatmap_per_layer_and_labels_characters(qtbot):
    view = HiddenStateView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    probes = SequenceStates({"lstm_1": np.tanh(rng.normal(size=(8, 6))).astype(np.float32),
                             "lstm_2": np.tanh(rng.normal(size=(8, 4))).astype(np.float32)},
                            np.array([ord(c) for c in "the cat\n"], np.int32), text=True)
    view.show_snapshot(_snap(probes))
    assert not view.is_empty
    combo = view.chooser.combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["lstm_1", "lstm_2"]
    assert view.heatmap.image.image.shape == (6, 8)  # units × steps
    ticks = view.heatmap.plot.getAxis("bottom")._tickLevels
    assert [label for _pos, label in ticks[0]][:4] == ["t", "h", "e", "·"]
    combo.setCurrentText("lstm_2")
    assert view.heatmap.image.image.shape == (4, 8)
    assert "'lstm_2': 4 units over 8 steps" in view.caption.text()
    long_text = "It is a truth universally acknowledged"
    view.show_snapshot(_snap(SequenceStates({"lstm_1": np.zeros((len(long_text), 6), np.float32)},
                                            np.array([ord(c) for c in long_text], np.int32), text=True)))
    labels = [label for _pos, label in view.heatmap.plot.getAxis("bottom")._tickLevels[0]]
    assert labels[0] == "It·is·a·" and "".join(labels).replace("·", " ") == long_text


def test_hidden_state_view_names_the_class_of_a_classifier(qtbot):
    view = HiddenStateView()
    qtbot.addWidget(view)
    probes = SequenceStates({"gru_1": np.zeros((40, 8), np.float32)}, np.sin(np.arange(40) / 3).astype(np.float32),
                            label=1, probabilities=np.array([0.1, 0.7, 0.1, 0.1]))
    view.show_snapshot(_snap(probes))
    assert "True class: square; the network says square (70%)" in view.caption.text()
    assert view.input_plot.isVisible() or not view.isVisible()


def test_gate_view_shows_each_gate_and_explains_a_plain_rnn(qtbot):
    view = GateView()
    qtbot.addWidget(view)
    gates = Gates({"lstm_1": {g: np.full((10, 4), v, np.float32)
                              for g, v in (("input", 0.2), ("forget", 0.9), ("output", 0.5))}})
    view.show_snapshot(_snap(gates))
    assert not view.is_empty
    assert [m.image.image.shape for m in view.maps] == [(4, 10)] * 3
    assert "forget 0.90" in view.caption.text()
    view.show_snapshot(_snap(Gates({"gru_1": {g: np.zeros((10, 4), np.float32) for g in ("reset", "update")}})))
    assert view.maps[2].plot.isVisible() is False
    view.show_snapshot(_snap(SequenceStates({"rnn_1": np.zeros((10, 4), np.float32)}, np.zeros(10, np.float32))))
    assert "simple RNN has no gates" in view.empty_message


def test_text_view_shows_the_sample_and_emits_the_temperature(qtbot):
    view = TextGenerationView()
    qtbot.addWidget(view)
    text = "It is a truth universally acknowledged<b>, that a"
    probes = GeneratedText(np.array([ord(c) for c in text], np.int32), prompt_length=10,
                           temperature=float(np.float32(0.7)))
    view.show_snapshot(_snap(probes, step=42))
    assert view.plain_text == text  # markup in the text is shown, not interpreted
    assert view.temperature.value() == pytest.approx(0.7)
    assert "Step 42" in view.caption.text() and "temperature 0.7" in view.caption.text()
    with qtbot.waitSignal(view.training_changed) as blocker:
        view.temperature.setValue(1.5)
    assert blocker.args == [{"temperature": 1.5}]
    # Snapshots still in flight with the old value do not move the control back.
    view.show_snapshot(_snap(probes, step=43))
    assert view.temperature.value() == pytest.approx(1.5)
    view.show_snapshot(_snap(_forecast()))
    assert "character-level text labs" in view.empty_message
