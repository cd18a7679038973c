"""Update/weight ratio ||ΔW||/||W|| per layer over time, on a log axis with the 1e-3 guide.

The lectures' rule of thumb: about 1e-3 is healthy; far above, the learning rate is too high
(weights thrash); far below, too low (weights barely move).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from playground.events import ProbeEvent
from widgets.panels.base import (
    GrowingArray, Panel, colour, curves_table, graphics_layout, log_plot, show_grid, style_plot)
from widgets.panels.ranges import SteadyRange, long_curve

GUIDE = 1e-3


class LayerCurves:
    """One curve per layer, made the first time the layer shows up and updated in place."""

    def __init__(self, plot: pg.PlotItem, fixed_range: bool = False) -> None:
        self.plot = plot
        self.steady = SteadyRange(plot, values=not fixed_range)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.xs: dict[str, GrowingArray] = {}
        self.ys: dict[str, GrowingArray] = {}

    def add(self, layer: str, label: str, x: float, y: float) -> None:
        if layer not in self.curves:
            pen = pg.mkPen(colour(len(self.curves)), width=2)
            self.curves[layer] = long_curve(self.plot, pen=pen, name=label)   # only finite values come
            self.xs[layer], self.ys[layer] = GrowingArray(256), GrowingArray(256)
        self.xs[layer].append(x)
        self.ys[layer].append(y)
        self.steady.take(max(y, 1e-12))

    def redraw(self) -> None:
        last = 0.0
        for layer, curve in self.curves.items():
            ys = self.ys[layer].view()
            # A zero cannot be drawn on a log axis; show the point at the axis' floor instead.
            curve.setData(self.xs[layer].view(), np.maximum(ys, 1e-12))
            last = max(last, self.xs[layer].view()[-1])
        if self.curves:
            self.steady.hold(last + 1)

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        legend = self.plot.legend
        if legend is not None:
            legend.clear()
        self.curves.clear()
        self.xs.clear()
        self.ys.clear()
        self.steady.clear()

    def table(self, prefix: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return [(f"{prefix}{k}", self.xs[k].view(), self.ys[k].view()) for k in self.curves]


class UpdateRatioPanel(Panel):
    title = "Update/weight ratio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_canvas(graphics_layout(self))
        self.plot = style_plot(log_plot(), "||ΔW|| / ||W|| per layer", "update / weight", "step")
        self.canvas.addItem(self.plot)
        show_grid(self.plot)
        self.plot.addLegend(offset=(-8, 4), labelTextColor="#333", colCount=4, verSpacing=-8)
        self.guide = pg.InfiniteLine(pos=np.log10(GUIDE), angle=0, movable=False,
                                     pen=pg.mkPen("#d62728", width=1, style=Qt.PenStyle.DashLine),
                                     label="1e-3", labelOpts={"position": 0.05, "color": "#d62728"})
        self.plot.addItem(self.guide)
        self.layers = LayerCurves(self.plot)
        self.set_hint("||ΔW||/||W|| near the red 1e-3 line is healthy: far above, the learning rate is "
                      "too high; far below, too low.")

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if not isinstance(e, ProbeEvent):
                continue
            for p in e.layers:
                if p.update_ratio is not None and np.isfinite(p.update_ratio):
                    self.layers.add(p.node_id, f"{p.node_id} ({p.layer_type})", e.step, p.update_ratio)
                    new = True
            self.received += 1
        return new

    def render(self) -> None:
        self.layers.redraw()

    def latest(self) -> dict[str, float]:
        return {k: float(v.view()[-1]) for k, v in self.layers.ys.items() if len(v)}

    def clear(self) -> None:
        super().clear()
        self.layers.clear()

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        return curves_table(self.layers.table("update_ratio_"))
