"""Learning and complexity curves in the compare view: the current preset trained over a range of
training-set sizes, or of one setting's values, and over a few seeds; the final training and
validation metric drawn as mean ± sd bands against what was varied.

The notes read them the same way: a large gap between the two curves is variance (regularize,
or get more data), both poor and close is bias (add capacity). The numbers are the engine's
(`playground.selection.curves`); the trainings run on a `BackgroundTask`, one after another,
with progress, and stop between trainings when the dialog closes or Stop is pressed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QLineEdit, QSpinBox, QWidget)

from playground.network.spec import Preset
from widgets.tasks import BackgroundTask
from widgets.compare.selection_dialog import STOPPED, Cancelled, SelectionDialog
from widgets.compare.plots import CaptionedPlot, is_log_setting
from playground.run_records.verdicts import clip_to_metric

SPLIT_COLOURS = {"train": "#1f4e79", "val": "#ff7f0e"}
"""The loss panel's colours for the two splits: the same reading everywhere in the app."""
BEST_COLOUR = "#2ca02c"
LEARNING, COMPLEXITY = "learning", "complexity"

@dataclass(frozen=True)
class CurveRequest:
    """What the dialog asks the engine for: the preset (epochs set), what varies, the seeds."""

    kind: str                  # LEARNING | COMPLEXITY
    preset: Preset
    values: list[Any]          # fractions, or the setting's values
    seeds: list[int]
    setting: str = ""

    @property
    def trainings(self) -> int:
        return len(self.values) * len(self.seeds)


def compute(request: CurveRequest, task: BackgroundTask):
    """The engine's curve (on the task's thread); `task.progress` after each training."""
    from playground.selection.curves import complexity_curve, learning_curve
    done = [0]

    def tick(value: Any, seed: int) -> None:
        done[0] += 1
        task.progress.emit((done[0], request.trainings, value, seed))
        if task.cancelled:
            raise Cancelled(STOPPED)

    if request.kind == LEARNING:
        return learning_curve(request.preset, request.values, request.seeds, on_done=tick)
    return complexity_curve(request.preset, request.setting, request.values, request.seeds, on_done=tick)


def positions(kind: str, setting: str, curve_points: Sequence[Any]) -> tuple[np.ndarray, bool, list | None]:
    """Where each point sits on the x axis, whether that axis is logarithmic, and tick labels for
    values that are not numbers (or a penalty's 0 beside its powers of ten): one slot each."""
    if kind == LEARNING:
        return np.array([p.n_train for p in curve_points], dtype=float), False, None
    values = [p.value for p in curve_points]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    if numeric and is_log_setting(setting, [float(v) for v in values]):
        return np.log10(np.array(values, dtype=float)), True, None
    floats = [float(v) for v in values] if numeric else []
    positive = [v for v in floats if v > 0]
    if numeric and not (len(positive) > 1 and max(positive) / min(positive) > 20):
        return np.array(floats), False, None
    return np.arange(len(values), dtype=float), False, [(k, str(v)) for k, v in enumerate(values)]


class CurvePlot(CaptionedPlot):
    """One curve: mean lines of the training and validation metric with ± sd bands, and (for a
    complexity curve) the best validation point marked. Items are made once and reused."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("metric", parent)
        self.means: dict[str, pg.PlotDataItem] = {}
        self.edges: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.bands: dict[str, pg.FillBetweenItem] = {}
        for split in ("train", "val"):
            c = SPLIT_COLOURS[split]
            style = Qt.PenStyle.DashLine if split == "train" else Qt.PenStyle.SolidLine
            self.means[split] = self.item.plot([], [], pen=pg.mkPen(c, width=2, style=style), symbol="o",
                                               symbolSize=7, symbolBrush=c, symbolPen=None)
            top, bottom, self.bands[split] = self.sd_band(c)
            self.edges[split] = (top, bottom)
        self.best = pg.ScatterPlotItem(size=18, symbol="star", pen=pg.mkPen("#1a6e1a"), brush=BEST_COLOUR)
        self.item.addItem(self.best)
        self.best_label = pg.TextItem("", color=BEST_COLOUR, anchor=(0.5, 1.6))
        self.item.addItem(self.best_label)
        self.curve = None

    def show_curve(self, curve: Any, kind: str, n_seeds: int) -> None:
        self.curve = curve
        x, log_x, ticks = positions(kind, curve.varied, curve.points)
        m = curve.metric
        axis = self.item.getAxis("bottom")
        axis.setTicks(None if ticks is None else [ticks])
        if kind == LEARNING:
            axis.setTicks([[(float(p.n_train), f"{p.n_train} ({p.value:g})") for p in curve.points]])
            self.item.setLabel("bottom", "training examples (fraction of the training split)")
        else:
            self.item.setLabel("bottom", curve.varied + (" (log10)" if log_x else ""))
        self.item.setLabel("left", f"final {m}")
        self.item.setTitle(f"{curve.preset}: final {m}, mean ± sd over {n_seeds} seed"
                           f"{'s' if n_seeds != 1 else ''}", size="10pt")
        for split in ("train", "val"):
            mean = np.array([p.metrics[f"{split}_{m}"].mean for p in curve.points], dtype=float)
            std = np.array([p.metrics[f"{split}_{m}"].std for p in curve.points], dtype=float)
            std = np.where(np.isfinite(std), std, 0.0)
            self.means[split].setData(x, mean)
            top, bottom = self.edges[split]
            top.setData(x, clip_to_metric(mean + std, m))   # (an accuracy's band stops at 1, a loss's at 0)
            bottom.setData(x, clip_to_metric(mean - std, m))
            self.bands[split].setCurves(top, bottom)
            self.bands[split].setVisible(n_seeds > 1)
        marks = [f'<span style="color:{SPLIT_COLOURS["train"]}">&#9473; &#9679;</span> training (dashed)',
                 f'<span style="color:{SPLIT_COLOURS["val"]}">&#9473; &#9679;</span> validation']
        if n_seeds > 1:
            marks.append('<span style="color:#666">bands: ± 1 sd over the seeds</span>')
        if kind == COMPLEXITY:
            marks.append(f'<span style="color:{BEST_COLOUR}">&#9733;</span> best validation')
        self.legend.setText("&nbsp;&nbsp;&nbsp;".join(marks))
        if kind == COMPLEXITY:
            best = curve.best
            k = curve.points.index(best)
            y = best.metrics[f"val_{m}"].mean
            self.best.setData([x[k]], [y])
            self.best_label.setText(f"best: {best.value}")
            self.best_label.setPos(x[k], y)
            self.best_label.setVisible(math.isfinite(y))
        else:
            self.best.clear()
            self.best_label.setVisible(False)
        self.item.enableAutoRange()
        if len(x) > 1:   # room at both ends, so the first and last tick labels are drawn whole
            self.item.setXRange(float(np.min(x)), float(np.max(x)), padding=0.08)

    def series(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """The drawn mean line of `split` ("train" or "val"): x and y."""
        x, y = self.means[split].getData()
        return (np.array([]), np.array([])) if x is None else (x, y)



class CurveDialog(SelectionDialog):
    """Compare ▸ Learning curve…: what to vary and over which seeds, a Draw button, progress,
    and the curve."""

    stopped_text = "Stopped: no curve drawn."
    failed_text = "The curve could not be drawn: {message}"

    def __init__(self, preset: Preset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preset = preset.copy()
        self.setWindowTitle(f"Learning and complexity curves: {preset.name or 'this network'}")
        self.kind = QComboBox()
        self.kind.addItem("Learning curve: against the training-set size", LEARNING)
        self.kind.addItem("Complexity curve: against one setting", COMPLEXITY)
        self.fractions = QLineEdit("0.1,0.25,0.5,1")
        self.fractions.setToolTip("Fractions of the training split, each in (0, 1]; validation stays whole")
        self.setting = QLineEdit()
        self.setting.setPlaceholderText("training.l2  or  model.nodes[linear1].params.out_features")
        self.values = QLineEdit()
        self.values.setPlaceholderText("0,1e-4,1e-3,1e-2")
        self.seeds = QLineEdit("3")
        self.seeds.setToolTip("N (seeds 0..N-1) or A-B: each point is trained once per seed")
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.setValue(int(self.preset.training.epochs))
        self.epochs.setToolTip("Epochs of each training (the preset's by default)")
        self.form = QFormLayout()
        self.form.addRow("Curve:", self.kind)
        self.form.addRow("Training-set fractions:", self.fractions)
        self.form.addRow("Setting:", self.setting)
        self.form.addRow("Values:", self.values)
        self.form.addRow("Seeds (N or A-B):", self.seeds)
        self.form.addRow("Epochs per training:", self.epochs)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.plot = CurvePlot()
        self.draw_button = self.lay_out(self.form, "Draw", self.plot)
        self.request: CurveRequest | None = None
        self.curve = None
        """The engine's curve last drawn (tests compare the plot with it)."""
        self.resize(760, 620)
        self._kind_changed()

    def _kind_changed(self, *_: Any) -> None:
        learning = self.kind.currentData() == LEARNING
        for field, shown in ((self.fractions, learning), (self.setting, not learning), (self.values, not learning)):
            field.setVisible(shown)
            self.form.labelForField(field).setVisible(shown)

    def make_request(self) -> CurveRequest:
        """The request the fields describe; ValueError or PresetError (one line) for a bad field."""
        from playground.run_records.experiments import parse_seeds
        from playground.network.overrides import apply_overrides
        from playground.selection.curves import parse_fractions, parse_values
        preset = self.preset.copy()
        preset.training.epochs = int(self.epochs.value())
        seeds = parse_seeds(self.seeds.text().strip() or "3")
        if self.kind.currentData() == LEARNING:
            text = self.fractions.text()
            try:
                fractions = parse_fractions(text)
            except ValueError:
                raise ValueError(f"training-set fractions are numbers in (0, 1] separated by commas, "
                                 f"e.g. 0.1,0.5,1; got {text!r}") from None
            return CurveRequest(LEARNING, preset, fractions, seeds)
        setting = self.setting.text().strip()
        if not setting:
            raise ValueError("name the setting to vary, e.g. training.l2")
        values = parse_values(self.values.text())
        for value in values:   # a bad path or value is refused before any training
            apply_overrides(preset, [f"{setting}={value}"])
        return CurveRequest(COMPLEXITY, preset, values, seeds, setting)

    def compute(self, request: CurveRequest, task: BackgroundTask) -> Any:
        return compute(request, task)

    def progress_total(self, request: CurveRequest) -> int:
        return request.trainings

    def starting_text(self, request: CurveRequest) -> str:
        return f"Training {request.trainings} networks ({len(request.values)} points × {len(request.seeds)} seeds) …"

    def _on_progress(self, info: tuple[int, int, Any, int]) -> None:
        done, total, value, seed = info
        self.progress.setValue(done)
        self._say(f"Trained {done} of {total} (value {value}, seed {seed}) …")

    def _on_done(self, curve: Any) -> None:
        self._finish()
        self.curve = curve
        assert self.request is not None
        self.plot.show_curve(curve, self.request.kind, len(self.request.seeds))
        m = curve.metric
        text = f"Final {m} against {'the training-set size' if self.request.kind == LEARNING else curve.varied}."
        if self.request.kind == COMPLEXITY:
            best = curve.best.metrics[f"val_{m}"]
            text += f" Best validation {m}: {best.mean:.4g} at {curve.varied} = {curve.best.value}."
        last = curve.points[-1]
        train, val = last.metrics[f"train_{m}"].mean, last.metrics[f"val_{m}"].mean
        if math.isfinite(train) and math.isfinite(val):
            text += (f" At {f'{last.n_train} training examples' if self.request.kind == LEARNING else f'{curve.varied} = {last.value}'}:"
                     f" training {train:.3g}, validation {val:.3g} (gap {abs(train - val):.3g}).")
        text += " A wide gap between training and validation is variance; both poor and close is bias."
        self._say(text)
