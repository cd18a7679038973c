"""Optimizer race: the real torch.optim classes from one start on a 2-D surface, their paths
over the contours, and a step mode that shows, at one optimizer's current point, its gradient,
its velocity (momentum buffer or Adam's first moment) and its adaptive scale 1/(√v + ε)."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QWidget)

from playground.labs import optimizers as opt
from widgets.labs.common import LabPage, grid_plot, set_title
from widgets.panels.base import colour, image_item, viridis_lut

LEVELS = 14
RERUN_MS = 300
"""The race runs again this long after the last change of a learning rate or method (a spin box's
arrows held down change it many times)."""
LOSS_DECADES = 10
"""The loss plot shows this many decades below the highest curve, and the curves that go further
leave it at the bottom: on the quadratic the fast methods reach 10⁻⁴⁷, and an axis down there
labels every decade of a short plot."""


def legend_offset(s: opt.Surface) -> tuple[int, int]:
    """The legend's corner: the one across from the start, so the paths begin in sight (Rosenbrock
    starts top left, where the legend sat over its first steps)."""
    right = s.start[0] < (s.x_range[0] + s.x_range[1]) / 2
    bottom = s.start[1] > (s.y_range[0] + s.y_range[1]) / 2
    return (-5 if right else 5, -5 if bottom else 5)


def log_condition(slider_value: int) -> float:
    """The slider's 0..300 as a condition number 1..1000 on a log scale."""
    return float(round(10 ** (slider_value / 100), 1))


class OptimizerRacePage(LabPage):
    title = "Optimizer race"
    tab = "Optimizers"

    def __init__(self, parent: QWidget | None = None, surface: str = "rosenbrock", condition: float = 10.0,
                 steps: int = 300, lrs: dict[str, float] | None = None) -> None:
        super().__init__(parent)
        self.surface_box = self.add_control(QComboBox(self), "Surface:")
        self.surface_box.addItems(list(opt.SURFACES))
        self.surface_box.setCurrentText(surface)
        self.condition_slider = self.add_control(QSlider(Qt.Orientation.Horizontal, self), "Condition K:")
        self.condition_slider.setRange(0, 300)
        self.condition_slider.setValue(int(round(100 * math.log10(max(1.0, condition)))))
        self.condition_slider.setFixedWidth(110)
        self.condition_label = self.add_control(QLabel(self))
        self.steps_box = self.add_control(QSpinBox(self), "Steps:")
        self.steps_box.setRange(1, 5000)
        self.steps_box.setValue(steps)
        self.race_button = self.add_control(QPushButton("Race", self))
        self.best_button = self.add_control(QPushButton("Steps to 10⁻⁶…", self))
        self.best_button.setToolTip("On the quadratic: each method's steps to cut the error by 10^6 at its best "
                                    "settings (a grid search; takes a few seconds)")
        self.end_controls()
        lr_layout = QHBoxLayout()
        lr_layout.addWidget(QLabel("Learning rates:", self))
        self.layout().insertLayout(1, lr_layout)
        self.lr_row = {}
        for m in opt.METHODS:
            check = QCheckBox(opt.LABELS[m], self)
            check.setChecked(True)
            check.setStyleSheet(f"color: {colour(opt.METHODS.index(m))}; font-weight: bold;")
            box = QDoubleSpinBox(self)
            box.setDecimals(5)
            box.setRange(1e-5, 10.0)
            box.setSingleStep(0.001)
            box.setToolTip(f"{opt.LABELS[m]}'s learning rate")
            box.setMaximumWidth(90)
            lr_layout.addWidget(check)
            lr_layout.addWidget(box)
            self.lr_row[m] = (check, box)
        lr_layout.addStretch(1)
        self.step_row = QWidget(self)
        self.step_method = QComboBox(self)
        self.step_method.addItems([opt.LABELS[m] for m in opt.METHODS])
        self.step_method.setCurrentText("Adam")
        self.step_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.step_slider.setRange(0, steps)
        self.layout().insertWidget(2, self._step_bar())

        self.contour = grid_plot("", "y", "x")
        self.contour.setAspectLocked(False)
        self.image = image_item()
        self.image.setLookupTable(viridis_lut())
        self.image.setOpacity(0.55)
        self.contour.addItem(self.image)
        self.isocurves: list[pg.IsocurveItem] = []
        for _ in range(LEVELS):
            iso = pg.IsocurveItem(level=0.0, pen=pg.mkPen("#444", width=0.7), axisOrder="row-major")
            iso.setParentItem(self.image)
            self.isocurves.append(iso)
        self.paths: dict[str, pg.PlotDataItem] = {}
        self.heads = pg.ScatterPlotItem(size=9, pen=pg.mkPen("k", width=1))
        self.legend = self.contour.addLegend(offset=(5, 5), labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 200))
        for k, m in enumerate(opt.METHODS):
            self.paths[m] = self.contour.plot(pen=pg.mkPen(colour(k), width=2), name=opt.LABELS[m])
        self.contour.addItem(self.heads)
        self.grad_arrow = self.contour.plot(pen=pg.mkPen("#d62728", width=3))
        self.vel_arrow = self.contour.plot(pen=pg.mkPen("#000000", width=3, style=Qt.PenStyle.DotLine))
        self.start_mark = pg.ScatterPlotItem(size=12, symbol="star", brush=pg.mkBrush("w"), pen=pg.mkPen("k"))
        self.min_mark = pg.ScatterPlotItem(size=12, symbol="+", brush=pg.mkBrush("k"), pen=pg.mkPen("k", width=2))
        self.contour.addItem(self.start_mark)
        self.contour.addItem(self.min_mark)
        self.loss_plot = grid_plot("f along each path", "f", "step", log_y=True)
        self.loss_curves = {m: self.loss_plot.plot(pen=pg.mkPen(colour(k), width=2))
                            for k, m in enumerate(opt.METHODS)}
        self.step_line = pg.InfiniteLine(0, angle=90, pen=pg.mkPen("#555"))
        self.loss_plot.addItem(self.step_line)
        self.canvas.ci.addItem(self.contour, row=0, col=0)
        self.canvas.ci.addItem(self.loss_plot, row=0, col=1)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 2)

        self.surface: opt.Surface | None = None
        self.result: dict[str, opt.Path] = {}
        self.best_text = ""
        self._load_lrs(lrs or {})
        self.surface_box.currentTextChanged.connect(self._surface_changed)
        self.condition_slider.valueChanged.connect(self._condition_changed)
        self.race_button.clicked.connect(self.run)
        # A learning rate or a method changed re-runs the race, as the surface and K do: the note had
        # gone on saying "SGD (lr 0.001)" beside a field that said 10 until Race was pressed.
        self.rerun_timer = QTimer(self)
        self.rerun_timer.setSingleShot(True)
        self.rerun_timer.setInterval(RERUN_MS)
        self.rerun_timer.timeout.connect(self.run)
        for check, box in self.lr_row.values():
            check.toggled.connect(self.rerun_timer.start)
            box.valueChanged.connect(self.rerun_timer.start)
        self.best_button.clicked.connect(self.show_best_steps)
        self.step_slider.valueChanged.connect(self.show_step)
        self.step_method.currentTextChanged.connect(lambda _t: self.show_step(self.step_slider.value()))
        self._condition_changed(self.condition_slider.value(), run=False)
        self.run()

    def _step_bar(self) -> QWidget:
        row = QHBoxLayout(self.step_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Step mode:", self))
        row.addWidget(self.step_method)
        row.addWidget(self.step_slider, 1)
        self.step_text = QLabel(self)
        self.step_text.setWordWrap(True)
        row.addWidget(self.step_text, 2)
        return self.step_row

    # ------------------------------------------------------------ settings
    @property
    def condition(self) -> float:
        return log_condition(self.condition_slider.value())

    def _load_lrs(self, overrides: dict[str, float]) -> None:
        s = opt.surface(self.surface_box.currentText(), self.condition)
        for m, (_, box) in self.lr_row.items():
            box.blockSignals(True)
            box.setValue(overrides.get(m, s.lrs[m]))
            box.blockSignals(False)

    def _surface_changed(self, _name: str) -> None:
        self.best_text = ""   # the steps-to-10⁻⁶ answer is the quadratic's, at the K it was asked at
        self._load_lrs({})
        self.condition_slider.setEnabled(self.surface_box.currentText() == "quadratic")
        self.run()

    def _condition_changed(self, value: int, run: bool = True) -> None:
        self.condition_label.setText(f"{log_condition(value):g}")
        self.condition_slider.setEnabled(self.surface_box.currentText() == "quadratic")
        if run and self.surface_box.currentText() == "quadratic":
            self.best_text = ""
            self._load_lrs({})
            self.run()

    def set_lr(self, method: str, lr: float) -> None:
        self.lr_row[method][1].setValue(lr)

    # ------------------------------------------------------------ race
    def run(self) -> None:
        name = self.surface_box.currentText()
        methods = tuple(m for m, (check, _) in self.lr_row.items() if check.isChecked())
        lrs = {m: box.value() for m, (_, box) in self.lr_row.items()}
        self.surface, self.result = opt.race(name, lrs, self.steps_box.value(), self.condition, methods)
        s = self.surface
        xs, ys, f = opt.contour_grid(s)
        shown = np.log10(f - f.min() + 1e-3)
        self.image.setImage(shown, autoLevels=True)
        self.image.setRect(pg.QtCore.QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0]))
        levels = np.quantile(shown, np.linspace(0.03, 0.97, LEVELS))
        for iso, level in zip(self.isocurves, levels):
            iso.setData(shown, level=float(level))
        self.contour.setXRange(*s.x_range, padding=0)
        self.contour.setYRange(*s.y_range, padding=0)
        set_title(self.contour, s.title)
        self.start_mark.setData([s.start[0]], [s.start[1]])
        self.legend.setOffset(legend_offset(s))
        self.min_mark.setData(*(([s.minimum[0]], [s.minimum[1]]) if s.minimum else ([], [])))
        f_min = (s.f(*(torch.tensor(c, dtype=torch.float64) for c in s.minimum)).item()
                 if s.minimum is not None else None)
        gaps = {m: (p.values - f_min if f_min is not None else p.values[0] - p.values) for m, p in self.result.items()}
        # The axis is the paths' that did not diverge: one run-away path (a learning rate too large)
        # had set the top at 1e18 and its ten decades left every other curve below the plot.
        diverged = {m: p.diverged_at for m, p in self.result.items() if p.diverged_at is not None}
        kept = [v for m, v in gaps.items() if m not in diverged] or list(gaps.values())
        tops = [float(v[np.isfinite(v) & (v > 0)].max()) for v in kept if np.any(np.isfinite(v) & (v > 0))]
        top = max(tops) if tops else 1.0
        floor = top * 10.0 ** -LOSS_DECADES
        for m, item in self.paths.items():
            p = self.result.get(m)
            if p is None:
                item.setData([], [])
                self.loss_curves[m].setData([], [])
                continue
            lo = [s.x_range[0] - 1, s.y_range[0] - 1]
            hi = [s.x_range[1] + 1, s.y_range[1] + 1]
            inside = np.clip(p.points, lo, hi)   # a diverged path runs off the plot, not to infinity
            item.setData(inside[:, 0], inside[:, 1])
            v = gaps[m]
            ok = np.isfinite(v) & (v > 0)
            self.loss_curves[m].setData(np.arange(len(v))[ok], v[ok])
        self.loss_plot.setYRange(np.log10(floor), np.log10(top), padding=0.03)   # log mode: in decades
        below = f" (the axis stops at {floor:.0e})" if any(np.nanmin(np.where(v > 0, v, np.inf)) < floor
                                                           for v in gaps.values()) else ""
        if diverged and len(diverged) < len(gaps):
            below += "; " + ", ".join(f"{opt.LABELS[m]} diverged at step {k}" for m, k in diverged.items()) + \
                " (off the top)"
        set_title(self.loss_plot, ("f − f(minimum) along each path" if f_min is not None else
                                   "f(start) − f along each path (a saddle has no minimum)") + below)
        self.step_slider.setRange(0, self.steps_box.value())
        self.show_step(self.step_slider.value())
        self._note()

    def _note(self) -> None:
        s = self.surface
        if s is None:
            return
        parts = []
        for m, p in self.result.items():
            end = p.points[-1]
            d = f", {np.hypot(*(end - np.array(s.minimum))):.3g} from the minimum" if s.minimum else ""
            parts.append(f"{opt.LABELS[m]} (lr {p.lr:g}) ends at f = {p.values[-1]:.3g}{d}")
        self.note.setText("; ".join(parts) + "." + (f"  {self.best_text}" if self.best_text else ""))

    def show_step(self, k: int) -> None:
        """Step mode: the chosen optimizer's state at step k."""
        m = opt.METHODS[self.step_method.currentIndex()]
        p = self.result.get(m)
        self.step_line.setValue(k)
        heads = [(q.points[min(k, len(q.points) - 1)], opt.METHODS.index(n)) for n, q in self.result.items()]
        self.heads.setData([h[0][0] for h in heads], [h[0][1] for h in heads],
                           brush=[pg.mkBrush(colour(c)) for _, c in heads])
        if p is None or not len(p.grads):
            self.grad_arrow.setData([], [])
            self.vel_arrow.setData([], [])
            self.step_text.setText(f"{opt.LABELS[m]} is not in the race")
            return
        ran_away = p.diverged_at is not None and k >= len(p.grads)
        k = min(k, len(p.grads) - 1)
        x = p.points[k]
        g, v, scale = p.grads[k], p.velocity[k], p.scale[k]
        s = self.surface
        span = 0.15 * (s.x_range[1] - s.x_range[0])

        def arrow(vec: np.ndarray) -> tuple[list[float], list[float]]:
            n = float(np.hypot(*vec))
            if n == 0 or not np.isfinite(n):
                return [], []
            end = x + vec / n * span
            return [x[0], end[0]], [x[1], end[1]]
        self.grad_arrow.setData(*arrow(-g))
        self.vel_arrow.setData(*arrow(-v) if np.any(v) else ([], []))
        gone = f"{opt.LABELS[m]} diverged at step {p.diverged_at}; its last " if ran_away else f"{opt.LABELS[m]} "
        self.step_text.setText(
            f"{gone}step {k}: at ({x[0]:.3g}, {x[1]:.3g}) gradient ({g[0]:.3g}, {g[1]:.3g}); "
            f"velocity ({v[0]:.3g}, {v[1]:.3g}); adaptive scale ({scale[0]:.3g}, {scale[1]:.3g}). "
            "Red line: −gradient, dotted: −velocity.")

    def show_best_steps(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            best = opt.quadratic_steps(self.condition)
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.set_best(best)

    def set_best(self, best: dict[str, opt.BestSettings]) -> None:
        parts = [f"{opt.LABELS[m]} {b.steps if b.steps is not None else f'not within {b.searched}'}"
                 for m, b in best.items()]
        self.best_text = (f"Quadratic, K = {self.condition:g}: steps to cut the error by 10⁶ at each method's best "
                          f"settings: {', '.join(parts)}.")
        self._note()
