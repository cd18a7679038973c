"""The compare view's plots: curves of the selected runs overlaid (repeat groups as mean ± std
bands), per-layer statistics side by side, and a final metric against a setting.

Each plot makes its items when the selection changes and reuses nothing of a live run: it reads
records only (through playground.run_records.run_data, cached per run).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.babysit.diagnoses import THRESHOLDS
from playground.run_records.store import RunInfo
from playground.run_records.run_data import LAYER_METRICS, Curves, band, last_layer_stats, read_curves
from widgets.panels.base import BACKGROUND, FOREGROUND, LogAxis, axis_items, colour, show_grid
from playground.run_records.verdicts import clip_to_metric

MAX_OVERLAID = 40
"""More selected runs than this are drawn as their first 40 (a plot of 200 lines says nothing)."""


@dataclass
class Entry:
    """One line (a run) or band (a repeat group's selected runs) in the overlay."""

    label: str
    runs: list[RunInfo]

    @property
    def is_group(self) -> bool:
        return len(self.runs) > 1


def entries(runs: Sequence[RunInfo], bands: bool = True) -> list[Entry]:
    """Selected runs as plot entries: runs of one repeat group become one band."""
    out: list[Entry] = []
    groups: dict[str, Entry] = {}
    for r in runs:
        if bands and r.group:
            e = groups.get(r.group)
            if e is None:
                e = groups[r.group] = Entry(f"{r.preset} ({r.group[-4:]})", [])
                out.append(e)
            e.runs.append(r)
        else:
            out.append(Entry(_run_label(r), [r]))
    for e in out:
        if e.is_group and (e.runs[0].group or "").startswith("cv-"):   # `playground cv`: one run per fold
            first = e.runs[0]
            rest = {k: v for k, v in first.changed.items() if k not in ("data.params.folds", "data.params.fold")}
            e.label = f"{first.preset}{_changes(replace(first, changed=rest))} ×{len(e.runs)} folds"
        elif e.is_group:
            e.label = f"{e.runs[0].preset}{_changes(e.runs[0])} ×{len(e.runs)} seeds"
    return out


def _changes(r: RunInfo) -> str:
    if not r.changed:
        return ""
    return " " + ", ".join(f"{k.rsplit('.', 1)[-1]}={v:.3g}" if isinstance(v, float) else f"{k.rsplit('.', 1)[-1]}={v}"
                           for k, v in r.changed.items())


def _run_label(r: RunInfo) -> str:
    return r.name or f"{r.preset}{_changes(r)}" + (f" s{r.seeds.get('init')}" if r.seeds and not r.changed else "")


class CurveCache:
    """Per-run curves, re-read only when the run's metrics.csv changed (a run still training)."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, Curves]] = {}

    def get(self, run: RunInfo) -> Curves:
        path = Path(run.path) / "metrics.csv"
        try:
            stamp = os.stat(path).st_mtime_ns
        except OSError:
            stamp = -1
        hit = self._cache.get(run.id)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        curves = read_curves(run.path)
        self._cache[run.id] = (stamp, curves)
        return curves


def _plot_widget(log_x_axis: bool = False) -> pg.PlotWidget:
    """A white plot with opaque grid lines (translucent ones repaint ~30x slower: see Axis),
    numbers as they are (no "x0.001" prefix), and decade labels when an axis is logarithmic."""
    axes = axis_items()
    if log_x_axis:
        axes["bottom"] = LogAxis("bottom")
    w = pg.PlotWidget(background=BACKGROUND, axisItems=axes)
    show_grid(w.getPlotItem())
    for axis in axes.values():
        axis.enableAutoSIPrefix(False)
    return w


def _plot(title: str, left: str) -> pg.PlotWidget:
    w = _plot_widget()
    item = w.getPlotItem()
    item.setTitle(title, color=FOREGROUND, size="10pt")
    item.setLabel("bottom", "epoch", color=FOREGROUND)
    item.setLabel("left", left, color=FOREGROUND)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setPen(FOREGROUND)
        item.getAxis(axis).setTextPen(FOREGROUND)
    return w


class CaptionedPlot(QWidget):
    """One plot under a caption that says what its marks are (a legend inside the plot would
    cover the first points): the base of the model-selection dialogs' plots. The bottom axis
    is left unlabelled for the subclass, which knows what it varies."""

    def __init__(self, left: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = _plot("", left)
        self.item = self.widget.getPlotItem()
        self.item.setLabel("bottom", "")
        self.legend = QLabel("")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.legend)
        lay.addWidget(self.widget, 1)

    def sd_band(self, colour: str) -> tuple[pg.PlotDataItem, pg.PlotDataItem, pg.FillBetweenItem]:
        """A ± sd band in `colour` (translucent, behind the lines) on the plot, and the two edge
        curves it fills between (not on the plot themselves: set their data, then `setCurves`)."""
        top, bottom = pg.PlotDataItem(pen=pg.mkPen(None)), pg.PlotDataItem(pen=pg.mkPen(None))
        rgb = pg.mkColor(colour)
        band = pg.FillBetweenItem(top, bottom, brush=pg.mkBrush(rgb.red(), rgb.green(), rgb.blue(), 50))
        band.setZValue(-1)
        self.item.addItem(band)
        return top, bottom, band


class _Slot:
    """The items one entry draws on one plot, made once and reused: a validation line and a
    training line, and (made the first time a repeat group needs them) their ± std bands."""

    def __init__(self, item: pg.PlotItem) -> None:
        self.item = item
        self.lines = {split: pg.PlotDataItem() for split in ("val", "train")}
        for line in self.lines.values():
            item.addItem(line)
        self.edges: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self.fills: dict[str, pg.FillBetweenItem] = {}

    def fill(self, split: str) -> pg.FillBetweenItem:
        if split not in self.fills:
            top, bottom = pg.PlotDataItem(pen=pg.mkPen(None)), pg.PlotDataItem(pen=pg.mkPen(None))
            self.edges[split] = (top, bottom)   # not added to the plot: the fill reads their curves
            self.fills[split] = pg.FillBetweenItem(top, bottom)
            self.fills[split].setZValue(-1)
            self.item.addItem(self.fills[split])
        return self.fills[split]

    def hide_fill(self, split: str) -> None:
        if split in self.fills:
            self.fills[split].setVisible(False)

    def hide(self) -> None:
        for split in ("val", "train"):
            self.lines[split].setVisible(False)
            self.hide_fill(split)


class OverlayPlot(QWidget):
    """Loss and accuracy of the selected runs: validation solid, training dashed; a repeat
    group is its mean line with a shaded band of ± one standard deviation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cache = CurveCache()
        self.loss = _plot("Loss", "loss")
        self.acc = _plot("Accuracy", "accuracy")
        self.show_train = QCheckBox("Training curves (dashed)")
        self.show_train.setChecked(True)
        self.bands = QCheckBox("Repeats as mean ± std bands")
        self.bands.setChecked(True)
        self.log_loss = QCheckBox("Log loss axis")
        self.hint = QLabel("Select runs in the table to overlay them (Ctrl/Shift-click for several).")
        self.hint.setStyleSheet("color: #666")
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        for box in (self.show_train, self.bands, self.log_loss):
            box.toggled.connect(lambda _on: self.redraw())
        controls = QHBoxLayout()
        for w in (self.show_train, self.bands, self.log_loss):
            controls.addWidget(w)
        controls.addStretch(1)
        plots = QHBoxLayout()
        plots.addWidget(self.loss)
        plots.addWidget(self.acc)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(controls)
        lay.addWidget(self.hint)
        lay.addWidget(self.legend)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setVisible(False)
        lay.addWidget(self.verdict)
        lay.addLayout(plots, 1)
        self.runs: list[RunInfo] = []
        self.drawn: list[Entry] = []
        self.slots: dict[str, list[_Slot]] = {"loss": [], "acc": []}

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        self.runs = list(runs)[:MAX_OVERLAID]
        self.redraw()

    def _slot(self, which: str, k: int) -> _Slot:
        slots = self.slots[which]
        while len(slots) <= k:
            slots.append(_Slot((self.loss if which == "loss" else self.acc).getPlotItem()))
        return slots[k]

    def redraw(self) -> None:
        log = self.log_loss.isChecked()
        self.loss.getPlotItem().setLogMode(y=log)
        self.drawn = entries(self.runs, self.bands.isChecked())
        self.hint.setVisible(not self.drawn)
        any_acc = False
        penalized = False
        legend = []
        for k, entry in enumerate(self.drawn):
            c = colour(k)
            rgb = pg.mkColor(c)
            curves = [self.cache.get(r) for r in entry.runs]
            penalized |= any(c.penalized for c in curves)
            for which, prefix in (("loss", "loss"), ("acc", "acc")):
                slot = self._slot(which, k)
                for split in ("val", "train"):
                    b = band(curves, f"{split}_{prefix}")
                    line = slot.lines[split]
                    if b is None or (split == "train" and not self.show_train.isChecked()):
                        line.setVisible(False)
                        slot.hide_fill(split)
                        continue
                    any_acc |= which == "acc"
                    x = b.epochs.astype(float)
                    style = Qt.PenStyle.SolidLine if split == "val" else Qt.PenStyle.DashLine
                    line.setPen(pg.mkPen(c, width=2, style=style))
                    line.setData(x, b.mean, symbol="o" if len(x) == 1 else None, symbolBrush=c, symbolSize=5)
                    line.setVisible(True)
                    if entry.is_group and len(x) > 1:
                        lo, hi = clip_to_metric(b.mean - b.std, prefix), clip_to_metric(b.mean + b.std, prefix)
                        if which == "loss" and log:
                            lo = np.log10(np.maximum(lo, 1e-12))
                            hi = np.log10(np.maximum(hi, 1e-12))
                        fill = slot.fill(split)
                        top, bottom = slot.edges[split]
                        top.setData(x, hi)
                        bottom.setData(x, lo)
                        fill.setCurves(top, bottom)
                        fill.setBrush(pg.mkBrush(rgb.red(), rgb.green(), rgb.blue(), 60 if split == "val" else 25))
                        fill.setVisible(True)
                    else:
                        slot.hide_fill(split)
            legend.append(f'<span style="color:{c}">&#9632;</span>&nbsp;{_html(entry.label)}')
        for which in ("loss", "acc"):
            for slot in self.slots[which][len(self.drawn):]:
                slot.hide()
        for w in (self.loss, self.acc):
            w.getPlotItem().enableAutoRange()
        training = "training, without its penalty terms" if penalized and self.show_train.isChecked() else "training"
        self.legend.setText("&nbsp;&nbsp; ".join(legend) + ("" if not legend else
                            f"&nbsp;&nbsp; <span style='color:#666'>(solid: validation, dashed: {training})</span>"))
        self.legend.setVisible(bool(legend))
        self.acc.setVisible(any_acc or not self.drawn)
        self.verdict.setText(self.verdict_text())
        self.verdict.setVisible(bool(self.verdict.text()))

    def verdict_text(self) -> str:
        """Two repeat groups drawn: is each metric apart by more than seed noise? The lesson's
        metric first when the two are a lesson pair, then validation loss and accuracy."""
        groups = [e for e in self.drawn if e.is_group]
        if len(groups) != 2 or len(self.drawn) != 2:
            return ""
        from playground.run_records.experiments import groups_verdicts
        a, b = groups
        verdicts, claim = groups_verdicts(a.runs, b.runs)
        if not verdicts:
            return "A verdict needs at least 2 finished runs in each group."
        lines = [f"{_html(b.label)} against {_html(a.label)}:"]
        if claim is not None:
            held = {True: "holds", False: "does not hold"}.get(claim.get("holds"), "not measured")
            lines.append(f"The lesson of {_html(claim['lesson'])} claims {_html(b.runs[0].preset)} has "
                         f"{claim['claimed']} {claim['metric']}: <b>{held}</b>")
        for v in verdicts:
            colour_ = "#2ca02c" if v.verdict == "outside noise" else "#7f7f7f"
            if v.verdict == "identical results":
                numbers = f"both groups gave the same numbers on every seed (mean {v.a.mean:.3f})"
            else:
                numbers = (f"{v.b.mean:.3f} ± {v.b.std:.2g} vs {v.a.mean:.3f} ± {v.a.std:.2g}, difference "
                           f"{v.difference:+.3f} (95% interval {v.low:+.3f} to {v.high:+.3f}), Welch p = {v.p_value:.2g}")
            lines.append(f"{v.metric}: <b style='color:{colour_}'>{v.verdict}</b> — {numbers}")
        return "<br>".join(lines)

    def entry_labels(self) -> list[str]:
        return [e.label for e in self.drawn]


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class LayerStatsPlot(QWidget):
    """Each layer's update/weight ratio, gradient norm or activation statistics at the last probe
    step, with the selected runs' bars side by side (which layer learned, which one died)."""

    LABELS = {"update_ratio": "update / weight ratio", "grad_norm": "gradient norm",
              "act_mean": "activation mean", "act_std": "activation std", "dead_fraction": "dead fraction"}
    LOG = {"update_ratio", "grad_norm"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        for m in LAYER_METRICS:
            self.metric.addItem(self.LABELS[m], m)
        self.metric.currentIndexChanged.connect(lambda _i: self.redraw())
        self.plot = _plot_widget()
        item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(FOREGROUND)
            item.getAxis(axis).setTextPen(FOREGROUND)
        item.addLegend(offset=(-8, 8), labelTextColor=FOREGROUND, brush=pg.mkBrush(255, 255, 255, 200))
        self.note = QLabel("")
        self.note.setStyleSheet("color: #666")
        top = QHBoxLayout()
        top.addWidget(QLabel("Per layer, at the last probe:"))
        top.addWidget(self.metric)
        top.addWidget(self.note, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.plot, 1)
        self.runs: list[RunInfo] = []
        self._stats: dict[str, dict[str, dict[str, float]]] = {}

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        self.runs = list(runs)[:12]
        self._stats = {r.id: last_layer_stats(r.path) for r in self.runs}
        self.redraw()

    def layers(self) -> list[str]:
        names: list[str] = []
        for r in self.runs:
            for name, s in self._stats.get(r.id, {}).items():
                if name not in names and any(math.isfinite(v) for k, v in s.items() if k != "type"
                                             and isinstance(v, float)):
                    names.append(name)
        return names

    def redraw(self) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.clear()
        metric = self.metric.currentData()
        log = metric in self.LOG
        layers = [n for n in self.layers()
                  if any(math.isfinite(self._stats.get(r.id, {}).get(n, {}).get(metric, math.nan)) for r in self.runs)]
        item.setLabel("left", self.LABELS[metric] + (" (log10)" if log else ""), color=FOREGROUND)
        self.note.setText("" if layers else "No probe statistics for this choice in the selected runs.")
        if not layers:
            return
        n = max(1, len(self.runs))
        width = 0.8 / n
        table = []
        for run in self.runs:
            vals = [self._stats.get(run.id, {}).get(name, {}).get(metric, math.nan) for name in layers]
            table.append(np.array([math.log10(v) if log and v > 0 else (v if not log else math.nan) for v in vals]))
        finite = np.concatenate([t[np.isfinite(t)] for t in table]) if table else np.zeros(0)
        # one baseline for every bar: zero, or on a log scale half a decade below the smallest
        base = math.floor(float(finite.min()) - 0.5) if log and len(finite) else 0.0
        ratio_guide = THRESHOLDS["update_ratio_guide"].value   # the notes' rule of thumb
        guide = math.log10(ratio_guide)
        if metric == "update_ratio":
            base = min(base, guide - 0.5)   # keep the rule-of-thumb line in view, half a decade above the base
        for k, (run, ys) in enumerate(zip(self.runs, table)):
            xs = np.arange(len(layers)) - 0.4 + width * (k + 0.5)
            ok = np.isfinite(ys)
            if not ok.any():
                continue
            item.addItem(pg.BarGraphItem(x=xs[ok], height=ys[ok] - base, y0=base, width=width * 0.9,
                                         brush=colour(k), pen=pg.mkPen(colour(k)), name=_run_label(run)))
        if metric == "update_ratio":   # the rule of thumb from the notes: about 1e-3 per step
            line = pg.InfiniteLine(pos=guide, angle=0, pen=pg.mkPen("#555", style=Qt.PenStyle.DashLine),
                                   label=f"≈{ratio_guide:g}, the rule of thumb",
                                   labelOpts={"position": 0.75, "color": "#333", "fill": (255, 255, 255, 200)})
            line.setZValue(10)
            item.addItem(line)
        item.getAxis("bottom").setTicks([[(i, name) for i, name in enumerate(layers)]])
        item.setXRange(-0.6, len(layers) - 0.4, padding=0)


def is_log_setting(path: str, values: Sequence[float]) -> bool:
    """Scale settings (a learning rate, a penalty strength) read on a log axis: declared
    log-scale, or positive values spread over more than a factor of 20."""
    from playground.network.spec import TRAINING_PARAMS
    name = path.rsplit(".", 1)[-1]
    if path.startswith("training.") and any(p.name == name and p.log_scale for p in TRAINING_PARAMS):
        return all(v > 0 for v in values)
    pos = [v for v in values if v > 0]
    return len(pos) == len(values) and len(pos) > 1 and max(pos) / min(pos) > 20


class ScatterPlot(QWidget):
    """A final metric of many runs against one setting: does the learning rate matter, and where?"""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setting = QComboBox()
        self.setting.setMinimumWidth(260)
        self.metric = QComboBox()
        for key, label in (("val_accuracy", "validation accuracy"), ("val_loss", "validation loss"),
                           ("test_accuracy", "test accuracy"), ("test_loss", "test loss")):
            self.metric.addItem(label, key)
        self.setting.currentIndexChanged.connect(lambda _i: self.redraw())
        self.metric.currentIndexChanged.connect(lambda _i: self.redraw())
        self.plot = _plot_widget(log_x_axis=True)
        item = self.plot.getPlotItem()
        for axis in ("left", "bottom"):
            item.getAxis(axis).setPen(FOREGROUND)
            item.getAxis(axis).setTextPen(FOREGROUND)
        self.scatter = pg.ScatterPlotItem(size=8, pen=pg.mkPen("#1f77b4"), brush=pg.mkBrush(31, 119, 180, 150))
        item.addItem(self.scatter)
        self.note = QLabel("")
        self.note.setStyleSheet("color: #666")
        top = QHBoxLayout()
        top.addWidget(QLabel("Final"))
        top.addWidget(self.metric)
        top.addWidget(QLabel("against"))
        top.addWidget(self.setting, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        lay.addWidget(self.note)
        lay.addWidget(self.plot, 1)
        self.values: dict[str, dict[str, Any]] = {}
        self.runs: list[RunInfo] = []
        self.log_x = False

    def set_runs(self, runs: Sequence[RunInfo], settings: dict[str, dict[str, Any]]) -> None:
        """`settings`: run id -> {path: value} for the numeric settings that vary across runs."""
        self.runs = list(runs)
        self.values = settings
        paths = sorted({p for s in settings.values() for p in s})
        current = self.setting.currentData()
        self.setting.blockSignals(True)
        self.setting.clear()
        for p in paths:
            self.setting.addItem(p, p)
        if current in paths:
            self.setting.setCurrentIndex(paths.index(current))
        elif "training.lr" in paths:
            self.setting.setCurrentIndex(paths.index("training.lr"))
        self.setting.blockSignals(False)
        self.redraw()

    def redraw(self) -> None:
        path, metric = self.setting.currentData(), self.metric.currentData()
        xs, ys, tips = [], [], []
        for r in self.runs:
            x = self.values.get(r.id, {}).get(path)
            y = r.metrics.get(metric)
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(y):
                xs.append(float(x))
                ys.append(float(y))
                tips.append(r.id)
        item = self.plot.getPlotItem()
        self.log_x = bool(xs) and is_log_setting(path or "", xs)
        item.setLogMode(x=self.log_x, y=False)
        item.setLabel("bottom", (path or "setting") + (" (log axis)" if self.log_x else ""), color=FOREGROUND)
        item.setLabel("left", self.metric.currentText(), color=FOREGROUND)
        self.scatter.setData(x=np.log10(xs) if self.log_x else xs, y=ys, data=tips)
        self.note.setText(f"{len(xs)} run{'' if len(xs) == 1 else 's'}" if xs else
                          "No runs differ in a numeric setting yet: train twins or a sweep to fill this plot.")
        if xs:
            item.enableAutoRange()
