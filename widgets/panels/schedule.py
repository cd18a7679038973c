"""Schedule: the learning rate η and the momentum each step used, over the steps.

A learning-rate decay (step, exponential, 1/t) and a learning rate changed by hand while the
run goes on both show here as they happened; the momentum plot shows ρ (SGD+Momentum,
Nesterov, RMSProp) or Adam's β1, and 0 for plain SGD and Adagrad. Both come from the
LossEvents' per-step `lrs` and `momenta`, kept in bounded histories like the loss curve's.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QWidget

from playground.training.events import LossEvent
from widgets.panels.base import Panel, axis_items, curves_table, graphics_layout, show_grid, style_plot
from widgets.panels.history import MinMaxHistory
from widgets.panels.ranges import SteadyRange, long_curve

CAPACITY = 8192
"""Points each curve keeps; a schedule is smooth, so binned old stretches lose nothing visible."""
HINT = "η and momentum as each step used them; a change made while training shows as a jump."


class SchedulePanel(Panel):
    title = "Schedule"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.set_idle_hint("Start training to see the learning rate η and the momentum over the steps.")
        self.log_box = QCheckBox("Log η", self)
        self.log_box.setToolTip("η on a log axis: exponential decay becomes a straight line")
        self.log_box.toggled.connect(self.set_log)
        self.add_control(self.log_box)
        self.add_canvas(graphics_layout(self))
        self.lr_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "learning rate η", "η", "step")
        self.momentum_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "momentum (ρ or Adam's β1)",
                                        "momentum", "step")
        for plot in (self.lr_plot, self.momentum_plot):
            show_grid(plot)
        self.momentum_plot.setXLink(self.lr_plot)
        self.lr_curve = long_curve(self.lr_plot, pen=pg.mkPen("#1f77b4", width=2))
        self.momentum_curve = long_curve(self.momentum_plot, pen=pg.mkPen("#9467bd", width=2))
        self.lr_range = SteadyRange(self.lr_plot)
        self.lr = MinMaxHistory(CAPACITY)
        self.momentum = MinMaxHistory(CAPACITY)
        self.arrange(False)

    def arrange(self, wide: bool) -> None:
        """η and momentum side by side in a wide, short dock, stacked in a tall one."""
        layout = self.canvas.ci
        for plot in (self.lr_plot, self.momentum_plot):
            if plot in layout.items:
                layout.removeItem(plot)
        layout.addItem(self.lr_plot, row=0, col=0)
        layout.addItem(self.momentum_plot, row=0 if wide else 1, col=1 if wide else 0)

    def set_log(self, on: bool) -> None:
        self.lr_plot.setLogMode(y=on)
        self.dirty = self.dirty or len(self.lr) > 0

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if not isinstance(e, LossEvent) or not len(e.steps):
                continue
            lrs = e.lrs if e.lrs is not None else np.full(len(e.steps), e.lr, dtype=np.float64)
            self.lr.extend(e.steps, lrs)
            if e.momenta is not None:
                self.momentum.extend(e.steps, e.momenta)
            new = True
        if new:
            self.received += 1
        return new

    def render(self) -> None:
        if not len(self.lr):
            return
        x, y = self.lr.view()
        self.lr_curve.setData(x, y)
        self.lr_range.widen(y)
        self.lr_range.hold(float(x[-1]))
        if len(self.momentum):
            self.momentum_curve.setData(*self.momentum.view())
            self.momentum_plot.setYRange(0, 1.0, padding=0.02)   # ρ and β1 live in [0, 1)
        text = f"step {int(x[-1])}: η = {y[-1]:.4g}"
        if len(self.momentum):
            text += f", momentum = {self.momentum.last():.3g}"
        self.set_hint(f"{text}. {HINT}")

    def clear(self) -> None:
        self.lr.clear()
        self.momentum.clear()
        self.lr_curve.setData([], [])
        self.momentum_curve.setData([], [])
        self.lr_range.clear()
        super().clear()

    def csv_table(self):
        return curves_table([("lr", *self.lr.view()), ("momentum", *self.momentum.view())])
