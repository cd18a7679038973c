"""The compare view: the runs browser on the left; on the right the selected runs' curves,
their differing settings, per-layer statistics, and a final metric against a setting over all
listed runs. Runs a twin, a seed repeat or a lesson's family (presets trained with one seed, one
after another) as background `playground` processes.

Records are read on a loader thread (a runs folder may sit on a slow disk); the window only
draws. It never touches a live Trainer: comparisons read records.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

from PySide6.QtCore import QFileSystemWatcher, QObject, QProcess, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit, QMainWindow,
    QMessageBox, QPlainTextEdit, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from playground.run_records.store import RunInfo, runs_dir
from playground.network.spec import Preset
from widgets.compare.browser import RunsBrowser
from widgets.compare.curves import CurveDialog
from widgets.compare.plots import LayerStatsPlot, OverlayPlot, ScatterPlot
from widgets.compare.settings_table import SettingsTable


class _Loader(QObject):
    """Reads the runs folder on a plain thread; `loaded` arrives queued on the GUI thread."""

    loaded = Signal(object)

    def load(self, folder: Path) -> None:
        def work() -> None:
            from playground.run_records.experiments import varying_numeric_settings
            from playground.run_records.store import list_runs
            try:
                runs = list_runs(folder)
                result: Any = (runs, varying_numeric_settings(runs), "")
            except OSError as e:
                result = ([], {}, str(e))
            self.loaded.emit(result)
        threading.Thread(target=work, name="runs-loader", daemon=True).start()


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
        self._select_after: list[str] = []
        self._queue: list[tuple[list[str], str]] = []   # trainings still to start, one after another
        self._made: list[str] = []                      # run ids the queue's trainings printed
        self._loader = _Loader(self)
        self._loader.loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

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
                                ("delete", "Delete", self.ask_delete), ("curve", "Learning curve…", self.ask_curve)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            self.buttons[key] = b
            bar.addWidget(b)
        bar.addStretch(1)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #555")
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(4, 4, 4, 4)
        left_lay.addLayout(bar)
        left_lay.addWidget(self.browser, 1)
        left_lay.addWidget(self.status)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 6)
        self.setCentralWidget(split)
        self.resize(1366, 768)
        split.setSizes([600, 766])
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
        if self.folder.is_dir() and str(self.folder) not in self._watcher.directories():
            self._watcher.addPath(str(self.folder))
        self._loader.load(self.folder)

    def _on_loaded(self, result: tuple[list[RunInfo], dict[str, dict[str, float]], str]) -> None:
        runs, settings, problem = result
        self.runs, self.settings_by_run = runs, settings
        self.browser.set_runs(runs)
        if self._select_after:   # a run id, or a repeat's group id: select its runs
            wanted = set(self._select_after)
            self.browser.select_ids({r.id for r in runs if r.id in wanted or r.group in wanted})
            self._select_after = []
        self.status.setText(problem or f"{len(runs)} runs in {self.folder}")
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
        d = ExperimentDialog(self, "Run a twin", f"Train {runs[0].label} again with the same three seeds\n"
                             "and these settings changed:", seeds=False)
        if d.exec() == QDialog.DialogCode.Accepted and d.assignments():
            self.run_twin(runs[0].id, d.assignments())

    def ask_repeat(self) -> None:
        runs = self.browser.selected()
        if len(runs) != 1:
            return
        d = ExperimentDialog(self, "Repeat over seeds", f"Train {runs[0].preset} (as in {runs[0].label})\n"
                             "once per seed; changes are optional:", seeds=True)
        if d.exec() == QDialog.DialogCode.Accepted:
            self.run_repeat(str(Path(runs[0].path) / "preset.json"), d.seeds.text().strip() or "5", d.assignments())

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

    def run_twin(self, run_id: str, assignments: Sequence[str]) -> None:
        args = ["twin", run_id] + [x for a in assignments for x in ("--set", a)]
        self._start(args, f"Training a twin of {run_id} …")

    def run_family(self, presets: Sequence[str], seed: int, assignments: Sequence[str] = ()) -> None:
        """Train each preset (a file or built-in name) with the same seed, so all three seeds agree
        (the runs are twins in all but their presets' differences), one after another in the
        background, then select them all: the Settings tab shows what differs, Curves both curves."""
        sets = [x for a in assignments for x in ("--set", a)]
        steps = [(["train", str(p), "--seed", str(seed), *sets], f"Training {Path(str(p)).stem} "
                  f"({k + 1} of {len(presets)}, seed {seed}) …") for k, p in enumerate(presets)]
        if not steps:
            return
        if self.process is not None:
            self._start(*steps[0])   # busy: it says so and starts nothing
            return
        self._made, self._queue = [], steps[1:]
        self._start(*steps[0])

    def run_repeat(self, preset: str, seeds: str, assignments: Sequence[str]) -> None:
        args = ["repeat", preset, "--seeds", seeds] + [x for a in assignments for x in ("--set", a)]
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
        self.process = p
        self.status.setText(message)
        self._update_buttons(self.browser.selected())
        p.start()

    def _on_process_done(self, code: int, _status: Any) -> None:
        p, self.process = self.process, None
        if p is None:
            return
        out = bytes(p.readAllStandardOutput().data()).decode(errors="replace").strip().splitlines()
        err = bytes(p.readAllStandardError().data()).decode(errors="replace").strip().splitlines()
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
            self.status.setText(f"Done: {', '.join(self._select_after)}")
        else:
            self._queue, self._made = [], []
            QMessageBox.warning(self, "Training failed", err[-1] if err else f"exit status {code}")
            self.reload()
        self._update_buttons(self.browser.selected())

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        if self.curve_dialog is not None:
            self.curve_dialog.close()   # stops and joins its trainings
        self._queue = []
        if self.process is not None:
            self.process.kill()
            self.process.waitForFinished(3000)
            self.process = None
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
