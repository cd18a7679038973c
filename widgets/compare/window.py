"""The compare view: the runs browser on the left; on the right the selected runs' curves,
their differing settings, per-layer statistics, and a final metric against a setting over all
listed runs. Runs a twin, a seed repeat or a lesson's family (presets trained with one seed, one
after another) as background `playground` processes.

Records are read on a background task (a runs folder may sit on a slow disk); the window only
draws. It never touches a live Trainer: comparisons read records.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QFileSystemWatcher, QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMainWindow,
    QMessageBox, QPlainTextEdit, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from playground.run_records.store import RunInfo, runs_dir
from playground.network.spec import Preset
from widgets.compare.browser import RunsBrowser
from widgets.compare.bias_variance import BiasVarianceDialog
from widgets.compare.cross_validation import CrossValidationDialog
from widgets.compare.curves import CurveDialog
from widgets.compare.plots import LayerStatsPlot, OverlayPlot, ScatterPlot
from widgets.compare.settings_table import SettingsTable
from widgets.tasks import BackgroundTask


LOAD_JOIN_S = 5.0
"""How long closing the window waits for a read of the runs folder in flight."""


def load_runs(folder: Path) -> tuple[list[RunInfo], dict[str, dict[str, float]], str]:
    """The runs folder's records and the numeric settings that vary among them (on a task's
    thread), or no runs and the reason the folder could not be read."""
    from playground.run_records.experiments import varying_numeric_settings
    from playground.run_records.store import list_runs
    try:
        runs = list_runs(folder)
        return runs, varying_numeric_settings(runs), ""
    except OSError as e:
        return [], {}, str(e)


class ExperimentDialog(QDialog):
    """Settings to change (one KEY=VALUE per line) and, for a repeat, the seeds."""

    def __init__(self, parent: QWidget | None, title: str, intro: str, seeds: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.changes = QPlainTextEdit()
        self.changes.setPlaceholderText("training.optimizer=momentum\ntraining.momentum=0.9")
        self.changes.setFixedHeight(90)
        self.seeds = QLineEdit("5")
        form = QFormLayout()
        form.addRow(QLabel(intro))
        form.addRow("Settings to change\n(KEY=VALUE per line):", self.changes)
        if seeds:
            form.addRow("Seeds (N or A-B):", self.seeds)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(buttons)

    def assignments(self) -> list[str]:
        return [line.strip() for line in self.changes.toPlainText().splitlines() if line.strip()]


class CompareWindow(QMainWindow):
    """Opened from Train ▸ Compare Runs…; one per main window."""

    reloaded = Signal()
    """The runs list was read again (tests and the benchmark wait on it)."""
    activity = Signal(str)
    """What the background trainings are doing now (the main window's status bar shows it too)."""

    def __init__(self, folder: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare runs")
        self.folder = runs_dir(folder)
        self.runs: list[RunInfo] = []
        self.settings_by_run: dict[str, dict[str, float]] = {}
        self.process: QProcess | None = None
        self.current_preset: Callable[[], Preset | None] = lambda: None
        """The main window's preset now (set by `open_compare`): what a learning curve trains."""
        self.curve_dialog: CurveDialog | None = None
        self.cv_dialog: CrossValidationDialog | None = None
        self.bias_variance_dialog: BiasVarianceDialog | None = None
        self._select_after: list[str] = []
        self._queue: list[tuple[list[str], str]] = []   # trainings still to start, one after another
        self._made: list[str] = []                      # run ids the queue's trainings printed
        self._loads: list[BackgroundTask] = []
        """Reads of the runs folder in flight (the newest one's result is shown)."""
        self._planning: BackgroundTask | None = None
        """A family's look-up of finished runs that stand in for its trainings."""
        self._doing = ""                    # the running training's message, before its progress
        self._done = ""                     # how the last trainings ended, kept beside the runs count
        self._now = ""                      # what the trainings are doing now, kept while they run
        self._errors: list[str] = []        # the running training's stderr lines so far

        self.browser = RunsBrowser()
        self.browser.selection_changed.connect(self._on_selection)
        self.browser.proxy.layoutChanged.connect(self._on_filter)
        self.browser.proxy.rowsRemoved.connect(self._on_filter)
        self.browser.proxy.rowsInserted.connect(self._on_filter)
        self.overlay = OverlayPlot()
        self.settings_view = SettingsTable()
        self.layers = LayerStatsPlot()
        self.scatter = ScatterPlot()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.overlay, "Curves")
        self.tabs.addTab(self.settings_view, "Settings")
        self.tabs.addTab(self.layers, "Layers")
        self.tabs.addTab(self.scatter, "Metric vs setting")
        self.tabs.currentChanged.connect(lambda _i: self._refresh_views())

        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text, slot in (("reload", "Reload", self.reload), ("twin", "Run a twin…", self.ask_twin),
                                ("repeat", "Repeat…", self.ask_repeat), ("rename", "Rename…", self.ask_rename),
                                ("delete", "Delete", self.ask_delete)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            bar.addWidget(b)
        bar.addStretch(1)
        # model selection on the current preset: each trains in its own dialog, in the background
        selection = QHBoxLayout()
        selection.addWidget(QLabel("Model selection:"))
        for key, text, slot, tip in (
                ("curve", "Learning curve…", self.ask_curve,
                 "Final training and validation metric against the training-set size or one setting"),
                ("cv", "Cross-validate…", self.ask_cv,
                 "k-fold cross-validation of the current preset beside its single split's estimate"),
                ("bias_variance", "Bias and variance…", self.ask_bias_variance,
                 "Squared bias and variance of a regression preset's predictions against model size")):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            self.buttons[key] = b
            selection.addWidget(b)
        selection.addStretch(1)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #555")
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(4, 4, 4, 4)
        left_lay.addLayout(bar)
        left_lay.addLayout(selection)
        left_lay.addWidget(self.browser, 1)
        left_lay.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        self.setCentralWidget(split)
        self.resize(1366, 768)
        split.setSizes([680, 686])   # room for every column of the runs table (see RunsBrowser.fit_columns)
        self._update_buttons([])
        # New or deleted runs (from the app, a terminal, a repeat) show up without a click:
        # the folder is watched, and re-read (at most twice a second) when it changes.
        self._debounce = QTimer(self, singleShot=True, interval=500)
        self._debounce.timeout.connect(self.reload)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self._debounce.start())
        self.reload()

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        self.status.setText(f"Reading {self.folder} …")
        # a runs folder not made yet: watch the folder it will be made in until it is there
        watch = next((p for p in (self.folder, *self.folder.parents) if p.is_dir()), None)
        if watch is not None and str(watch) not in self._watcher.directories():
            self._watcher.addPath(str(watch))
        if watch == self.folder:   # there now: its parents need no watching
            above = [d for d in self._watcher.directories() if Path(d) in self.folder.parents]
            if above:
                self._watcher.removePaths(above)
        folder = self.folder
        task = BackgroundTask(lambda _task: load_runs(folder), self, kind="runs")
        task.done.connect(self._on_loaded)
        task.ended.connect(self._forget_loads)
        self._loads.append(task)
        task.start()

    def _forget_loads(self) -> None:
        for task in [t for t in self._loads if not t.running]:
            self._loads.remove(task)
            task.deleteLater()

    def _on_loaded(self, result: tuple[list[RunInfo], dict[str, dict[str, float]], str]) -> None:
        if self._loads and self.sender() is not self._loads[-1]:
            return   # an older read: a newer one is on its way
        runs, settings, problem = result
        self.runs, self.settings_by_run = runs, settings
        self._watch_running(runs)
        self.browser.set_runs(runs)
        if self._select_after:   # a run id, or a repeat's group id: select its runs
            wanted = set(self._select_after)
            self.browser.select_ids({r.id for r in runs if r.id in wanted or r.group in wanted})
            self._select_after = []
        busy = self.process is not None or self._planning is not None
        note = self._done or (self._now if busy else "")   # a reload while training keeps its progress
        self.status.setText(problem or f"{len(runs)} run{'' if len(runs) == 1 else 's'} in {self.folder}" + (f" · {note}" if note else ""))
        self._on_filter()
        self.reloaded.emit()

    # ------------------------------------------------------------------ views
    def _on_selection(self, runs: list[RunInfo]) -> None:
        self._update_buttons(runs)
        self._refresh_views()

    def _refresh_views(self) -> None:
        """Only the visible tab draws (switching tabs draws the new one)."""
        runs = self.browser.selected()
        page = self.tabs.currentWidget()
        if page is self.overlay:
            self.overlay.set_runs(runs)
        elif page is self.settings_view:
            self.settings_view.set_runs(runs)
        elif page is self.layers:
            self.layers.set_runs(runs)
        else:
            self._on_filter()

    def _on_filter(self, *_: Any) -> None:
        if self.tabs.currentWidget() is self.scatter:
            self.scatter.set_runs(self.browser.visible_runs(), self.settings_by_run)

    def _update_buttons(self, runs: Sequence[RunInfo]) -> None:
        one = len(runs) == 1
        self.buttons["twin"].setEnabled(one and runs[0].status in ("finished", "stopped"))
        self.buttons["repeat"].setEnabled(one and self.process is None)
        self.buttons["rename"].setEnabled(one)
        self.buttons["delete"].setEnabled(bool(runs) and all(r.status != "running" for r in runs))
        if self.process is not None:
            self.buttons["twin"].setEnabled(False)

    # ------------------------------------------------------------------ actions
    def ask_rename(self) -> None:
        runs = self.browser.selected()
        if len(runs) != 1:
            return
        name, ok = QInputDialog.getText(self, "Rename run", f"A name for {runs[0].id}:", text=runs[0].name)
        if ok:
            self.rename(runs[0].id, name)

    def rename(self, run_id: str, name: str) -> None:
        from playground.run_records.store import rename_run
        try:
            rename_run(run_id, name, self.folder)
        except OSError as e:
            QMessageBox.warning(self, "Rename run", str(e))
            return
        self._select_after = [run_id]
        self.reload()

    def ask_delete(self) -> None:
        runs = self.browser.selected()
        if not runs:
            return
        answer = QMessageBox.question(self, "Delete runs", f"Delete {len(runs)} run record"
                                      f"{'s' if len(runs) != 1 else ''} from {self.folder}? This cannot be undone.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete([r.id for r in runs])

    def delete(self, run_ids: Sequence[str]) -> None:
        from playground.run_records.store import delete_run
        problems = []
        for rid in run_ids:
            try:
                delete_run(rid, self.folder)
            except OSError as e:
                problems.append(str(e))
        if problems:
            QMessageBox.warning(self, "Delete runs", "\n".join(problems))
        self.reload()

    def ask_twin(self) -> None:
        runs = self.browser.selected()
        if len(runs) != 1:
            return
        budget = f", for its {runs[0].step_budget} steps" if runs[0].step_budget else ""
        d = ExperimentDialog(self, "Run a twin", f"Train {runs[0].label} again with its seeds (initialization, "
                             f"shuffling, dropout){budget}\nand these settings changed:", seeds=False)
        if d.exec() == QDialog.DialogCode.Accepted and d.assignments():
            self.run_twin(runs[0].id, d.assignments())

    def ask_repeat(self) -> None:
        runs = self.browser.selected()
        if len(runs) != 1:
            return
        budget = f" for its {runs[0].step_budget} steps" if runs[0].step_budget else ""
        d = ExperimentDialog(self, "Repeat over seeds", f"Train {runs[0].preset} (as in {runs[0].label}){budget}\n"
                             "once per seed; changes are optional:", seeds=True)
        if d.exec() == QDialog.DialogCode.Accepted:
            self.run_repeat(str(Path(runs[0].path) / "preset.json"), d.seeds.text().strip() or "5", d.assignments(),
                            steps=runs[0].step_budget)

    def curve_preset(self) -> Preset | None:
        """The main window's preset, or else the one selected run's (its preset.json)."""
        preset = self.current_preset()
        if preset is not None:
            return preset
        runs = self.browser.selected()
        if len(runs) != 1:
            return None
        from playground.params import ProblemList
        from playground.network.preset import load_preset
        try:
            return load_preset(Path(runs[0].path) / "preset.json")
        except (OSError, ValueError, ProblemList) as e:
            QMessageBox.warning(self, "Learning curve", str(e).splitlines()[0])
            return None

    def ask_curve(self) -> CurveDialog | None:
        """Open the learning/complexity curve dialog for the current preset (one at a time)."""
        if self.curve_dialog is not None and self.curve_dialog.isVisible():
            self.curve_dialog.raise_()
            return self.curve_dialog
        preset = self.curve_preset()
        if preset is None:
            QMessageBox.information(self, "Learning curve", "Open a preset in the main window, or select one run, "
                                    "to draw its learning curve.")
            return None
        if self.curve_dialog is not None:
            self.curve_dialog.deleteLater()
        self.curve_dialog = CurveDialog(preset, self)
        self.curve_dialog.show()
        return self.curve_dialog

    def ask_cv(self) -> CrossValidationDialog | None:
        """Open the cross-validation dialog for the current preset (one at a time); its runs are
        recorded in this window's runs folder and selected here once done."""
        if self.cv_dialog is not None and self.cv_dialog.isVisible():
            self.cv_dialog.raise_()
            return self.cv_dialog
        preset = self.curve_preset()
        if preset is None:
            QMessageBox.information(self, "Cross-validate", "Open a preset in the main window, or select one run, "
                                    "to cross-validate it.")
            return None
        if self.cv_dialog is not None:
            self.cv_dialog.deleteLater()
        self.cv_dialog = CrossValidationDialog(preset, self.folder, self)
        self.cv_dialog.finished_runs.connect(self._select_group)
        self.cv_dialog.show()
        return self.cv_dialog

    def _select_group(self, group: str) -> None:
        self._select_after = [group]
        self.reload()

    def ask_bias_variance(self) -> BiasVarianceDialog | None:
        """Open the bias-and-variance dialog for the current preset (one at a time)."""
        if self.bias_variance_dialog is not None and self.bias_variance_dialog.isVisible():
            self.bias_variance_dialog.raise_()
            return self.bias_variance_dialog
        preset = self.curve_preset()
        if preset is None:
            QMessageBox.information(self, "Bias and variance", "Open a regression preset in the main window, or "
                                    "select one run, to measure its bias and variance.")
            return None
        if self.bias_variance_dialog is not None:
            self.bias_variance_dialog.deleteLater()
        self.bias_variance_dialog = BiasVarianceDialog(preset, self)
        self.bias_variance_dialog.show()
        return self.bias_variance_dialog

    def run_twin(self, run_id: str, assignments: Sequence[str]) -> None:
        args = ["twin", run_id] + [x for a in assignments for x in ("--set", a)]
        self._start(args, f"Training a twin of {run_id} …")

    def run_family(self, presets: Sequence[str], seed: int, assignments: Sequence[str] = ()) -> None:
        """Train each preset (a file or built-in name) with the same seed, so all three seeds agree
        (the runs are twins in all but their presets' differences), one after another in the
        background, then select them all: the Settings tab shows what differs, Curves both curves.
        A finished record of the same preset, seeds and library versions stands in for a training
        (it would give the same record bit for bit); it is looked up off the GUI thread first."""
        if not presets:
            return
        if self.process is not None or self._planning is not None:
            QMessageBox.information(self, "Busy", "A twin or repeat is still training; wait for it to finish.")
            return
        from playground.run_records.reuse import reusable_family
        refs, folder, args = [str(p) for p in presets], self.folder, list(assignments)
        task = BackgroundTask(lambda _task: reusable_family(refs, seed, args, folder), self, kind="runs")
        task.done.connect(lambda found: self._train_family(refs, seed, args, found))
        task.failed.connect(lambda _message: self._train_family(refs, seed, args, [None] * len(refs)))
        task.ended.connect(self._planned)
        self._planning = task
        self._say("Looking for finished runs of the same presets and seeds …")
        self._update_buttons(self.browser.selected())
        task.start()

    def _planned(self) -> None:
        if self._planning is not None:
            self._planning.deleteLater()
            self._planning = None
        self._update_buttons(self.browser.selected())

    def _train_family(self, refs: list[str], seed: int, assignments: list[str], found: list[str | None]) -> None:
        """Start the trainings no finished record stands in for; select all once they are done."""
        sets = [x for a in assignments for x in ("--set", a)]
        reused = [rid for rid in found if rid]
        todo = [ref for ref, rid in zip(refs, found) if not rid]
        steps = [(["train", ref, "--seed", str(seed), *sets], f"Training {Path(ref).stem} ({k + 1} of {len(todo)} "
                  f"to train, seed {seed})") for k, ref in enumerate(todo)]
        if not steps:
            self._select_after = reused
            self.reload()
            self._say(f"Shown from finished runs (same presets, seeds and versions; nothing to train): "
                      f"{', '.join(reused)}", done=True)
            return
        self._made, self._queue = reused, steps[1:]
        self._start(*steps[0])

    def run_repeat(self, preset: str, seeds: str, assignments: Sequence[str], steps: int | None = None) -> None:
        """Train `preset` over `seeds`; `steps`: a search trial's budget, which its repeats keep."""
        args = ["repeat", preset, "--seeds", seeds] + [x for a in assignments for x in ("--set", a)]
        if steps:
            args += ["--steps", str(steps)]
        self._start(args, f"Training seeds {seeds} …")

    def _start(self, args: list[str], message: str) -> None:
        if self.process is not None:
            QMessageBox.information(self, "Busy", "A twin or repeat is still training; wait for it to finish.")
            return
        p = QProcess(self)
        p.setProgram(sys.executable)
        p.setArguments(["-m", "playground", *args, "--runs-dir", str(self.folder)])
        p.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        p.finished.connect(self._on_process_done)
        p.readyReadStandardError.connect(self._on_training_output)
        self.process = p
        self._doing, self._errors = message.rstrip(" …"), []
        self._say(message)
        self._update_buttons(self.browser.selected())
        p.start()

    def _on_training_output(self) -> None:
        """The training prints a line per epoch ("epoch 3/300 val_loss …") on stderr: show it."""
        p = self.process
        if p is None:
            return
        lines = bytes(p.readAllStandardError().data()).decode(errors="replace").splitlines()
        self._errors = (self._errors + [line for line in lines if line.strip()])[-20:]
        epochs = [line.split()[1] for line in lines if line.startswith("epoch ") and len(line.split()) > 1]
        if epochs:
            self._say(f"{self._doing}: epoch {epochs[-1]} …")

    def _say(self, text: str, done: bool = False) -> None:
        """Show what the trainings do (and, `done`, keep how they ended beside the runs count)."""
        self._done = text if done else ""
        self._now = text
        self.status.setText(text)
        self.activity.emit(text)

    def _watch_running(self, runs: Sequence[RunInfo]) -> None:
        """Watch the folders of running records too: a run that ends rewrites its run.json there,
        not in the runs folder, and the table should say so without a Reload."""
        running = {r.path for r in runs if r.status == "running"}
        watched = {d for d in self._watcher.directories() if str(Path(d).parent) == str(self.folder)}
        if watched - running:
            self._watcher.removePaths(sorted(watched - running))
        if running - watched:
            self._watcher.addPaths(sorted(running - watched))

    def _on_process_done(self, code: int, _status: Any) -> None:
        p, self.process = self.process, None
        if p is None:
            return
        out = bytes(p.readAllStandardOutput().data()).decode(errors="replace").strip().splitlines()
        err = self._errors + bytes(p.readAllStandardError().data()).decode(errors="replace").strip().splitlines()
        p.deleteLater()
        if code == 0 and out and self._queue:   # a family: train its next member
            self._made.append(out[-1].strip())
            self._start(*self._queue.pop(0))
            return
        if code == 0 and out:
            new = out[-1].strip()
            self._select_after = [*self._made, new]
            self._made = []
            self.reload()
            made = [f"repeat group {i} (its runs are selected)" if i.startswith("g-") else i for i in self._select_after]
            self._say(f"Done: {', '.join(made)}", done=True)
        else:
            self._queue, self._made = [], []
            self._say("Training failed")
            QMessageBox.warning(self, "Training failed", err[-1] if err else f"exit status {code}")
            self.reload()
        self._update_buttons(self.browser.selected())

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        for dialog in (self.curve_dialog, self.cv_dialog, self.bias_variance_dialog):
            if dialog is not None:
                dialog.close()   # stops and joins its trainings
        self._queue = []
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)
            self.process = None
        for task in self._loads + ([self._planning] if self._planning is not None else []):
            task.wait(LOAD_JOIN_S)   # a read cannot be interrupted: wait for it, bounded
        super().closeEvent(event)


def open_compare(owner: QWidget, folder: str | Path | None = None) -> CompareWindow:
    """Show the owner's compare window (one per main window), reading the runs folder afresh."""
    window = getattr(owner, "compare_window", None)
    if window is None:
        window = CompareWindow(folder, owner)
        window.setWindowFlag(Qt.WindowType.Window, True)
        doc = getattr(owner, "doc", None)
        if doc is not None:
            window.current_preset = lambda: doc.preset.copy()
        owner.compare_window = window  # type: ignore[attr-defined]
    else:
        window.reload()
    window.show()
    window.raise_()
    window.activateWindow()
    return window
