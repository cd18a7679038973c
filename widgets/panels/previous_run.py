"""The loss panel's faint 'previous run' overlay (issue 12): earlier runs are shown only in the
compare view or as this overlay, which the person turns on. The panel keeps the curves of the
run it last cleared away (a new run, Reset Weights), so the next run can be read against them;
a reset clears the current run only, never this one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

PREVIOUS_COLOUR = (110, 110, 110, 120)
"""Faint grey: context, not a curve of this run."""


@dataclass
class PreviousCurves:
    """Copies of a run's curves as the loss panel drew them."""

    steps: np.ndarray
    smoothed: np.ndarray
    """The smoothed per-step training loss."""
    epoch_steps: np.ndarray
    val_loss: np.ndarray
    """The validation loss per epoch."""


class PreviousRunOverlay:
    """Owned by the loss panel: `keep` the curves of a run as it is cleared away, `show` them
    (off by default). Its curves are drawn beneath the current run's and listed in the legend
    while shown."""

    def __init__(self, plot: pg.PlotItem, legend: pg.LegendItem | None = None) -> None:
        self.plot, self.legend = plot, legend
        self.curves: PreviousCurves | None = None
        self.shown = False
        self.train_curve = pg.PlotDataItem(pen=pg.mkPen(PREVIOUS_COLOUR, width=2))
        self.val_curve = pg.PlotDataItem(pen=pg.mkPen(PREVIOUS_COLOUR, width=1, style=Qt.PenStyle.DashLine))
        for curve in (self.train_curve, self.val_curve):
            curve.setZValue(-10)
            curve.setVisible(False)
            plot.addItem(curve)
        self._in_legend = False

    def keep(self, steps: np.ndarray, smoothed: np.ndarray, epoch_steps: np.ndarray, val_loss: np.ndarray) -> bool:
        """Hold these curves as the previous run's (copies); False (and the earlier run kept)
        when there is nothing to keep, e.g. a panel cleared twice in a row."""
        if not len(steps):
            return False
        self.curves = PreviousCurves(np.array(steps, dtype=np.float64), np.array(smoothed, dtype=np.float64),
                                     np.array(epoch_steps, dtype=np.float64), np.array(val_loss, dtype=np.float64))
        self._draw()
        return True

    def show(self, on: bool) -> None:
        self.shown = bool(on)
        self._draw()

    def _draw(self) -> None:
        visible = self.shown and self.curves is not None
        if visible:
            c = self.curves
            self.train_curve.setData(c.steps, c.smoothed, connect="finite")
            if len(c.epoch_steps) and np.isfinite(c.val_loss).any():
                self.val_curve.setData(c.epoch_steps, c.val_loss, connect="finite")
            else:
                self.val_curve.setData([], [])
        else:
            self.train_curve.setData([], [])
            self.val_curve.setData([], [])
        self.train_curve.setVisible(visible)
        self.val_curve.setVisible(visible)
        if self.legend is not None and visible != self._in_legend:
            if visible:
                self.legend.addItem(self.train_curve, "previous run (train smoothed, val dashed)")
            else:
                self.legend.removeItem(self.train_curve)
            self._in_legend = visible
