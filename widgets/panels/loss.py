"""Loss & accuracy: training loss per step (raw and smoothed), train/validation per epoch.

Stays fast with a million steps: the step curves live in preallocated buffers grown by
doubling, the smoothed curve is updated only for new points (a running sum), and the curves
draw with pyqtgraph's peak downsampling and clip-to-view.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSlider, QWidget

from playground.events import EpochEvent, LossEvent
from widgets.panels.base import (
    GrowingArray, Panel, axis_items, curves_table, graphics_layout, reset_stretch, show_grid, style_plot)
from widgets.panels.ranges import SteadyRange, long_curve

SMOOTHING_STEPS = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000)
"""Moving-average windows the slider offers (steps)."""
MAX_SYMBOLS = 60
"""Per-epoch curves show a marker per epoch up to this many epochs (markers are slow to paint)."""
class LossPanel(Panel):
    title = "Loss & accuracy"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_box = QCheckBox("Log scale", self)
        self.log_box.setToolTip("Loss on a log axis: later, smaller improvements stay visible")
        self.log_box.toggled.connect(self.set_log)
        self.add_control(self.log_box)
        self.add_control(QLabel("Smoothing:", self))
        self.smooth_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.smooth_slider.setMinimumWidth(60)
        self.smooth_slider.setMaximumWidth(160)
        self.smooth_slider.setRange(0, len(SMOOTHING_STEPS) - 1)
        self.smooth_slider.setValue(SMOOTHING_STEPS.index(20))
        self.smooth_slider.setToolTip("Average the step losses over a window: the trend shows through the noise "
                                      "of mini-batches")
        self.smooth_slider.valueChanged.connect(self._smoothing_changed)
        self.add_control(self.smooth_slider)
        self.smooth_label = QLabel(self)
        self.smooth_label.setMinimumWidth(64)
        self.add_control(self.smooth_label)

        self.add_canvas(graphics_layout(self))
        self.readout = QLabel(" ", self)
        self.readout.setStyleSheet("font-family: monospace;")
        self._layout.addWidget(self.readout)

        self.loss_plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=axis_items()), "", "loss", "step")
        show_grid(self.loss_plot)
        self.loss_plot.addLegend(offset=(-8, 4), labelTextColor="#333", colCount=3, verSpacing=-8)
        self.acc_plot = style_plot(self.canvas.addPlot(row=1, col=0, axisItems=axis_items()), "", "accuracy", "step")
        show_grid(self.acc_plot)
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, 1.02, padding=0)
        self.acc_plot.addLegend(offset=(-8, -4), labelTextColor="#333", colCount=2, verSpacing=-8)

        self.raw_curve = long_curve(self.loss_plot, per_pixel=5.0, pen=pg.mkPen((31, 119, 180, 70), width=1))
        self.smooth_curve = long_curve(self.loss_plot, pen=pg.mkPen("#1f77b4", width=2),
                                       name="train (per step, smoothed)")
        # (small data sets train thousands of epochs: these grow long too)
        self.train_epoch_curve = long_curve(
            self.loss_plot, finite=False, pen=pg.mkPen("#1f4e79", width=1, style=Qt.PenStyle.DashLine),
            symbol="o", symbolSize=6, symbolBrush="#1f4e79", symbolPen=None, name="train (per epoch)")
        self.val_epoch_curve = long_curve(
            self.loss_plot, finite=False, pen=pg.mkPen("#ff7f0e", width=2), symbol="s", symbolSize=6,
            symbolBrush="#ff7f0e", symbolPen=None, name="validation (per epoch)")
        self.train_acc_curve = long_curve(
            self.acc_plot, finite=False, pen=pg.mkPen("#1f4e79", width=2), symbol="o", symbolSize=6,
            symbolBrush="#1f4e79", symbolPen=None, name="train")
        self.val_acc_curve = long_curve(
            self.acc_plot, finite=False, pen=pg.mkPen("#ff7f0e", width=2), symbol="s", symbolSize=6,
            symbolBrush="#ff7f0e", symbolPen=None, name="validation")
        self.steady = SteadyRange(self.loss_plot)   # (the accuracy plot follows its steps)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), width=1))
        self.cursor.setVisible(False)
        self.loss_plot.addItem(self.cursor, ignoreBounds=True)
        self._hover_proxy = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=30,
                                           slot=self._hover)

        self.steps = GrowingArray(4096)
        self.losses = GrowingArray(4096)
        self._cumsum = GrowingArray(4096)
        self._cumsum.append(0.0)
        self.smoothed = GrowingArray(4096)
        self.epoch_steps = GrowingArray(64)
        self.train_epoch = GrowingArray(64)
        self.val_epoch = GrowingArray(64)
        self.train_acc = GrowingArray(64)
        self.val_acc = GrowingArray(64)
        self._has_accuracy: bool | None = None
        self._symbols = True
        self._epochs_drawn = -1
        self._smoothing_changed(self.smooth_slider.value())

    def arrange(self, wide: bool) -> None:
        """Accuracy beside the loss in a wide, short dock, below it in a tall one, nowhere
        when there is none (autoencoders, regression)."""
        layout = self.canvas.ci
        if self.acc_plot in layout.items:
            layout.removeItem(self.acc_plot)
        reset_stretch(layout)
        if self._has_accuracy is False:
            self.acc_plot.setVisible(False)
            return
        self.acc_plot.setVisible(True)
        if wide:
            layout.addItem(self.acc_plot, row=0, col=1)
            layout.layout.setColumnStretchFactor(0, 3)
            layout.layout.setColumnStretchFactor(1, 2)
        else:
            layout.addItem(self.acc_plot, row=1, col=0)
            layout.layout.setRowStretchFactor(0, 3)
            layout.layout.setRowStretchFactor(1, 2)

    # ------------------------------------------------------------------ data in
    @property
    def window(self) -> int:  # noqa: A003 - the smoothing window, in steps
        return SMOOTHING_STEPS[self.smooth_slider.value()]

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, LossEvent) and len(e.steps):
                self._add_steps(e.steps, e.losses)
                self.received += 1
                new = True
            elif isinstance(e, EpochEvent):
                self._add_epoch(e)
                self.received += 1
                new = True
        return new

    def _add_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        self.steady.widen(losses)
        n0 = len(self.losses)
        self.steps.extend(steps)
        self.losses.extend(losses)
        c = self._cumsum.view()
        self._cumsum.extend(c[-1] + np.cumsum(losses, dtype=np.float64))
        self.smoothed.extend(self._smooth(n0, len(self.losses)))

    def _smooth(self, start: int, stop: int) -> np.ndarray:
        """Trailing moving average of the step losses start..stop-1 from the running sum."""
        c = self._cumsum.view()
        idx = np.arange(start, stop)
        lo = np.maximum(idx + 1 - self.window, 0)
        return (c[idx + 1] - c[lo]) / (idx + 1 - lo)

    def _add_epoch(self, e: EpochEvent) -> None:
        self.steady.take(e.train_loss)
        self.steady.take(e.val_loss)
        self.epoch_steps.append(e.step)
        self.train_epoch.append(e.train_loss)
        self.val_epoch.append(e.val_loss)
        if self._has_accuracy is None:
            self._has_accuracy = e.train_accuracy is not None or e.val_accuracy is not None
            self.rearrange()
        self.train_acc.append(np.nan if e.train_accuracy is None else e.train_accuracy)
        self.val_acc.append(np.nan if e.val_accuracy is None else e.val_accuracy)

    # ------------------------------------------------------------------ drawing
    def render(self) -> None:
        x = self.steps.view()
        self.raw_curve.setData(x, self.losses.view())
        self.smooth_curve.setData(x, self.smoothed.view())
        if len(x):
            self.steady.hold(x[-1] + 1)
        ex = self.epoch_steps.view()
        if len(ex) != self._epochs_drawn:   # per-epoch curves change once an epoch (markers are costly)
            self._epochs_drawn = len(ex)
            symbols = len(ex) <= MAX_SYMBOLS
            if symbols != self._symbols:
                self._symbols = symbols
                for c, sym in ((self.train_epoch_curve, "o"), (self.val_epoch_curve, "s"),
                               (self.train_acc_curve, "o"), (self.val_acc_curve, "s")):
                    c.setSymbol(sym if symbols else None)
            self.train_epoch_curve.setData(ex, self.train_epoch.view())
            self.val_epoch_curve.setData(ex, self.val_epoch.view())
            if self._has_accuracy:
                self.train_acc_curve.setData(ex, self.train_acc.view(), connect="finite")
                self.val_acc_curve.setData(ex, self.val_acc.view(), connect="finite")
        if len(x):
            last = f"step {int(x[-1])}: loss {self.losses.view()[-1]:.4g}"
            if len(ex):
                last += f" · epoch {len(ex)}: val {self.val_epoch.view()[-1]:.4g}"
            self.set_hint(last)

    def set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=bool(on))
        self.log_box.setChecked(bool(on))
        if len(self.steps):
            self.steady.hold(self.steps.view()[-1] + 1)

    def _smoothing_changed(self, _value: int) -> None:
        self.smooth_label.setText(f"{self.window} steps")
        n = len(self.losses)
        self.smoothed.clear()
        self.smoothed.extend(self._smooth(0, n))
        if n:
            self.dirty = True
            self.draw_now()

    def clear(self) -> None:
        super().clear()
        for buf in (self.steps, self.losses, self.smoothed, self.epoch_steps, self.train_epoch,
                    self.val_epoch, self.train_acc, self.val_acc):
            buf.clear()
        self._cumsum.clear()
        self._cumsum.append(0.0)
        self._has_accuracy = None
        self._epochs_drawn = -1
        self.steady.clear()
        self.rearrange()
        self.readout.setText(" ")
        self.set_hint("Start training to see this plot.")
        self.render()

    # ------------------------------------------------------------------ hover read-out
    def _hover(self, args: tuple) -> None:
        pos = args[0]
        vb = self.loss_plot.vb
        if not self.loss_plot.sceneBoundingRect().contains(pos) or not len(self.steps):
            self.cursor.setVisible(False)
            return
        step = vb.mapSceneToView(pos).x()
        self.readout.setText(self.readout_at(step))
        x = self.steps.view()
        k = int(np.clip(np.searchsorted(x, step), 0, len(x) - 1))
        self.cursor.setPos(x[k])
        self.cursor.setVisible(True)

    def readout_at(self, step: float) -> str:
        """The values under the mouse at `step`: the nearest step's loss and its epoch's metrics."""
        x = self.steps.view()
        if not len(x):
            return " "
        k = int(np.clip(np.searchsorted(x, step), 0, len(x) - 1))
        if k > 0 and abs(x[k - 1] - step) < abs(x[k] - step):
            k -= 1
        text = f"step {int(x[k])}  loss {self.losses.view()[k]:.4g}  smoothed {self.smoothed.view()[k]:.4g}"
        ex = self.epoch_steps.view()
        if len(ex):
            j = int(np.searchsorted(ex, x[k]))
            if j < len(ex):
                text += f"  | epoch {j + 1}: train {self.train_epoch.view()[j]:.4g}  val {self.val_epoch.view()[j]:.4g}"
                if self._has_accuracy:
                    text += f"  acc {self.train_acc.view()[j]:.1%} / {self.val_acc.view()[j]:.1%}"
        return text

    # ------------------------------------------------------------------ export
    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        ex = self.epoch_steps.view()
        return curves_table([
            ("train_loss_per_step", self.steps.view(), self.losses.view()),
            ("train_loss_smoothed", self.steps.view(), self.smoothed.view()),
            ("train_loss_per_epoch", ex, self.train_epoch.view()),
            ("val_loss_per_epoch", ex, self.val_epoch.view()),
            ("train_accuracy_per_epoch", ex, self.train_acc.view()),
            ("val_accuracy_per_epoch", ex, self.val_acc.view()),
        ])
