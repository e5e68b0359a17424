"""The lessons that ship with the app, in course order, and lessons opened from elsewhere.

Listing them (the start page, the Lessons menu) reads each file's header only: :func:`shipped_lesson_cards`. A
lesson is read whole, its starting lab built and its steps checked, when it is opened."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import LessonError
from .format import CHAPTERS, EXTENSION, Lesson, LessonCard, read_lesson, read_lesson_card

SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "lessons"


@cache
def shipped_lesson_cards() -> tuple[LessonCard, ...]:
    """Every shipped lesson's card, by chapter (course order) then by its order within the chapter."""
    cards = [read_lesson_card(p) for p in sorted(SHIPPED.glob(f"*{EXTENSION}"))]
    return tuple(sorted(cards, key=lambda x: (CHAPTERS.index(x.chapter), x.order, x.name)))


@cache
def _shipped_lesson(path: str) -> Lesson:
    return read_lesson(path)


def shipped_lessons() -> tuple[Lesson, ...]:
    """Every shipped lesson, read whole, in the order of :func:`shipped_lesson_cards`."""
    return tuple(_shipped_lesson(card.path) for card in shipped_lesson_cards())


def find_lesson(name: str) -> Lesson:
    """A shipped lesson by name, or a lesson file or folder by path."""
    for card in shipped_lesson_cards():
        if card.name == name:
            return _shipped_lesson(card.path)
    path = Path(name)
    if path.suffix == EXTENSION or path.is_dir():
        return read_lesson(path)
    known = ", ".join(x.name for x in shipped_lesson_cards()[:6])
    raise LessonError(f"no lesson called {name!r}; `playground lesson list` lists them (e.g. {known} ...)")


def next_lesson(lesson: Lesson) -> Lesson | None:
    """The lesson to suggest after ``lesson``: its ``@next``, or the one after it in course order."""
    cards = shipped_lesson_cards()
    if lesson.next:
        for other in cards:
            if other.name == lesson.next:
                return _shipped_lesson(other.path)
    names = [x.name for x in cards]
    if lesson.name in names and names.index(lesson.name) + 1 < len(names):
        return _shipped_lesson(cards[names.index(lesson.name) + 1].path)
    return None
