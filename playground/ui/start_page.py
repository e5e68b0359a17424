"""The start page: a blank lab, Open, the first lesson offered to a newcomer; the templates by course chapter as cards
with a thumbnail of what each one shows after a little training and the one line saying what it teaches; the
lessons by chapter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from playground.graph.templates import TEMPLATES, Template
from playground.lessons import shipped_lesson_cards

# Rendered by the app itself (python -m playground.app.thumbnails), one PNG per template key.
THUMBNAILS = Path(__file__).resolve().parents[1] / "resources" / "thumbnails"
THUMBNAIL_SIZE = (176, 110)
# A card is at least this wide, so its thumbnail and a few words per row fit; the columns follow the page's width.
CARD_WIDTH = 200
MAX_COLUMNS = 5

# The course order: each chapter's templates in the order a student meets them. The chapter names are the
# lessons' own, so a lesson and the templates it uses sit under the same heading.
CHAPTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Linear models", ("logistic_regression",)),
    ("Multilayer networks", ("tensorflow_playground", "spiral", "multiclass_spiral", "universal_approximation",
                             "regression_plane")),
    ("Training", ("backprop_worked_example", "residual_block")),
    ("Convolutional networks", ("mnist_1_layer", "mnist_2_layers", "lenet", "translation_experiment", "cifar_cnn",
                                "transfer_digit_cnn", "transfer_parity_finetune")),
    ("Autoencoders", ("autoencoder", "conv_autoencoder", "denoising_autoencoder", "sparse_autoencoder",
                      "transfer_autoencoder", "transfer_few_labels")),
    ("Generative models", ("vae", "gan", "gan_digits")),
    ("Sequences", ("lstm_sequence", "sequence_classifier", "char_rnn")),
)
OPEN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
# A template no chapter names yet still gets its card, under this heading, rather than vanishing from the page.
MORE_CHAPTER = "More templates"

CARD_STYLE = """
QPushButton {
  text-align: left; padding: 10px 12px; border: 1px solid #c5d0da; border-radius: 8px; background: white;
}
QPushButton:hover { border: 1px solid #1e88e5; background: #f0f7ff; }
TemplateCard { border: 1px solid #c5d0da; border-radius: 8px; background: white; }
TemplateCard:hover { border: 1px solid #1e88e5; background: #f0f7ff; }
TemplateCard:focus { border: 2px solid #1e88e5; background: #f0f7ff; }
"""


def template_chapters(templates: dict[str, Template] | None = None) -> list[tuple[str, list[str]]]:
    """The templates grouped by chapter in course order; every template exactly once, unknown keys skipped."""
    templates = TEMPLATES if templates is None else templates
    placed: set[str] = set()
    groups: list[tuple[str, list[str]]] = []
    for chapter, keys in CHAPTERS:
        present = [k for k in keys if k in templates and k not in placed]
        placed.update(present)
        if present:
            groups.append((chapter, present))
    rest = [k for k in templates if k not in placed]
    if rest:
        groups.append((MORE_CHAPTER, rest))
    return groups


def thumbnail_path(key: str, folder: Path = THUMBNAILS) -> Path:
    return folder / f"{key}.png"


class TemplateCard(QFrame):
    """One template: its thumbnail (when there is one), its title and its whole one-line description, wrapped.
    Clicked, or Return/Enter/Space while it has the focus, opens it."""

    activated = Signal(str)

    def __init__(self, template: Template, thumbnail: QPixmap | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = template.key
        self.setObjectName(f"template_{template.key}")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        # Styled backgrounds and borders of a QFrame subclass need this attribute.
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setToolTip(f"<b>{template.title}</b><br>{template.teaches}<br><i>Click or press Enter to open it.</i>")
        self.setAccessibleName(template.title)
        self.setAccessibleDescription(template.teaches)
        # Horizontally the card takes its column's width; its height follows the wrapped text.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        column = QVBoxLayout(self)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(4)
        self.thumbnail: QLabel | None = None
        if thumbnail is not None and not thumbnail.isNull():
            self.thumbnail = QLabel()
            self.thumbnail.setObjectName("templateThumbnail")
            self.thumbnail.setPixmap(thumbnail)
            self.thumbnail.setFixedSize(thumbnail.size())
            self.thumbnail.setStyleSheet("border: 1px solid #e0e6ec; background: white;")
            column.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignHCenter)
            column.addSpacing(4)
        self.title = QLabel(template.title)
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: bold; font-size: 10.5pt; color: #1f3a5f; border: none;"
                                 "background: transparent;")
        self.description = QLabel(template.teaches)
        self.description.setObjectName("templateDescription")
        self.description.setWordWrap(True)  # the whole line, on as many rows as it needs: never elided
        self.description.setStyleSheet("color: #455a64; border: none; background: transparent;")
        for label in (self.title, self.description):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
            # The card takes the clicks, so the labels never swallow a press or show a text cursor.
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
            column.addWidget(label)
        column.addStretch(1)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit(self.key)
            return
        super().mouseReleaseEvent(event)

    def event(self, event: QEvent) -> bool:
        # Space is also the window's Play shortcut: on a focused card it opens the card, as a button would.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() in OPEN_KEYS:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in OPEN_KEYS:
            self.activated.emit(self.key)
            return
        super().keyPressEvent(event)


class StartPage(QWidget):
    template_chosen = Signal(str)
    lesson_chosen = Signal(str)
    blank_chosen = Signal()
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None, thumbnails: Path = THUMBNAILS) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        outer = QVBoxLayout(self)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # Cards shrink with the window instead of pushing a horizontal scroll bar out.
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(self.scroll_area)
        body = QWidget()
        body.setStyleSheet(CARD_STYLE)
        self.scroll_area.setWidget(body)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(40, 30, 40, 30)
        title = QLabel("Neural Network Playground")
        title.setStyleSheet("font-size: 22pt; font-weight: bold; color: #1f3a5f;")
        subtitle = QLabel("Learn deep learning by doing: start from a template, change it, and see every shape "
                          "and parameter count update as you edit.")
        subtitle.setWordWrap(True)
        subtitle.setStyleSheet("font-size: 11pt; color: #455a64;")
        layout.addWidget(title)
        layout.addWidget(subtitle)
        row = QHBoxLayout()
        blank = QPushButton("Blank lab")
        blank.setObjectName("startBlank")
        blank.setToolTip("An Input and an Output, nothing between: build your own network")
        blank.clicked.connect(self.blank_chosen)
        open_button = QPushButton("Open a lab…")
        open_button.setObjectName("startOpen")
        open_button.clicked.connect(self.open_requested)
        row.addWidget(blank)
        row.addWidget(open_button)
        row.addStretch(1)
        layout.addSpacing(10)
        layout.addLayout(row)
        self._add_first_lesson(layout)
        self._add_templates(layout, thumbnails)
        self._add_lessons(layout)
        layout.addStretch(1)

    def _add_templates(self, layout: QVBoxLayout, thumbnails: Path) -> None:
        heading = QLabel("Templates")
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; margin-top: 10px;")
        layout.addWidget(heading)
        hint = QLabel("Each picture is the template's main view after a little training. Open one, then press Space "
                      "to train it.")
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #455a64;")
        layout.addWidget(hint)
        self.cards: dict[str, TemplateCard] = {}
        self._grids: list[QGridLayout] = []
        self._columns = 0
        self.chapters: list[tuple[str, list[str]]] = template_chapters()
        # In reading order, for the arrow keys: row by row within a chapter, then the next chapter.
        self._grid_places: dict[str, tuple[int, int]] = {}
        for number, (chapter, keys) in enumerate(self.chapters):
            label = QLabel(chapter)
            label.setObjectName(f"templateChapter{number}")
            label.setStyleSheet("font-weight: bold; color: #1f3a5f; font-size: 11pt; margin-top: 10px;")
            layout.addWidget(label)
            grid = QGridLayout()
            grid.setSpacing(10)
            for i, key in enumerate(keys):
                path = thumbnail_path(key, thumbnails)
                pixmap = QPixmap(str(path)) if path.is_file() else None
                card = TemplateCard(TEMPLATES[key], pixmap)
                card.activated.connect(self.template_chosen)
                card.installEventFilter(self)
                self.cards[key] = card
                self._grid_places[key] = (number, i)
            self._grids.append(grid)
            layout.addLayout(grid)
        self._place_cards(3)

    @property
    def columns(self) -> int:
        return self._columns

    def _place_cards(self, columns: int) -> None:
        """Lay the cards of each chapter out in rows of ``columns``, every column equally wide."""
        self._columns = columns
        for grid, (_chapter, keys) in zip(self._grids, self.chapters, strict=True):
            for key in keys:
                grid.removeWidget(self.cards[key])
            for column in range(MAX_COLUMNS):
                grid.setColumnStretch(column, 1 if column < columns else 0)
            for i, key in enumerate(keys):
                grid.addWidget(self.cards[key], i // columns, i % columns)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        # The room the cards have: the page less the margins around the cards and a scroll bar (the scroll area
        # itself is resized only after this event).
        room = event.size().width() - 120
        columns = max(1, min(MAX_COLUMNS, (room + 10) // (CARD_WIDTH + 10)))
        if columns != self._columns:
            self._place_cards(columns)

    def card_order(self) -> list[str]:
        """The template keys in the order of the page: by chapter, then row by row."""
        return [key for _, keys in self.chapters for key in keys]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, TemplateCard) and event.type() == QEvent.Type.KeyPress \
                and isinstance(event, QKeyEvent):
            target = self._neighbour(watched.key, event.key())
            if target is not None:
                card = self.cards[target]
                card.setFocus(Qt.FocusReason.OtherFocusReason)
                self.scroll_area.ensureWidgetVisible(card)
                return True
        return super().eventFilter(watched, event)

    def _neighbour(self, key: str, pressed: int) -> str | None:
        """The card an arrow key moves to: left and right along the page's order, up and down by a row within a
        chapter, or into the nearest row of the chapter before or after."""
        order = self.card_order()
        at = order.index(key)
        if pressed == Qt.Key.Key_Right:
            return order[at + 1] if at + 1 < len(order) else None
        if pressed == Qt.Key.Key_Left:
            return order[at - 1] if at > 0 else None
        if pressed not in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            return None
        chapter, index = self._grid_places[key]
        keys = self.chapters[chapter][1]
        columns = self._columns
        column = index % columns
        step = columns if pressed == Qt.Key.Key_Down else -columns
        if 0 <= index + step < len(keys):
            return keys[index + step]
        if pressed == Qt.Key.Key_Down:
            if index // columns < (len(keys) - 1) // columns:  # a short last row below: its last card
                return keys[-1]
            if chapter + 1 < len(self.chapters):
                below = self.chapters[chapter + 1][1]
                return below[min(column, len(below) - 1)]
            return None
        if chapter > 0:
            above = self.chapters[chapter - 1][1]
            last_row = (len(above) - 1) // columns * columns
            return above[min(last_row + column, len(above) - 1)]
        return None

    def _add_first_lesson(self, layout: QVBoxLayout) -> None:
        lessons = shipped_lesson_cards()
        if not lessons:
            return
        self.first_lesson = QPushButton(f"New here? Start with the first lesson: {lessons[0].title}")
        self.first_lesson.setObjectName("startFirstLesson")
        self.first_lesson.setStyleSheet("QPushButton { background: #1e88e5; color: white; font-weight: bold; "
                                        "border: none; } QPushButton:hover { background: #1565c0; }")
        self.first_lesson.setCursor(Qt.CursorShape.PointingHandCursor)
        self._first_name = lessons[0].name
        self.first_lesson.clicked.connect(lambda: self.lesson_chosen.emit(self._first_name))
        layout.addSpacing(6)
        layout.addWidget(self.first_lesson)

    def _add_lessons(self, layout: QVBoxLayout) -> None:
        lessons = shipped_lesson_cards()
        if not lessons:
            return
        heading = QLabel("Lessons")
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; margin-top: 18px;")
        layout.addWidget(heading)
        intro = QLabel("Step by step, with goals the app checks as you go.")
        intro.setStyleSheet("color: #455a64;")
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.lesson_buttons: dict[str, QPushButton] = {}
        chapters: list[str] = []
        column = 0
        for lesson in lessons:
            if lesson.chapter not in chapters:
                chapters.append(lesson.chapter)
                label = QLabel(lesson.chapter)
                label.setStyleSheet("font-weight: bold; color: #1f3a5f; margin-top: 6px;")
                grid.addWidget(label, grid.rowCount(), 0, 1, 2)
                column = 0
            button = QPushButton(f"{lesson.title}")
            button.setObjectName(f"lesson_{lesson.name}")
            button.setToolTip(lesson.teaches)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, n=lesson.name: self.lesson_chosen.emit(n))
            row = grid.rowCount() - (1 if column else 0)
            grid.addWidget(button, row, column)
            column = 1 - column
            self.lesson_buttons[lesson.name] = button
        layout.addLayout(grid)

    def mark_finished(self, finished: set[str]) -> None:
        """Tick the lessons this user finished and offer the first one not finished."""
        lessons = shipped_lesson_cards()
        for name, button in getattr(self, "lesson_buttons", {}).items():
            title = next(x.title for x in lessons if x.name == name)
            button.setText(("✓ " if name in finished else "") + title)
        todo = [x for x in lessons if x.name not in finished]
        if todo and hasattr(self, "first_lesson"):
            self._first_name = todo[0].name
            lead = "New here? Start with the first lesson" if not finished else "Go on with the next lesson"
            self.first_lesson.setText(f"{lead}: {todo[0].title}")
