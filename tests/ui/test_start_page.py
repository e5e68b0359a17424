"""The start page: template cards by course chapter with the app's own thumbnails, keyboard navigation, and the
lessons part."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from playground.graph.templates import TEMPLATES, Template
from playground.lessons import shipped_lessons
from playground.ui.start_page import (
    CARD_WIDTH,
    CHAPTERS,
    MORE_CHAPTER,
    THUMBNAIL_SIZE,
    THUMBNAILS,
    StartPage,
    template_chapters,
)


@pytest.fixture
def page(qtbot: QtBot, tmp_path: Path) -> StartPage:
    widget = StartPage(thumbnails=tmp_path)
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_every_template_has_one_card_in_course_order(page: StartPage) -> None:
    order = page.card_order()
    assert sorted(order) == sorted(TEMPLATES)
    assert len(order) == len(set(order))
    chapter_names = [name for name, _ in page.chapters]
    assert chapter_names[:7] == ["Linear models", "Multilayer networks", "Training", "Convolutional networks",
                                 "Autoencoders", "Generative models", "Sequences"]
    assert order.index("logistic_regression") < order.index("spiral") < order.index("lenet") \
        < order.index("autoencoder") < order.index("gan") < order.index("char_rnn")


def test_a_template_no_chapter_names_still_gets_a_card() -> None:
    extra = Template("brand_new", "Brand new", "Something no chapter lists yet.", TEMPLATES["spiral"].build)
    groups = template_chapters({**TEMPLATES, "brand_new": extra})
    assert groups[-1] == (MORE_CHAPTER, ["brand_new"])
    assert all(key in TEMPLATES for _, keys in CHAPTERS for key in keys), "a chapter names an unknown template"


def test_each_card_shows_the_whole_description_wrapped_and_as_tooltip(page: StartPage) -> None:
    page.resize(700, 600)  # narrow: long descriptions must wrap, not be cut
    QApplication.processEvents()
    for key, card in page.cards.items():
        teaches = TEMPLATES[key].teaches
        assert card.description.text() == teaches
        assert card.description.wordWrap()
        assert teaches in card.toolTip()
        assert TEMPLATES[key].title in card.title.text()
    card = page.cards["translation_experiment"]  # one of the longest lines
    page.scroll_area.ensureWidgetVisible(card)
    QApplication.processEvents()
    label = card.description
    needed = label.heightForWidth(label.width())
    assert label.height() >= needed > label.fontMetrics().height()  # on more than one row, all of it shown


def test_cards_show_their_thumbnail_and_a_card_without_one_shows_none(qtbot: QtBot, tmp_path: Path) -> None:
    pixmap = QPixmap(*THUMBNAIL_SIZE)
    pixmap.fill(QColor("orange"))
    assert pixmap.save(str(tmp_path / "spiral.png"))
    page = StartPage(thumbnails=tmp_path)
    qtbot.addWidget(page)
    shown = page.cards["spiral"].thumbnail
    assert shown is not None and shown.pixmap().size() == pixmap.size()
    assert page.cards["gan"].thumbnail is None  # no PNG for it: the card stands on its text alone
    assert page.cards["gan"].description.text() == TEMPLATES["gan"].teaches


def test_a_broken_thumbnail_file_leaves_the_card_without_one(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "lenet.png").write_bytes(b"not a png")
    page = StartPage(thumbnails=tmp_path)
    qtbot.addWidget(page)
    assert page.cards["lenet"].thumbnail is None


# Their data are downloaded from the window; where they were not, the main view is a placeholder, and the card
# goes without a picture rather than show one.
NEEDS_A_DOWNLOAD = {"cifar_cnn"}


def test_every_template_ships_a_small_thumbnail_of_the_card_size() -> None:
    for key in set(TEMPLATES) - NEEDS_A_DOWNLOAD:
        path = THUMBNAILS / f"{key}.png"
        assert path.is_file(), f"no thumbnail for {key}: python -m playground.app.thumbnails {key}"
        assert path.stat().st_size < 12_000, f"{path} is {path.stat().st_size} bytes"
        image = QPixmap(str(path))
        assert (image.width(), image.height()) == THUMBNAIL_SIZE


def test_clicking_a_card_opens_its_template(qtbot: QtBot, page: StartPage) -> None:
    card = page.cards["lenet"]
    page.scroll_area.ensureWidgetVisible(card)
    with qtbot.waitSignal(page.template_chosen) as signal:
        QTest.mouseClick(card, Qt.MouseButton.LeftButton)
    assert signal.args == ["lenet"]


def test_arrow_keys_move_between_cards_and_enter_opens_one(qtbot: QtBot, page: StartPage) -> None:
    page.resize(900, 700)  # fewer columns than the five cards of the multilayer chapter
    QApplication.processEvents()
    order = page.card_order()
    first = page.cards[order[0]]
    first.setFocus()
    QApplication.processEvents()
    QTest.keyClick(first, Qt.Key.Key_Right)
    assert page.cards[order[1]].hasFocus()
    QTest.keyClick(page.cards[order[1]], Qt.Key.Key_Left)
    assert first.hasFocus()
    # Down from the only card of the first chapter: into the next chapter's first row.
    QTest.keyClick(first, Qt.Key.Key_Down)
    multilayer = page.chapters[1][1]
    assert page.cards[multilayer[0]].hasFocus()
    columns = page.columns
    assert 1 < columns < len(multilayer)
    QTest.keyClick(page.cards[multilayer[0]], Qt.Key.Key_Down)
    assert page.cards[multilayer[columns]].hasFocus()  # one row down
    QTest.keyClick(page.cards[multilayer[columns]], Qt.Key.Key_Up)
    assert page.cards[multilayer[0]].hasFocus()
    with qtbot.waitSignal(page.template_chosen) as signal:
        QTest.keyClick(page.cards[multilayer[0]], Qt.Key.Key_Return)
    assert signal.args == [multilayer[0]]
    with qtbot.waitSignal(page.template_chosen) as signal:
        QTest.keyClick(page.cards[multilayer[0]], Qt.Key.Key_Space)
    assert signal.args == [multilayer[0]]


def test_the_columns_follow_the_width_of_the_page(page: StartPage) -> None:
    page.resize(900, 700)
    QApplication.processEvents()
    wide = page.columns
    page.resize(560, 700)
    QApplication.processEvents()
    assert page.columns < wide
    card = page.cards["spiral"]
    assert card.width() >= CARD_WIDTH  # the thumbnail and a few words a row still fit
    page.resize(1920, 1000)
    QApplication.processEvents()
    assert page.columns > wide


def test_space_on_a_card_opens_it_rather_than_playing(qtbot: QtBot, page: StartPage) -> None:
    """Space is the window's Play shortcut; a focused card takes it first, as a focused button does."""
    from PySide6.QtGui import QAction, QKeySequence

    played: list[bool] = []
    play = QAction("Play", page)
    play.setShortcut(QKeySequence("Space"))
    play.triggered.connect(lambda: played.append(True))
    page.addAction(play)
    card = page.cards["gan"]
    page.scroll_area.ensureWidgetVisible(card)
    card.setFocus()
    QApplication.processEvents()
    with qtbot.waitSignal(page.template_chosen) as signal:
        QTest.keyClick(card, Qt.Key.Key_Space)
    assert signal.args == ["gan"] and not played


def test_cards_take_the_focus_by_tab(page: StartPage) -> None:
    assert all(card.focusPolicy() == Qt.FocusPolicy.StrongFocus for card in page.cards.values())


def test_the_first_lesson_is_offered_and_finished_lessons_are_ticked(qtbot: QtBot, page: StartPage) -> None:
    lessons = shipped_lessons()
    assert lessons[0].title in page.first_lesson.text()
    with qtbot.waitSignal(page.lesson_chosen) as signal:
        page.first_lesson.click()
    assert signal.args == [lessons[0].name]
    page.mark_finished({lessons[0].name})
    assert page.lesson_buttons[lessons[0].name].text().startswith("✓ ")
    assert lessons[1].title in page.first_lesson.text()
    with qtbot.waitSignal(page.lesson_chosen) as signal:
        page.lesson_buttons[lessons[2].name].click()
    assert signal.args == [lessons[2].name]


def test_the_start_page_lists_the_lessons_without_building_any(qtbot: QtBot, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Building every lesson's starting lab took most of a second before the window's first paint.
    from playground.lessons import format as lesson_format
    from playground.lessons import library

    def refuse(*_args: object) -> None:
        raise AssertionError("a lesson was built to list it")

    lessons = len(shipped_lessons())
    monkeypatch.setattr(lesson_format, "_build", refuse)
    library.shipped_lesson_cards.cache_clear()
    library._shipped_lesson.cache_clear()
    try:
        widget = StartPage(thumbnails=tmp_path)
        qtbot.addWidget(widget)
        widget.mark_finished(set())
        assert len(widget.lesson_buttons) == lessons
    finally:
        library.shipped_lesson_cards.cache_clear()
        library._shipped_lesson.cache_clear()
