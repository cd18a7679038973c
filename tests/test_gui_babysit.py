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


# ------------------------------------------------ the engine owns what these views show (issue 23)
def test_lr_finder_dialog_says_the_engines_sweep_and_names(qtbot, monkeypatch):
    from playground.babysit import lr_find
    from playground.babysit.diagnoses import THRESHOLDS
    from playground.network.preset import resolve_preset
    from widgets.babysit import lr_find_dialog
    assert lr_find.sweep_text() == "from 1e-7 to 10 over at most 100 steps"   # the way the notes write them
    assert lr_find.short_number(1e-4) == "1e-4" and lr_find.short_number(0.001) == "0.001"
    monkeypatch.setattr(lr_find_dialog, "_sweep", lambda preset, task: lr_find.RangeTest([], [], []))
    monkeypatch.setattr(lr_find_dialog, "sweep_text", lambda: "from 1e-5 to 3 over at most 50 steps")
    dialog = lr_find_dialog.LrFindDialog(resolve_preset("xor_mlp"), lambda lr: None)
    qtbot.addWidget(dialog)
    assert "from 1e-5 to 3 over at most 50 steps" in dialog.status.text()   # the engine's words, not its own
    assert dialog.curve.name() == f"smoothed (EMA {THRESHOLDS['divergence_ema'].value:g})"
    assert {key: label for key, (_, label) in lr_find_dialog.MARKS.items()} == lr_find.SUGGESTION_NAMES
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=30_000)
    dialog.close()


def test_large_lr_question_uses_the_engines_bound_and_range(window, monkeypatch):
    from playground.babysit import lr_find
    from playground.network import spec
    from widgets.settings_panel import lr_question
    from widgets.testing import Dialogs
    from PySide6.QtWidgets import QMessageBox
    assert "the usual range (1e-4 … 1)" in lr_question(100)                 # the text a user saw before
    monkeypatch.setattr(spec, "USUAL_LR_RANGE", (1e-3, 0.5))
    assert "the usual range (0.001 … 0.5)" in lr_question(100)
    panel = window.training_panel
    dialogs = Dialogs(monkeypatch)
    assert panel._large_lr_taken(lr_find.END_LR) and not dialogs.shown     # the top of the sweep asks nothing
    monkeypatch.setattr(lr_find, "END_LR", 1.0)
    dialogs.answers = [QMessageBox.StandardButton.No]
    assert not panel._large_lr_taken(2.0)                                  # above the engine's bound: asks
    assert [d[0] for d in dialogs.shown] == ["question"]


def test_update_ratio_guide_is_the_engines_threshold(qtbot, monkeypatch):
    import subprocess
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    import pyqtgraph as pg

    from playground.babysit.diagnoses import THRESHOLDS, Threshold
    from widgets.compare.plots import LayerStatsPlot
    from widgets.panels import update_ratio
    assert update_ratio.GUIDE == THRESHOLDS["update_ratio_guide"].value == update_ratio.UPDATE_RATIO.guide == 1e-3
    code = ("from playground.babysit.diagnoses import THRESHOLDS, Threshold\n"   # the panel reads it at import
            "THRESHOLDS['update_ratio_guide'] = Threshold(1e-2, 'a test')\n"
            "from widgets.panels.update_ratio import UPDATE_RATIO\n"
            "print(UPDATE_RATIO.guide, 'the red 0.01 line' in UPDATE_RATIO.hint)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1], timeout=120)
    assert out.stdout.split() == ["0.01", "True"]
    monkeypatch.setitem(THRESHOLDS, "update_ratio_guide", Threshold(1e-2, "a test"))
    plot = LayerStatsPlot()
    qtbot.addWidget(plot)
    plot.runs = [SimpleNamespace(id="a", name="run a")]
    plot._stats = {"a": {"fc1": {"update_ratio": 0.5}}}
    plot.metric.setCurrentIndex(plot.metric.findData("update_ratio"))
    plot.redraw()
    item = plot.plot.getPlotItem()
    lines = [i for i in item.items if isinstance(i, pg.InfiniteLine)]
    assert [line.value() for line in lines] == [pytest.approx(-2.0)] and "0.01" in lines[0].label.format
    bars = [i for i in item.items if isinstance(i, pg.BarGraphItem)]
    assert bars[0].opts["y0"] == pytest.approx(-2.5)                        # half a decade below the guide


def test_search_dialog_offers_every_sampler_with_the_engines_defaults_and_limits(qtbot, tmp_path):
    from playground.babysit.commands import register
    from playground.network.cli_values import MAX_TRIAL_STEPS, MAX_TRIALS, OneLineParser
    from playground.network.preset import resolve_preset
    from playground.selection.search import DEFAULT_TRIAL_STEPS, DEFAULT_TRIALS, SAMPLERS
    from widgets.babysit.search_dialog import SearchDialog
    dialog = SearchDialog(resolve_preset("xor_mlp"), runs_folder=str(tmp_path / "runs"))
    qtbot.addWidget(dialog)
    combo = dialog.sampler
    assert [combo.itemData(k) for k in range(combo.count())] == list(SAMPLERS)
    assert [combo.itemText(k) for k in range(combo.count())] == list(SAMPLERS.values())
    assert (dialog.trials_spin.value(), dialog.budget_spin.value()) == (DEFAULT_TRIALS, DEFAULT_TRIAL_STEPS)
    assert (dialog.trials_spin.maximum(), dialog.budget_spin.maximum(), dialog.fine_spin.maximum()) == \
        (MAX_TRIALS, MAX_TRIAL_STEPS, MAX_TRIALS)
    parser = OneLineParser(prog="playground")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["search", "xor_mlp"])
    assert (args.trials, args.budget_steps) == (DEFAULT_TRIALS, DEFAULT_TRIAL_STEPS)   # the command line's too


def test_search_dialog_runs_a_grid(qtbot, tmp_path):
    from playground.network.preset import resolve_preset
    from widgets.babysit.search_dialog import SearchDialog
    dialog = SearchDialog(resolve_preset("xor_mlp"), runs_folder=str(tmp_path / "runs"))
    qtbot.addWidget(dialog)
    dialog.sampler.setCurrentIndex(dialog.sampler.findData("grid"))
    dialog.params_edit.setPlainText("training.lr=1e-3:1e-1:log\ntraining.momentum=0.5:0.9")
    dialog.trials_spin.setValue(5)                     # a 2 x 2 grid: 4 cells, not 5 trials
    dialog.budget_spin.setValue(2)
    dialog.start()
    assert dialog.progress.maximum() == 4
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=120_000)
    assert len(dialog.trials) == 4 and dialog.progress.value() == dialog.progress.maximum() == 4
    cells = {(round(t.params["training.lr"], 9), round(t.params["training.momentum"], 9)) for t in dialog.trials}
    assert cells == {(lr, m) for lr in (0.001, 0.1) for m in (0.5, 0.9)}
    dialog.close()


def test_check_dialog_says_what_each_number_is_and_is_busy_while_checking(window, qtbot):
    """Measured and Expected mean different things per check: each cell shows the number and,
    below it, what it is in the engine's words; an indeterminate bar runs while the checks do."""
    from playground.babysit.checks import PREFLIGHT_CHECKS
    from widgets.babysit import actions
    actions.open_check(window)
    dialog = window._babysit_dialogs[-1]
    assert not dialog.busy.isHidden() and (dialog.busy.minimum(), dialog.busy.maximum()) == (0, 0)
    qtbot.waitUntil(lambda: len(dialog.results) == len(PREFLIGHT_CHECKS), timeout=120_000)
    assert dialog.busy.isHidden()
    row = [r.name for r in dialog.results].index("regularization_raises_loss")
    measured, expected = dialog.table.item(row, 2).text(), dialog.table.item(row, 3).text()
    assert "rise of the loss" in measured and "λ·Σw²" in expected
    for k, r in enumerate(dialog.results):
        assert dialog.table.item(k, 2).text().endswith(r.measured_label)
        assert r.measured_label in dialog.table.item(k, 2).toolTip()


def test_closing_the_check_dialog_stops_the_checks_instead_of_waiting_for_them(window, qtbot, monkeypatch):
    """Closing joins the checks' task on the GUI thread: the checks must hear the close (they once
    ran on to their end, seconds of a frozen window)."""
    import time
    from playground.babysit.checks import ChecksCancelled
    from widgets.babysit import actions, check_dialog
    asked = []

    def checks_that_run_until_cancelled(preset, cancelled):
        asked.append(cancelled)
        while not cancelled():
            time.sleep(0.01)
        raise ChecksCancelled("cancelled")

    monkeypatch.setattr(check_dialog, "_run", checks_that_run_until_cancelled)
    actions.open_check(window)
    dialog = window._babysit_dialogs[-1]
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)
    dialog.join_timeout_s = 5.0
    dialog.done(0)
    assert not dialog.task.running


def test_a_card_wraps_to_the_width_of_a_narrow_dock(qtbot):
    """At 1366×768 the Diagnoses dock is ~330 px wide: a card's heading was not wrapped and set the
    card's width, which hid its end and its right border behind a horizontal scroll bar."""
    from playground.babysit.findings import Action, Finding
    from playground.babysit.run_findings import FindingsEvent
    from widgets.babysit.diagnoses_panel import DiagnosesPanel
    panel = DiagnosesPanel()
    qtbot.addWidget(panel)
    panel.resize(330, 600)
    panel.show()
    qtbot.waitExposed(panel)
    long = Finding("lr_too_low", "info", 11080, "The learning rate might be too low for this network and its data",
                   Action("Raise the learning rate to {value}", "lr", 0.001, +1),
                   evidence="Loss panel: the smoothed training loss (EMA 0.98) fell by 2% over the last 1000 steps",
                   causes=("ten times the rate would bring the update ratio nearer 1e-3",))
    panel.ingest([FindingsEvent((long,))])
    panel.render()
    qtbot.waitUntil(lambda: panel.cards and panel.cards[0].isVisible())
    card, viewport = panel.cards[0], panel.scroll.viewport()
    qtbot.waitUntil(lambda: card.width() <= viewport.width())
    assert card.mapTo(viewport, card.rect().topRight()).x() < viewport.width()   # its right border shows
    from PySide6.QtWidgets import QLabel
    assert "(step 11080)" in " ".join(label.text() for label in card.findChildren(QLabel))
