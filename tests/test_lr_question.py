"""A learning rate far outside the usual range (above 10) asks once per window (issue 28, item 4):
No puts the previous rate back, Yes takes it and the window asks no more; the warning under the
field stays either way it is taken."""
from __future__ import annotations

import os

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from widgets.testing import Dialogs, close_window, make_window

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
Yes, No = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


@pytest.fixture
def window(qtbot, private_home):
    w = make_window(private_home / "app", "xor_mlp")
    qtbot.waitExposed(w)
    yield w
    close_window(w)


def _typed(editor, text: str) -> None:
    editor.setFocus()
    editor.lineEdit().selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, "\r")


def _questions(dialogs: Dialogs) -> list[tuple[str, str, str]]:
    return [d for d in dialogs.shown if d[0] == "question"]


def test_no_puts_the_previous_rate_back_and_asks_again_next_time(window, monkeypatch):
    dialogs = Dialogs(monkeypatch)                      # any question beyond the answers fails the test
    editor, before = window.training_panel.editors["lr"], window.doc.preset.training.lr
    assert before <= 10
    steps = window.doc.undo_stack.count()
    dialogs.answers = [No]
    _typed(editor, "100")
    asked = _questions(dialogs)
    assert len(asked) == 1
    assert "Learning rate 100 is far above the usual range (1e-4 … 1)" in asked[0][2]
    assert asked[0][2].rstrip().endswith("Use it anyway?")
    assert window.doc.preset.training.lr == before                   # not taken ...
    assert editor.value() == pytest.approx(before)                   # ... and the field shows the old rate
    assert window.doc.undo_stack.count() == steps                    # nothing to undo
    assert window.training_panel.field_notes["lr"].isHidden()
    dialogs.answers = [No]
    _typed(editor, "50")                                             # a No does not stop the next question
    assert len(_questions(dialogs)) == 2 and window.doc.preset.training.lr == before


def test_yes_takes_it_with_the_warning_and_the_window_asks_no_more(window, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    editor = window.training_panel.editors["lr"]
    dialogs.answers = [Yes]
    _typed(editor, "100")
    assert len(_questions(dialogs)) == 1
    assert window.doc.preset.training.lr == 100.0
    note = window.training_panel.field_notes["lr"]
    assert not note.isHidden() and "above 10" in note.text()        # the warning stays
    _typed(editor, "0.01")
    _typed(editor, "50")                                             # a second large rate: no question
    assert len(_questions(dialogs)) == 1                             # (Dialogs would fail an unexpected one)
    assert window.doc.preset.training.lr == 50.0


def test_rates_up_to_10_ask_nothing(window, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    editor = window.training_panel.editors["lr"]
    for text, value in (("10", 10.0), ("0.5", 0.5)):
        _typed(editor, text)
        assert window.doc.preset.training.lr == value
    assert not _questions(dialogs)


def test_each_window_asks_for_itself(window, monkeypatch, private_home, qtbot):
    dialogs = Dialogs(monkeypatch)
    dialogs.answers = [Yes]
    _typed(window.training_panel.editors["lr"], "100")
    other = make_window(private_home / "other", "xor_mlp")
    try:
        qtbot.waitExposed(other)
        dialogs.answers = [Yes]
        _typed(other.training_panel.editors["lr"], "20")
        assert len(_questions(dialogs)) == 2 and other.doc.preset.training.lr == 20.0
    finally:
        close_window(other)
