"""File > Export and File > Import model, wired into the window by the composition root.

The ui package may not touch torch or the engine, so the window only emits ``export_requested(fmt)`` and
``import_requested(path)``; this module asks where to write, runs the engine's exporters and reports the outcome
in a message, never a traceback. It also keeps the decision boundary of the snapshots that pass by, thinned to a
bounded number of frames, for the animated GIF.

A model export reads a running trainer the way a project save does: a command (``session.take_state``) that the
worker answers between two steps, with copies. The GUI thread never touches the trainer's tensors. The export
itself (ONNX checked with onnxruntime, a ``.pt2`` program: seconds) runs on a thread of its own, with a busy bar
in the status bar, so the window stays responsive; its outcome comes back as one message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPoint,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QWidget,
)

from playground.app.document import LabDocument
from playground.snapshots import DecisionBoundary, ProbeResults

MAX_FRAMES = 240  # boundary frames kept for the GIF: every other one is dropped when full, so they span the run
GIF_SIZE = 360
GIF_FRAME_MS = 80
BUSY_AFTER_MS = 300  # an export that takes longer than this shows a busy bar
STATE_TIMEOUT_MS = 60_000  # how long an export waits for the worker's answer (a step of a huge model)

_FILTERS = {"onnx": "ONNX models (*.onnx)", "py": "Python files (*.py)", "pt2": "torch.export programs (*.pt2)",
            "csv": "CSV files (*.csv)", "gif": "Animated GIF (*.gif)"}


class BoundaryFrames:
    """The decision boundary of each snapshot that carries one, thinned so memory stays bounded over long runs."""

    def __init__(self, limit: int = MAX_FRAMES) -> None:
        self.limit = limit
        self.frames: list[tuple[int, DecisionBoundary]] = []
        self.last: Any = None  # the latest snapshot with a boundary: its dataset is drawn under every frame
        self._stride = 1
        self._seen = 0

    def clear(self) -> None:
        self.frames.clear()
        self.last = None
        self._stride, self._seen = 1, 0

    def add(self, snap: Any) -> None:
        boundary = snap.probes.get(DecisionBoundary)
        if boundary is None or boundary.values.ndim != 2:
            return
        if self.frames and snap.step < self.frames[-1][0]:
            self.clear()  # a reset: a new run begins
        self.last = snap
        self._seen += 1
        if (self._seen - 1) % self._stride:
            return
        if self.frames and self.frames[-1][0] == snap.step:
            return  # the same moment again (a paused run repeats its snapshot)
        self.frames.append((snap.step, boundary))  # a frozen record: kept as it is, not copied
        if len(self.frames) > self.limit:
            self.frames = self.frames[::2]
            self._stride *= 2


def render_boundary_gif(frames: BoundaryFrames, path: str | Path, size: int = GIF_SIZE) -> int:
    """Draw each frame with the app's own DecisionBoundaryView (off screen) and write an animated GIF."""
    images = boundary_images(frames, size)
    write_gif(images, path)
    return len(images)


def boundary_images(frames: BoundaryFrames, size: int = GIF_SIZE) -> list[Any]:
    """Each frame drawn by the app's own DecisionBoundaryView, off screen (widgets: on the GUI thread only)."""
    from PIL import Image

    from playground.ui.views.decision_boundary import DecisionBoundaryView

    if not frames.frames or frames.last is None:
        raise ValueError("There are no decision-boundary frames yet: train a lab on 2-D data with the Output "
                         "view open")
    view = DecisionBoundaryView()
    view.resize(size, size + 60)
    images = []
    try:
        for step, boundary in frames.frames:
            snap = dataclasses.replace(frames.last, step=step, probes=ProbeResults([boundary]))
            view.show_snapshot(snap)
            images.append(Image.open(io.BytesIO(_png_bytes(view.grab()))).convert("RGB"))
    finally:
        view.deleteLater()
    return images


def write_gif(images: list[Any], path: str | Path) -> int:
    """Quantize and write the frames as an animated GIF (no Qt: fine on any thread); returns how many."""
    from PIL import Image

    palette = [im.quantize(colors=255, method=Image.Quantize.MEDIANCUT) for im in images]
    palette[0].save(str(path), save_all=True, append_images=palette[1:], duration=GIF_FRAME_MS, loop=0,
                    optimize=True)
    return len(images)


def _png_bytes(pixmap: Any) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def export_view_image(widget: QWidget, path: str | Path) -> None:
    """PNG or SVG of one view.

    PNG: pyqtgraph's ImageExporter at twice the screen size when the view is one plot, else the widget as drawn.
    SVG: the widget painted into a QSvgGenerator, which keeps plots as vectors; pyqtgraph's SVGExporter (0.13/0.14)
    fails on the path format of Qt 6.11 ("not enough values to unpack").
    """
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    path = str(path)
    if path.lower().endswith(".svg"):
        from PySide6.QtSvg import QSvgGenerator

        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(widget.width(), widget.height()))
        generator.setViewBox(QRectF(0, 0, widget.width(), widget.height()))
        generator.setTitle(widget.windowTitle() or "Neural Network Playground view")
        painter = QPainter(generator)
        try:
            widget.render(painter, QPoint(0, 0))
        finally:
            painter.end()
        if not Path(path).is_file():
            raise OSError(f"cannot write {path}")
        return
    plots = [v for v in widget.findChildren(pg.GraphicsView) if v.isVisible()]
    if len(plots) == 1:
        scene = plots[0].scene()
        exporter = ImageExporter(scene)
        # Twice the screen size, so slides stay sharp; pyqtgraph wants whole numbers here.
        exporter.parameters()["width"] = int(max(scene.sceneRect().width(), 1) * 2)
        exporter.export(path)
    elif not widget.grab().save(path, "PNG"):
        raise OSError(f"cannot write {path}")


def source_from_state(state: Any) -> Any:
    """An ExportSource from a running trainer's :class:`TrainedState` (the lab it trains, its weights, its curves)."""
    from playground.engine.export import ExportSource
    from playground.engine.project import _split_tensors, history_csv

    weights, _rest = _split_tensors(state.lab, state.checkpoint["tensors"])
    history = state.checkpoint.get("history") or {}
    return ExportSource(state.lab, weights, history_csv(history) if history else None, origin="training")


class ExportActions(QObject):
    """Answers the window's export and import requests."""

    # (message, ok) of an export that ran on its thread; queued to the GUI thread.
    export_finished = Signal(str, bool)
    _job_done = Signal(str, bool)
    _state_ready = Signal(int, object)

    def __init__(self, window: Any, document: LabDocument, controller: Any, projects: Any) -> None:
        super().__init__(window)
        self.window = window
        self.document = document
        self.controller = controller
        self.projects = projects
        self.frames = BoundaryFrames()
        self._job: threading.Thread | None = None
        self._waiting: dict[int, tuple[str, str]] = {}  # token -> (fmt, path) of exports waiting for the worker
        self._next_token = 0
        self._busy_label = QLabel()
        self._busy_label.setObjectName("exportBusyLabel")
        self._busy_bar = QProgressBar()
        self._busy_bar.setObjectName("exportBusyBar")
        self._busy_bar.setRange(0, 0)  # no percentage to tell: a busy bar
        self._busy_bar.setMaximumWidth(140)
        window.statusBar().addPermanentWidget(self._busy_label)
        window.statusBar().addPermanentWidget(self._busy_bar)
        self._busy_label.hide()
        self._busy_bar.hide()
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self._show_busy)
        self._job_done.connect(self._on_job_done, Qt.ConnectionType.QueuedConnection)
        self._state_ready.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        window.export_requested.connect(self.export)
        window.import_requested.connect(self.import_model)
        document.lab_replaced.connect(lambda _lab: self.frames.clear())
        controller.session.snapshot.connect(self.frames.add)

    @property
    def busy(self) -> bool:
        """An export is on its way (waiting for the worker's state, or writing)."""
        return bool(self._waiting) or (self._job is not None and self._job.is_alive())

    def _ask_path(self, title: str, name: str, filters: str) -> str:
        folder = str(self.window.settings.value("last_folder", os.path.expanduser("~")))
        path, _ = QFileDialog.getSaveFileName(self.window, title, os.path.join(folder, name), filters)
        return path

    # Requests ---------------------------------------------------------------------------------------------------

    def export(self, fmt: str) -> None:
        try:
            if fmt == "view":
                self._export_view()
                return
            if self.busy:
                self._error("An export is still running: wait for it to finish, then try again.")
                return
            lab = self.document.lab
            stem = (lab.name if lab else "model").lower().replace(" ", "_") or "model"
            path = self._ask_path("Export", stem + {"csv": "_history"}.get(fmt, "") + _suffix(fmt), _FILTERS[fmt])
            if not path:
                return
            self.export_to(fmt, path)
        except Exception as e:  # any failure is a message to the user, never a traceback
            self._error(f"Export failed: {getattr(e, 'message', None) or e}")

    def export_to(self, fmt: str, path: str) -> bool:
        """Start exporting without dialogs (what the menu does after asking for ``path``). The outcome comes as
        ``export_finished(message, ok)``, also shown in the window. False if it could not even start."""
        if self.busy:
            self._error("An export is still running: wait for it to finish, then try again.")
            return False
        if fmt == "gif":
            try:
                images = boundary_images(self.frames)  # drawn by widgets: here, on the GUI thread
            except ValueError as e:
                self._finish(str(e), False)
                return False
            self._start(path, lambda: self._write_gif(images, path))
            return True
        session = self.controller.session
        if session.active:
            self._next_token += 1
            token = self._next_token
            self._waiting[token] = (fmt, path)
            try:
                # Answered on the worker thread between two steps; the queued signal brings it here.
                session.take_state(lambda state, t=token: self._emit_state(t, state))
            except Exception as e:  # EngineError (nothing trains) or anything the queue refuses
                self._waiting.pop(token, None)
                self._finish(f"Export failed: {getattr(e, 'message', None) or e}", False)
                return False
            self._busy_timer.start()
            QTimer.singleShot(STATE_TIMEOUT_MS, lambda t=token: self._expire(t))
            return True
        lab = self.document.lab
        if lab is None:
            self._finish("Open a lab first", False)
            return False
        from playground.engine.export import ExportSource
        from playground.graph import Lab

        source = ExportSource(Lab.from_dict(lab.to_dict()), origin="untrained")
        self._start(path, lambda: self._run(fmt, path, source))
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the export thread ends (for tests and scripts; the window never calls it)."""
        job = self._job
        if job is not None:
            job.join(timeout)
        return job is None or not job.is_alive()

    # Off the GUI thread -----------------------------------------------------------------------------------------

    def _emit_state(self, token: int, state: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the window is gone
            self._state_ready.emit(token, state)

    @Slot(int, object)
    def _on_state(self, token: int, state: Any) -> None:
        waiting = self._waiting.pop(token, None)
        if waiting is None:
            return  # expired
        fmt, path = waiting
        self._start(path, lambda: self._run(fmt, path, None, state))

    def _expire(self, token: int) -> None:
        waiting = self._waiting.pop(token, None)
        if waiting is not None:
            self._finish(f"Export failed: the training did not answer within {STATE_TIMEOUT_MS // 1000} s; nothing "
                         f"was written to {waiting[1]}", False)

    def _start(self, path: str, work: Callable[[], tuple[str, bool]]) -> None:
        def run() -> None:
            try:
                text, ok = work()
            except Exception as e:  # any failure is one message, never a traceback
                traceback.print_exc()
                text, ok = f"Export failed: {getattr(e, 'message', None) or e}", False
            with contextlib.suppress(RuntimeError):  # the window is gone
                self._job_done.emit(text, ok)

        self._busy_label.setText(f"Exporting {Path(path).name}…")
        self._busy_timer.start()
        self._job = threading.Thread(target=run, name="export", daemon=True)
        self._job.start()

    @staticmethod
    def _run(fmt: str, path: str, source: Any, state: Any = None) -> tuple[str, bool]:
        from playground.engine.export import export_source, write_history_csv

        if source is None:
            source = source_from_state(state)
        if fmt == "csv":
            write_history_csv(source, path)
            return f"Wrote the metric history to {path}", True
        results = export_source(source, fmt, path)
        lines = [r.summary() for r in results]
        if source.origin == "untrained":
            lines.append("Nothing is trained yet: these are the weights training would start from.")
        return "\n".join(lines), all(r.ok for r in results)

    @staticmethod
    def _write_gif(images: list[Any], path: str) -> tuple[str, bool]:
        write_gif(images, path)
        return f"Wrote {len(images)} frames of the decision boundary to {path}", True

    @Slot(str, bool)
    def _on_job_done(self, text: str, ok: bool) -> None:
        # The thread sends this as its last act but is still alive for a moment: it is done, so the next export
        # (started by whoever waits for export_finished) must not be told one is still running.
        self._job = None
        self._finish(text, ok)

    def _finish(self, text: str, ok: bool) -> None:
        if not self.busy:
            self._busy_timer.stop()
            self._busy_label.hide()
            self._busy_bar.hide()
        if ok:
            self.window.show_message(text.splitlines()[0])
        else:
            self._error(text)
        self.export_finished.emit(text, ok)

    def _show_busy(self) -> None:
        if self.busy:
            self._busy_label.show()
            self._busy_bar.show()

    def _export_view(self) -> None:
        views = {self.controller.docks[k].windowTitle(): v for k, v in self.controller.views.items()
                 if k in self.controller.docks}
        shown = [t for t, v in views.items() if v.isVisible()] or list(views)
        title, ok = QInputDialog.getItem(self.window, "Export a view", "View:", shown, 0, False)
        if not ok:
            return
        path = self._ask_path("Export a view", title.lower().replace(" ", "_") + ".png",
                              "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return
        if not path.lower().endswith((".png", ".svg")):
            path += ".png"
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:  # widgets draw only on the GUI thread; one view is quick
            export_view_image(views[title], path)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.window.show_message(f"Wrote the {title} view to {path}")

    def import_model(self, path: str, weights: str | None = None) -> None:
        """Open a Python model or an ONNX file as a new lab. An ONNX file brings its weights; a Python model takes
        ``weights``, else the .safetensors of the same name beside it (this app's own export), else it opens
        untrained with an offer to load a weights file. With weights the lab opens trained."""
        from playground.engine.errors import EngineError

        states, note, python = None, "", not path.lower().endswith(".onnx")
        try:
            if not python:
                from playground.engine.onnx_import import import_onnx

                result = _with_wait_cursor(lambda: import_onnx(path))
                lab, states = result.lab, result.weights
                note = f"{sum(len(s) for s in states.values())} weight tensors from the file"
            else:
                from playground.engine.model_import import lab_from_file

                lab = lab_from_file(path)
                beside = Path(path).with_suffix(".safetensors")
                weights = weights if weights is not None else (str(beside) if beside.is_file() else None)
                if weights:
                    from playground.engine.weights_import import import_weights

                    match = _with_wait_cursor(lambda: import_weights(lab, weights))
                    states, note = match.states, match.summary()
        except EngineError as e:
            self._error(e.message, "Import model")
            return
        if not self.window.maybe_save():
            return
        self.open_imported(lab, states, Path(path).name, note)
        if python and states is None:
            self._offer_weights(path)

    def _offer_weights(self, path: str) -> None:
        """A box that does not block: load a weights file for the Python model just opened, or not."""
        box = QMessageBox(QMessageBox.Icon.Question, "Import model",
                          f"{Path(path).name} opened untrained. Load its trained weights (.safetensors, or a "
                          f".pt/.pth state dict)?", QMessageBox.StandardButton.NoButton, self.window)
        load = box.addButton("Load weights…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
        box.setObjectName("importWeightsOffer")

        def answered(_button: Any) -> None:
            if box.clickedButton() is load:
                chosen, _ = QFileDialog.getOpenFileName(self.window, f"Weights for {Path(path).name}",
                                                        str(Path(path).parent), "Weights (*.safetensors *.pt *.pth "
                                                        "*.bin *.ckpt);;All files (*)")
                if chosen:
                    self.import_model(path, chosen)

        box.buttonClicked.connect(answered)
        box.open()
        self.weights_offer = box

    def open_imported(self, lab: Any, states: Any, name: str, note: str = "") -> None:
        """Show an imported lab; with weights as a paused session at epoch 0 that shows them trained."""
        from playground.engine.errors import EngineError
        from playground.graph import GraphError

        if states:
            from playground.engine.weights_import import trained_project

            try:
                project = _with_wait_cursor(lambda: trained_project(lab, states))
            except (EngineError, GraphError) as e:
                note = f"its weights could not be loaded into a run ({getattr(e, 'message', e)}); it opens untrained"
            else:
                self.projects.show_project(project, None)
                first = note.splitlines()[0] if note else ""
                self.window.show_message(f"Opened {name} as a new lab, trained: {first}")
                if note and "\n" in note:  # what matched and what did not, in a box that does not block
                    box = QMessageBox(QMessageBox.Icon.Information, "Import model", note,
                                      QMessageBox.StandardButton.Ok, self.window)
                    box.setObjectName("importWeightsReport")
                    box.open()
                    self.weights_report = box
                return
        self.document.set_lab(lab, None)
        where = f" ({note})" if note else ""
        self.window.show_message(f"Opened {name} as a new lab: {len(lab.networks)} network(s){where}. Pick its "
                                 f"data in the Data panel.")

    # Helpers ----------------------------------------------------------------------------------------------------

    def _error(self, text: str, title: str = "Export") -> None:
        self.window.show_message(text.splitlines()[0], True)
        QMessageBox.warning(self.window, title, text)


def _with_wait_cursor(work: Any) -> Any:
    QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        return work()
    finally:
        QGuiApplication.restoreOverrideCursor()


def _suffix(fmt: str) -> str:
    return {"onnx": ".onnx", "py": ".py", "pt2": ".pt2", "csv": ".csv", "gif": ".gif"}[fmt]


def attach_exporting(window: Any, document: LabDocument, controller: Any, projects: Any) -> ExportActions:
    return ExportActions(window, document, controller, projects)
