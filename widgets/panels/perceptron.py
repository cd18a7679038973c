"""The perceptron rule: mistakes per epoch against the convergence theorem's bound (R/γ)².

On separable data the total number of mistakes can never pass (R/γ)²; on data that is not
separable (XOR) the mistakes never stop, which is the lecture's point.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from playground.training.events import PerceptronEvent
from widgets.panels.base import (
    GrowingArray, Panel, axis_items, curves_table, graphics_layout, legend_above, show_grid, style_plot)


class PerceptronPanel(Panel):
    title = "Perceptron"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_canvas(graphics_layout(self))
        self.plot = style_plot(pg.PlotItem(axisItems=axis_items()), "Mistakes of the perceptron rule",
                               "mistakes", "epoch")
        legend_above(self.plot, self.canvas.ci, row=0, columns=2)
        self.canvas.ci.addItem(self.plot, row=1, col=0)
        show_grid(self.plot)
        self.per_epoch = pg.BarGraphItem(x=[], height=[], width=0.7, brush="#1f77b4", name="per epoch")
        self.plot.addItem(self.per_epoch)
        self.total_curve = self.plot.plot(pen=pg.mkPen("#ff7f0e", width=2), symbol="o", symbolSize=5,
                                          symbolBrush="#ff7f0e", symbolPen=None, name="total so far")
        self.bound = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("#d62728", width=1.5,
                                                                          style=Qt.PenStyle.DashLine),
                                     label="(R/γ)² bound", labelOpts={"position": 0.1, "color": "#d62728"})
        self.bound.setVisible(False)
        self.plot.addItem(self.bound)
        self.epochs = GrowingArray(64, limit=8192)   # (thinned alike past 8192 epochs: a run that never converges)
        self.mistakes = GrowingArray(64, limit=8192)
        self.totals = GrowingArray(64, limit=8192)
        self.last: PerceptronEvent | None = None
        self.set_idle_hint("Perceptron presets only: mistakes per epoch and the theorem's bound.")

    def ingest(self, events: list[object]) -> bool:
        for e in events:
            if isinstance(e, PerceptronEvent):
                self.epochs.append(e.epoch)
                self.mistakes.append(e.mistakes)
                self.totals.append(e.total_mistakes)
                self.last = e
                self.received += 1
        return any(isinstance(e, PerceptronEvent) for e in events)

    def render(self) -> None:
        new = self.last
        if new is None:
            return
        self.per_epoch.setOpts(x=self.epochs.view(), height=self.mistakes.view())
        self.total_curve.setData(self.epochs.view(), self.totals.view())
        if new.bound is not None:
            self.bound.setPos(new.bound)
            self.bound.setVisible(True)
        margin = f"γ = {new.margin:.3g}, " if new.margin is not None else ""
        self.set_hint(f"R = {new.radius:.3g}, {margin}"
                      f"{'separable' if new.separable else 'not separable'}. {new.message}")

    def clear(self) -> None:
        super().clear()
        for buf in (self.epochs, self.mistakes, self.totals):
            buf.clear()
        self.last = None
        self.per_epoch.setOpts(x=[], height=[])
        self.total_curve.setData([], [])
        self.bound.setVisible(False)

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        return curves_table([("mistakes_per_epoch", self.epochs.view(), self.mistakes.view()),
                             ("total_mistakes", self.epochs.view(), self.totals.view())])
