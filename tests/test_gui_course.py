"""The course map in the app (issue 28): the start page lists every chapter with its lessons,
a lesson run to its end is ticked and stays ticked in a new window, "Next lesson" opens the
following lesson, and File ▸ Examples has the chapters as submenus."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QUrl
from PySide6.QtWidgets import QMessageBox

from playground.core.builtin_data import lessons_dir
from playground.course.chapters import CHAPTERS
from widgets.main_window import MainWindow
from widgets.testing import close_window, make_window

TIMEOUT = 60_000
NOTES_CHAPTERS = ("perceptron", "activations", "losses and softmax", "optimization", "initialization and normalization",
                  "regularization", "convolutional", "recurrent", "autoencoders", "beyond supervised", "craft of training")
"""The issue's chapters, in the order of the notes."""


@pytest.fixture(autouse=True)
def no_dialogs(monkeypatch, runs_dir):
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError(a[1:3])))


def test_the_start_page_opens_with_the_app_and_lists_every_chapter_and_lesson(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, tmp_path / "state")
    window.show()
    window.finish_startup(None, course_at_start=True)   # as the app starts with no file named
    qtbot.waitUntil(lambda: getattr(window, "course_page", None) is not None and window.course_page.isVisible())
    page = window.course_page
    text = page.browser.toPlainText().lower()
    positions = [text.find(word) for word in NOTES_CHAPTERS]
    assert -1 not in positions and positions == sorted(positions)      # every chapter, in the notes' order
    lessons = sorted(p.stem for p in lessons_dir().glob("*.md"))
    assert all(name in text for name in lessons)                       # every lesson on disk is on the map
    assert page.browser.toHtml().count("href=\"lesson:") == len(lessons)
    page.browser.anchorClicked.emit(QUrl("lesson:deep_relu"))
    assert window.doc.preset.name == "deep_relu"                        # a click opens the lesson's preset
    assert not page.isVisible()                                         # … and the map steps aside for it
    window.show_course()
    assert page.isVisible()
    from widgets.labs.window import PAGES
    assert {lab for chapter in CHAPTERS for lab in chapter.labs} <= set(PAGES)   # every lab link has a lab
    page.browser.anchorClicked.emit(QUrl("lab:backprop"))
    assert window._labs.isVisible() and window._labs.tabs.currentWidget() is window._labs.pages["backprop"]
    close_window(window)
    again = make_window(tmp_path, "xor_mlp")                           # a preset named: no start page
    assert getattr(again, "course_page", None) is None
    close_window(again)


def test_a_lesson_run_to_its_end_is_ticked_and_stays_ticked_after_a_restart(qtbot, tmp_path):
    window = make_window(tmp_path)
    assert window.open_example("xor_mlp")
    window._open_labs()                                                # a lab opened before training…
    gallery = window._labs.pages["activations"]
    assert gallery.unit_box.itemText(0).startswith("(train a model")
    window.doc.set_training("seed", 3)   # another seed is still the lesson's run (its claims hold over seeds)
    window.train_start_pause()
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=TIMEOUT)
    qtbot.waitUntil(gallery.unit_box.isEnabled, timeout=5000)                                     # …reads it
    assert gallery.unit_box.itemText(0).startswith("tanh (Tanh)")
    stored = (tmp_path / "settings.ini").read_text(encoding="utf-8")
    assert "xor_mlp" in stored.split("[course]", 1)[1]                 # in the settings file on disk
    close_window(window)

    again = make_window(tmp_path)                                      # a new window, the same settings
    again.show_course()
    assert again.course_page.ticked() == {"xor_mlp"}
    again.examples_menu.aboutToShow.emit()
    texts = [a.text() for m in again.examples_menu.actions() if m.menu() for a in m.menu().actions()]
    assert [t for t in texts if t.startswith("✓")] == [t for t in texts if t.startswith("✓ xor_mlp ")]
    assert any(t.startswith("✓ xor_mlp ") for t in texts)
    close_window(again)


def test_a_lesson_trained_on_other_data_is_not_ticked(qtbot, tmp_path):
    from widgets.commands import SetData
    from playground.network.spec import DataSpec
    window = make_window(tmp_path)
    assert window.open_example("xor_mlp")
    window.doc.push(SetData(window.doc, DataSpec("circle", {}), "Use circle"))   # the same shapes, other data
    window.doc.set_training("epochs", 2)
    window.train_start_pause()
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=TIMEOUT)
    window.show_course()
    assert "xor_mlp" not in window.course_page.ticked()
    close_window(window)


def test_a_lesson_run_with_its_settings_changed_is_not_ticked_and_the_status_says_which(qtbot, tmp_path):
    """A run of 2 epochs where the lesson trains 80 shows something else than the lesson says."""
    window = make_window(tmp_path)
    assert window.open_example("xor_mlp")
    window.doc.set_training("epochs", 2)
    window.train_start_pause()
    qtbot.waitUntil(lambda: window.controller.state == "finished", timeout=TIMEOUT)
    message = window.statusBar().currentMessage()
    assert "not ticked" in message and "epochs=2" in message
    window.show_course()
    assert "xor_mlp" not in window.course_page.ticked()
    close_window(window)


def test_next_lesson_opens_the_following_lesson_across_chapters(qtbot, tmp_path):
    window = make_window(tmp_path)
    button = window.lesson_view.next_button
    first, second = CHAPTERS[0].lessons, CHAPTERS[1].lessons
    assert window.open_example(first[0])
    assert button.isVisibleTo(window.lesson_view) and first[1] in button.text()
    button.click()
    assert window.doc.preset.name == first[1] and window.lesson_view.lesson.preset == first[1]
    assert window.open_example(first[-1])                              # the first chapter's last lesson
    button.click()
    assert window.doc.preset.name == second[0]                         # the second chapter's first
    assert "Chapter 2 · Activations" in window.lesson_view.text.toPlainText()
    assert window.open_example(CHAPTERS[-1].lessons[-1])               # the course's last lesson
    assert not button.isVisibleTo(window.lesson_view)
    close_window(window)


def test_the_examples_menu_has_the_chapters_as_submenus(qtbot, tmp_path):
    window = make_window(tmp_path, "xor_mlp")
    window.examples_menu.aboutToShow.emit()
    menus = [a.menu() for a in window.examples_menu.actions() if a.menu() is not None]
    titles = [m.title().replace("&", "").lower() for m in menus]
    for word, title in zip(NOTES_CHAPTERS, titles):
        assert word in title, (word, title)
    for menu, chapter in zip(menus, CHAPTERS):                         # each chapter's lessons, in its order
        assert [a.text().split()[0] for a in menu.actions()] == list(chapter.lessons)
    close_window(window)
