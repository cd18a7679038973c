"""Generative against discriminative: the points of a 2-D set with the boundaries of LDA (Gaussians
with a shared covariance: a line), QDA (a covariance per class: a conic) and logistic regression,
and the learning curve of LDA against logistic regression with ± sd bands over seeds.

The engine (playground.labs.generative) computes everything; its learning curve fits 70 models,
so it runs on a background thread and the page draws when it is done."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

from playground.labs import generative as gen
from widgets.labs.common import ComputingLabPage, grid_plot, set_title
from widgets.panels.legend_place import LegendPlacer

STYLES = {"lda": ("#1f77b4", Qt.PenStyle.SolidLine, 4.0), "qda": ("#2ca02c", Qt.PenStyle.DashLine, 2.5),
          "logistic": ("#d62728", Qt.PenStyle.DotLine, 2.5)}
"""Each model's colour, line style and width, the same in both plots; LDA's line is wider so that
where logistic regression finds the same line (xor, circle) both still show."""
CLASS_COLOURS = ("#ff7f0e", "#9467bd")


def boundary_line(lab: gen.GenerativeLab, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The 0.5 contour of a model's probability on the grid, in data coordinates, its pieces
    separated by NaN (drawn with connect="finite")."""
    xs, ys = [], []
    gx, gy = lab.grid_x, lab.grid_y
    for piece in pg.isocurve(lab.fits[name].probability.T, 0.5, connected=True):
        p = np.asarray(piece, dtype=float)   # (column index along x, row index along y)
        xs += list(np.interp(p[:, 0], np.arange(len(gx)), gx)) + [np.nan]
        ys += list(np.interp(p[:, 1], np.arange(len(gy)), gy)) + [np.nan]
    return np.asarray(xs), np.asarray(ys)


class GenerativeLabPage(ComputingLabPage):
    title = "Generative vs discriminative"
    tab = "Generative"
    sizes = gen.SIZES
    """Training points per class on the learning curve (tests ask for fewer)."""

    def __init__(self, parent: QWidget | None = None, lab: gen.GenerativeLab | None = None) -> None:
        super().__init__(parent)
        self.data_box = self.add_control(QComboBox(self), "Data:")
        self.data_box.addItems(list(gen.SETS))
        self.seeds_box = self.add_control(QSpinBox(self), "Seeds:")
        self.seeds_box.setRange(1, 50)
        self.seeds_box.setValue(gen.SEEDS)
        self.seeds_box.setToolTip("Learning-curve seeds per training-set size (mean ± sd over them)")
        self.busy_label = self.add_control(QLabel(self))
        self.busy_label.setStyleSheet("color: #555;")
        self.end_controls()

        ci = self.canvas.ci
        self.points_plot = grid_plot("", "x₂", "x₁")
        self.points_plot.setAspectLocked(True)
        self.points_plot.setMenuEnabled(False)
        self.points_legend = self.points_plot.addLegend(offset=(6, 6), labelTextSize="8pt", labelTextColor="#222",
                                                       brush=pg.mkBrush(255, 255, 255, 170), pen=pg.mkPen("#999"))
        self.legend_place = LegendPlacer(self.points_plot, self.points_legend, margin=6)
        """The legend where it hides the fewest points and boundary (each data set lies elsewhere)."""
        self.train_points = {c: pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222", width=0.5),
                                                   brush=pg.mkBrush(CLASS_COLOURS[c]), name=f"class {c}")
                             for c in (0, 1)}
        for item in self.train_points.values():
            self.points_plot.addItem(item)
        self.boundaries = {m: self.points_plot.plot(pen=pg.mkPen(colour, width=width, style=style),
                                                    connect="finite", name=gen.MODELS[m])
                           for m, (colour, style, width) in STYLES.items()}
        self.curve_plot = grid_plot("", "test error", "training points per class (log scale)")
        self.curve_plot.setMenuEnabled(False)
        self.curve_plot.addLegend(offset=(-6, 6), labelTextSize="8pt", labelTextColor="#222",
                                  brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#999"))
        self.bands: dict[str, pg.FillBetweenItem] = {}
        self.band_edges: dict[str, tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for m in gen.CURVE_MODELS:
            colour, style, width = STYLES[m]
            low, high = (pg.PlotCurveItem(pen=pg.mkPen(colour + "60", width=1)) for _ in range(2))
            band = pg.FillBetweenItem(low, high, brush=pg.mkBrush(colour + "40"))
            self.curve_plot.addItem(band)
            self.band_edges[m], self.bands[m] = (low, high), band
            self.curves[m] = self.curve_plot.plot(pen=pg.mkPen(colour, width=width, style=style), symbol="o",
                                                  symbolSize=6, symbolBrush=colour, symbolPen=None,
                                                  name=f"{gen.MODELS[m]}, mean ± sd")
        ci.addItem(self.points_plot, row=0, col=0)
        ci.addItem(self.curve_plot, row=0, col=1)

        self.lab: gen.GenerativeLab | None = None
        self.points_plot.vb.sigResized.connect(self._fit_points_range)
        self.start_computing(self.busy_label)
        self.data_box.currentTextChanged.connect(self.recompute)
        self.seeds_box.valueChanged.connect(self.recompute)
        if lab is not None:
            for box in (self.data_box, self.seeds_box):
                box.blockSignals(True)
            self.data_box.setCurrentText(lab.data)
            self.seeds_box.setValue(lab.curve.seeds)
            for box in (self.data_box, self.seeds_box):
                box.blockSignals(False)
            self.show_lab(lab)
        else:
            self.recompute()

    # ------------------------------------------------------------ computing
    def settings(self) -> tuple[str, int, tuple[int, ...]]:
        """What `explore` is asked for: data, learning-curve seeds and sizes."""
        return self.data_box.currentText(), self.seeds_box.value(), tuple(self.sizes)

    def compute(self, settings: tuple[str, int, tuple[int, ...]]) -> gen.GenerativeLab:
        data, seeds, sizes = settings
        return gen.explore(data, seeds, sizes=sizes)

    # ------------------------------------------------------------ drawing
    def _fit_points_range(self, *_: object) -> None:
        """The grid's range, grown where the legend would hide points (`LegendPlacer.make_room`):
        again whenever the plot's size changes, which changes how much room the legend needs."""
        if self.lab is None:
            return
        lab = self.lab
        self.points_plot.setRange(xRange=(lab.grid_x[0], lab.grid_x[-1]), yRange=(lab.grid_y[0], lab.grid_y[-1]),
                                  padding=0)
        self.legend_place.make_room()

    def show_lab(self, lab: gen.GenerativeLab) -> None:
        self.lab = lab
        for c, item in self.train_points.items():
            chosen = lab.y_train == c
            item.setData(lab.x_train[chosen, 0], lab.x_train[chosen, 1])
        for label, (c, item) in zip(self.points_legend.items, self.train_points.items()):
            label[1].setText(lab.class_names[c], size="8pt")
        for m, line in self.boundaries.items():
            line.setData(*boundary_line(lab, m))
        self._fit_points_range()
        errors = ",  ".join(f"{gen.MODELS[m].split(' (')[0]} {f.test_error:.3f}" for m, f in lab.fits.items())
        set_title(self.points_plot, f"{lab.data}: {len(lab.y_train)} training points, boundaries p = 0.5<br>"
                                    f"test error ({len(lab.y_test)} points): {errors}")
        curve = lab.curve
        sizes = np.log2(curve.sizes)   # a log axis drawn by hand: FillBetweenItem ignores log mode
        for m in gen.CURVE_MODELS:
            mean, sd = curve.mean(m), curve.sd(m)
            self.curves[m].setData(sizes, mean)
            low, high = self.band_edges[m]
            low.setData(sizes, mean - sd)
            high.setData(sizes, mean + sd)
        self.curve_plot.getAxis("bottom").setTicks([[(np.log2(s), str(s)) for s in curve.sizes]])
        set_title(self.curve_plot, f"learning curve: test error over {curve.seeds} seed{'s' if curve.seeds != 1 else ''} "
                                   f"per size (logistic regression C = {gen.LOGISTIC_C:g})")
        self.note.setText(
            "Gaussian class-conditionals with one shared covariance give p(class | x) = σ(w·x + b), w = Σ⁻¹(μ₁ − μ₀): "
            "a straight boundary of logistic regression's form (LDA); a covariance per class gives a quadratic one "
            "(QDA). The generative model estimates two means and one covariance, so it settles with few points; "
            "logistic regression fits w and b directly and needs more, but assumes nothing about how x is spread. "
            + curve.verdict(lab.data))
