"""The Hessian lab: a surface of the optimizer race with the region where it curves down in some
direction shaded (the Hessian's smaller eigenvalue is negative there), the eigenvectors at a point
the student clicks or types, and f along each eigenvector beside its quadratic model
f(p) + (g·v) t + ½ λ t²: the eigenvalue is the curvature the cut shows."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QWidget

from playground.labs import hessian as hs
from playground.labs import optimizers as opt
from widgets.labs.common import LabPage, grid_plot, set_title

POSITIVE = "#1f77b4"
NEGATIVE = "#d62728"
LEVELS = 14


def _colour(value: float) -> str:
    return NEGATIVE if value < 0 else POSITIVE


class HessianLabPage(LabPage):
    title = "Hessian"

    def __init__(self, parent: QWidget | None = None, point: hs.HessianPoint | None = None,
                 condition: float = 10.0) -> None:
        super().__init__(parent)
        point = point or hs.at("saddle", *hs.default_point("saddle"))
        self.surface_box = self.add_control(QComboBox(self), "Surface:")
        self.surface_box.addItems(list(opt.SURFACES))
        self.surface_box.setCurrentText(point.surface)
        self.condition_box = self.add_control(QDoubleSpinBox(self), "Condition K:")
        self.condition_box.setRange(1.0, 1000.0)
        self.condition_box.setValue(condition)
        self.condition_box.setToolTip("The quadratic ravine's condition number: its two curvatures are 1 and K")
        self.x_box = self.add_control(QDoubleSpinBox(self), "x:")
        self.y_box = self.add_control(QDoubleSpinBox(self), "y:")
        for box in (self.x_box, self.y_box):
            box.setDecimals(3)
            box.setSingleStep(0.1)
            box.setRange(-100.0, 100.0)
        self.x_box.setValue(point.x)
        self.y_box.setValue(point.y)
        self.end_controls()

        self.contour = grid_plot("", "y", "x")
        self.contour.setMenuEnabled(False)
        self.shade = pg.ImageItem(axisOrder="row-major")
        self.contour.addItem(self.shade)
        self.isocurves = [pg.IsocurveItem(level=0.0, pen=pg.mkPen("#444", width=0.7), axisOrder="row-major")
                          for _ in range(LEVELS)]
        self.levels_image = pg.ImageItem(axisOrder="row-major")
        self.levels_image.setLookupTable(np.zeros((256, 4), dtype=np.ubyte))   # clear: only its isocurves show
        self.contour.addItem(self.levels_image)
        for iso in self.isocurves:
            iso.setParentItem(self.levels_image)
        self.vectors = [self.contour.plot(pen=pg.mkPen(POSITIVE, width=3)) for _ in range(2)]
        self.mark = pg.ScatterPlotItem(size=10, brush=pg.mkBrush("k"))
        self.contour.addItem(self.mark)
        self.cuts = grid_plot("", "f(p + t·v)", "t (along each eigenvector)")
        self.cuts.setMenuEnabled(False)
        self.cut_lines = [self.cuts.plot(pen=pg.mkPen(POSITIVE, width=2)) for _ in range(2)]
        self.model_lines = [self.cuts.plot(pen=pg.mkPen(POSITIVE, width=1, style=Qt.PenStyle.DashLine))
                            for _ in range(2)]
        self.canvas.ci.addItem(self.contour, row=0, col=0)
        self.canvas.ci.addItem(self.cuts, row=0, col=1)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 2)
        self.point = point
        self.error = ""
        self._drawn_surface: tuple | None = None

        self.surface_box.currentTextChanged.connect(self._surface_changed)
        self.condition_box.valueChanged.connect(self.recompute)
        self.x_box.valueChanged.connect(self.recompute)
        self.y_box.valueChanged.connect(self.recompute)
        self.contour.scene().sigMouseClicked.connect(self._clicked)
        self.recompute()

    def _surface_changed(self, name: str) -> None:
        x, y = hs.default_point(name)
        for box, value in ((self.x_box, x), (self.y_box, y)):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)
        self.recompute()

    def _clicked(self, event) -> None:
        vb = self.contour.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        p = vb.mapSceneToView(event.scenePos())
        self.set_point(p.x(), p.y())

    def set_point(self, x: float, y: float) -> None:
        self.x_box.blockSignals(True)
        self.x_box.setValue(x)
        self.x_box.blockSignals(False)
        self.y_box.setValue(y)
        if self.y_box.value() == y:   # no change signal when y stays: compute for the new x anyway
            self.recompute()

    def recompute(self) -> None:
        name = self.surface_box.currentText()
        self.condition_box.setEnabled(name == "quadratic")
        condition = self.condition_box.value()
        try:
            point = hs.at(name, self.x_box.value(), self.y_box.value(), condition)
        except ValueError as e:
            self.error = str(e)
            self.note.setText(f"Cannot compute: {self.error}")
            return
        self.error = ""
        if self._drawn_surface != (name, condition):
            self._draw_surface(name, condition)
        self.show_point(point)

    def _draw_surface(self, name: str, condition: float) -> None:
        s = opt.surface(name, condition)
        xs, ys, f = opt.contour_grid(s, 100)
        shown = np.log10(f - f.min() + 1e-3)
        rect = pg.QtCore.QRectF(xs[0], ys[0], xs[-1] - xs[0], ys[-1] - ys[0])
        self.levels_image.setImage(shown, autoLevels=True)
        self.levels_image.setRect(rect)
        for iso, level in zip(self.isocurves, np.quantile(shown, np.linspace(0.03, 0.97, LEVELS))):
            iso.setData(shown, level=float(level))
        _, _, lows = hs.negative_curvature_grid(name, condition, 100)
        rgba = np.zeros(lows.shape + (4,), dtype=np.ubyte)
        rgba[lows < 0] = (214, 39, 40, 60)
        rgba[lows >= 0] = (31, 119, 180, 25)
        self.shade.setImage(rgba, autoLevels=False)
        self.shade.setRect(rect)
        self.contour.setXRange(*s.x_range, padding=0)
        self.contour.setYRange(*s.y_range, padding=0)
        self._drawn_surface = (name, condition)
        self.surface = s

    def show_point(self, point: hs.HessianPoint) -> None:
        self.point = point
        s = self.surface
        span = 0.12 * min(s.x_range[1] - s.x_range[0], s.y_range[1] - s.y_range[0])
        self.mark.setData([point.x], [point.y])
        t = np.linspace(-1.0, 1.0, 121) * span
        for k in range(2):
            lam, v = float(point.eigenvalues[k]), point.eigenvectors[:, k]
            pen = pg.mkPen(_colour(lam), width=3)
            self.vectors[k].setData([point.x - span * v[0], point.x + span * v[0]],
                                    [point.y - span * v[1], point.y + span * v[1]])
            self.vectors[k].setPen(pen)
            px = torch.tensor(point.x + t * v[0], dtype=torch.float64)
            py = torch.tensor(point.y + t * v[1], dtype=torch.float64)
            along = s.f(px, py).numpy()
            slope = float(point.gradient @ v)
            self.cut_lines[k].setData(t, along)
            self.cut_lines[k].setPen(pg.mkPen(_colour(lam), width=2))
            self.model_lines[k].setData(t, point.value + slope * t + 0.5 * lam * t ** 2)
            self.model_lines[k].setPen(pg.mkPen(_colour(lam), width=1, style=Qt.PenStyle.DashLine))
        self.cuts.enableAutoRange()
        h = point.hessian
        lo, hi = point.eigenvalues
        inside = s.x_range[0] <= point.x <= s.x_range[1] and s.y_range[0] <= point.y <= s.y_range[1]
        where = "" if inside else " <span style='color:#d62728'>(off this plot: the numbers are still its)</span>"
        set_title(self.contour, f"<b>{s.title}</b><br>red shade: the Hessian has a negative eigenvalue there "
                                f"(not convex); lines: eigenvectors at ({point.x:.3g}, {point.y:.3g}){where}")
        set_title(self.cuts, f"H = [[{h[0, 0]:.4g}, {h[0, 1]:.4g}], [{h[1, 0]:.4g}, {h[1, 1]:.4g}]]<br>"
                             f"λ₁ = <span style='color:{_colour(lo)}'>{lo:.4g}</span>, "
                             f"λ₂ = <span style='color:{_colour(hi)}'>{hi:.4g}</span>: {point.kind}, <b>{point.label}</b>")
        self.note.setText(
            f"{point.describe().capitalize()}. Right: f along each eigenvector (solid) and its quadratic model "
            f"f(p) + (g·v)t + ½λt² (dashed); blue curves up (λ > 0), red down (λ < 0). Hessian by "
            f"torch.autograd.functional.hessian; max |autograd − hand-derived| = {point.max_abs_diff:.2g}. "
            f"Click the surface to move the point.")

    def eigen_text(self) -> str:
        return self.cuts.titleLabel.text

