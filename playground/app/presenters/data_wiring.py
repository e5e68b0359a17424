"""The data panel (2-D sets, image sets, your own image folder, downloads), the samples view and the drawing pad,
joined to the lab and the session. A mixin of TrainingPresenter (see presenters/training.py)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QMessageBox

from playground.app.presenters.drawing import DrawingReader
from playground.data import image_folder, image_sets, toy2d
from playground.data.errors import DataError
from playground.engine.commands import AddSamples, SetSample
from playground.engine.datasets import folder_options, load_dataset
from playground.engine.errors import EngineError
from playground.ui.data_panel import DataPanel, DatasetChoice, ImageSetChoice

if TYPE_CHECKING:
    from .training_parts import TrainingParts
else:
    TrainingParts = object  # the declarations are for the type checker; at run time a mixin is a plain class


class DataWiringMixin(TrainingParts):
    """What the data panel and the drawing pad show and ask for."""

    def _make_data_panel(self) -> DataPanel:
        data_panel = DataPanel(dict(toy2d.FEATURES))
        short = {"circle": "Circle", "xor": "XOR", "gaussian": "Gaussians", "spiral": "Spiral", "moons": "Moons",
                 "plane": "Plane", "multi_gaussian": "Blobs", "blobs": "Class blobs", "arms": "Spiral arms",
                 "rings": "Rings"}
        data_panel.set_datasets([
            DatasetChoice(info.name, short.get(info.name, info.title), f"{info.title}: {info.description}",
                          info.kind, toy2d.thumbnail(info.name, 52), info.class_range if info.multiclass else (0, 0))
            for info in toy2d.DATASETS_2D.values()])
        return data_panel

    def _refresh_image_sets(self) -> None:
        choices = [ImageSetChoice("digits", "Built-in digits (9,000)", "9,000 real MNIST digits that ship with the "
                                  "app: 7,000 to train, 1,000 to validate, 1,000 to test. Works offline.", True)]
        for info in image_sets.IMAGE_SETS.values():
            choices.append(ImageSetChoice(info.name, info.title, f"{info.description} {info.credit}",
                                          image_sets.is_downloaded(info.name, self.downloads.root)))
        lab = self.lab
        path = lab.dataset.options.get("path") if lab is not None and lab.dataset.name == "folder" else None
        title = f"Folder: {os.path.basename(str(path).rstrip(os.sep))}" if path else "Your own images…"
        choices.append(ImageSetChoice("folder", title, "A folder with one subfolder per class (PNG or JPEG), e.g. "
                                      "cats/ and dogs/. Images are resized to the Input layer's size and made gray "
                                      "or kept in colour as it asks; unreadable files are listed and skipped.",
                                      True))
        self.data_panel.set_image_sets(choices)

    def choose_image_folder(self) -> None:
        """Train on the user's own images: a folder with one subfolder per class."""
        lab = self.lab
        if lab is None:
            return
        path = QFileDialog.getExistingDirectory(self.window, "Choose a folder with one subfolder per class")
        if not path:
            self._sync_data_panel()
            return
        try:
            graph = lab.networks[0].graph
            inputs = [n for n in graph.topological_order() if graph.node(n).kind == "Input"]
            shape = graph.infer().shapes.get(inputs[0]) if inputs else None
            if shape is None:
                raise EngineError("The network needs an Input layer before it can read images")
            options = folder_options(path, tuple(shape.dims))
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                height, width = cast("list[int]", options["size"])  # as folder_options writes them
                data = image_folder.load_image_folder(path, (height, width), cast(int, options["channels"]))
            finally:
                QApplication.restoreOverrideCursor()
        except (DataError, EngineError) as e:
            self.refuse(str(e))
            self._sync_data_panel()
            return
        summary = (f"{len(data.labels)} images in {len(data.class_names)} classes "
                   f"({', '.join(data.class_names[:8])}{'…' if len(data.class_names) > 8 else ''})")
        if data.skipped:
            listed = "\n".join(f"{p.name}: {why}" for p, why in data.skipped[:12])
            more = f"\n… and {len(data.skipped) - 12} more" if len(data.skipped) > 12 else ""
            self.skipped_report = f"{len(data.skipped)} file(s) were skipped:\n{listed}{more}"
            QMessageBox.information(self.window, "Some files were skipped",
                                    f"Read {summary}.\n\n{self.skipped_report}")
        self.change_settings("dataset", {"name": "folder", "options": options})
        self._sync_data_panel()
        self.window.show_message(f"Your images: {summary}. The last Dense needs {len(data.class_names)} units.")

    def _add_download_actions(self) -> None:
        # PySide6's stubs type QAction.menu() as a QObject; a menu bar's actions carry QMenus.
        file_menu = next((cast(QMenu, a.menu()) for a in self.window.menuBar().actions()
                          if a.menu() is not None and a.text().replace("&", "") == "File"), None)
        self.download_actions = []
        for info in image_sets.IMAGE_SETS.values():
            action = self.window.addAction(f"Download {info.title}…")
            action.setObjectName(f"download_{info.name}")
            action.setToolTip(info.description)
            action.triggered.connect(lambda _checked=False, n=info.name: self.downloads.start(n))
            self.download_actions.append(action)
        if file_menu is not None:
            before = next((a for a in file_menu.actions() if a.text().replace("&", "").startswith("Quit")), None)
            menu = file_menu.addMenu("Download data")
            menu.setObjectName("downloadMenu")
            menu.addActions(self.download_actions)
            if before is not None:
                file_menu.insertMenu(before, menu)

    def _on_downloaded(self, name: str) -> None:
        self._refresh_image_sets()
        title = image_sets.IMAGE_SETS[name].title
        lab = self.lab
        shapes = {n: i.image_shape for n, i in image_sets.IMAGE_SETS.items()} | {"digits": (1, 28, 28)}
        # A lab moves only to a set of images of its own shape (a grey 28×28 lab does not take colour photos).
        if lab is not None and lab.dataset.name != name and shapes.get(lab.dataset.name) == shapes[name]:
            self.change_settings("dataset", {"name": name})  # an image lab moves to the new set (undoable)
            self.window.show_message(f"Downloaded {title}; this lab now learns from it (Undo goes back).")
        else:
            self.window.show_message(f"Downloaded {title}. Image labs can now choose it in the Data panel.")
        self._sync_data_panel()

    def _refresh_samples(self) -> None:
        """Fill the samples view from the lab's data set, once per data set, and only while it is on screen."""
        lab = self.lab
        if lab is None or not self._image_data(lab) or not self._shown("samples"):
            return
        key = (lab.dataset.name, lab.seed, repr(sorted(lab.dataset.options.items())))
        if key == self._samples_for:
            return
        self._samples_for = key
        try:
            data = load_dataset(lab.dataset, lab.seed)
        except EngineError as e:
            self.views["samples"].clear_data(str(e))
            return
        title = ("Built-in digits" if data.name == "digits" else "Your images" if data.name == "folder" else
                 image_sets.IMAGE_SETS[data.name].title.split(" (")[0])
        self.views["samples"].set_data(data.x_train, data.y_train, data.class_names, title)

    def _sync_data_panel(self) -> None:
        lab = self.lab
        if lab is None:
            return
        d = lab.dataset
        plane = d.name in toy2d.DATASETS_2D
        self._refresh_image_sets()
        info = toy2d.DATASETS_2D.get(d.name)
        try:
            classes = toy2d.class_count(d.name, d.options.get("classes")) if info and info.multiclass else 0
        except DataError:
            classes = info.classes if info else 0
        self.data_panel.set_values(d.name, d.noise, d.train_ratio, lab.training.batch_size, d.features, plane,
                                   classes=classes, options=d.options)
        self.views["samples"].set_training(lab.training)
        self.views["samples"].set_dataset_options(d.options)

    def _connect_drawing(self) -> None:
        """The pad's drawings read by the model being trained, each answered on its own (see DrawingReader)."""
        self.drawing_reader = DrawingReader(self.digit_panel, self._send_for_drawing, self.window)
        self.digit_panel.image_ready.connect(self.drawing_reader.read)
        self.digit_panel.drawing_finished.connect(self.drawing_reader.finish)
        self.digit_panel.cleared.connect(self.drawing_reader.clear)
        # The feature-map view goes back to its test sample.
        self.digit_panel.cleared.connect(lambda: self.send(SetSample(index=0)) if self.session.active else None)
        self.digit_panel.add_requested.connect(self.add_drawing)

    def _send_for_drawing(self, command: Any) -> bool:
        """Hand a drawing's command to the trainer, starting a paused session if none runs yet."""
        if not self.session.active and not self.ensure_session(run=False):
            return False
        return self.send(command)

    def on_drawing(self, image: Any) -> None:
        """A finished drawing: the current model reads it, and the feature-map view shows it."""
        self.drawing_reader.read(image)
        self.drawing_reader.finish(image)

    def add_drawing(self, image: Any, digit: int) -> None:
        if not self.session.active and not self.ensure_session(run=False):
            return
        if self.send(AddSamples([image], [digit])):
            self.window.show_message(f"Added your drawing to the training set as a {digit}.")
