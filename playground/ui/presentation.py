"""Presentation mode for a classroom projector: every font, plot line, point, axis label and control of a window
larger by one factor, and back exactly as it was.

Qt scales what inherits its font by itself once the window's font grows; widgets that set their own font, and the
items of pyqtgraph scenes (which keep the pens, sizes and fonts they were made with), are scaled here from the values
they had before, so scaling twice never compounds and turning it off restores them. Items a view creates while the
mode is on are caught by ``refresh()``, which the window calls now and then.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QSize, Qt, QTimer
from PySide6.QtGui import QFont, QPen
from PySide6.QtWidgets import QDockWidget, QMainWindow, QToolBar, QWidget

from .style import set_presentation_scale

__all__ = ["PRESENTATION_SCALE", "PresentationMode", "PresentationScaler", "scaled_font", "scaled_pen"]

PRESENTATION_SCALE = 1.6  # read from the back of a classroom; still fits a 1280x720 projector
_FONT_SIZE = re.compile(r"font-size:\s*([0-9.]+(?:pt|px))")
_ORIGINAL = "_presentation_original"  # what an item or widget was before it was scaled


def scaled_font(font: QFont, scale: float) -> QFont:
    bigger = QFont(font)
    if font.pointSizeF() > 0:
        bigger.setPointSizeF(font.pointSizeF() * scale)
    elif font.pixelSize() > 0:
        bigger.setPixelSize(round(font.pixelSize() * scale))
    return bigger


def scaled_pen(pen: Any, scale: float) -> Any:
    """A copy of ``pen`` that many times wider (a cosmetic 0-width pen counts as 1 px); None stays None."""
    if pen is None:
        return None
    bigger = QPen(pg.mkPen(pen))
    bigger.setWidthF(max(bigger.widthF(), 1.0) * scale)
    return bigger


def _scaled_css_size(size: str, scale: float) -> str:
    """'8pt' -> '12.8pt', '11px' -> '18px'; anything else unchanged."""
    for unit in ("pt", "px"):
        if size.endswith(unit):
            try:
                value = float(size[: -len(unit)])
            except ValueError:
                return size
            return f"{value * scale:g}{unit}" if unit == "pt" else f"{round(value * scale)}{unit}"
    return size


def _original(item: Any, make: Any, name: str = _ORIGINAL) -> Any:
    """The values ``item`` had before any scaling, recorded on first sight."""
    saved = getattr(item, name, None)
    if saved is None:
        saved = make()
        setattr(item, name, saved)
    return saved


class PresentationScaler:
    """Scales one window and everything in it; ``scale`` 1.0 is the window as it was made."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self.scale = 1.0
        self._window_font: QFont | None = None
        self._window_had_font = False

    def apply(self, scale: float) -> None:
        if scale != 1.0 and self.scale == 1.0:
            self._window_font = QFont(self.window.font())
            self._window_had_font = self.window.testAttribute(Qt.WidgetAttribute.WA_SetFont)
        # Widgets with a font of their own, read before any font changes (a parent's new font would show in them).
        # Widgets with a style sheet too: Qt does not hand them their parent's new font.
        own = [w for w in self.window.findChildren(QWidget) if w.testAttribute(Qt.WidgetAttribute.WA_SetFont)
               or w.styleSheet() or hasattr(w, _ORIGINAL)]
        originals = [(w, _original(w, lambda w=w: QFont(w.font()))) for w in own]
        self.scale = scale
        set_presentation_scale(scale)
        base = self._window_font
        if scale == 1.0:
            if base is not None:
                self.window.setFont(base if self._window_had_font else QFont())
        elif base is not None:
            self.window.setFont(scaled_font(base, scale))
        for widget, font in originals:
            widget.setFont(font if scale == 1.0 else scaled_font(font, scale))
            if scale == 1.0:
                delattr(widget, _ORIGINAL)
        # Style sheets: their font sizes scaled, and each set again, so the widget takes its parent's new font.
        for widget in self.window.findChildren(QWidget):
            if widget.styleSheet() or hasattr(widget, "_presentation_sheet"):
                sheet = _original(widget, widget.styleSheet, "_presentation_sheet")
                widget.setStyleSheet(_FONT_SIZE.sub(lambda m: "font-size:" + _scaled_css_size(m.group(1), scale),
                                                    sheet))
                if scale == 1.0:
                    delattr(widget, "_presentation_sheet")
        for bar in self.window.findChildren(QToolBar):
            size = _original(bar, lambda bar=bar: QSize(bar.iconSize()), "_presentation_icons")
            bar.setIconSize(QSize(round(size.width() * scale), round(size.height() * scale)))
        self.refresh()

    def refresh(self) -> None:
        """Scale the plot items of every pyqtgraph view in the window to the current scale (new ones included)."""
        for view in self.window.findChildren(pg.GraphicsView):
            scene = view.scene()
            if scene is None:
                continue
            for item in scene.items():
                self._scale_item(item)

    def _scale_item(self, item: Any) -> None:
        s = self.scale
        if isinstance(item, pg.PlotDataItem):
            pen, size = _original(item, lambda: (item.opts.get("pen"), item.opts.get("symbolSize")))
            if self._differs(item, (pen, size)):
                item.setPen(scaled_pen(pen, s) if s != 1.0 else pen)
                if size is not None:
                    item.setSymbolSize(size * s)
        elif isinstance(item, (pg.PlotCurveItem, pg.ScatterPlotItem)):
            if not isinstance(item.parentItem(), pg.PlotDataItem):  # else scaled with its PlotDataItem
                self._scale_points(item)
        elif isinstance(item, pg.AxisItem):
            self._scale_axis(item)
        elif isinstance(item, pg.LabelItem):
            size, font = _original(item, lambda: (item.opts.get("size"), QFont(item.item.font())))
            if self._differs(item, (size, font)):
                if isinstance(size, str):
                    item.setText(item.text, size=_scaled_css_size(size, s))
                item.item.setFont(scaled_font(font, s))
                item.updateMin()
        elif isinstance(item, pg.TextItem):
            font = _original(item, lambda: QFont(item.textItem.font()))
            if self._differs(item, font):
                item.setFont(scaled_font(font, s))

    def _scale_points(self, item: Any) -> None:
        s = self.scale
        pen, size = _original(item, lambda: (item.opts.get("pen"), item.opts.get("size")))
        if not self._differs(item, (pen, size)):
            return
        if isinstance(item, pg.ScatterPlotItem):
            item.setSize(size * s, update=pen is None)
        if pen is not None:
            item.setPen(scaled_pen(pen, s) if s != 1.0 else pen)

    def _differs(self, item: Any, _original_values: Any) -> bool:
        """Whether ``item`` is not yet drawn at the current scale (so each refresh touches only what changed)."""
        done = getattr(item, "_presentation_scale", 1.0)
        if done == self.scale:
            return False
        item._presentation_scale = self.scale
        return True

    def _scale_axis(self, axis: Any) -> None:
        s = self.scale
        tick_font, label_font, label_size, width, height = _original(axis, lambda: (
            axis.style.get("tickFont"), QFont(axis.label.font()), axis.labelStyle.get("font-size"),
            axis.fixedWidth, axis.fixedHeight))
        if not self._differs(axis, None):
            return
        # A view that fixed an axis's room (to line plots up) gets it scaled too, or the larger title overprints
        # the ticks.
        if width is not None:
            axis.setWidth(round(width * s))
        if height is not None:
            axis.setHeight(round(height * s))
        base = tick_font if tick_font is not None else self._window_font or QFont()
        axis.setTickFont(tick_font if s == 1.0 else scaled_font(base, s))
        axis.label.setFont(scaled_font(label_font, s))
        if isinstance(label_size, str):
            axis.labelStyle["font-size"] = _scaled_css_size(label_size, s)
        axis.label.setHtml(axis.labelString())
        axis.resizeEvent()


class PresentationMode:
    """A main window as a classroom sees it: larger, without the editing chrome (layer palette, inspector,
    problems, data controls, the editing toolbar), the main view taking most of the width and the network beside
    it as a compact diagram. Leaving it gives back the window exactly as it was."""

    CHROME_DOCKS = ("layersDock", "inspectorDock", "problemsDock", "dataDock")
    CHROME_TOOLBARS = ("mainToolbar",)
    MAIN_SHARE = 0.62  # of the window's width, for the main view's column
    REFRESH_MS = 1000  # how soon a plot item a view adds while presenting grows too
    SETTLE_MS = 60

    def __init__(self, window: QMainWindow, fit_network: Callable[[], None]) -> None:
        self.window = window
        self.scaler = PresentationScaler(window)
        self._fit_network = fit_network
        self._state = QByteArray()
        self._lab_changed = False
        # The object names of chrome docks the window's mode keeps hidden even after presenting (Train mode's).
        self.kept_hidden: Callable[[], tuple[str, ...]] = tuple
        self._timer = QTimer(window)
        self._timer.setInterval(self.REFRESH_MS)
        self._timer.timeout.connect(self.scaler.refresh)

    @property
    def active(self) -> bool:
        return self.scaler.scale != 1.0

    def enter(self) -> None:
        if self.active:
            return
        self._state = self.window.saveState()
        self._lab_changed = False
        self.scaler.apply(PRESENTATION_SCALE)
        self._arrange()
        self._timer.start()

    def leave(self) -> None:
        if not self.active:
            return
        self._timer.stop()
        self.scaler.apply(1.0)
        for bar in self.window.findChildren(QToolBar):
            if hasattr(bar, "set_compact"):
                bar.set_compact(False)
        if self._lab_changed:
            # The saved layout is the old lab's: keep the new lab's docks, and give the editor its chrome back.
            kept = self.kept_hidden()
            for dock in self._chrome_docks():
                if dock.toggleViewAction().isVisible() and dock.objectName() not in kept:
                    dock.show()
            for bar in self._chrome_toolbars():
                bar.show()
        else:
            # Once the smaller fonts have given the docks their minimum sizes back: restored against the larger
            # ones, the layout would share the difference out.
            self.window.restoreState(self._state)
            # The docks brought back lay out their tab bars at the smaller font a moment later, which moves the
            # splits by a few pixels: the state puts them back once more then.
            QTimer.singleShot(self.SETTLE_MS, self._restore_sizes)
        QTimer.singleShot(0, self._fit_network)

    def _restore_sizes(self) -> None:
        if not self.active:
            self.window.restoreState(self._state)

    def lab_changed(self) -> None:
        """Another lab opened while presenting: its views are laid out after this, so arrange them once they are."""
        if self.active:
            self._lab_changed = True
            QTimer.singleShot(0, self._arrange)

    def _chrome_docks(self) -> list[QDockWidget]:
        return [d for name in self.CHROME_DOCKS if (d := self.window.findChild(QDockWidget, name)) is not None]

    def _chrome_toolbars(self) -> list[QToolBar]:
        return [t for name in self.CHROME_TOOLBARS if (t := self.window.findChild(QToolBar, name)) is not None]

    def main_view_dock(self) -> QDockWidget | None:
        for dock in self.window.findChildren(QDockWidget):
            widget = dock.widget()
            if widget is not None and widget.property("mainView") is True and dock.isVisible():
                return dock
        return None

    def _arrange(self) -> None:
        if not self.active:
            return
        for dock in self._chrome_docks():
            dock.hide()
        for bar in self._chrome_toolbars():
            bar.hide()
        for bar in self.window.findChildren(QToolBar):
            if hasattr(bar, "set_compact"):
                bar.set_compact(True)
        main = self.main_view_dock()
        if main is not None:
            main.raise_()
            self.window.resizeDocks([main], [int(self.window.width() * self.MAIN_SHARE)],
                                    Qt.Orientation.Horizontal)
        self.scaler.refresh()
        QTimer.singleShot(0, self._fit_network)
