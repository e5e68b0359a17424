"""The start page: the lessons by chapter (the first one offered to a newcomer), every template with one line saying
what it teaches, a blank lab, and Open."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from playground.graph.templates import TEMPLATES
from playground.lessons import shipped_lessons

CARD_STYLE = """
QPushButton {
  text-align: left; padding: 10px 12px; border: 1px solid #c5d0da; border-radius: 8px; background: white;
}
QPushButton:hover { border: 1px solid #1e88e5; background: #f0f7ff; }
"""


class StartPage(QWidget):
    template_chosen = Signal(str)
    lesson_chosen = Signal(str)
    blank_chosen = Signal()
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("startPage")
        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        # Cards shrink with the window instead of pushing a horizontal scroll bar out.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        body = QWidget()
        body.setStyleSheet(CARD_STYLE)
        scroll.setWidget(body)
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
        self._add_lessons(layout)
        heading = QLabel("Templates")
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; margin-top: 14px;")
        layout.addWidget(heading)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.buttons: dict[str, QPushButton] = {}
        for i, (key, template) in enumerate(TEMPLATES.items()):
            button = QPushButton(f"{template.title}\n{template.teaches}")
            button.setObjectName(f"template_{key}")
            button.setMinimumHeight(58)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(f"Open the '{template.title}' template")
            button.clicked.connect(lambda _=False, k=key: self.template_chosen.emit(k))
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[key] = button
        layout.addLayout(grid)
        layout.addStretch(1)

    def _add_lessons(self, layout: QVBoxLayout) -> None:
        lessons = shipped_lessons()
        if not lessons:
            return
        heading = QLabel("Lessons")
        heading.setStyleSheet("font-size: 13pt; font-weight: bold; margin-top: 14px;")
        layout.addWidget(heading)
        self.first_lesson = QPushButton(f"New here? Start with the first lesson: {lessons[0].title}")
        self.first_lesson.setObjectName("startFirstLesson")
        self.first_lesson.setStyleSheet("QPushButton { background: #1e88e5; color: white; font-weight: bold; "
                                        "border: none; } QPushButton:hover { background: #1565c0; }")
        self.first_lesson.setCursor(Qt.CursorShape.PointingHandCursor)
        self._first_name = lessons[0].name
        self.first_lesson.clicked.connect(lambda: self.lesson_chosen.emit(self._first_name))
        layout.addWidget(self.first_lesson)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.lesson_buttons: dict[str, QPushButton] = {}
        chapters: list[str] = []
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
        lessons = shipped_lessons()
        for name, button in getattr(self, "lesson_buttons", {}).items():
            title = next(x.title for x in lessons if x.name == name)
            button.setText(("✓ " if name in finished else "") + title)
        todo = [x for x in lessons if x.name not in finished]
        if todo and hasattr(self, "first_lesson"):
            self._first_name = todo[0].name
            lead = "New here? Start with the first lesson" if not finished else "Go on with the next lesson"
            self.first_lesson.setText(f"{lead}: {todo[0].title}")
