"""The backpropagation view and the gradient check show the numbers they are given, phase by phase."""

from __future__ import annotations

import numpy as np
import pytest

from playground.snapshots.learning import (
    BackpropTrace,
    GradientCheck,
    GradientCheckEntry,
    LayerSummary,
    UnitLayer,
    WeightLayer,
)
from playground.ui.backprop_window import BackpropWindow
from playground.ui.views.backprop_view import BackpropView, phases, weight_keys, weight_name, weight_title
from playground.ui.views.gradient_check import GradientCheckView


def _trace(batch: int = 1, detailed: bool = True) -> BackpropTrace:
    """A 2-2-1 network with numbers chosen to be recognisable, not computed (the view must not recompute them)."""
    a0 = np.array([[0.05, 0.10]] * batch)
    hidden = UnitLayer("dense_1", "Sigmoid", a=np.array([[0.5933, 0.5969]] * batch),
                       z=np.array([[0.3775, 0.3925]] * batch), dloss_da=np.array([[0.0364, 0.0415]] * batch),
                       fprime=np.array([[0.2413, 0.2406]] * batch),
                       delta=np.array([[0.00877, 0.00995]] * batch))
    out = UnitLayer("dense_2", "Sigmoid", a=np.array([[0.7514]] * batch), z=np.array([[1.1059]] * batch),
                    dloss_da=np.array([[0.7414]] * batch), fprime=np.array([[0.1868]] * batch),
                    delta=np.array([[0.1385]] * batch))
    w1 = WeightLayer("dense_1", weight=np.array([[0.15, 0.20], [0.25, 0.30]]),
                     grad_weight=np.array([[0.000439, 0.000877], [0.000498, 0.000995]]),
                     new_weight=np.array([[0.14978, 0.19956], [0.24975, 0.29950]]), bias=np.array([0.35, 0.35]),
                     grad_bias=np.array([0.00877, 0.00995]), new_bias=np.array([0.3456, 0.3450]))
    w2 = WeightLayer("dense_2", weight=np.array([[0.40, 0.45]]), grad_weight=np.array([[0.082167, 0.0827]]),
                     new_weight=np.array([[0.358916, 0.40865]]), bias=np.array([0.60]), grad_bias=np.array([0.1385]),
                     new_bias=np.array([0.5308]))
    summaries = (LayerSummary("dense_1", "Sigmoid", 2, 0.54, 0.84, 0.013, 0.48, 0.0015, 0.0007),
                 LayerSummary("dense_2", "Sigmoid", 1, 1.1, 0.75, 0.14, 0.6, 0.117, 0.058))
    check = GradientCheck(1e-3, (GradientCheckEntry("dense_2", 0, 0, 0.40, 0.0821670382, 0.0821670406, 2.9e-8),
                                 GradientCheckEntry("dense_1", 1, 0, 0.25, 0.0004977, 0.0004977, 3.1e-9),
                                 GradientCheckEntry("dense_2", 0, -1, 0.60, 0.1385, 0.1386, 7.2e-4)))
    return BackpropTrace("model", inputs=a0, targets=np.array([[0.01]] * batch), outputs=out.a, loss=0.2741871,
                         loss_name="mse", optimizer="sgd", learning_rate=0.5, detailed=detailed,
                         units=(UnitLayer("input", "Identity", a0), hidden, out) if detailed else (),
                         weights=(w1, w2) if detailed else (), summaries=summaries, gradient_check=check,
                         new_loss=0.2500123)


def _label_html(view: BackpropView, layer: int, unit: int) -> str:
    return view._unit_labels[layer][unit].textItem.toHtml()


def test_phases_walk_forward_loss_backward_update() -> None:
    assert phases(2) == [("input", 0), ("forward", 1), ("forward", 2), ("loss", 2), ("backward", 2),
                         ("backward", 1), ("update", 0)]


def test_weights_are_numbered_layer_by_layer_row_by_row() -> None:
    trace = _trace()
    keys = weight_keys(trace)
    assert [weight_name(trace, k) for k in keys if k[2] >= 0] == ["w1", "w2", "w3", "w4", "w5", "w6"]
    assert weight_title(trace, (2, 0, 1)) == "w6 (h2 → o1)"
    assert weight_title(trace, (1, 1, -1)) == "b(h2) (bias → h2)"


def test_the_view_shows_the_numbers_it_is_given_phase_by_phase(qtbot) -> None:
    view = BackpropView()
    qtbot.addWidget(view)
    view.resize(900, 560)
    view.show()
    trace = _trace()
    view.show_trace(trace)
    assert view.selected == (2, 0, 0)  # w5, the first weight whose chain rule the backward pass completes
    assert not view.back_button.isEnabled() and view.forward_button.isEnabled()
    assert "a 0.05" in _label_html(view, 0, 0)
    assert "0.5933" not in _label_html(view, 1, 0)  # the forward pass has not reached the hidden layer
    assert "w5 0.4" in view._edge_labels[(2, 0, 0)].textItem.toPlainText()
    qtbot.mouseClick(view.forward_button, pytest.importorskip("PySide6.QtCore").Qt.MouseButton.LeftButton)
    assert view.phase_name == ("forward", 1)
    assert "z 0.3775" in _label_html(view, 1, 0) and "a 0.5933" in _label_html(view, 1, 0)
    assert "not computed yet" in view.loss_label.text()
    view.set_phase(3)  # the loss
    assert "0.274187100" in view.loss_label.text() and "targets 0.01" in view.loss_label.text()
    assert "known once the backward pass reaches layer 2" in view.chain_label.text()
    view.set_phase(4)  # backward through the output layer
    assert "δ 0.1385" in _label_html(view, 2, 0)
    assert "δ" not in _label_html(view, 1, 0)
    assert "∂L/∂w 0.08217" in view._edge_labels[(2, 0, 0)].textItem.toPlainText()
    chain = view.chain_label.text()
    assert "∂L/∂w5 = ∂L/∂a(o1) · f′(z(o1)) · a(h1) = 0.7414 × 0.1868 × 0.5933" in chain
    assert f"= {0.7414 * 0.1868 * 0.5933:.8g}" in chain
    view.set_phase(6)  # the update
    assert "0.4 − 0.5 × 0.082167 = <b>0.358916</b>" in view.chain_label.text()
    assert "0.250012300" in view.loss_label.text()
    assert "0.4→0.3589" in view._edge_labels[(2, 0, 0)].textItem.toPlainText()
    assert not view.forward_button.isEnabled()
    view.select_weight((1, 0, 1))  # w2, into h1: its ∂L/∂a comes from the layer above
    chain = view.chain_label.text()
    assert "∂L/∂w2 = ∂L/∂a(h1) · f′(z(h1)) · a(i2) = 0.0364 × 0.2413 × 0.1" in chain
    assert "∂L/∂a(h1) = Σ w·δ of the layer above = 0.4×0.1385" in chain


def test_play_walks_every_phase_and_stops_at_the_update(qtbot, monkeypatch) -> None:
    view = BackpropView()
    qtbot.addWidget(view)
    view._timer.setInterval(5)
    view.show_trace(_trace())
    view.play_button.setChecked(True)
    qtbot.waitUntil(lambda: not view.play_button.isChecked(), timeout=5000)
    assert view.phase_name == ("update", 0)


def test_a_batch_shows_the_chosen_samples_numbers_and_the_summed_gradient(qtbot) -> None:
    view = BackpropView()
    qtbot.addWidget(view)
    view.show_trace(_trace(batch=3))
    assert view.sample_spin.isVisibleTo(view) and view.sample_spin.maximum() == 3
    view.set_phase(6)
    assert "summed over the 3 samples: 0.082167" in view.chain_label.text()


def test_a_large_network_shows_its_layer_norms(qtbot) -> None:
    view = BackpropView()
    qtbot.addWidget(view)
    view.show_trace(_trace(detailed=False))
    table = view.summary_table
    assert not view.plot.isVisibleTo(view) and table.isVisibleTo(view)
    assert table.rowCount() == 2 and table.item(1, 7).text() == "0.117"
    view.set_phase(4)  # backward through layer 2
    assert [i.row() for i in table.selectionModel().selectedRows()] == [1]


def test_gradient_check_view_shows_both_derivatives_and_their_relative_error(qtbot) -> None:
    check = GradientCheckView()
    qtbot.addWidget(check)
    trace = _trace()
    check.show_trace(trace)
    assert check.weight_combo.count() == 3 and check.weight_combo.currentText() == "w5 (h1 → o1)"
    assert check.numeric_label.text() == "0.0821670382" and check.analytic_label.text() == "0.0821670406"
    assert "2.90e-08" in check.error_label.text() and "agree" in check.error_label.text()
    with qtbot.waitSignal(check.weight_selected) as picked:
        check.weight_combo.setCurrentIndex(2)
    assert picked.args == [(2, 0, -1)]
    assert "7.20e-04" in check.error_label.text() and "differ" in check.error_label.text()
    xs, ys = check.points.getData()
    np.testing.assert_allclose(ys, np.log10([2.9e-8, 3.1e-9, 7.2e-4]))


def test_the_window_keeps_both_views_on_one_weight(qtbot) -> None:
    window = BackpropWindow()
    qtbot.addWidget(window)
    window.show_trace(_trace(), "The lab's given starting weights")
    assert window.check.weight_combo.currentText() == "w5 (h1 → o1)"
    window.view.select_weight((1, 1, 0))
    assert window.check.weight_combo.currentText() == "w3 (i1 → h2)"
    window.check.weight_combo.setCurrentIndex(0)
    assert window.view.selected == (2, 0, 0)
    assert "given starting weights" in window.status.text()
    with qtbot.waitSignal(window.trace_requested) as asked:
        window.batch_spin.setValue(4)
        window.trace_button.click()
    assert asked.args == [0, 4]
    window.show_error("Backpropagation step by step needs one chain of Dense layers")
    assert "Dense layers" in window.status.text()


def _shaped_trace(sizes: list[int]) -> BackpropTrace:
    rng = np.random.default_rng(0)
    units = [UnitLayer("input", "Identity", rng.normal(size=(1, sizes[0])))]
    weights, summaries = [], []
    for i, (m, n) in enumerate(zip(sizes, sizes[1:]), start=1):
        a = rng.normal(size=(1, n))
        units.append(UnitLayer(f"dense_{i}", "Tanh", a, a, a, np.ones((1, n)), a))
        w = rng.normal(size=(n, m))
        weights.append(WeightLayer(f"dense_{i}", w, w, w, np.zeros(n), np.zeros(n), np.zeros(n)))
        summaries.append(LayerSummary(f"dense_{i}", "Tanh", n, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
    return BackpropTrace("model", units[0].a, np.zeros((1, sizes[-1])), units[-1].a, 1.0, "mse", "sgd", 0.1, True,
                         tuple(units), tuple(weights), tuple(summaries), GradientCheck(1e-3, ()))


def test_tall_layers_put_unit_labels_beside_and_dense_layers_label_only_the_selected_edge(qtbot) -> None:
    view = BackpropView()
    qtbot.addWidget(view)
    view.show_trace(_shaped_trace([2, 3, 1]))
    assert view._unit_anchor == (0.5, -0.25) and view._label_edges
    view.show_trace(_shaped_trace([2, 8, 8, 2]))
    assert view._unit_anchor == (-0.12, 0.5) and not view._label_edges
    view.set_phase(len(view.phase_list) - 1)
    shown = [k for k, label in view._edge_labels.items() if label.isVisible()]
    assert shown == [view.selected]
    assert view.selected == (3, 0, 0) and "w81" in view._edge_labels[(3, 0, 0)].textItem.toPlainText()
    view.select_weight((2, 3, 4))
    view.show_trace(_shaped_trace([2, 8, 8, 2]))  # the same network traced again keeps the weight followed
    assert view.selected == (2, 3, 4)


def test_a_negative_zero_reads_as_zero() -> None:
    from playground.ui.views.backprop_view import number

    assert number(-0.0) == "0" and number(-0.5) == "−0.5"


def test_arrow_keys_walk_the_phases_and_a_units_tooltip_has_every_factor(qtbot) -> None:
    from PySide6.QtCore import Qt

    view = BackpropView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.show_trace(_trace())
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)
    view.plot.setFocus()
    qtbot.keyClick(view.plot, Qt.Key.Key_Right)
    qtbot.keyClick(view.plot, Qt.Key.Key_Right)
    assert view.phase_name == ("forward", 2)
    qtbot.keyClick(view.plot, Qt.Key.Key_Left)
    assert view.phase_name == ("forward", 1)
    view.set_phase(4)
    tip = view._unit_labels[2][0].toolTip()
    assert "z = Σ w·a + b = 1.1059" in tip and "∂L/∂a = 0.7414" in tip and "f′(z) = 0.1868" in tip
    assert "δ = ∂L/∂a · f′(z) = 0.1385" in tip
