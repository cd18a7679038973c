"""Train ▸ Search Hyper-parameters: random search in log space, coarse then fine, with progress,
cancel, a results table and a scatter of validation loss against each searched setting.

Each trial is a run record tagged with the study, so the Compare window lists them as well.
"Use these settings" puts the best trial's settings (or the selected row's) into the open preset
through the window's callback, as one undoable edit.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QProgressBar, QPushButton,
    QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground.network.cli_values import MAX_TRIAL_STEPS, MAX_TRIALS
from playground.selection.search import (
    DEFAULT_TRIAL_STEPS, DEFAULT_TRIALS, SAMPLERS, ParamRange, SearchResult, Trial, edge_warnings, parse_param,
    stage_trials)
from playground.params import ProblemList
from playground.network.spec import Preset
from widgets.tasks import BackgroundTask, TaskDialog

DEFAULT_PARAMS = "training.lr=1e-4:1e-1:log"


class SearchDialog(TaskDialog):
    join_timeout_s = 120.0  # a stopped trial is still recorded before the work returns

    def __init__(self, preset: Preset, open_compare: Callable[[], None] | None = None,
                 parent: QWidget | None = None, runs_folder: str | None = None,
                 use_settings: Callable[[dict[str, float], str], object] | None = None) -> None:
        """`use_settings(params, what)` applies a trial's settings (preset path → value) to the
        open preset; without it there is no "Use these settings" button."""
        super().__init__(parent)
        self.setWindowTitle(f"Random search — {preset.name}")
        self.resize(1100, 640)
        self.preset = preset.copy()
        self.runs_folder = runs_folder
        self.ranges: list[ParamRange] = []
        self.trials: list[Trial] = []
        self.task: BackgroundTask | None = None
        self.result: SearchResult | None = None
        self.use_settings = use_settings

        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        form = QFormLayout()
        self.params_edit = QPlainTextEdit(DEFAULT_PARAMS)
        self.params_edit.setToolTip("One setting per line: KEY=LO:HI, with :log to sample in log space "
                                    "(learning rates, penalty strengths)")
        self.params_edit.setFixedHeight(64)
        form.addRow("Settings to search", self.params_edit)
        self.trials_spin = _spin(1, MAX_TRIALS, DEFAULT_TRIALS)
        form.addRow("Coarse trials", self.trials_spin)
        self.budget_spin = _spin(1, MAX_TRIAL_STEPS, DEFAULT_TRIAL_STEPS)
        self.budget_spin.setToolTip("Training steps per coarse trial: a fraction of an epoch is enough to rank settings")
        form.addRow("Steps per trial", self.budget_spin)
        self.fine_spin = _spin(0, MAX_TRIALS, 0)
        self.fine_spin.setToolTip("Trials in the range narrowed around the best quarter of the coarse trials "
                                  "(twice the steps each)")
        form.addRow("Fine trials", self.fine_spin)
        self.sampler = QComboBox()
        for name, description in SAMPLERS.items():   # random (the default) first
            self.sampler.addItem(description, name)
        form.addRow("Sampler", self.sampler)
        top.addLayout(form, 2)
        buttons = QVBoxLayout()
        self.start_button = QPushButton("Start search")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.compare_button = QPushButton("Open in Compare…")
        self.compare_button.setEnabled(open_compare is not None)
        if open_compare is not None:
            self.compare_button.clicked.connect(open_compare)
        self.use_button = QPushButton("Use these settings")
        self.use_button.setObjectName("useSettings")
        self.use_button.setEnabled(False)
        self.use_button.setVisible(use_settings is not None)
        self.use_button.setToolTip("Put the best trial's settings into the open preset (one edit: Edit ▸ Undo "
                                   "gives back the old ones); select a row to use that trial's instead")
        self.use_button.clicked.connect(self.use_chosen)
        for b in (self.start_button, self.cancel_button, self.use_button, self.compare_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        top.addLayout(buttons)
        lay.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m trials")
        lay.addWidget(self.progress)
        self.status = QLabel("Each trial trains the preset briefly with sampled settings and is scored by its "
                             "validation loss. The study is stored in the runs folder: a later search resumes it.")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.table = QTableWidget(0, 0)
        self.table.setObjectName("searchTable")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.itemSelectionChanged.connect(self._update_use_button)
        split.addWidget(self.table)
        self.plots = pg.GraphicsLayoutWidget()
        self.plots.setBackground("w")
        split.addWidget(self.plots)
        split.setSizes([420, 680])
        lay.addWidget(split, 1)

    # ---------------------------------------------------------------- running
    def parse(self) -> list[ParamRange] | None:
        lines = [ln.strip() for ln in self.params_edit.toPlainText().splitlines() if ln.strip()]
        if not lines:
            self.status.setText("Give at least one setting to search, e.g. " + DEFAULT_PARAMS)
            return None
        try:
            return [parse_param(ln, self.preset) for ln in lines]
        except ProblemList as e:
            self.status.setText(f"<span style='color:#d1242f'>{e}</span>")
            return None

    def start(self) -> None:
        ranges = self.parse()
        if ranges is None or (self.task is not None and self.task.running):
            return
        self.ranges, self.trials, self.result = ranges, [], None
        n, fine = self.trials_spin.value(), self.fine_spin.value()
        sampler = self.sampler.currentData()   # a grid's fine stage may ask fewer: set again at the end
        self.progress.setRange(0, stage_trials(sampler, ranges, n) + stage_trials(sampler, ranges, fine))
        self.progress.setValue(0)
        self._setup_views()
        preset, steps, folder = self.preset.copy(), self.budget_spin.value(), self.runs_folder

        def work(task: BackgroundTask) -> SearchResult:
            from playground.selection.search import run_search
            return run_search(preset, ranges, n, budget_steps=steps, fine_trials=fine, sampler=sampler,
                              runs_folder=folder, should_stop=lambda: task.cancelled,
                              on_trial=lambda t, k, total: task.progress.emit(t))

        self.task = BackgroundTask(work, self)
        self.task.progress.connect(self.add_trial)
        self.task.done.connect(self.search_finished)
        self.task.failed.connect(self.search_failed)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText("Searching…")
        self.task.start()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText("Cancelling after the current trial…")

    def add_trial(self, trial: Trial) -> None:
        self.trials.append(trial)
        self.progress.setValue(len(self.trials))
        self._fill_table()
        self._draw()

    def search_finished(self, result: SearchResult) -> None:
        self.result = result
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if result.trials and not (self.task is not None and self.task.cancelled):   # a full bar, a grid's too
            self.progress.setRange(0, len(result.trials))
            self.progress.setValue(len(result.trials))
        best = result.best
        text = (f"Study '{result.study}': {len(result.trials)} trials"
                + (" (cancelled)" if self.task is not None and self.task.cancelled else "")
                + (f"; best validation loss {best.value:.4g} with "
                   + ", ".join(f"{k.split('.')[-1]} = {v:.3g}" for k, v in best.params.items()) if best else ""))
        warnings = result.warnings or edge_warnings(self.ranges, best)
        if warnings:
            text += "<br><span style='color:#bf8700'>⚠ " + "<br>⚠ ".join(warnings) + "</span>"
        self.status.setText(text)
        if best is not None and not self.table.selectionModel().hasSelection():
            self.select_trial(best)
        self._update_use_button()

    def search_failed(self, text: str) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.status.setText(f"<span style='color:#d1242f'>The search stopped: {text}</span>")

    # ---------------------------------------------------------------- views
    def _setup_views(self) -> None:
        keys = [r.key for r in self.ranges]
        self.table.clear()
        self.table.setColumnCount(len(keys) + 3)
        self.table.setHorizontalHeaderLabels(["stage", *[k.split(".")[-1] for k in keys], "val loss", "run"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setRowCount(0)
        self.plots.clear()
        self.scatters: dict[str, pg.PlotDataItem] = {}
        self.best_marks: dict[str, pg.PlotDataItem] = {}
        for col, r in enumerate(self.ranges):
            plot = self.plots.addPlot(row=0, col=col)
            plot.setLogMode(x=r.log, y=True)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setLabel("bottom", r.key.split(".")[-1] + (" (log scale)" if r.log else ""))
            plot.setLabel("left", "validation loss")
            for side in ("bottom", "left"):
                plot.getAxis(side).enableAutoSIPrefix(False)  # 1e-6…1e-2, not "0.1…1 (x0.001)"
            if r.log:   # pyqtgraph labels every minor tick of a log axis: they overlap
                plot.getAxis("bottom").setTicks(_log_ticks(r.low, r.high))
            plot.setTitle(f"{r.low:g} … {r.high:g}")
            s = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=8, symbolBrush=(47, 111, 223, 170),
                                symbolPen=None)
            b = pg.PlotDataItem([], [], pen=None, symbol="o", symbolSize=15, symbolBrush=None,
                                symbolPen=pg.mkPen("#d1242f", width=2))
            plot.addItem(s)
            plot.addItem(b)
            self.scatters[r.key], self.best_marks[r.key] = s, b

    def _fill_table(self) -> None:
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.trials))
        keys = [r.key for r in self.ranges]
        chosen = self.chosen_trial() if self.table.selectionModel().hasSelection() else None
        for row, t in enumerate(self.trials):
            cells = [QTableWidgetItem(t.stage)]
            cells[0].setData(Qt.ItemDataRole.UserRole, row)   # which trial, whatever the sort
            for k in keys:
                item = QTableWidgetItem()
                item.setData(Qt.ItemDataRole.DisplayRole, float(f"{t.params.get(k, math.nan):.4g}"))
                cells.append(item)
            value = QTableWidgetItem()
            value.setData(Qt.ItemDataRole.DisplayRole, float(f"{t.value:.5g}") if math.isfinite(t.value) else math.inf)
            cells += [value, QTableWidgetItem(t.run or "—")]
            for col, item in enumerate(cells):
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(len(keys) + 1, Qt.SortOrder.AscendingOrder)
        if chosen is not None:   # the row a person picked stays picked as trials come in
            self.select_trial(chosen)
        self._update_use_button()

    def _draw(self) -> None:
        done = [t for t in self.trials if math.isfinite(t.value) and t.value > 0]
        if not done:
            return
        best = min(done, key=lambda t: t.value)
        for r in self.ranges:
            xs = np.array([t.params[r.key] for t in done], dtype=float)
            ys = np.array([t.value for t in done], dtype=float)
            self.scatters[r.key].setData(xs, ys)  # the plot's log mode maps them onto its log axes
            self.best_marks[r.key].setData([best.params[r.key]], [best.value])

    # ---------------------------------------------------------------- using a trial
    def best_trial(self) -> Trial | None:
        done = [t for t in self.trials if math.isfinite(t.value)]
        return min(done, key=lambda t: t.value) if done else None

    def chosen_trial(self) -> Trial | None:
        """The selected row's trial, else the best so far (None before any trial finished)."""
        rows = self.table.selectionModel().selectedRows()
        if rows:
            item = self.table.item(rows[0].row(), 0)
            index = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
            if index is not None and 0 <= index < len(self.trials):
                trial = self.trials[index]
                return trial if math.isfinite(trial.value) else None
        return self.best_trial()

    def select_trial(self, trial: Trial) -> None:
        index = self.trials.index(trial)
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == index:
                self.table.selectRow(row)
                return

    def _update_use_button(self) -> None:
        trial = self.chosen_trial()
        self.use_button.setEnabled(self.use_settings is not None and trial is not None)
        if trial is None:
            self.use_button.setText("Use these settings")
            return
        best = trial is self.best_trial()
        self.use_button.setText("Use these settings" + (" (best)" if best else " (selected)"))
        self.use_button.setToolTip(("The best trial: " if best else "The selected trial: ")
                                   + _describe(trial) + ". Puts them into the open preset as one edit; "
                                   "Edit ▸ Undo gives back the old ones.")

    def use_chosen(self) -> None:
        trial = self.chosen_trial()
        if trial is None or self.use_settings is None:
            return
        what = "Use the best trial's settings" if trial is self.best_trial() else "Use a search trial's settings"
        self.use_settings(dict(trial.params), what)
        self.status.setText(f"The open preset now uses {_describe(trial)} (Edit ▸ Undo in the main window "
                            "gives back the old settings).")


def _log_ticks(low: float, high: float) -> list[list[tuple[float, str]]]:
    """Ticks of a log axis (positions in log10) from `low` to `high`: each decade labelled, 2 and 5
    times it as unlabelled grid lines; labelled too when the range spans a decade or less."""
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    major = [(float(e), f"{10.0 ** e:g}") for e in range(lo, hi + 1)]
    minor = [(math.log10(m * 10.0 ** e), f"{m * 10.0 ** e:g}" if hi - lo <= 1 else "")
             for e in range(lo, hi) for m in (2, 5)]
    return [major, minor]


def _describe(trial: Trial) -> str:
    return ", ".join(f"{k.split('.')[-1]} = {v:.3g}" if isinstance(v, float) else f"{k.split('.')[-1]} = {v}"
                     for k, v in trial.params.items())


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    return s
