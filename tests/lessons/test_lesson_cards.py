"""Lesson cards: what a list of lessons shows, read from each file's header alone, so the start page and the Lessons
menu list the course without building forty starting labs; a lesson is read whole when it is opened."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.lessons import LessonError, find_lesson, library, next_lesson, read_lesson_card, shipped_lesson_cards
from playground.lessons import format as lesson_format


def test_the_cards_say_what_the_whole_lessons_say_in_the_same_order() -> None:
    cards = shipped_lesson_cards()
    lessons = library.shipped_lessons()
    assert [c.name for c in cards] == [x.name for x in lessons]
    for card, lesson in zip(cards, lessons, strict=True):
        assert (card.title, card.chapter, card.teaches, card.order, card.next, card.path) == \
            (lesson.title, lesson.chapter, lesson.teaches, lesson.order, lesson.next, lesson.path)


def test_listing_the_lessons_builds_no_lesson_and_opening_one_builds_only_it(monkeypatch: pytest.MonkeyPatch
                                                                            ) -> None:
    built: list[str] = []
    real_build = lesson_format._build

    def counting_build(name: str, *args: object) -> object:
        built.append(name)
        return real_build(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lesson_format, "_build", counting_build)
    library.shipped_lesson_cards.cache_clear()
    library._shipped_lesson.cache_clear()
    try:
        cards = shipped_lesson_cards()
        assert len(cards) >= 30 and built == []
        lesson = find_lesson(cards[3].name)
        assert built == [cards[3].name] and lesson.steps
        following = next_lesson(lesson)
        assert following is not None and built == [cards[3].name, following.name]
    finally:
        library.shipped_lesson_cards.cache_clear()
        library._shipped_lesson.cache_clear()


def test_a_card_checks_the_header_as_the_whole_lesson_does(tmp_path: Path) -> None:
    path = tmp_path / "odd.lesson"
    path.write_text("# Odd\n@chapter Cooking\n@teaches Nothing\n@template spiral\n\n## One\nText\n", "utf-8")
    with pytest.raises(LessonError) as raised:
        read_lesson_card(path)
    assert "unknown chapter 'Cooking'" in str(raised.value) and raised.value.line == 2
    path.write_text("# Fine\n@chapter Training\n@teaches Steps\n@order 3\n@template spiral\n\n## One\nText\n",
                    "utf-8")
    card = read_lesson_card(path)
    assert (card.name, card.title, card.chapter, card.teaches, card.order) == ("odd", "Fine", "Training", "Steps", 3)
