"""k-fold cross-validation in the compare view: the current preset trained once per fold and once on
its own single split, in the background, then each fold's validation metric as a table and as
points, their mean ± sd, and the single split's estimate beside them.

The numbers are the engine's (`playground.selection.cv.cross_validate`); every training is a run
record in the compare window's runs folder, the folds as one group (like a repeat), so the runs
browser lists them together and Curves overlays them. Stop ends the work after the training under
way (a fold's record is whole or not there).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QFormLayout, QSpinBox,
    QSplitter, QTableWidget, QTableWidgetItem, QWidget)

from playground.network.spec import Preset
from widgets.compare.curves import SPLIT_COLOURS
from widgets.compare.plots import CaptionedPlot
from widgets.compare.selection_dialog import STOPPED, Cancelled, SelectionDialog
from widgets.tasks import BackgroundTask
from playground.run_records.verdicts import clip_to_metric

FOLD_COLOUR = SPLIT_COLOURS["val"]
"""Each fold's estimate is a validation metric: the loss panel's validation colour."""
SPLIT_COLOUR = "#7b3294"

@dataclass(frozen=True)
class CvRequest:
    preset: Preset          # epochs set
    folds: int
    folder: Path

    @property
    def trainings(self) -> int:
        return self.folds + 1   # the folds, then the single split

    @property
    def epochs(self) -> int:
        return int(self.preset.training.epochs)


def compute(request: CvRequest, task: BackgroundTask):
    """The engine's cross-validation (on the task's thread): `task.progress` gets
    ("epoch", training, epoch) during a training and ("done", training, run id) after each."""
    from playground.selection.cv import cross_validate
    from playground.training.events import EpochEvent
    done = [0]

    def on_event(event: Any) -> None:
        if isinstance(event, EpochEvent):
            task.progress.emit(("epoch", done[0], int(event.epoch)))

    def on_done(what: str, run_id: str) -> None:
        done[0] += 1
        task.progress.emit(("done", done[0], f"{what}: {run_id}"))
        if task.cancelled and done[0] < request.trainings:
            raise Cancelled(STOPPED)

    return cross_validate(request.preset, request.folds, request.folder, device="cpu",
                          on_done=on_done, on_event=on_event)


class FoldPlot(CaptionedPlot):
    """Each fold's estimate as a point, the folds' mean as a line with a ± 1 sd band, and the
    single split's estimate as a diamond beside them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("metric", parent)
        self.top, self.bottom, self.band = self.sd_band(FOLD_COLOUR)
        self.folds = pg.ScatterPlotItem(size=10, symbol="o", pen=None, brush=FOLD_COLOUR)
        self.mean = pg.PlotDataItem(pen=pg.mkPen(FOLD_COLOUR, width=2))
        self.single = pg.ScatterPlotItem(size=14, symbol="d", pen=pg.mkPen("#3d1650"), brush=SPLIT_COLOUR)
        for it in (self.mean, self.folds, self.single):
            self.item.addItem(it)

    def show_result(self, cv: Any) -> None:
        k = len(cv.per_fold)
        x = np.arange(k, dtype=float)
        y = np.array(cv.per_fold, dtype=float)
        self.folds.setData(x, y)
        s = cv.spread
        std = s.std if math.isfinite(s.std) else 0.0
        span = np.array([-0.4, k - 0.6])
        self.mean.setData(span, [s.mean, s.mean])
        self.top.setData(span, [clip_to_metric(s.mean + std, cv.metric)] * 2)   # (an accuracy stops at 1)
        self.bottom.setData(span, [clip_to_metric(s.mean - std, cv.metric)] * 2)
        self.band.setCurves(self.top, self.bottom)
        self.single.setData([float(k) + 0.5], [cv.single_split])
        ticks = [(float(i), f"fold {i}") for i in range(k)] + [(k + 0.5, "single split")]
        self.item.getAxis("bottom").setTicks([ticks])
        self.item.setLabel("left", cv.metric)
        self.item.setTitle(f"{cv.preset}: {k}-fold {cv.metric} against one split", size="10pt")
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join((
            f'<span style="color:{FOLD_COLOUR}">&#9679;</span> each fold (trained on the other {k - 1})',
            f'<span style="color:{FOLD_COLOUR}">&#9473;</span> mean, band ± 1 sd',
            f'<span style="color:{SPLIT_COLOUR}">&#9670;</span> the single split')))
        self.item.setXRange(-0.8, k + 1.1, padding=0)
        values = [v for v in (*cv.per_fold, cv.single_split, s.mean - std, s.mean + std) if math.isfinite(v)]
        if values:
            lo, hi = min(values), max(values)
            pad = max(hi - lo, 1e-3 * max(abs(hi), 1e-6)) * 0.25
            self.item.setYRange(lo - pad, hi + pad, padding=0)

    def fold_points(self) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.folds.getData()
        return np.asarray(x), np.asarray(y)


class CrossValidationDialog(SelectionDialog):
    """Compare ▸ Cross-validate…: the number of folds and the epochs, Run, progress and Stop, then
    the folds' table and plot."""

    task_kind = "cross-validation"
    stopped_text = "Stopped: the folds trained so far are recorded, no estimate is shown."
    failed_text = "Cross-validation failed: {message}"

    finished_runs = Signal(str)
    """The folds' group id once every training is recorded (the compare window selects them)."""

    def __init__(self, preset: Preset, folder: str | Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = preset.copy()
        self.folder = Path(folder)
        self.setWindowTitle(f"Cross-validate: {preset.name or 'this network'}")
        self.folds = QSpinBox()
        self.folds.setRange(2, 20)
        self.folds.setValue(5)
        self.folds.setToolTip("K: the training and validation data are pooled and cut into K stratified folds; "
                              "each fold is the validation set once")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(int(self.preset.training.epochs))
        self.epochs.setToolTip("Epochs of each training (the preset's by default)")
        form = QFormLayout()
        form.addRow("Folds (K):", self.folds)
        form.addRow("Epochs per training:", self.epochs)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["estimate", "metric", "run"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.plot = FoldPlot()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.plot)
        split.setSizes([460, 560])
        self.run_button = self.lay_out(
            form, "Run", split, f"Trains K + 1 networks: one per fold, then the preset's own split. The runs "
                                      f"are recorded in {self.folder}, the folds as one group.")
        self.request: CvRequest | None = None
        self.result = None
        """The engine's CrossValidation last shown (tests compare the view with it)."""
        self.resize(1040, 580)

    def make_request(self) -> CvRequest:
        preset = self.preset.copy()
        preset.training.epochs = int(self.epochs.value())
        return CvRequest(preset, int(self.folds.value()), self.folder)

    def compute(self, request: CvRequest, task: BackgroundTask) -> Any:
        return compute(request, task)

    def progress_total(self, request: CvRequest) -> int:
        return request.trainings * request.epochs

    def starting_text(self, request: CvRequest) -> str:
        return f"Training fold 0 of {request.folds} …"

    def _on_progress(self, info: tuple[str, int, Any]) -> None:
        what, training, value = info
        request = self.request
        if request is None:
            return
        if what == "epoch":
            self.progress.setValue(min(training * request.epochs + value, self.progress.maximum()))
            name = f"fold {training}" if training < request.folds else "the single split"
            if not (self.task is not None and self.task.cancelled):
                self._say(f"Training {name} ({training + 1} of {request.trainings}): epoch {value}/{request.epochs} …")
        else:
            self.progress.setValue(training * request.epochs)

    def _on_done(self, cv: Any) -> None:
        self._finish()
        self.result = cv
        self._fill_table(cv)
        self.plot.show_result(cv)
        s = cv.spread
        reading = cv.single_split_reading
        self._say(f"{cv.folds}-fold {cv.metric}: {s.mean:.4g} ± {s.std:.2g} (sd over the folds; 95% interval of "
                  f"the mean {s.low:.4g} to {s.high:.4g}). {reading[:1].upper() + reading[1:]}. "
                  f"The folds are group {cv.group} in the runs list.")
        self.finished_runs.emit(cv.group)

    def _fill_table(self, cv: Any) -> None:
        s = cv.spread
        rows = [(f"fold {k}", v, run) for k, (v, run) in enumerate(zip(cv.per_fold, cv.runs))]
        rows += [("mean ± sd", s.mean, f"± {s.std:.4g} over {len(cv.per_fold)} folds"),
                 ("single split", cv.single_split, cv.single_split_run)]
        self.table.setRowCount(len(rows))
        self.table.setHorizontalHeaderLabels(["estimate", cv.metric, "run"])
        bold = QFont()
        bold.setBold(True)
        for r, (label, value, run) in enumerate(rows):
            cells = (QTableWidgetItem(label), QTableWidgetItem(f"{value:.4f}"), QTableWidgetItem(run))
            cells[1].setData(Qt.ItemDataRole.UserRole, float(value))
            cells[1].setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for c, cell in enumerate(cells):
                if r >= len(cv.per_fold):
                    cell.setFont(bold)
                self.table.setItem(r, c, cell)
        self.table.resizeColumnsToContents()

    def fold_values(self) -> list[float]:
        """The per-fold values the table shows (its "fold k" rows)."""
        return [float(self.table.item(r, 1).data(Qt.ItemDataRole.UserRole)) for r in range(self.table.rowCount())
                if self.table.item(r, 0).text().startswith("fold ")]

    def shown(self, label: str) -> float:
        """The value of the table's row `label` ("mean ± sd", "single split")."""
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == label:
                return float(self.table.item(r, 1).data(Qt.ItemDataRole.UserRole))
        raise KeyError(label)
