"""Downloading MNIST from the window: from a local HTTP server on 127.0.0.1, with progress, into the cache
folder; the lab moves to the new set and trains on it. A bad checksum or no server: a message, no file."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from playground.app import attach_training
from playground.data import image_sets, write_idx

NAMES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def served(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    rng = np.random.default_rng(0)
    write_idx(root / NAMES[0], rng.integers(0, 256, (120, 28, 28), dtype=np.uint8))
    write_idx(root / NAMES[1], rng.integers(0, 10, 120, dtype=np.uint8))
    write_idx(root / NAMES[2], rng.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(root / NAMES[3], rng.integers(0, 10, 30, dtype=np.uint8))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, served):
    from playground.app import new_window

    root, _url = served
    files = {}
    import hashlib
    for name in NAMES:
        files[name] = ("md5", hashlib.md5((root / name).read_bytes()).hexdigest())
    info = image_sets.IMAGE_SETS["mnist"]
    monkeypatch.setitem(image_sets.IMAGE_SETS, "mnist", image_sets.ImageSetInfo(
        info.name, info.title, info.description, files, info.mirrors, info.class_names, info.credit))
    monkeypatch.setenv(image_sets.CACHE_ENV, str(tmp_path / "cache"))
    win = new_window(QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat))
    c = attach_training(win)
    c.downloads.base_url = _url
    c.downloads.show_errors = lambda name, error: errors.append(error)
    errors: list[str] = []
    win.resize(1300, 850)
    win.show()
    qtbot.waitExposed(win)
    win.load_template("mnist_1_layer")
    yield win, c, errors, tmp_path / "cache" / "mnist"
    win.undo_stack.setClean()
    win.document.discard_changes()  # nor its training: closing must not ask
    win.close()
    win.deleteLater()


@pytest.mark.slow
def test_download_from_the_data_panel_then_train_on_it(qtbot, window):
    win, c, errors, folder = window
    panel = c.data_panel
    assert panel.image_box.isVisibleTo(panel)
    index = panel.image_combo.findData("mnist")
    assert "download first" in panel.image_combo.itemText(index)
    panel.image_combo.setCurrentIndex(index)
    panel.image_combo.activated.emit(index)
    assert win.lab.dataset.name == "digits"  # not there yet: choosing it does not switch
    assert panel.download_button.isVisible()
    with qtbot.waitSignal(c.downloads.finished, timeout=20000):
        panel.download_button.click()
    assert sorted(p.name for p in folder.iterdir()) == sorted(NAMES)
    assert win.lab.dataset.name == "mnist"
    assert "download first" not in panel.image_combo.itemText(panel.image_combo.findData("mnist"))
    assert not errors
    seen = []
    c.session.snapshot.connect(seen.append)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].epoch >= 1, timeout=30000)
    c.toolbar.play_action.trigger()
    assert np.isfinite(seen[-1].metrics["test_loss"])
    win.undo_stack.undo()
    assert win.lab.dataset.name == "digits"


@pytest.mark.slow
def test_a_wrong_checksum_says_so_and_leaves_no_file(qtbot, window, served):
    win, c, errors, folder = window
    root, _url = served
    (root / NAMES[2]).write_bytes(b"not the file the checksum promised")
    with qtbot.waitSignal(c.downloads.failed, timeout=20000):
        c.downloads.start("mnist")
    assert errors and "Checksum mismatch" in errors[0]
    assert NAMES[2] not in [p.name for p in folder.iterdir()]
    assert not [p for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".part"]
    assert win.lab.dataset.name == "digits"


def test_offline_says_so(qtbot, window):
    win, c, errors, folder = window
    c.downloads.base_url = "http://127.0.0.1:9/"  # nothing listens on the discard port
    with qtbot.waitSignal(c.downloads.failed, timeout=20000):
        c.downloads.start("mnist")
    assert errors and "offline" in errors[0]


def test_training_a_missing_set_names_the_remedy(tmp_path, monkeypatch):
    from playground.engine.datasets import load_dataset
    from playground.engine.errors import EngineError
    from playground.graph import DatasetSettings

    monkeypatch.setenv(image_sets.CACHE_ENV, str(tmp_path / "empty"))
    with pytest.raises(EngineError, match="Download"):
        load_dataset(DatasetSettings("fashion_mnist", features=[]), 0)


def test_the_samples_view_shows_the_lab_data_with_labels(qtbot, window):
    win, c, _errors, _folder = window
    c.docks["samples"].raise_()
    view = c.views["samples"]
    qtbot.waitUntil(lambda: len(view.tiles.images) > 0, timeout=5000)
    assert "Built-in digits" in view.caption.toolTip() + view.caption.text()
    from playground.data import digits

    s = digits.digit_splits()
    assert [s.y_train[i] for i in view.shown_indices] == [int(t) for t in view.tiles.captions]
    first = list(view.shown_indices)
    view.shuffle_button.click()
    assert list(view.shown_indices) != first
    view.class_combo.setCurrentIndex(view.class_combo.findData(3))
    assert set(view.tiles.captions) == {"3"}
    win.load_template("spiral")
    assert not c.docks["samples"].isVisible()


def _image_folder(root):
    from PIL import Image

    for cls, value in (("dark", 40), ("light", 220)):
        (root / cls).mkdir(parents=True)
        for i in range(12):
            Image.new("L", (20 + i, 16), color=value + i).save(root / cls / f"{i}.png")
    (root / "light" / "broken.png").write_bytes(b"not an image")
    return root


def test_your_own_image_folder_trains_and_lists_skipped_files(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    win, c, _errors, _folder = window
    folder = _image_folder(tmp_path / "pictures")
    shown: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    monkeypatch.setattr(QMessageBox, "information", lambda _parent, _title, text: shown.append(text))
    # A classifier of two kinds: the last Dense of "MNIST 1 layer" gets 2 units.
    graph = win.lab.networks[0].graph
    dense = [n for n in graph.topological_order() if graph.node(n).kind == "Dense"][-1]
    graph.set_param(dense, "units", 2)
    # 0.5 is for 7,000 digits, not 24 pictures (one step per epoch)
    win.lab.training = win.lab.training.updated(learning_rate=0.05, epochs=60)
    panel = c.data_panel
    index = panel.image_combo.findData("folder")
    panel.image_combo.setCurrentIndex(index)
    panel.image_combo.activated.emit(index)
    assert win.lab.dataset.name == "folder"
    assert win.lab.dataset.options["size"] == [28, 28] and win.lab.dataset.options["channels"] == 1
    assert shown and "broken.png" in shown[0] and "24 images in 2 classes" in shown[0]
    assert panel.image_combo.itemText(panel.image_combo.findData("folder")) == "Folder: pictures"
    c.docks["samples"].raise_()
    qtbot.waitUntil(lambda: len(c.views["samples"].tiles.images) > 0, timeout=5000)
    assert set(c.views["samples"].tiles.captions) <= {"dark", "light"}
    seen = []
    c.session.snapshot.connect(seen.append)
    c.toolbar.play_action.trigger()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].state == "finished" or c.message_banner.isVisible(), timeout=30000)
    assert not c.message_banner.isVisible(), c.message_banner.label.text()
    assert seen[-1].epoch == win.lab.training.epochs
    assert seen[-1].metrics["test_accuracy"] >= 0.9  # dark from light is easy


@pytest.mark.slow
def test_a_folder_without_class_subfolders_is_refused_clearly(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    win, c, _errors, _folder = window
    (tmp_path / "flat").mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path / "flat"))
    c.choose_image_folder()
    assert win.lab.dataset.name == "digits"
    assert "no class subfolders" in c.message_banner.label.text()


class _Hostile(http.server.BaseHTTPRequestHandler):
    """Every file: /trickle/... one byte every 0.2 s of 100,000; /endless/... zeros without end."""

    stop: threading.Event

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        if self.path.startswith("/trickle/"):
            self.send_header("Content-Length", "100000")
        self.end_headers()
        piece, pause = (b"x", 0.2) if self.path.startswith("/trickle/") else (bytes(16384), 0.0)
        while not self.stop.wait(pause):
            try:
                self.wfile.write(piece)
                self.wfile.flush()
            except OSError:
                return


@pytest.fixture
def hostile():
    stop = threading.Event()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), type("H", (_Hostile,), {"stop": stop}))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    stop.set()
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_cancel_stops_a_download_from_a_trickling_server(qtbot, window, hostile):
    """One byte every 0.2 s: the worker's read waited for a whole chunk, so Cancel was never seen."""
    win, c, errors, folder = window
    c.downloads.base_url = hostile + "trickle/"
    received = []
    c.downloads.start("mnist")
    c.downloads.worker.progressed.connect(lambda done, total: received.append(done))
    qtbot.waitUntil(lambda: bool(received) and received[-1] >= 1, timeout=10000)
    from PySide6.QtWidgets import QPushButton

    c.downloads.dialog.findChild(QPushButton).click()  # the dialog's Cancel button
    qtbot.waitUntil(lambda: not c.downloads.busy and c.downloads.dialog is None, timeout=5000)
    assert not errors
    assert not list(folder.iterdir())  # no half file
    assert win.lab.dataset.name == "digits"


@pytest.mark.slow
def test_an_endless_download_fails_with_a_message_and_keeps_nothing(qtbot, window, hostile, monkeypatch):
    import importlib

    win, c, errors, folder = window
    monkeypatch.setattr(importlib.import_module("playground.data.download"), "MAX_UNSIZED_BYTES", 300_000)
    c.downloads.base_url = hostile + "endless/"
    with qtbot.waitSignal(c.downloads.failed, timeout=20000):
        c.downloads.start("mnist")
    assert len(errors) == 1 and "sent more than the 300,000 bytes allowed" in errors[0]
    assert "built-in digits still work" in errors[0] and "\n" not in errors[0]
    assert not list(folder.iterdir())
    assert win.lab.dataset.name == "digits"
