"""Babysitting in the app: the check list fills in, a divergence card's action is undoable,
the range test's "use this" sets the learning rate, and a search shows its trials."""
from __future__ import annotations

import numpy as np
import pytest
import pytestqt  # noqa: F401  (a test dependency: missing, this file fails instead of skipping)

from playground.training.events import LossEvent


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    from widgets.testing import close_window, make_window
    w = make_window(tmp_path, "xor_mlp")
    yield w
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    for d in list(getattr(w, "_babysit_dialogs", [])):
        d.close()  # joins its background job; Qt deletes it
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    assert not getattr(w, "_babysit_dialogs", [])
    close_window(w)


def test_menu_has_the_babysitting_actions(window):
    texts = [a.text() for a in window.menuBar().actions()[3].menu().actions()]
    assert {"Pre-flight &Check…", "Find &Learning Rate…", "&Search Hyper-parameters…"} <= set(texts)


def test_divergence_card_action_is_undoable(window, qtbot):
    panel = window.controller.panel("Diagnoses")
    window.panel_docks["Diagnoses"].raise_()
    panel.show_events([LossEvent(np.arange(3), np.array([0.7, 0.7, np.nan]), 0, 0.03)])
    assert [c.finding.name for c in panel.cards] == ["divergence"]
    before = window.doc.preset.training.lr
    panel.cards[0].button.click()
    assert window.doc.preset.training.lr == pytest.approx(before / 10)
    assert not panel.cards[0].button.isEnabled()
    window.doc.undo_stack.undo()
    assert window.doc.preset.training.lr == before


def test_a_card_behind_another_tab_is_counted_in_its_tab(window, qtbot):
    panel = window.controller.panel("Diagnoses")
    dock = window.panel_docks["Diagnoses"]
    window.panel_docks["Loss & accuracy"].raise_()
    panel.ingest([LossEvent(np.arange(3), np.array([0.7, 0.7, np.nan]), 0, 0.03)])
    assert dock.windowTitle() == "Diagnoses (1)"
    panel.reset()
    assert dock.windowTitle() == "Diagnoses"


def test_check_dialog_lists_every_check_with_its_engine_title(window, qtbot):
    from playground.babysit.checks import PREFLIGHT_CHECKS
    from widgets.babysit import actions
    actions.open_check(window)
    dialog = window._babysit_dialogs[-1]
    assert not dialog.isModal()
    qtbot.waitUntil(lambda: len(dialog.results) == len(PREFLIGHT_CHECKS), timeout=120_000)
    assert dialog.table.rowCount() == 5
    assert [dialog.table.item(k, 1).text() for k in range(5)] == [
        "Loss at initialization", "More L2 raises the loss", "Overfit 20 examples", "Zeroed inputs do worse",
        "Gradient check (float64)"]
    assert dialog.table.item(0, 0).text().endswith("green")


def test_lr_finder_use_button_sets_the_learning_rate(window, qtbot):
    from widgets.babysit import actions
    actions.open_lr_find(window)
    dialog = window._babysit_dialogs[-1]
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    assert set(dialog.lines) == {"steepest", "valley", "min_over_10"}
    dialog.buttons["valley"].click()
    assert window.doc.preset.training.lr == pytest.approx(float(f"{dialog.result.suggestions['valley']:.2g}"))
    window.doc.undo_stack.undo()
    assert window.doc.preset.training.lr == pytest.approx(0.03)


def test_search_dialog_shows_trials_and_refuses_a_bad_range(window, qtbot):
    from widgets.babysit import actions
    actions.open_search(window)
    dialog = window._babysit_dialogs[-1]
    dialog.params_edit.setPlainText("training.lr=1:0.1:log")
    dialog.start()
    assert dialog.task is None and "LO < HI" in dialog.status.text()
    dialog.params_edit.setPlainText("training.lr=1e-3:1e-1:log")
    dialog.trials_spin.setValue(2)
    dialog.budget_spin.setValue(5)
    dialog.start()
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    assert dialog.table.rowCount() == 2 and len(dialog.trials) == 2
    assert dialog.start_button.isEnabled()


def test_loss_panel_marks_expected_initial_loss_and_plots_the_penalty(qtbot):
    import math

    from playground.network.preset import resolve_preset
    from widgets.panels.loss_marks import mark_expected_initial_loss
    from widgets.panels.loss import LossPanel
    panel = LossPanel()
    qtbot.addWidget(panel)
    mark_expected_initial_loss(panel, resolve_preset("digits_mlp"))
    line = panel.babysit.expected_line
    assert line.isVisible() and line.value() == pytest.approx(math.log(10))
    assert "ln 10" in line.label.format
    steps = np.arange(4)
    panel.show_events([LossEvent(steps, np.array([2.5, 2.4, 2.3, 2.2]), 0, 1e-3,
                                 penalties=np.array([0.2, 0.2, 0.1, 0.1]),
                                 data_losses=np.array([2.3, 2.2, 2.2, 2.1]))])
    assert panel.losses.view() == pytest.approx([2.3, 2.2, 2.2, 2.1])  # the data loss, as the engine sent it
    xs, ys = panel.babysit.penalty_curve.getData()
    assert list(ys) == pytest.approx([0.2, 0.2, 0.1, 0.1])
    panel.reset()
    assert not line.isVisible() and len(panel.babysit.penalty) == 0
    mark_expected_initial_loss(panel, resolve_preset("regression_sine"))  # MSE: depends on the data
    assert not line.isVisible()
