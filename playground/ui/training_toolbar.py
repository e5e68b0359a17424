"""The train toolbar: Play/Pause, Step, Reset, counters, device, and the settings that can change while training.

It owns no training state: it emits what the user asks for, and shows the lab's settings as the training presenter
hands them on from the document's change events (an edit, its undo, a lesson: whoever changed them). Whether a value
is allowed is the lab's rule (``TrainingSettings.updated``): the toolbar only keeps typing inside the same range.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QDoubleValidator, QFont, QFontMetrics, QIcon, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QMenu, QToolBar, QToolButton, QWidget

from playground.graph import TRAINING_FIELDS, Param, TrainingSettings

LEARNING_RATES = ("0.00001", "0.0001", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10")
LR_WIDEST = "0.0001234"  # the longest rate the field shows (4 significant digits)
REGULARIZATION_RATES = ("0", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1", "3", "10")
OPTIMIZERS = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "AdaGrad",
              "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
DEVICES = {"auto": "Auto", "cuda": "CUDA", "mps": "MPS", "cpu": "CPU"}


def rate_text(value: float) -> str:
    """A learning rate as the field shows it: 4 significant digits, so a scheduled 0.000912345 fits."""
    return f"{value:.4g}"


def _field(name: str) -> Param:
    return next(p for p in TRAINING_FIELDS if p.name == name)


def _field_help(name: str) -> str:
    return _field(name).help


def _icon(shape: str, color: str = "#2b2b2b") -> QIcon:
    """Transport icons drawn at runtime: play, pause, step, reset."""
    pix = QPixmap(32, 32)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    from PySide6.QtCore import QPointF, QRectF

    if shape == "play":
        p.drawPolygon(QPolygonF([QPointF(9, 6), QPointF(26, 16), QPointF(9, 26)]))
    elif shape == "pause":
        p.drawRect(QRectF(8, 6, 6, 20))
        p.drawRect(QRectF(18, 6, 6, 20))
    elif shape == "step":
        p.drawPolygon(QPolygonF([QPointF(7, 6), QPointF(20, 16), QPointF(7, 26)]))
        p.drawRect(QRectF(21, 6, 4, 20))
    elif shape == "reset":
        from PySide6.QtGui import QPen

        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(color), 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawArc(QRectF(7, 7, 18, 18), 60 * 16, 280 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(color))
        p.drawPolygon(QPolygonF([QPointF(17, 3), QPointF(25, 8), QPointF(17, 12)]))
    p.end()
    return QIcon(pix)


class TrainToolbar(QToolBar):
    """Signals carry requests; ``show_snapshot`` and ``set_settings`` keep the controls in step with the run.

    The keyboard shortcuts (Space, Ctrl+Right, Ctrl+R) belong to the window's Train menu, which the controller
    connects to the same requests, so each key has one owner.
    """

    play_toggled = Signal(bool)
    step_requested = Signal(bool)  # True: one epoch
    reset_requested = Signal(bool)  # True: a new seed
    settings_changed = Signal(dict)
    device_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", parent)
        self.setObjectName("trainToolbar")
        self.setIconSize(QSize(22, 22))
        self._updating = False
        self._playing = False
        self._secondary: list[QAction] = []  # what set_compact hides

        self.play_action = QAction(_icon("play"), "Play", self)
        self.play_action.setObjectName("playAction")
        self.play_action.setToolTip("Train (Space). Press again to pause; the run keeps its weights and curves.")
        self.play_action.triggered.connect(self._on_play)
        self.step_action = QAction(_icon("step"), "Step", self)
        self.step_action.setObjectName("stepAction")
        self.step_action.setToolTip("Train one batch (Ctrl+Right). With Shift held: one whole epoch.")
        self.step_action.triggered.connect(self._on_step)
        self.reset_action = QAction(_icon("reset"), "Reset", self)
        self.reset_action.setObjectName("resetAction")
        self.reset_action.setToolTip("Start over with fresh weights from the same seed: the same run again "
                                     "(Ctrl+R). The arrow offers a new seed.")
        self.reset_action.triggered.connect(lambda: self.reset_requested.emit(False))
        self.new_seed_action = QAction("Reset with a new seed", self)
        self.new_seed_action.setObjectName("newSeedAction")
        self.new_seed_action.triggered.connect(lambda: self.reset_requested.emit(True))

        self.addAction(self.play_action)
        self.addAction(self.step_action)
        reset_button = QToolButton()
        reset_button.setDefaultAction(self.reset_action)
        menu = QMenu(reset_button)
        menu.addAction(self.new_seed_action)
        reset_button.setMenu(menu)
        reset_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.addWidget(reset_button)
        self.addSeparator()

        self.epoch_label = self._label("epochLabel", "Epochs completed: passes over the whole training set.")
        self.step_label = self._label("stepLabel", "Iterations: optimizer steps, one per batch.")
        self.addWidget(self.epoch_label)
        self.addWidget(self.step_label)
        self.addSeparator()

        self.lr_combo = self._combo("learningRateCombo", LEARNING_RATES, editable=True,
                                    tip=_field_help("learning_rate") + " Type any value, e.g. 1000 to watch a run "
                                                                       "diverge.")
        rate = _field("learning_rate")
        lr_line = self.lr_combo.lineEdit()
        assert lr_line is not None  # an editable combo box has its line edit
        self._lr_line: QLineEdit = lr_line
        lr_line.setValidator(QDoubleValidator(float(rate.minimum or 0.0), float(rate.maximum or 0.0), 8, self.lr_combo))
        # As wide as a scheduled rate's 4 significant digits ("0.0001234"), whatever the value: the field shows the
        # whole rate and never widens the toolbar under the pointer as the schedule lowers it.
        self.lr_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.lr_combo.setMinimumContentsLength(len(LR_WIDEST) + 1)
        lr_line.editingFinished.connect(self._on_lr_edited)
        self.lr_combo.activated.connect(lambda _i: self._on_lr_edited())
        self.optimizer_combo = self._combo("optimizerCombo", tuple(OPTIMIZERS.values()),
                                           tip=_field_help("optimizer"))
        self.optimizer_combo.activated.connect(
            lambda i: self._emit({"optimizer": list(OPTIMIZERS)[i]}))
        self.reg_combo = self._combo("regularizationCombo", ("None", "L1", "L2"), tip=_field_help("regularization"))
        self.reg_combo.activated.connect(lambda i: self._emit({"regularization": ("none", "l1", "l2")[i]}))
        self.reg_rate_combo = self._combo("regularizationRateCombo", REGULARIZATION_RATES,
                                          tip=_field_help("regularization_rate"))
        self.reg_rate_combo.activated.connect(
            lambda i: self._emit({"regularization_rate": float(REGULARIZATION_RATES[i])}))
        for title, combo in (("Learning rate", self.lr_combo), ("Optimizer", self.optimizer_combo),
                             ("Regularization", self.reg_combo), ("Rate", self.reg_rate_combo)):
            label = QLabel(f"  {title} ")
            label.setToolTip(combo.toolTip())
            shown = [self.addWidget(label), self.addWidget(combo)]
            if combo in (self.reg_combo, self.reg_rate_combo):
                self._secondary += shown
        self._secondary.append(self.addSeparator())
        self.device_combo = self._combo("deviceCombo", tuple(DEVICES.values()), tip=_field_help("device"))
        self.device_combo.activated.connect(lambda i: self.device_changed.emit(list(DEVICES)[i]))
        self._secondary += [self.addWidget(QLabel("  Device ")), self.addWidget(self.device_combo)]
        self.device_label = self._label("deviceInUseLabel", "Where training runs now.")
        self._secondary.append(self.addWidget(self.device_label))
        self._reserve_room()
        self.show_counters(0, 0)

    def _reserve_room(self) -> None:
        """Room for 9,999,999 iterations from the start, at the font of the moment: a label that grew with the
        count cut its last digit and moved every control to its right under the pointer. And for a short device
        name before the first step names it (a long GPU name may still grow it: nothing lies to its right)."""
        bold = QFont(self.step_label.font())
        bold.setBold(True)
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance("   Iteration   ")
                                        + QFontMetrics(bold).horizontalAdvance("9,999,999") + 4)
        self.epoch_label.setMinimumWidth(self.epoch_label.fontMetrics().horizontalAdvance("  Epoch  ")
                                         + QFontMetrics(bold).horizontalAdvance("000,000") + 4)
        self.device_label.setMinimumWidth(self.device_label.fontMetrics().horizontalAdvance(" Apple GPU (MPS) "))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and hasattr(self, "device_label"):
            self._reserve_room()  # presentation mode: the counters' room grows with their font

    def set_compact(self, compact: bool) -> None:
        """Only play, the counters, the learning rate and the optimizer (for a projector, where the rest would not
        fit at a larger font); the regularization and device controls stay in the Train menu's settings."""
        for action in self._secondary:
            action.setVisible(not compact)

    # Building helpers -------------------------------------------------------------------------------------

    def _label(self, name: str, tip: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setToolTip(tip)
        label.setMinimumWidth(10)
        return label

    def _combo(self, name: str, items: tuple[str, ...], editable: bool = False, tip: str = "") -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.addItems(list(items))
        combo.setEditable(editable)
        combo.setToolTip(tip)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    # Requests ---------------------------------------------------------------------------------------------

    def _on_play(self) -> None:
        self.play_toggled.emit(not self._playing)

    def _on_step(self) -> None:
        shift = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.step_requested.emit(shift)

    def _on_lr_edited(self) -> None:
        if self._updating:
            return
        text = self.lr_combo.currentText().strip()
        try:
            value = float(text)
        except ValueError:
            return
        self._emit({"learning_rate": value})

    def _emit(self, changes: dict[str, Any]) -> None:
        if not self._updating:
            self.settings_changed.emit(changes)

    # Display ----------------------------------------------------------------------------------------------

    def set_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play_action.setIcon(_icon("pause" if playing else "play"))
        self.play_action.setText("Pause" if playing else "Play")

    @property
    def playing(self) -> bool:
        return self._playing

    def show_counters(self, epoch: int, step: int) -> None:
        # Rich text collapses plain spaces, so the gaps are non-breaking ones.
        self.epoch_label.setText(f"&nbsp;&nbsp;Epoch <b>{epoch:06,d}</b>")
        self.step_label.setText(f"&nbsp;&nbsp;&nbsp;Iteration <b>{step:,d}</b>&nbsp;&nbsp;")

    def show_device(self, text: str) -> None:
        self.device_label.setText(f" {text} ")

    def show_snapshot(self, snap: Any) -> None:
        self.show_counters(int(getattr(snap, "epoch", 0)), int(getattr(snap, "step", 0)))
        self.set_playing(getattr(snap, "state", "") == "running")
        device = getattr(snap, "device", "")
        if device:
            self.show_device(device)
        lr = getattr(snap, "learning_rate", None)
        if lr is not None and not self._lr_line.hasFocus():
            self._set_lr_text(float(lr))

    def _set_lr_text(self, value: float) -> None:
        self._updating = True
        self.lr_combo.setEditText(rate_text(value))
        self._updating = False

    def set_settings(self, settings: TrainingSettings) -> None:
        """Show a lab's settings without emitting changes."""
        self._updating = True
        try:
            self.lr_combo.setEditText(rate_text(settings.learning_rate))
            self.optimizer_combo.setCurrentIndex(list(OPTIMIZERS).index(settings.optimizer))
            self.reg_combo.setCurrentIndex(("none", "l1", "l2").index(settings.regularization))
            rate = f"{settings.regularization_rate:g}"
            if rate not in REGULARIZATION_RATES:
                self.reg_rate_combo.addItem(rate)
            self.reg_rate_combo.setCurrentText(rate)
            self.device_combo.setCurrentIndex(list(DEVICES).index(settings.device))
        finally:
            self._updating = False
