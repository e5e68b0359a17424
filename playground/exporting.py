"""File > Export and File > Import model, wired into the window by the composition root.

The ui package may not touch torch or the engine, so the window only emits ``export_requested(fmt)`` and
``import_requested(path)``; this module asks where to write, runs the engine's exporters and reports the outcome
in a message, never a traceback. It also keeps the decision boundary of the snapshots that pass by, thinned to a
bounded number of frames, for the animated GIF.
"""

from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QPoint, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

MAX_FRAMES = 240  # boundary frames kept for the GIF: every other one is dropped when full, so they span the run
GIF_SIZE = 360
GIF_FRAME_MS = 80

_FILTERS = {"onnx": "ONNX models (*.onnx)", "py": "Python files (*.py)", "pt2": "torch.export programs (*.pt2)",
            "csv": "CSV files (*.csv)", "gif": "Animated GIF (*.gif)"}


class BoundaryFrames:
    """The decision boundary of each snapshot that carries one, thinned so memory stays bounded over long runs."""

    def __init__(self, limit: int = MAX_FRAMES) -> None:
        self.limit = limit
        self.frames: list[tuple[int, np.ndarray]] = []
        self.last: Any = None  # the latest snapshot with a boundary: its dataset is drawn under every frame
        self._stride = 1
        self._seen = 0

    def clear(self) -> None:
        self.frames.clear()
        self.last = None
        self._stride, self._seen = 1, 0

    def add(self, snap: Any) -> None:
        boundary = snap.probes.get("boundary") if snap.probes else None
        if boundary is None or getattr(boundary, "ndim", 0) != 2:
            return
        if self.frames and snap.step < self.frames[-1][0]:
            self.clear()  # a reset: a new run begins
        self.last = snap
        self._seen += 1
        if (self._seen - 1) % self._stride:
            return
        if self.frames and self.frames[-1][0] == snap.step:
            return  # the same moment again (a paused run repeats its snapshot)
        self.frames.append((snap.step, np.array(boundary, copy=True)))
        if len(self.frames) > self.limit:
            self.frames = self.frames[::2]
            self._stride *= 2


def render_boundary_gif(frames: BoundaryFrames, path: str | Path, size: int = GIF_SIZE) -> int:
    """Draw each frame with the app's own DecisionBoundaryView (off screen) and write an animated GIF."""
    from PIL import Image

    from playground.engine.snapshot import frozen
    from playground.ui.views.decision_boundary import DecisionBoundaryView

    if not frames.frames or frames.last is None:
        raise ValueError("There are no decision-boundary frames yet: train a lab on 2-D data with the Output "
                         "view open")
    view = DecisionBoundaryView()
    view.resize(size, size + 60)
    images = []
    try:
        for step, boundary in frames.frames:
            snap = dataclasses.replace(frames.last, step=step, probes=frozen({"boundary": boundary}))
            view.show_snapshot(snap)
            images.append(Image.open(io.BytesIO(_png_bytes(view.grab()))).convert("RGB"))
    finally:
        view.deleteLater()
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


class ExportActions(QObject):
    """Answers the window's export and import requests."""

    def __init__(self, window: Any, controller: Any) -> None:
        super().__init__(window)
        self.window = window
        self.controller = controller
        self.frames = BoundaryFrames()
        window.export_requested.connect(self.export)
        window.import_requested.connect(self.import_model)
        window.lab_opened.connect(lambda _lab: self.frames.clear())
        controller.session.snapshot.connect(self.frames.add)

    # What to export ----------------------------------------------------------------------------------------------

    def source(self) -> Any:
        """The lab being trained with the trainer's current weights, or the open lab's seeded start."""
        import torch

        from playground.engine.export import ExportSource

        trainer = self.controller.session.trainer
        if trainer is not None:
            with torch.no_grad():
                weights = {n: {k: v.clone() for k, v in sd.items()} for n, sd in trainer.state_dicts().items()}
            return ExportSource(trainer.lab, weights, trainer.history.to_csv(), origin="training")
        if self.window.lab is None:
            raise ValueError("Open a lab first")
        return ExportSource(self.window.lab, origin="untrained")

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
            lab = self.window.lab
            stem = (lab.name if lab else "model").lower().replace(" ", "_") or "model"
            path = self._ask_path("Export", stem + {"csv": "_history"}.get(fmt, "") + _suffix(fmt), _FILTERS[fmt])
            if not path:
                return
            self._busy(lambda: self.export_to(fmt, path))
        except Exception as e:  # noqa: BLE001 - any failure is a message to the user, never a traceback
            self._error(f"Export failed: {getattr(e, 'message', None) or e}")

    def export_to(self, fmt: str, path: str) -> str:
        """Export without dialogs (what the menu does after asking for ``path``); returns the message shown."""
        from playground.engine.export import export_source, write_history_csv

        if fmt == "gif":
            count = render_boundary_gif(self.frames, path)
            text = f"Wrote {count} frames of the decision boundary to {path}"
        elif fmt == "csv":
            write_history_csv(self.source(), path)
            text = f"Wrote the metric history to {path}"
        else:
            source = self.source()
            results = export_source(source, fmt, path)
            lines = [r.summary() for r in results]
            if source.origin == "untrained":
                lines.append("Nothing is trained yet: these are the weights training would start from.")
            text = "\n".join(lines)
            if not all(r.ok for r in results):
                self._error(text)
                return text
        self.window.show_message(text.splitlines()[0])
        return text

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
        self._busy(lambda: export_view_image(views[title], path))
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

        handler = getattr(self.window, "project_handler", None)
        if states and handler is not None:
            from playground.engine.weights_import import trained_project

            try:
                project = _with_wait_cursor(lambda: trained_project(lab, states))
            except (EngineError, GraphError) as e:
                note = f"its weights could not be loaded into a run ({getattr(e, 'message', e)}); it opens untrained"
            else:
                handler.show_project(project, None)
                first = note.splitlines()[0] if note else ""
                self.window.show_message(f"Opened {name} as a new lab, trained: {first}")
                if note and "\n" in note:  # what matched and what did not, in a box that does not block
                    box = QMessageBox(QMessageBox.Icon.Information, "Import model", note,
                                      QMessageBox.StandardButton.Ok, self.window)
                    box.setObjectName("importWeightsReport")
                    box.open()
                    self.weights_report = box
                return
        self.window.set_lab(lab, None, fresh=True)
        where = f" ({note})" if note else ""
        self.window.show_message(f"Opened {name} as a new lab: {len(lab.networks)} network(s){where}. Pick its "
                                 f"data in the Data panel.")

    # Helpers ----------------------------------------------------------------------------------------------------

    # Helpers ----------------------------------------------------------------------------------------------------

    def _busy(self, work: Any) -> Any:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return work()
        finally:
            QGuiApplication.restoreOverrideCursor()

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


def attach_exporting(window: Any, controller: Any) -> ExportActions:
    actions = ExportActions(window, controller)
    window.export_actions = actions
    return actions
