"""Bias and variance, measured, in the compare view: the current (regression) preset trained on many
training sets drawn from its generator, for each value of one setting (a model size), and its
squared error on fixed test points split into the notes' squared bias, variance and noise.

The numbers are the engine's (`playground.selection.bias_variance`); the trainings run on a
`BackgroundTask`, one after another, with progress, and stop between trainings when the dialog
closes or Stop is pressed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QFormLayout, QLineEdit, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QWidget)

from playground.network.spec import Preset
from widgets.compare.curves import positions
from widgets.compare.plots import CaptionedPlot
from widgets.compare.selection_dialog import STOPPED, Cancelled, SelectionDialog
from widgets.tasks import BackgroundTask

PARTS = (("bias2", "bias²", "#d62728", Qt.PenStyle.SolidLine),
         ("variance", "variance", "#1f77b4", Qt.PenStyle.SolidLine),
         ("noise", "noise", "#7f7f7f", Qt.PenStyle.DotLine),
         ("test_error", "test error (measured)", "#000000", Qt.PenStyle.SolidLine),
         ("decomposed", "bias² + variance + noise", "#2ca02c", Qt.PenStyle.DashLine))
"""What is drawn: the engine's field, its name, colour and line style."""

@dataclass(frozen=True)
class BiasVarianceRequest:
    preset: Preset          # epochs set
    setting: str
    values: list[Any]
    n_sets: int
    n_test: int

    @property
    def trainings(self) -> int:
        return len(self.values) * self.n_sets


def compute(request: BiasVarianceRequest, task: BackgroundTask):
    """The engine's decomposition per value (on the task's thread); `task.progress` after each training."""
    from playground.selection.bias_variance import bias_variance
    done = [0]

    def tick(value: Any, k: int) -> None:
        done[0] += 1
        task.progress.emit((done[0], request.trainings, value, k))
        if task.cancelled:
            raise Cancelled(STOPPED)

    return bias_variance(request.preset, request.setting, request.values, n_sets=request.n_sets,
                         n_test=request.n_test, on_done=tick)


def default_setting(preset: Preset) -> str:
    """The first hidden Linear layer's width (what "model size" means for a small MLP), or ''."""
    linear = [n for n in preset.model.nodes if n.type == "Linear"]
    return f"model.nodes[{linear[0].id}].params.out_features" if len(linear) > 1 else ""


class BiasVariancePlot(CaptionedPlot):
    """bias², variance, noise, the measured test error and the decomposition's sum against the setting."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("squared error", parent)
        self.legend.setWordWrap(True)
        self.lines: dict[str, pg.PlotDataItem] = {}
        for field, _name, colour, style in PARTS:
            symbol = None if field == "noise" else "o"
            self.lines[field] = self.item.plot([], [], pen=pg.mkPen(colour, width=2, style=style), symbol=symbol,
                                               symbolSize=6, symbolBrush=colour, symbolPen=None)

    def show_results(self, results: list[Any], preset_name: str) -> None:
        setting = results[0].setting
        x, log_x, ticks = positions("complexity", setting, results)
        axis = self.item.getAxis("bottom")
        axis.setTicks(None if ticks is None else [ticks])
        if ticks is None and not log_x:
            axis.setTicks([[(float(v), str(r.value)) for v, r in zip(x, results)]])
        self.item.setLabel("bottom", setting + (" (log10)" if log_x else ""))
        self.item.setTitle(f"{preset_name}: squared error on fixed test points, {results[0].n_sets} training sets "
                           "per value", size="10pt")
        for field, *_rest in PARTS:
            self.lines[field].setData(x, np.array([float(getattr(r, field)) for r in results]))
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(
            f'<span style="color:{colour}">&#9473;</span> {name}' for _f, name, colour, _s in PARTS))
        self.item.enableAutoRange()
        if len(x) > 1:   # room at both ends, so the first and last tick labels are drawn whole
            self.item.setXRange(float(np.min(x)), float(np.max(x)), padding=0.08)

    def series(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.lines[field].getData()
        return (np.array([]), np.array([])) if x is None else (np.asarray(x), np.asarray(y))


class BiasVarianceDialog(SelectionDialog):
    """Compare ▸ Bias and variance…: the setting and its values, training sets per value, test
    points, epochs; Draw, progress and Stop; then a table and a plot per value."""

    task_kind = "bias-variance"
    stopped_text = "Stopped: nothing drawn."
    failed_text = "Could not measure: {message}"

    def __init__(self, preset: Preset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = preset.copy()
        self.setWindowTitle(f"Bias and variance: {preset.name or 'this network'}")
        self.setting = QLineEdit(default_setting(self.preset))
        self.setting.setPlaceholderText("model.nodes[fc1].params.out_features")
        self.values = QLineEdit("1,2,4,8,32")
        self.values.setToolTip("The setting's values, separated by commas: one decomposition each")
        self.sets = QSpinBox()
        self.sets.setRange(2, 1000)
        self.sets.setValue(10)
        self.sets.setToolTip("Training sets drawn from the generator per value (data and weight seeds 0, 1, …)")
        self.test_points = QSpinBox()
        self.test_points.setRange(10, 100_000)
        self.test_points.setValue(1000)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(int(self.preset.training.epochs))
        self.epochs.setToolTip("Epochs of each training (the preset's by default)")
        form = QFormLayout()
        form.addRow("Setting:", self.setting)
        form.addRow("Values:", self.values)
        form.addRow("Training sets per value:", self.sets)
        form.addRow("Test points:", self.test_points)
        form.addRow("Epochs per training:", self.epochs)
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["value", "bias²", "variance", "noise", "sum", "test error"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.plot = BiasVariancePlot()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(self.table)
        split.setSizes([380, 150])
        self.draw_button = self.lay_out(
            form, "Draw", split, "Needs a regression preset on generated data with target noise (sine, bowl).")
        self.request: BiasVarianceRequest | None = None
        self.results: list[Any] | None = None
        """The engine's decompositions last drawn (tests compare the view with them)."""
        self.resize(780, 720)

    def make_request(self) -> BiasVarianceRequest:
        """The request the fields describe; ValueError or PresetError (one line) for a bad field."""
        from playground.network.overrides import apply_overrides
        from playground.selection.bias_variance import require_noisy_regression
        from playground.selection.curves import parse_values
        preset = self.preset.copy()
        preset.training.epochs = int(self.epochs.value())
        require_noisy_regression(preset)   # a preset without a noisy generator is refused before any training
        setting = self.setting.text().strip()
        if not setting:
            raise ValueError("name the setting to vary, e.g. model.nodes[fc1].params.out_features")
        values = parse_values(self.values.text())
        for value in values:
            apply_overrides(preset, [f"{setting}={value}"])
        return BiasVarianceRequest(preset, setting, values, int(self.sets.value()), int(self.test_points.value()))

    def compute(self, request: BiasVarianceRequest, task: BackgroundTask) -> Any:
        return compute(request, task)

    def progress_total(self, request: BiasVarianceRequest) -> int:
        return request.trainings

    def starting_text(self, request: BiasVarianceRequest) -> str:
        return (f"Training {request.trainings} networks ({len(request.values)} values × {request.n_sets} "
                "training sets) …")

    def _on_progress(self, info: tuple[int, int, Any, int]) -> None:
        done, total, value, k = info
        self.progress.setValue(done)
        self._say(f"Trained {done} of {total} (value {value}, training set {k}) …")

    def _on_done(self, results: list[Any]) -> None:
        self._finish()
        self.results = results
        assert self.request is not None
        self.plot.show_results(results, self.preset.name or "this network")
        self.table.setRowCount(len(results))
        for r, res in enumerate(results):
            cells = [str(res.value)] + [f"{getattr(res, f):.4g}" for f in
                                        ("bias2", "variance", "noise", "decomposed", "test_error")]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        best = min(results, key=lambda res: res.test_error)
        worst_gap = max(abs(res.decomposed - res.test_error) / res.test_error for res in results
                        if math.isfinite(res.test_error) and res.test_error > 0)
        first, last = results[0], results[-1]
        self._say(f"Smallest test error {best.test_error:.4g} at {best.setting} = {best.value}. From {first.value} to "
                  f"{last.value}: bias² {first.bias2:.3g} → {last.bias2:.3g}, variance {first.variance:.3g} → "
                  f"{last.variance:.3g}. bias² + variance + noise is within {worst_gap:.1%} of the measured test error.")
