"""Learning > What a unit responds to… and Learning > Embeddings… in the real window: each opens its view, computed
off the GUI thread from the open lab's network (the session's weights while it trains)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMenu

from playground.app.presenters.embeddings import EmbeddingPresenter
from playground.app.presenters.maximise import MaximisePresenter, lab_targets
from playground.graph.templates import build_template
from playground.snapshots.unit_response import ActivationMaximisation, Embeddings
from playground.ui.views.unit_views import ActivationMaximisationView, EmbeddingView


@pytest.fixture
def app_window(app_window):
    """The shared window (tests/app/conftest.py) and its activation-maximisation and embedding presenters."""
    win, c = app_window
    maximise = win.findChild(MaximisePresenter)
    embeddings = win.findChild(EmbeddingPresenter)
    assert maximise is not None and embeddings is not None
    return win, c, maximise, embeddings


def _idle(view: ActivationMaximisationView) -> bool:
    return not view.running


@pytest.mark.slow
def test_the_menu_opens_the_class_grid_of_the_open_lenet_and_a_conv_layers_channels(qtbot, app_window):
    win, _c, presenter, _e = app_window
    win.load_template("lenet")
    menu = win.findChild(QMenu, "learningMenu")
    assert menu is not None and win.maximise_action in menu.actions()
    win.maximise_action.trigger()
    view = presenter.view
    assert view is not None and view.isVisible() and view.objectName() == "activationMaximisationView"
    assert [view.target.itemData(i) for i in range(view.target.count())] == [
        "", "conv_1", "conv_2", "dense_1", "dense_2", "dense_3"]
    qtbot.waitUntil(lambda: view.record is not None and _idle(view), timeout=60_000)
    record = view.record
    assert isinstance(record, ActivationMaximisation) and record.is_classes
    assert record.labels == tuple("0123456789") and record.images.shape == (10, 1, 28, 28)
    assert "seed" in view.status.text()  # nothing trains: the lab's starting weights, said so
    assert [t.toPlainText().split("\n")[0] for t in view.labels] == list("0123456789")
    view.target.setCurrentIndex(view.target.findData("conv_1"))
    view.steps.setValue(20)
    view.run_button.click()
    qtbot.waitUntil(lambda: view.record is not record and _idle(view), timeout=60_000)
    assert view.record is not None and view.record.labels[2] == "channel 2 of conv_1"
    assert view.record.images.shape == (6, 1, 28, 28) and view.progress.value() == 20


@pytest.mark.slow
def test_stop_ends_a_long_run_early(qtbot, app_window):
    win, _c, presenter, _e = app_window
    win.load_template("mnist_1_layer")
    view = presenter.open()
    qtbot.waitUntil(lambda: view.record is not None and _idle(view), timeout=60_000)
    view.steps.setValue(2000)
    view.run_button.click()
    assert view.stop_button.isEnabled() and not view.run_button.isEnabled()
    qtbot.waitUntil(lambda: view.progress.value() >= 5, timeout=60_000)
    view.stop_button.click()
    qtbot.waitUntil(lambda: _idle(view), timeout=60_000)
    assert view.record is not None and view.record.cancelled and view.record.steps_done < 2000
    assert "Stopped after" in view.status.text()


@pytest.mark.slow
def test_a_lab_without_images_is_told_so(qtbot, app_window):
    win, _c, presenter, _e = app_window
    win.load_template("spiral")
    view = presenter.open()
    assert view.target.count() == 0 and not view.run_button.isEnabled()
    assert "network of images" in view.status.text()
    assert lab_targets(build_template("char_rnn")) == (0, [])


@pytest.mark.slow
def test_the_embedding_window_maps_the_char_lstms_tokens_with_their_neighbours(qtbot, app_window):
    win, _c, _m, presenter = app_window
    win.load_template("char_rnn")
    assert win.embedding_action in win.findChild(QMenu, "learningMenu").actions()
    win.embedding_action.trigger()
    view = presenter.view
    assert view is not None and view.objectName() == "embeddingView"
    qtbot.waitUntil(lambda: view.record is not None, timeout=60_000)
    record = view.record
    assert isinstance(record, Embeddings) and "␣" in record.tokens and "e" in record.tokens
    assert view.token.currentText() == "e"
    assert len(view.texts) == len(record.tokens) and view.texts[record.tokens.index("e")].toPlainText() == "e"
    first = record.tokens[int(record.neighbours[record.tokens.index("e"), 0])]
    assert f"<b>{first}</b>" in view.neighbours.text()
    win.load_template("lenet")
    qtbot.waitUntil(lambda: "no Embedding layer" in view.status.text(), timeout=10_000)


def test_the_views_draw_records_with_readable_labels(qtbot):
    am = ActivationMaximisationView()
    qtbot.addWidget(am)
    images = np.random.default_rng(0).random((16, 1, 8, 8)).astype(np.float32)
    record = ActivationMaximisation(images=images, labels=tuple(f"channel {k} of conv_2" for k in range(16)),
                                    layer="conv_2", start=np.zeros(16), final=np.arange(16.0), steps=10,
                                    steps_done=10, cancelled=False, bounds=(0.0, 1.0), source="test")
    am.show_result(record)
    assert am.labels[5].toPlainText() == "channel 5\n5.0"
    assert "16 channels of conv_2" in am.plot.getPlotItem().titleLabel.text
    emb = EmbeddingView()
    qtbot.addWidget(emb)
    vectors = np.eye(3, dtype=np.float32)
    emb.show_embeddings(Embeddings(layer="embedding_1", tokens=("a", "b", "<"), vectors=vectors,
                                   points=np.zeros((3, 2), np.float32), explained=np.array([0.5, 0.5]),
                                   neighbours=np.array([[1, 2], [0, 2], [0, 1]]),
                                   similarities=np.zeros((3, 2)), source="test"))
    assert emb.token.currentText() == "a" and "&lt;" in emb.neighbours.text()


@pytest.mark.slow
def test_a_running_session_is_read_with_its_own_weights_by_both_windows(qtbot, app_window):
    win, c, maximise, embeddings = app_window
    win.load_template("char_rnn")
    c.session.start(win.document.lab, run=False)
    qtbot.waitUntil(lambda: c.session.trainer is not None, timeout=60_000)
    view = embeddings.open()
    qtbot.waitUntil(lambda: view.record is not None, timeout=60_000)
    assert "running session" in view.status.text()
    c.session.stop()
    qtbot.waitUntil(lambda: not c.session.active, timeout=30_000)
    win.load_template("mnist_1_layer")
    c.session.start(win.document.lab, run=False)
    qtbot.waitUntil(lambda: c.session.trainer is not None, timeout=60_000)
    grid = maximise.open()
    qtbot.waitUntil(lambda: grid.record is not None and _idle(grid), timeout=60_000)
    assert "running session" in grid.status.text() and grid.record is not None
    assert "running session" in grid.record.source
    c.session.stop()
