"""Per-layer metrics over time on a log axis: one panel class, shown twice.

- Update/weight ratio ||ΔW||/||W|| with the 1e-3 guide. The lectures' rule of thumb: about
  1e-3 is healthy; far above, the learning rate is too high (weights thrash); far below, too
  low (weights barely move).
- Gradient norm ||∂L/∂W||: early layers far below later ones means vanishing gradients; fast
  growth, exploding ones.

Each layer's curve keeps a bounded history (`MinMaxHistory`), so an hour's run holds steady.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from playground.babysit.diagnoses import THRESHOLDS
from playground.training.events import LayerProbe, ProbeEvent
from widgets.panels.base import (
    Panel, colour, curves_table, graphics_layout, legend_above, log_plot, show_grid, style_plot)
from widgets.panels.history import MinMaxHistory
from widgets.panels.ranges import SteadyRange, long_curve

GUIDE = THRESHOLDS["update_ratio_guide"].value
"""The notes' rule of thumb for the update/weight ratio, drawn as a line (the engine's threshold)."""
LAYER_POINTS = 1024
"""Points kept per layer curve (older ones min/max binned, so every spike stays): more than the
panel's width in pixels, and full within a minute of a fast model's probes."""


class LayerCurves:
    """One curve per layer, made the first time the layer shows up and updated in place."""

    def __init__(self, plot: pg.PlotItem, fixed_range: bool = False) -> None:
        self.plot = plot
        self.steady = SteadyRange(plot, values=not fixed_range)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.series: dict[str, MinMaxHistory] = {}

    def add(self, layer: str, label: str, x: float, y: float) -> None:
        if layer not in self.curves:
            pen = pg.mkPen(colour(len(self.curves)), width=2)
            self.curves[layer] = long_curve(self.plot, pen=pen, name=label)   # only finite values come
            self.series[layer] = MinMaxHistory(LAYER_POINTS)
        self.series[layer].append(x, y)
        self.steady.take(max(y, 1e-12))

    @property
    def xs(self) -> dict[str, np.ndarray]:
        return {k: s.x for k, s in self.series.items()}

    @property
    def ys(self) -> dict[str, np.ndarray]:
        return {k: s.y for k, s in self.series.items()}

    def redraw(self) -> None:
        last = 0.0
        for layer, curve in self.curves.items():
            xs, ys = self.series[layer].view()
            # A zero cannot be drawn on a log axis; show the point at the axis' floor instead.
            curve.setData(xs, np.maximum(ys, 1e-12))
            last = max(last, xs[-1])
        if self.curves:
            self.steady.hold(last + 1)

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        legend = self.plot.legend
        if legend is not None:
            legend.clear()
        self.curves.clear()
        self.series.clear()
        self.steady.clear()

    def table(self, prefix: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [(f"{prefix}{k}", *self.series[k].view()) for k in self.curves]


@dataclass(frozen=True)
class LayerMetric:
    """What a `LayerMetricPanel` shows: which number of each layer's probe, and how to read it."""

    title: str
    field: str            # the LayerProbe attribute
    plot_title: str
    axis: str
    csv_prefix: str
    hint: str
    guide: float | None = None


UPDATE_RATIO = LayerMetric(
    "Update/weight ratio", "update_ratio", "||ΔW|| / ||W|| per layer", "update / weight", "update_ratio_",
    f"||ΔW||/||W|| near the red {GUIDE:g} line is healthy: far above, the learning rate is too high; "
    "far below, too low.", guide=GUIDE)
GRAD_NORM = LayerMetric(
    "Gradients", "grad_norm", "||∂L/∂W|| per layer", "gradient norm", "grad_norm_",
    "Gradient norm per layer: early layers far below later ones means vanishing gradients; "
    "fast growth means exploding ones (try gradient clipping).")


class LayerMetricPanel(Panel):
    """One per-layer number over training time, a curve per layer (legend above the plot)."""

    metric: LayerMetric = UPDATE_RATIO

    def __init__(self, parent: QWidget | None = None, metric: LayerMetric | None = None) -> None:
        super().__init__(parent)
        if metric is not None:
            self.metric = metric
        self.title = self.metric.title
        self.add_canvas(graphics_layout(self))
        self.plot = style_plot(log_plot(), self.metric.plot_title, self.metric.axis, "step")
        legend_above(self.plot, self.canvas.ci, row=0)
        self.canvas.ci.addItem(self.plot, row=1, col=0)
        show_grid(self.plot)
        self.guide = None
        if self.metric.guide is not None:
            self.guide = pg.InfiniteLine(pos=np.log10(self.metric.guide), angle=0, movable=False,
                                         pen=pg.mkPen("#d62728", width=1, style=Qt.PenStyle.DashLine),
                                         label=f"{self.metric.guide:g}",
                                         labelOpts={"position": 0.05, "color": "#d62728"})
            self.plot.addItem(self.guide)
        self.layers = LayerCurves(self.plot)
        self.set_idle_hint(self.metric.hint)

    def value(self, p: LayerProbe) -> float | None:
        return getattr(p, self.metric.field)

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if not isinstance(e, ProbeEvent):
                continue
            for p in e.layers:
                v = self.value(p)
                if v is not None and np.isfinite(v):
                    self.layers.add(p.node_id, f"{p.node_id} ({p.layer_type})", e.step, v)
                    new = True
            self.received += 1
        return new

    def render(self) -> None:
        self.layers.redraw()

    def latest(self) -> dict[str, float]:
        return {k: s.last() for k, s in self.layers.series.items() if len(s)}

    def plots(self) -> list[pg.PlotItem]:
        return [self.plot]

    def clear(self) -> None:
        super().clear()
        self.layers.clear()

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        return curves_table(self.layers.table(self.metric.csv_prefix))


class UpdateRatioPanel(LayerMetricPanel):
    title = UPDATE_RATIO.title
    metric = UPDATE_RATIO


class GradientsPanel(LayerMetricPanel):
    title = GRAD_NORM.title
    metric = GRAD_NORM
