"""No dead ends (issue 28, item 4): a search's trial settings go into the open preset as one
undoable edit; Reset Weights asks when there are weights, clears the run status and is undone
with the exact weights back; a number typed out of range says the range; quitting asks about
weights nothing keeps, and a clean quit prints nothing."""
from __future__ import annotations

import os
import sys

import pytest
import pytestqt  # noqa: F401  (a test dependency: missing, this file fails instead of skipping)
import torch
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from widgets.testing import Dialogs, close_window, make_window

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
TIMEOUT = 60_000
Reset, Cancel, Discard = (QMessageBox.StandardButton.Reset, QMessageBox.StandardButton.Cancel,
                          QMessageBox.StandardButton.Discard)


@pytest.fixture
def window(qtbot, private_home):
    w = make_window(private_home / "app", "xor_mlp")
    yield w
    for d in list(getattr(w, "_babysit_dialogs", [])):
        d.close()   # joins its background job; Qt deletes it
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    if w.controller is not None:
        w.controller.discard()
    close_window(w)


def _train_to_the_end(window, qtbot) -> None:
    window.doc.set_training("epochs", 1)
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "finished" and window.doc.trained is not None,
                    timeout=TIMEOUT)


def _tensors(window) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v).clone() for k, v in window.doc.trained.state.items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------- Use these settings

def test_use_these_settings_applies_a_trial_as_one_edit_that_undo_takes_back(window, qtbot):
    from widgets.babysit import actions
    doc = window.doc
    lr0, batch0 = doc.preset.training.lr, doc.preset.training.batch_size
    actions.open_search(window)
    dialog = window._babysit_dialogs[-1]
    assert dialog.use_button.isVisible() and not dialog.use_button.isEnabled()   # no trial yet
    dialog.params_edit.setPlainText("training.lr=1e-3:1e-1:log\ntraining.batch_size=4:64")
    dialog.trials_spin.setValue(3)
    dialog.budget_spin.setValue(5)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    best = min((t for t in dialog.trials if t.value < float("inf")), key=lambda t: t.value)
    assert dialog.use_button.isEnabled() and "best" in dialog.use_button.text()
    steps = doc.undo_stack.count()

    dialog.use_button.click()
    assert doc.preset.training.lr == pytest.approx(best.params["training.lr"])
    assert doc.preset.training.batch_size == best.params["training.batch_size"]
    assert window.training_panel.editors["lr"].value() == pytest.approx(best.params["training.lr"], rel=1e-6)
    assert window.training_panel.editors["batch_size"].value() == best.params["training.batch_size"]
    assert doc.undo_stack.count() == steps + 1                        # one edit for both settings
    window.actions_by_name["undo"].trigger()
    assert (doc.preset.training.lr, doc.preset.training.batch_size) == (lr0, batch0)
    assert window.training_panel.editors["lr"].value() == pytest.approx(lr0)
    assert window.training_panel.editors["batch_size"].value() == batch0

    # a selected row's trial instead of the best
    other = next(t for t in dialog.trials if t is not best)
    row = next(r for r in range(dialog.table.rowCount())
               if dialog.trials[dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole)] is other)
    dialog.table.selectRow(row)
    assert "selected" in dialog.use_button.text()
    dialog.use_button.click()
    assert doc.preset.training.lr == pytest.approx(other.params["training.lr"])
    assert doc.preset.training.batch_size == other.params["training.batch_size"]


def test_the_search_plot_labels_a_log_axis_by_decades_only():
    from widgets.babysit.search_dialog import _log_ticks
    major, minor = _log_ticks(1e-4, 1e-1)
    assert [label for _, label in major] == ["0.0001", "0.001", "0.01", "0.1"]
    assert [pos for pos, _ in major] == [-4.0, -3.0, -2.0, -1.0]
    assert len(minor) == 6 and all(label == "" for _, label in minor)       # 2x and 5x: grid lines only
    assert minor[0][0] == pytest.approx(-4 + 0.30103, abs=1e-5)            # log10(2e-4)
    _, minor = _log_ticks(0.02, 0.1)                                       # within one decade: labelled
    assert [label for _, label in minor] == ["0.02", "0.05"]


def test_settings_the_open_preset_cannot_take_are_refused_with_the_reason(window):
    from widgets.babysit.actions import apply_settings
    before = window.doc.snapshot()
    assert not apply_settings(window, {"model.nodes[99].params.out_features": 8}, "Use a trial")
    assert window.doc.snapshot() == before and "do not fit" in window.statusBar().currentMessage()


# ---------------------------------------------------------------------------- Reset Weights

def test_reset_weights_asks_clears_the_status_and_undo_gives_the_exact_weights_back(window, qtbot, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    _train_to_the_end(window, qtbot)
    trained = _tensors(window)
    status = window.progress_label.text()
    assert "finished" in status

    dialogs.answers = [Cancel]
    window.actions_by_name["train_reset"].trigger()
    assert [d[1] for d in dialogs.shown] == ["Reset the trained weights?"]
    assert _same(_tensors(window), trained) and window.progress_label.text() == status   # Cancel keeps all

    dialogs.answers = [Reset]
    window.actions_by_name["train_reset"].trigger()
    assert window.doc.weights is None and window.controller.state == "idle"
    assert window.progress_label.text() == ""                          # "finished" is gone
    assert not window.doc.dirty and not window.isWindowModified()      # the preset did not change
    assert window.doc.undo_stack.undoText() == "Reset Weights"

    window.actions_by_name["undo"].trigger()
    assert window.doc.trained is not None and _same(_tensors(window), trained)
    assert window.progress_label.text() == status
    window.actions_by_name["redo"].trigger()
    assert window.doc.weights is None and window.progress_label.text() == ""
    window.actions_by_name["undo"].trigger()
    assert _same(_tensors(window), trained)


def test_reset_of_a_paused_run_ends_it_and_is_undone_like_any_reset(window, qtbot, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    window.actions_by_name["train_step"].trigger()
    qtbot.waitUntil(lambda: window.controller.state == "paused" and window.doc.trained is not None,
                    timeout=TIMEOUT)
    dialogs.answers = [Reset]
    window.actions_by_name["train_reset"].trigger()
    assert window.controller.state == "idle" and not window.controller.is_active
    assert window.doc.weights is None and window.progress_label.text() == ""
    window.actions_by_name["undo"].trigger()
    assert window.doc.trained is not None and window.doc.trained.step >= 1


def test_undoing_a_reset_never_puts_older_weights_over_newer_ones(window, qtbot, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    _train_to_the_end(window, qtbot)
    dialogs.answers = [Reset]
    window.actions_by_name["train_reset"].trigger()
    reset = window.doc.last_reset
    window.doc.set_training("seed", window.doc.preset.training.seed + 1)   # another start, other weights
    _train_to_the_end(window, qtbot)
    newer = _tensors(window)
    assert reset.kept is None                                          # the newer weights released the copy
    window.doc.undo_stack.undo()
    assert _same(_tensors(window), newer) and "Nothing to give back" in window.statusBar().currentMessage()


def test_only_the_latest_reset_keeps_a_copy(window, qtbot, monkeypatch):
    dialogs = Dialogs(monkeypatch)
    _train_to_the_end(window, qtbot)
    dialogs.answers = [Reset]
    window.actions_by_name["train_reset"].trigger()
    first = window.doc.last_reset
    window.doc.undo_stack.undo()                                       # weights back ...
    dialogs.answers = [Reset]
    window.actions_by_name["train_reset"].trigger()                    # ... and reset again (redo is cut)
    assert window.doc.last_reset is not first and first.kept is None
    assert window.doc.last_reset.kept is not None


def test_reset_of_an_untrained_model_asks_nothing_and_adds_no_undo_step(window, monkeypatch):
    Dialogs(monkeypatch)                                               # any question fails the test
    steps = window.doc.undo_stack.count()
    window.actions_by_name["train_reset"].trigger()
    assert window.doc.undo_stack.count() == steps and window.progress_label.text() == ""


# ---------------------------------------------------------------------------- numbers and quitting

def _typed(editor, text: str) -> None:
    editor.setFocus()
    editor.lineEdit().selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)


@pytest.mark.parametrize("name, typed, range_text", [("l2", "50", "between 0 and 10"),
                                                     ("epochs", "0", "between 1 and 100000"),
                                                     ("epochs", "250000", "between 1 and 100000")])
def test_a_refused_number_says_its_range(window, name, typed, range_text):
    editor = window.training_panel.editors[name]
    note = window.training_panel.field_notes[name]
    before = getattr(window.doc.preset.training, name)
    _typed(editor, typed)
    assert getattr(window.doc.preset.training, name) == before        # refused ...
    assert not note.isHidden() and range_text in note.text()           # ... aloud, with the declared range


def test_a_layer_setting_refused_in_the_inspector_says_its_range_at_the_field(window):
    from PySide6.QtWidgets import QToolTip
    hidden = next(n.id for n in window.doc.model.nodes if n.type == "Linear")
    window.inspector.show_nodes([hidden])
    editor = window.inspector.editors["out_features"]
    before = window.doc.snapshot()
    _typed(editor, "0")
    assert window.doc.snapshot() == before
    assert "out_features must be between 1 and" in editor.toolTip()
    assert "out_features must be between 1 and" in QToolTip.text()


def test_quitting_with_weights_nothing_keeps_asks_and_then_prints_nothing(qtbot, private_home, monkeypatch,
                                                                          capfd):
    blocked = private_home / "not-a-folder"
    blocked.write_text("a file where the runs folder should be")
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(blocked))           # the run cannot be recorded
    w = make_window(private_home / "app", "xor_mlp")
    dialogs = Dialogs(monkeypatch)
    _train_to_the_end(w, qtbot)
    assert w.weights_would_be_lost()
    w.doc.undo_stack.setClean()
    capfd.readouterr()
    dialogs.answers = [Cancel]
    assert not w.close()                                               # Cancel keeps the window
    assert [d[1] for d in dialogs.shown] == ["Discard the trained weights?"]
    assert "not exported" in dialogs.shown[-1][2]
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    dialogs.answers = [Discard]
    assert w.close()
    w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not errors and capfd.readouterr().err == ""


def test_a_clean_quit_asks_nothing_and_prints_nothing(qtbot, private_home, monkeypatch, capfd):
    w = make_window(private_home / "app", "xor_mlp")
    dialogs = Dialogs(monkeypatch)                                     # any question fails the test
    capfd.readouterr()
    errors: list = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    unraisable: list = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    assert w.close()
    w.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert dialogs.shown == [] and not errors and not unraisable
    assert capfd.readouterr().err == ""


# ---------------------------------------------------------------------------- compare progress

def test_the_compare_view_keeps_showing_progress_when_its_table_reloads(qtbot, private_home, monkeypatch):
    from widgets.lesson_twins import compare_family
    w = make_window(private_home / "app", "xor_mlp")
    Dialogs(monkeypatch)                                               # any question fails the test
    view = compare_family(w, "xor_linear", ["training.epochs=100000"])   # long enough to watch it run
    try:
        qtbot.waitUntil(lambda: view.process is not None, timeout=TIMEOUT)
        assert "Training xor_mlp" in view.status.text()
        view.reload()                                                  # a run's folder changed, say
        qtbot.waitUntil(lambda: not view._loads, timeout=TIMEOUT)
        assert view.process is not None and "runs in" in view.status.text()
        assert "Training xor_mlp" in view.status.text()                # the progress is still said
    finally:
        view.close()                                                   # stops the training
        close_window(w)
