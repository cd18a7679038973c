"""Loss & accuracy: training loss per step (raw and smoothed), train/validation loss and
accuracy per epoch, the test figures when a run ends, a mark where a hot setting changed, and
the classical baselines' validation figures as dashed lines (`baselines`).

Stays fast and small over an hour's run: the step curve keeps a bounded history (old steps
min/max binned, see `history`), the smoothed curve is computed only for new points (running
sums), and the curves draw with pyqtgraph's peak downsampling and clip-to-view. The legend
sits in its own row above the plots, so it never covers a curve.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QSlider, QWidget

from playground.training.events import EpochEvent, FinishedEvent, LossEvent
from widgets.panels.base import (
    GrowingArray, Panel, axis_items, curves_table, graphics_layout, has_finite, legend_above,
    reset_stretch, show_grid, style_plot)
from widgets.panels.baselines import BaselineLines
from widgets.panels.history import CAPACITY, MinMaxHistory, trailing_mean
from widgets.panels.previous_run import PreviousRunOverlay
from widgets.panels.ranges import SteadyRange, long_curve
from widgets.panels.loss_marks import LossAnnotations

SMOOTHING_STEPS = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 300, 500, 1000)
"""Moving-average windows the slider offers (steps)."""
MAX_SYMBOLS = 60
EPOCH_POINTS = 4096
"""Per-epoch points kept (old epochs thinned to every other one beyond): ~0.2 MB for the panel's six
columns however long the run, full within ~80 s of a small data set's dozens of epochs a second."""
"""Per-epoch curves show a marker per epoch up to this many epochs (markers are slow to paint)."""
MAX_MARKS = 40
"""Setting-change marks kept (the oldest go first)."""
TEST_COLOUR = "#2ca02c"
ACCURACY_TOP = 1.06
"""The accuracy axis ends a little above 1: a curve at 1.0 (most runs' training accuracy) keeps off
the frame, and the axis has room to label 1.0 (at 1.02 it had none, and labelled up to 0.8)."""


class Column:
    """One column of a `MinMaxHistory` (or of a smoothed copy) with the GrowingArray face
    the rest of the app and its tests read: `view()` and `len()`."""

    def __init__(self, read) -> None:
        self._read = read

    def view(self) -> np.ndarray:
        return self._read()

    def __len__(self) -> int:
        return len(self._read())


class LossPanel(Panel):
    title = "Loss & accuracy"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_box = QCheckBox("Log scale", self)
        self.log_box.setToolTip("Loss on a log axis: later, smaller improvements stay visible")
        self.log_box.toggled.connect(self.set_log)
        self.add_control(self.log_box)
        self.previous_box = QCheckBox("Previous run", self)
        self.previous_box.setToolTip("Show the run before this one as faint grey curves, to read this run "
                                     "against it (Train ▸ Compare Runs sets whole runs side by side)")
        self.previous_box.setEnabled(False)   # until a run has been cleared away
        self.add_control(self.previous_box)
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

        self.loss_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "", "loss", "step")
        self.legend = legend_above(self.loss_plot, self.canvas.ci, row=0, columns=4)
        self.canvas.ci.addItem(self.loss_plot, row=1, col=0)
        show_grid(self.loss_plot)
        self.acc_plot = style_plot(self.canvas.addPlot(row=2, col=0, axisItems=axis_items()), "", "accuracy", "step")
        show_grid(self.acc_plot)
        self.acc_plot.setXLink(self.loss_plot)
        self.acc_plot.setYRange(0, ACCURACY_TOP, padding=0)
        self.acc_plot.setMouseEnabled(y=False)

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
        # (the accuracy curves wear the per-epoch loss curves' colours: one legend serves both)
        self.train_acc_curve = long_curve(
            self.acc_plot, finite=False, pen=pg.mkPen("#1f4e79", width=2), symbol="o", symbolSize=6,
            symbolBrush="#1f4e79", symbolPen=None)
        self.val_acc_curve = long_curve(
            self.acc_plot, finite=False, pen=pg.mkPen("#ff7f0e", width=2), symbol="s", symbolSize=6,
            symbolBrush="#ff7f0e", symbolPen=None)
        self.test_loss_point = pg.ScatterPlotItem(size=13, symbol="star", pen=None, brush=TEST_COLOUR)
        self.test_acc_point = pg.ScatterPlotItem(size=13, symbol="star", pen=None, brush=TEST_COLOUR)
        self.loss_plot.addItem(self.test_loss_point)
        self.acc_plot.addItem(self.test_acc_point)
        self._test_in_legend = False
        self.test_results: dict[str, float] = {}
        """The test figures of the run that ended (empty while a run goes on)."""
        self.marks: list[tuple[float, str, list[pg.InfiniteLine]]] = []
        """(step, text, lines) of every hot-setting change shown."""
        self.steady = SteadyRange(self.loss_plot)   # (the accuracy plot follows its steps)
        self.babysit = LossAnnotations(self.loss_plot, self.legend)
        """The expected initial loss on the axis, and the penalty as its own curve."""
        self.baselines = BaselineLines(self.loss_plot, self.acc_plot, self.legend, self)
        """scikit-learn's models on the same split, as dashed lines (see `baselines`)."""
        self.previous = PreviousRunOverlay(self.loss_plot, self.legend)
        """The last run cleared away, shown faintly when `previous_box` is on (off by default)."""
        self.previous_box.toggled.connect(self.previous.show)
        self.cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((120, 120, 120), width=1))
        self.cursor.setVisible(False)
        self.loss_plot.addItem(self.cursor, ignoreBounds=True)
        self._hover_proxy = pg.SignalProxy(self.canvas.scene().sigMouseMoved, rateLimit=30,
                                           slot=self._hover)

        self.history = MinMaxHistory(CAPACITY, weighted=True)
        """The step losses, bounded: old steps min/max binned (see `history`)."""
        self._smoothed = np.empty(CAPACITY, dtype=np.float64)
        self._smoothed_size = 0
        self.steps = Column(lambda: self.history.x)
        self.losses = Column(lambda: self.history.y)
        self.smoothed = Column(lambda: self._smoothed[:self._smoothed_size])
        self.last_val_accuracy: float | None = None
        # Per epoch, appended in step and thinned alike (old epochs every other one past
        # EPOCH_POINTS): a small data set trains thousands of epochs a minute for hours.
        self.epoch_numbers = GrowingArray(64, limit=EPOCH_POINTS)
        self.epoch_steps = GrowingArray(64, limit=EPOCH_POINTS)
        self.train_epoch = GrowingArray(64, limit=EPOCH_POINTS)
        self.val_epoch = GrowingArray(64, limit=EPOCH_POINTS)
        self.train_acc = GrowingArray(64, limit=EPOCH_POINTS)
        self.val_acc = GrowingArray(64, limit=EPOCH_POINTS)
        self._has_accuracy: bool | None = None
        self._symbols = True
        self._epochs_drawn = -1
        self._smoothing_changed(self.smooth_slider.value())

    def arrange(self, wide: bool) -> None:
        """Accuracy beside the loss in a wide, short dock, below it in a tall one, nowhere
        when there is none (autoencoders, regression)."""
        layout = self.canvas.ci
        for item in (self.acc_plot, self.legend):
            if item in layout.items:
                layout.removeItem(item)
        reset_stretch(layout)
        accuracy = self._has_accuracy is not False
        self.acc_plot.setVisible(accuracy)
        layout.addItem(self.legend, row=0, col=0, colspan=2 if wide and accuracy else 1)
        layout.layout.setRowStretchFactor(0, 0)
        if not accuracy:
            return
        if wide:
            layout.addItem(self.acc_plot, row=1, col=1)
            layout.layout.setColumnStretchFactor(0, 3)
            layout.layout.setColumnStretchFactor(1, 2)
        else:
            layout.addItem(self.acc_plot, row=2, col=0)
            layout.layout.setRowStretchFactor(1, 3)
            layout.layout.setRowStretchFactor(2, 2)

    # ------------------------------------------------------------------ data in
    @property
    def window(self) -> int:  # noqa: A003 - the smoothing window, in steps
        return SMOOTHING_STEPS[self.smooth_slider.value()]

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, LossEvent) and len(e.steps):
                self._add_steps(e.steps, self.babysit.take(e))   # data loss; the penalty is its own curve
                self.received += 1
                new = True
            elif isinstance(e, EpochEvent):
                self._add_epoch(e)
                self.received += 1
                new = True
            elif isinstance(e, FinishedEvent):
                tests = {k: v for k, v in e.metrics.items() if k.startswith("test_")}
                if tests:
                    self.test_results = dict(tests)
                    new = True
        return new

    def _add_steps(self, steps: np.ndarray, losses: np.ndarray) -> None:
        losses = np.asarray(losses, dtype=np.float64)
        finite = np.isfinite(losses)
        if not finite.all():   # a diverging run's last steps: the step curves hold finite values only
            steps, losses = np.asarray(steps)[finite], losses[finite]
            if not len(losses):
                return
        self.steady.widen(losses)
        n0, binned = len(self.history), self.history.compactions
        self.history.extend(steps, losses)
        if self.history.compactions != binned:   # older points were binned: smooth them all again
            n0 = 0
        self._update_smoothed(n0)

    def _update_smoothed(self, start: int) -> None:
        """The trailing moving average (over `window` steps) from point `start` on."""
        n = len(self.history)
        x = self.history.x
        sums, counts = self.history.sums_and_counts()
        # only the points a new value's window can reach take part in its running sums
        first = 0 if start == 0 else max(0, int(np.searchsorted(x, x[start] - self.window, side="right")) - 1)
        values = trailing_mean(x[first:], sums[first:], counts[first:], self.window, start - first)
        self._smoothed[start:n] = values
        self._smoothed_size = n

    def _add_epoch(self, e: EpochEvent) -> None:
        # the data loss, as the per-step curve and the validation loss measure it (with an L2
        # penalty the epoch's whole loss stood ~2x above both, and read as a gap that is not there)
        train = e.data_loss()
        self.steady.take(train)
        self.steady.take(e.val_loss)
        self.epoch_numbers.append(e.epoch)
        self.epoch_steps.append(e.step)
        self.train_epoch.append(train)
        self.val_epoch.append(e.val_loss)
        if self._has_accuracy is None:
            self._has_accuracy = e.train_accuracy is not None or e.val_accuracy is not None
            self.rearrange()
        self.train_acc.append(np.nan if e.train_accuracy is None else e.train_accuracy)
        self.val_acc.append(np.nan if e.val_accuracy is None else e.val_accuracy)
        if e.val_accuracy is not None and np.isfinite(e.val_accuracy):
            self.last_val_accuracy = float(e.val_accuracy)

    # ------------------------------------------------------------------ drawing
    def render(self) -> None:
        x = self.steps.view()
        if len(x):
            self.raw_curve.setData(x, self.losses.view())
            self.smooth_curve.setData(x, self.smoothed.view())
        if len(x):
            self.steady.hold(x[-1] + 1)
        ex = self.epoch_steps.view()
        if self.epoch_steps.total != self._epochs_drawn:   # per-epoch curves change once an epoch (markers are costly)
            self._epochs_drawn = self.epoch_steps.total
            symbols = len(ex) <= MAX_SYMBOLS
            if symbols != self._symbols:
                self._symbols = symbols
                for c, sym in ((self.train_epoch_curve, "o"), (self.val_epoch_curve, "s"),
                               (self.train_acc_curve, "o"), (self.val_acc_curve, "s")):
                    c.setSymbol(sym if symbols else None)
            for curve, ys in ((self.train_epoch_curve, self.train_epoch.view()),
                              (self.val_epoch_curve, self.val_epoch.view())):
                if has_finite(ys):
                    curve.setData(ex, ys, connect="finite")
                else:
                    curve.setData([], [])
            # (an all-NaN series is not drawn: pyqtgraph would warn "All-NaN slice encountered")
            for curve, ys in ((self.train_acc_curve, self.train_acc.view()), (self.val_acc_curve, self.val_acc.view())):
                if self._has_accuracy and has_finite(ys):
                    curve.setData(ex, ys, connect="finite")
                else:
                    curve.setData([], [])
            self.baselines.place()   # the baselines' box, off the curves as they grow (once an epoch)
        self._draw_test_results()
        self.babysit.render()
        if len(x):
            self.set_hint(self.caption())

    def caption(self) -> str:
        """The header line: where the run is, the latest validation figures, and the test
        figures once it has ended."""
        x = self.steps.view()
        text = f"step {int(x[-1])}: loss {self.losses.view()[-1]:.4g}" if len(x) else ""
        ex = self.epoch_steps.view()
        if len(ex):
            text += f" · epoch {int(self.epoch_numbers.view()[-1])}: val loss {self.val_epoch.view()[-1]:.4g}"
            if self.last_val_accuracy is not None:
                text += f", val accuracy {self.last_val_accuracy:.1%}"
        tests = {k: v for k, v in self.test_results.items() if k.startswith("test_")}
        if tests:
            text += " · test: " + ", ".join(_figure(k, v) for k, v in tests.items())
        pca, k = self.test_results.get("pca_mse"), self.test_results.get("code_size")
        if pca is not None and k is not None:   # what an autoencoder's lesson reads its test mse against
            text += f" · PCA with {int(k)} component{'s' if int(k) != 1 else ''}: test mse {pca:.4g}"
        return text

    def show_test_results(self, metrics: dict[str, float]) -> None:
        """Show a finished run's test figures (`test_accuracy`, `test_loss`, ...): in the
        caption, and as a green star at the last step on the loss and accuracy plots."""
        self.test_results = {k: float(v) for k, v in metrics.items() if v is not None and np.isfinite(v)}
        self.dirty = True
        self.draw_now()

    def _draw_test_results(self) -> None:
        x = self.steps.view()
        at = float(x[-1]) if len(x) else 0.0
        loss = self.test_results.get("test_loss")
        acc = self.test_results.get("test_accuracy")
        self.test_loss_point.setData([at], [loss]) if loss is not None else self.test_loss_point.clear()
        self.test_acc_point.setData([at], [acc]) if acc is not None else self.test_acc_point.clear()
        if (loss is not None or acc is not None) and not self._test_in_legend:
            self.legend.addItem(self.test_loss_point, "test (end of run)")
            self._test_in_legend = True

    def mark_setting_change(self, step: float, text: str) -> None:
        """A vertical mark on the curves at `step`, labelled `text` (e.g. "lr 0.01 → 0.5"),
        where a setting changed while training: what follows it is read against it."""
        lines = []
        for plot, labelled in ((self.loss_plot, True), (self.acc_plot, False)):
            line = pg.InfiniteLine(pos=float(step), angle=90, movable=False,
                                   pen=pg.mkPen("#9467bd", width=1, style=Qt.PenStyle.DashDotLine),
                                   label=text if labelled else None,
                                   labelOpts={"position": 0.92, "color": "#9467bd", "anchors": [(0, 0), (0, 0)],
                                              "fill": (255, 255, 255, 200)})
            plot.addItem(line, ignoreBounds=True)
            lines.append(line)
        self.marks.append((float(step), text, lines))
        while len(self.marks) > MAX_MARKS:
            self._remove_mark(0)

    def _remove_mark(self, k: int) -> None:
        _, _, lines = self.marks.pop(k)
        for line, plot in zip(lines, (self.loss_plot, self.acc_plot)):
            plot.removeItem(line)

    def set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=bool(on))
        self.log_box.setChecked(bool(on))
        if len(self.steps):
            self.steady.hold(self.steps.view()[-1] + 1)

    def _smoothing_changed(self, _value: int) -> None:
        self.smooth_label.setText(f"{self.window} steps")
        n = len(self.history)
        self._smoothed_size = 0
        if n:
            self._update_smoothed(0)
        if n:
            self.dirty = True
            self.draw_now()

    def name_training_curves(self, penalized: bool) -> None:
        """The legend's training entries say "without penalty" when the run's loss has penalty
        terms: the curves draw the task loss (what the validation loss measures), and the status
        bar's penalized training loss is another, larger number."""
        suffix = " without penalty" if penalized else ""
        for curve, what in ((self.smooth_curve, "per step, smoothed"), (self.train_epoch_curve, "per epoch")):
            label = self.legend.getLabel(curve)
            if label is not None:
                label.setText(f"train{suffix} ({what})")

    def clear(self) -> None:
        if self.previous.keep(self.steps.view(), self.smoothed.view(), self.epoch_steps.view(),
                              self.val_epoch.view()):   # the run cleared away becomes the previous one
            self.previous_box.setEnabled(True)
        super().clear()
        self.history.clear()
        self._smoothed_size = 0
        for buf in (self.epoch_numbers, self.epoch_steps, self.train_epoch, self.val_epoch, self.train_acc, self.val_acc):
            buf.clear()
        for curve in (self.raw_curve, self.smooth_curve, self.train_epoch_curve, self.val_epoch_curve,
                      self.train_acc_curve, self.val_acc_curve):
            curve.setData([], [])
        self.test_results = {}
        self.last_val_accuracy = None
        self.test_loss_point.clear()
        self.test_acc_point.clear()
        if self._test_in_legend:
            self.legend.removeItem(self.test_loss_point)
            self._test_in_legend = False
        while self.marks:
            self._remove_mark(0)
        self.babysit.clear()
        self.baselines.forget_run()
        self._has_accuracy = None
        self._epochs_drawn = -1
        self.steady.clear()
        self.rearrange()
        self.readout.setText(" ")
        self.set_hint(self.idle_hint)
        self.render()

    def plots(self) -> list[pg.PlotItem]:
        return [self.loss_plot, self.acc_plot]

    def reset(self) -> None:
        super().reset()
        self.acc_plot.setYRange(0, ACCURACY_TOP, padding=0)

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
                text += f"  | epoch {int(self.epoch_numbers.view()[j])}: train {self.train_epoch.view()[j]:.4g}  val {self.val_epoch.view()[j]:.4g}"
                if self._has_accuracy:
                    text += f"  acc {self.train_acc.view()[j]:.1%} / {self.val_acc.view()[j]:.1%}"
        return text

    # ------------------------------------------------------------------ export
    # (the step curves hold every step of the recent part of a long run, and the lowest and
    # highest loss of each stretch of older steps: what the plot shows)
    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        ex = self.epoch_steps.view()
        return curves_table([
            ("train_loss_per_step", self.steps.view(), self.losses.view()),
            ("train_loss_smoothed", self.steps.view(), self.smoothed.view()),
            ("train_loss_per_epoch", ex, self.train_epoch.view()),
            ("val_loss_per_epoch", ex, self.val_epoch.view()),
            ("train_accuracy_per_epoch", ex, self.train_acc.view()),
            ("val_accuracy_per_epoch", ex, self.val_acc.view()),
        ] + [(name, np.array([self.steps.view()[-1] if len(self.steps) else 0.0]), np.array([v]))
             for name, v in self.test_results.items()])


def _figure(name: str, value: float) -> str:
    label = name.removeprefix("test_").replace("_", " ")
    return f"{label} {value:.1%}" if "accuracy" in name else f"{label} {value:.4g}"
