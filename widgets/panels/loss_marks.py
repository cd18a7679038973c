"""What babysitting adds to the Loss & accuracy panel: the expected loss at initialization as a
line on its axis, and the regularization penalty as a curve of its own, so the per-step
training curve is the data loss and compares like with like with the validation loss."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from playground.training.events import LossEvent
from playground.network.spec import Preset
from widgets.panels.history import MinMaxHistory
from widgets.panels.ranges import long_curve

PENALTY_COLOUR = "#9467bd"
EXPECTED_COLOUR = "#8c564b"
LABEL_BACKDROP = (255, 255, 255, 215)
"""The expected-loss label's backdrop: the plot's white, nearly opaque (a curve behind it shows faintly)."""
LABEL_Z = 50
"""Above every curve of the plot (they lie at z 0 and the smoothed one a little above)."""


class LossAnnotations:
    """Owned by the loss panel: `take` each LossEvent (returns its data losses), `render`, `clear`."""

    def __init__(self, plot: pg.PlotItem, legend: pg.LegendItem | None = None) -> None:
        self.plot, self.legend = plot, legend
        self.penalty = MinMaxHistory()
        self.penalty_curve = long_curve(plot, pen=pg.mkPen(PENALTY_COLOUR, width=2, style=Qt.PenStyle.DotLine))
        self._in_legend = False
        self.expected: float | None = None
        self.penalty_names: list[str] = []
        """The run's penalty terms (`losses.penalty_names`), named in the legend."""
        self.expected_line = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(EXPECTED_COLOUR, width=1, style=Qt.PenStyle.DashLine),
            label="", labelOpts={"position": 0.97, "color": EXPECTED_COLOUR, "anchors": [(1, 1), (1, 1)],
                                 "fill": pg.mkBrush(*LABEL_BACKDROP)})
        # Above the curves, on a backdrop: a validation loss near ln C (an overfitting run's) ran through it.
        self.expected_line.setZValue(LABEL_Z)
        self.expected_line.setVisible(False)
        plot.addItem(self.expected_line, ignoreBounds=True)

    def set_expected(self, value: float | None, text: str = "") -> None:
        """Mark the loss a healthy untrained network starts at (ln C for C classes)."""
        self.expected = value
        self.expected_line.setVisible(value is not None)
        if value is not None:
            self.expected_line.setValue(float(value))
            self.expected_line.label.setFormat(f"expected at init: {text} = {value:.3g}")

    def take(self, event: LossEvent) -> np.ndarray:
        """The event's data losses (the engine's series); keeps its penalties for their curve."""
        pen = event.penalties
        if pen is not None and len(pen) == len(event.steps):
            pen = np.asarray(pen, dtype=np.float64)
            ok = np.isfinite(pen)
            if ok.any():
                self.penalty.extend(np.asarray(event.steps)[ok], pen[ok])
        return np.asarray(event.data_loss(), dtype=np.float64)

    def render(self) -> None:
        if len(self.penalty):
            xs, ys = self.penalty.view()
            self.penalty_curve.setData(xs, ys)
            if not self._in_legend and self.legend is not None:
                what = " + ".join(self.penalty_names) or "L1/L2/sparsity/KL"
                self.legend.addItem(self.penalty_curve, f"penalty ({what}, per step)")
                self._in_legend = True

    def clear(self) -> None:
        self.penalty.clear()
        self.penalty_curve.setData([], [])
        if self._in_legend and self.legend is not None:
            self.legend.removeItem(self.penalty_curve)
            self._in_legend = False
        self.set_expected(None)


def mark_expected_initial_loss(panel, preset: Preset) -> None:
    """Called when a run starts: the loss panel's line at the expected initial loss, and the names
    of the run's penalty terms (its training curves are the loss without them)."""
    annotations = getattr(panel, "babysit", None)
    if annotations is None:
        return
    from playground.babysit.checks import expected_initial_loss_of
    from playground.training.losses import penalty_names
    expected = expected_initial_loss_of(preset)
    annotations.set_expected(*(expected if expected else (None, "")))
    annotations.penalty_names = penalty_names(preset.training, {n.type for n in preset.model.nodes})
    name_training_curves = getattr(panel, "name_training_curves", None)
    if name_training_curves is not None:
        name_training_curves(bool(annotations.penalty_names))
