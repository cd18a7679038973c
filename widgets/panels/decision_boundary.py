"""Decision boundary, TensorFlow-Playground style: the data over the model's predicted regions.

Two classes: orange (class 0) fading through white to blue (class 1) by the predicted
probability, with the 0.5 contour drawn as the boundary. More classes: one pale colour per
predicted class. A legend above the plot names the classes by their colours; semi-supervised
data (labels_per_class) shows its unlabelled training points too, small and grey, under the few
labelled ones. Regression on 1-D inputs: the fitted curve over the data instead.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QWidget

from playground.training.events import BoundaryEvent, CurveEvent, FinishedEvent, LossEvent
from widgets.panels.base import (
    FOREGROUND, Panel, RowLegend, colour, graphics_layout, has_finite, image_item, style_plot)

ORANGE = np.array([245, 147, 34])
BLUE = np.array([8, 119, 189])
WHITE = np.array([255, 255, 255])
UNLABELLED = (110, 110, 110, 130)
"""Unlabelled training points: grey and translucent, so the labelled ones stand out."""
MAX_LEGEND = 20
"""More classes than this get no legend (it would fill the panel)."""


def two_class_lut(n: int = 256, pale: float = 0.55) -> np.ndarray:
    """Orange → white → blue, paled towards white so the points stand out on it."""
    t = np.linspace(-1.0, 1.0, n)[:, None]
    strong = np.where(t < 0, ORANGE, BLUE)
    mix = np.abs(t) * pale
    return (WHITE * (1 - mix) + strong * mix).astype(np.ubyte)


def class_lut(n_classes: int, pale: float = 0.45) -> np.ndarray:
    rgb = np.array([pg.mkColor(colour(k)).getRgb()[:3] for k in range(n_classes)], dtype=float)
    return (WHITE * (1 - pale) + rgb * pale).astype(np.ubyte)


def class_label(k: int, names: tuple[str, ...]) -> str:
    """A class's name in the legend: the data set's, or "class k" where it has none (or only the number)."""
    name = names[k] if k < len(names) else ""
    return name if name and name != str(k) else f"class {k}"


def point_colour(label: int, n_classes: int) -> str:
    if n_classes <= 2:
        return "#%02x%02x%02x" % tuple(BLUE if label == 1 else ORANGE)
    return colour(label)


class DecisionBoundaryPanel(Panel):
    title = "Decision boundary"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_canvas(graphics_layout(self), square=True)
        self.legend = RowLegend(4)   # in its own row above the plot: it covers no point
        self.legend.setMaximumHeight(0)   # no room taken until it has entries
        self.canvas.addItem(self.legend, row=0, col=0)
        self.plot = style_plot(self.canvas.addPlot(row=1, col=0), "", "x₂", "x₁")
        self.canvas.ci.layout.setRowStretchFactor(0, 0)
        self.canvas.ci.layout.setRowStretchFactor(1, 1)
        self._legend_key: tuple = ()
        self._grid_rect: QRectF | None = None
        """The plane the regions were last computed over; the view is fitted to it when it changes."""
        self.plot.setAspectLocked(True)   # the plane as it is: a circle looks like a circle
        self.keep_square(self.plot.vb)
        self.regions = image_item()
        self.plot.addItem(self.regions)
        self.contour = pg.IsocurveItem(level=0.5, pen=pg.mkPen(FOREGROUND, width=1.5), axisOrder="row-major")
        self.contour.setParentItem(self.regions)
        self.unlabelled = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(*UNLABELLED))
        self.plot.addItem(self.unlabelled)
        self.points = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=1))
        self.plot.addItem(self.points)
        self.data_points = pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(8, 119, 189, 150))
        self.plot.addItem(self.data_points)
        self.fit_curve = self.plot.plot(pen=pg.mkPen("#f59322", width=3))
        self._brush_cache: dict[tuple[int, int], pg.QtGui.QBrush] = {}
        self._mode = ""
        self._axes: tuple[str, str] = ("x₁", "x₂")
        self._n_classes = -1
        self.last: BoundaryEvent | CurveEvent | None = None
        self._pending: BoundaryEvent | CurveEvent | None = None
        self.current_step: int | None = None
        """Steps the run has taken (its newest loss's index + 1): the caption says how far the
        regions lag it. A count, as the pictures' steps and the status bar's "step n/N" are: the
        loss index of the run's last step (1799 of 1800) read "the run ended at step 1799" beside
        "step 1800/1800"."""
        self.finished = False
        self.set_idle_hint("Classifiers: the points over the regions the network predicts (more than two "
                           "inputs: on their first two principal components). Regression on one input: "
                           "the fitted curve over the data.")

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, (BoundaryEvent, CurveEvent)):
                self._pending = e
                self.received += 1
                new = True
            elif isinstance(e, LossEvent) and len(e.steps):
                self.current_step = int(e.steps[-1]) + 1
            elif isinstance(e, FinishedEvent):
                self.current_step = max(self.current_step or 0, int(e.step))
                self.finished = True
                new = self.last is not None or new
        return new

    def render(self) -> None:
        e, self._pending = self._pending, None
        if isinstance(e, BoundaryEvent):
            self._draw_boundary(e)
        elif isinstance(e, CurveEvent):
            self._draw_curve(e)
        if self.last is not None:
            self.set_hint(self.caption())

    def caption(self) -> str:
        """Which step the picture shows; when the run has gone on since (pictures are drawn at
        probe steps), the newest step too, so the caption never seems stuck behind the run."""
        e = self.last
        what = ("the training points over the regions the network predicts" if isinstance(e, BoundaryEvent)
                else "the fitted curve (orange) over the training data")
        if isinstance(e, BoundaryEvent) and e.unlabelled is not None and len(e.unlabelled):
            what = (f"the {len(e.points)} labelled training points (and {len(e.unlabelled)} unlabelled, "
                    "grey) over the regions the network predicts")
        note = f" {e.note}" if isinstance(e, BoundaryEvent) and e.note else ""
        now = self.current_step
        if now is None or now <= e.step:
            return f"Step {e.step}: {what}.{note}"
        ended = "the run ended at" if self.finished else "training is at"
        return f"Step {e.step} (drawn at the last probe; {ended} step {now}): {what}.{note}"

    def _set_mode(self, mode: str) -> None:
        if mode == self._mode:
            return
        self._mode = mode
        boundary = mode == "boundary"
        for item in (self.regions, self.points, self.unlabelled):
            item.setVisible(boundary)
        if not boundary:
            self._set_legend(())
        for item in (self.data_points, self.fit_curve):
            item.setVisible(not boundary)
        if not boundary:   # a curve's own range again, not the last plane's
            self._grid_rect = None
            self.plot.enableAutoRange()
        self.plot.setLabel("left", self._axes[1] if boundary else "y", color=FOREGROUND)
        self.plot.setLabel("bottom", self._axes[0] if boundary else "x", color=FOREGROUND)

    def _set_axes(self, names: tuple[str, str]) -> None:
        """The inputs' names on the axes, or the principal components they are drawn on."""
        names = (str(names[0]), str(names[1]))
        if names != self._axes:
            self._axes = names
            self.plot.setLabel("bottom", names[0], color=FOREGROUND)
            self.plot.setLabel("left", names[1], color=FOREGROUND)

    def _draw_boundary(self, e: BoundaryEvent) -> None:
        self._set_mode("boundary")
        self._set_axes(e.axis_names)
        self.last = e
        xs, ys = np.asarray(e.xs, dtype=float), np.asarray(e.ys, dtype=float)
        values = np.asarray(e.values, dtype=np.float32)
        if e.n_classes != self._n_classes:
            self._n_classes = e.n_classes
            self.regions.setLookupTable(two_class_lut() if e.n_classes <= 2 else class_lut(e.n_classes))
        if not has_finite(values):   # a diverged network: nothing to draw (and no All-NaN warning)
            self.regions.clear()
            self.contour.setVisible(False)
        elif e.n_classes == 0:   # regression over 2-D inputs: the predicted surface
            lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
            self.regions.setImage(values, levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
            self.contour.setVisible(False)
        elif e.n_classes == 2:
            self.regions.setImage(values, levels=(0.0, 1.0), autoLevels=False)
            self.contour.setData(np.nan_to_num(values, nan=0.5))
            self.contour.setVisible(True)
        else:
            self.regions.setImage(values, levels=(0.0, float(e.n_classes)), autoLevels=False)
            self.contour.setVisible(False)
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
        rect = QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * len(xs), dy * len(ys))
        self.regions.setRect(rect)
        if rect != self._grid_rect:   # a new plane (not the next probe's): show just it, painted to the edges
            self._grid_rect = rect
            self.plot.vb.setRange(rect, padding=0)
        if e.n_classes == 0:
            lut = two_class_lut(pale=1.0)
            t = np.asarray(e.labels, dtype=float)
            t = np.where(np.isfinite(t), t, np.nanmean(t) if has_finite(t) else 0.0)
            span = max(float(t.max() - t.min()), 1e-12) if len(t) else 1.0
            idx = np.clip(((t - (t.min() if len(t) else 0)) / span * 255), 0, 255).astype(int)
            brushes = [pg.mkBrush(*lut[k]) for k in idx]
        else:
            brushes = [self._brush(k, e.n_classes) for k in np.asarray(e.labels).astype(int)]
        pos = np.asarray(e.points, dtype=float).reshape(-1, 2)
        keep = np.isfinite(pos).all(axis=1)   # (NaN positions: not drawn, and no All-NaN warning)
        self.points.setData(pos=pos[keep], brush=[b for b, k in zip(brushes, keep) if k])
        rest = np.zeros((0, 2)) if e.unlabelled is None else np.asarray(e.unlabelled, dtype=float).reshape(-1, 2)
        self.unlabelled.setData(pos=rest[np.isfinite(rest).all(axis=1)])
        classes = tuple(class_label(k, tuple(e.class_names)) for k in range(e.n_classes)) \
            if 0 < e.n_classes <= MAX_LEGEND else ()
        self._set_legend(classes, unlabelled=len(rest) > 0)

    def _set_legend(self, classes: tuple[str, ...], unlabelled: bool = False) -> None:
        """One entry per class in its points' colour, and "unlabelled" when those are drawn."""
        key = (classes, unlabelled)
        if key == self._legend_key:
            return
        self.legend.clear()
        for k, name in enumerate(classes):
            sample = pg.ScatterPlotItem(size=7, pen=pg.mkPen("w", width=1), brush=self._brush(k, len(classes)))
            self.legend.addItem(sample, name)
        if unlabelled:
            self.legend.addItem(pg.ScatterPlotItem(size=5, pen=None, brush=pg.mkBrush(*UNLABELLED)), "unlabelled")
        self._legend_key = key

    def legend_names(self) -> list[str]:
        """The legend's entries, in order (what a student reads above the plot)."""
        return [label.text for _, label in self.legend.items]

    def _brush(self, label: int, n_classes: int) -> pg.QtGui.QBrush:
        key = (label, n_classes)
        if key not in self._brush_cache:
            self._brush_cache[key] = pg.mkBrush(point_colour(label, n_classes))
        return self._brush_cache[key]

    def _draw_curve(self, e: CurveEvent) -> None:
        self._set_mode("curve")
        self.last = e
        dx, dy = np.asarray(e.data_x, dtype=float).reshape(-1), np.asarray(e.data_y, dtype=float).reshape(-1)
        keep = np.isfinite(dx) & np.isfinite(dy)
        self.data_points.setData(dx[keep], dy[keep])
        order = np.argsort(np.asarray(e.xs).reshape(-1))
        ys = np.asarray(e.ys).reshape(-1)[order]
        if has_finite(ys):
            self.fit_curve.setData(np.asarray(e.xs).reshape(-1)[order], ys, connect="finite")
        else:   # a diverged network: no curve (and no All-NaN warning)
            self.fit_curve.setData([], [])

    def clear(self) -> None:
        super().clear()
        self.last = self._pending = None
        self.current_step, self.finished = None, False
        self._grid_rect = None
        self.regions.clear()
        self.contour.setData(None)
        self.points.clear()
        self.unlabelled.clear()
        self._set_legend(())
        self.data_points.clear()
        self.fit_curve.setData([], [])

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        if isinstance(e, BoundaryEvent):
            rows = [["grid", float(x), float(y), float(e.values[i, j])]
                    for i, y in enumerate(e.ys) for j, x in enumerate(e.xs)]
            rows += [["point", float(p[0]), float(p[1]), int(lab)] for p, lab in zip(e.points, e.labels)]
            if e.unlabelled is not None:
                rows += [["unlabelled", float(p[0]), float(p[1]), ""] for p in e.unlabelled]
            axes = ["x1", "x2"] if tuple(e.axis_names) == ("x₁", "x₂") else list(e.axis_names)
            return ["kind", *axes, "value_or_label"], rows
        if isinstance(e, CurveEvent):
            rows = [["fit", float(x), float(y)] for x, y in zip(np.ravel(e.xs), np.ravel(e.ys))]
            rows += [["data", float(x), float(y)] for x, y in zip(np.ravel(e.data_x), np.ravel(e.data_y))]
            return ["kind", "x", "y"], rows
        return [], []
