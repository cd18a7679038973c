"""The window fits a 1366×768 laptop and has no dead ends: every panel tab is on screen (the
Diagnoses count always), a refused number says the range, an unusual learning rate is taken, once
asked, with a warning, Reset Weights says what happens to trained weights, and quitting prints nothing."""
from __future__ import annotations

import os
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QTabBar

from widgets.testing import Dialogs, close_window, make_window

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture
def window(qtbot, private_home):
    w = make_window(private_home / "app", "xor_mlp")
    w.resize(1366, 768)
    w.fit_docks()
    qtbot.waitExposed(w)
    yield w
    close_window(w)


def _tab_bar_holding(window, text: str) -> tuple[QTabBar, int]:
    for bar in window.findChildren(QTabBar):
        for k in range(bar.count()):
            if bar.isVisible() and bar.tabText(k).replace("&&", "&").startswith(text):
                return bar, k
    raise AssertionError(f"no visible tab {text!r}")


def _typed(qtbot, editor, text: str) -> None:
    editor.setFocus()
    editor.lineEdit().selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)


def _train_to_the_end(window, qtbot) -> None:
    window.doc.set_training("epochs", 1)
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "finished" and window.doc.trained is not None,
                    timeout=60_000)


def test_at_1366x768_every_tab_is_on_screen_and_the_diagnoses_tab_always(window, qtbot):
    qtbot.waitUntil(lambda: window.width() == 1366)
    bar, k = _tab_bar_holding(window, "Diagnoses")
    assert bar.rect().contains(bar.tabRect(k))                       # not behind the scroll arrows
    assert not window.panel_docks["Diagnoses"].isHidden()
    for group in ("Training", "Inside the network"):
        window.show_panel_group(group)
        bars = [b for b in window.findChildren(QTabBar) if b.isVisible() and b.count()]
        for b in bars:
            assert all(b.rect().contains(b.tabRect(i)) for i in range(b.count())), \
                [b.tabText(i) for i in range(b.count())]
        _tab_bar_holding(window, "Diagnoses")                       # still there in either group
    for title, dock in window.panel_docks.items():                   # every panel reachable from the menu
        window.show_panel(title)
        assert dock.isVisible() and not dock.visibleRegion().isEmpty(), title


def test_the_chosen_panel_group_is_remembered(qtbot, private_home):
    w = make_window(private_home / "app", "xor_mlp")
    w.show_panel_group("Inside the network")
    shown = {t for t, d in w.panel_docks.items() if not d.isHidden()}
    assert "Activations" in shown and "Loss & accuracy" not in shown
    close_window(w)
    again = make_window(private_home / "app", "xor_mlp")
    assert not again.panel_docks["Activations"].isHidden() and again.panel_docks["Loss & accuracy"].isHidden()
    close_window(again)


def test_a_learning_rate_out_of_range_says_the_range(window, qtbot):
    editor = window.training_panel.editors["lr"]
    before = window.doc.preset.training.lr
    _typed(qtbot, editor, "1e6")
    note = window.training_panel.field_notes["lr"]
    assert window.doc.preset.training.lr == before                   # refused ...
    assert not note.isHidden() and "between 1e-07 and 100" in note.text()   # ... aloud (spec.py's range)
    _typed(qtbot, editor, "0.01")
    assert window.doc.preset.training.lr == pytest.approx(0.01) and note.isHidden()


def test_a_learning_rate_of_100_is_taken_with_a_warning(window, qtbot, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    dialogs.answers = [QMessageBox.StandardButton.Yes]               # it asks once (tests/test_lr_question.py)
    editor = window.training_panel.editors["lr"]
    _typed(qtbot, editor, "100")
    note = window.training_panel.field_notes["lr"]
    assert window.doc.preset.training.lr == 100.0
    assert not note.isHidden() and "above 10" in note.text() and "Find Learning Rate" in note.text()


def test_reset_after_a_recorded_run_clears_the_status_and_says_where_the_weights_are(window, qtbot,
                                                                                    monkeypatch, private_home):
    dialogs = Dialogs(monkeypatch)                                   # any other question fails the test
    _train_to_the_end(window, qtbot)
    assert "finished" in window.progress_label.text()
    run = window.controller.last_record
    assert (private_home / "runs" / run / "model.safetensors").is_file()   # the record on disk keeps them
    dialogs.answers = [QMessageBox.StandardButton.Reset]
    window.actions_by_name["train_reset"].trigger()
    assert window.doc.trained is None and window.controller.state == "idle"
    assert window.progress_label.text() == ""
    assert run in window.statusBar().currentMessage()
    assert [d[1] for d in dialogs.shown] == ["Reset the trained weights?"] and run in dialogs.shown[0][2]


def test_reset_asks_when_the_weights_would_be_lost(qtbot, private_home, monkeypatch):
    blocked = private_home / "not-a-folder"
    blocked.write_text("a file where the runs folder should be")
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(blocked))          # this run cannot be recorded
    w = make_window(private_home / "app", "xor_mlp")
    dialogs = Dialogs(monkeypatch)
    _train_to_the_end(w, qtbot)
    dialogs.answers = [QMessageBox.StandardButton.Cancel]
    w.actions_by_name["train_reset"].trigger()
    assert dialogs.shown and dialogs.shown[-1][1] == "Reset the trained weights?"
    assert w.doc.trained is not None and "finished" in w.progress_label.text()   # Cancel keeps all
    dialogs.answers = [QMessageBox.StandardButton.Reset]
    w.actions_by_name["train_reset"].trigger()
    assert w.doc.trained is None and w.progress_label.text() == "" and w.controller.state == "idle"
    dialogs.answers = [QMessageBox.StandardButton.Discard]
    close_window(w)


def test_closing_after_training_with_edits_discarded_prints_nothing(qtbot, private_home, monkeypatch, capfd):
    w = make_window(private_home / "app", "xor_mlp")
    _train_to_the_end(w, qtbot)
    from widgets import commands as cmd
    w.doc.push(cmd.SetTraining(w.doc, "lr", 0.05))                    # an unsaved edit ...
    assert w.doc.dirty
    dialogs = Dialogs(monkeypatch)
    dialogs.answers = [QMessageBox.StandardButton.Discard]           # ... discarded at the question
    unraisable: list = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    assert w.close()
    assert [d[1] for d in dialogs.shown] == ["Unsaved changes"]      # the weights are in their run record
    w.deleteLater()
    from PySide6.QtCore import QCoreApplication, QEvent
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not errors and not unraisable
    assert "already deleted" not in capfd.readouterr().err


def test_a_hidden_group_of_panels_costs_training_no_probes(window, qtbot):
    """While the Training group shows, the look-inside probes (the Weights panel's histograms)
    are not computed; showing the Inside group asks for them and the panel fills while it runs."""
    window.show_panel_group("Training")
    weights = window.controller.panel("Weights")
    window.doc.set_training("epochs", 100_000)
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: window.controller.is_running and window.controller.current_step() > 300, timeout=60_000)
    assert weights.received == 0                                # no weights event was computed
    window.show_panel("Weights")                                  # switches to the Inside group
    qtbot.waitUntil(lambda: weights.layer_box.count() > 0, timeout=30_000)
    window.actions_by_name["train_stop"].trigger()
    qtbot.waitUntil(lambda: not window.controller.is_running, timeout=30_000)
