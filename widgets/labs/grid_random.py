"""Grid against random search (Bergstra & Bengio 2012): where one repeat's 9 trials of each search
landed in the plane of an important and an unimportant setting, the same trials on the loss
against the important one (the grid tries 3 of its values, random 9), and each repeat's best-found
validation loss for both, with mean ± sd and Welch's verdict.

The engine (playground.selection.grid_random) computes everything on Optuna's samplers, so the page
computes off the GUI thread and draws when it is done; choosing which repeat to show only redraws."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from playground.selection import grid_random as gr
from widgets.labs.common import ComputingLabPage, grid_plot, set_title

STYLES = {"grid": ("#1f77b4", "s"), "random": ("#d62728", "o")}
"""Each search's colour and symbol, the same in the three plots."""
LABELS = {"grid": "3 × 3 grid", "random": "9 random trials"}


class GridRandomLabPage(ComputingLabPage):
    title = "Grid vs random search"
    tab = "Grid vs random"

    def __init__(self, parent: QWidget | None = None, lab: gr.GridRandomLab | None = None) -> None:
        super().__init__(parent)
        self.repeats_box = self.add_control(QSpinBox(self), "Repeats:")
        self.repeats_box.setRange(2, 200)
        self.repeats_box.setValue(gr.REPEATS)
        self.repeats_box.setToolTip("Problems searched, each by both samplers (each draws its own best rate)")
        self.seed_box = self.add_control(QSpinBox(self), "Seed:")
        self.seed_box.setRange(0, 1_000_000)
        self.seed_box.setValue(gr.SEED)
        self.shown_box = self.add_control(QSpinBox(self), "Show repeat:")
        self.shown_box.setRange(0, gr.REPEATS - 1)
        self.busy_label = self.add_control(QLabel(self))
        self.busy_label.setStyleSheet("color: #555;")
        self.end_controls()

        def legend(plot: pg.PlotItem, offset: tuple[int, int]) -> None:
            plot.addLegend(offset=offset, labelTextSize="8pt", labelTextColor="#222",
                           brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#999"))

        self.plane_plot = grid_plot("", "unimportant setting", "learning rate (log10)")
        self.profile_plot = grid_plot("", "validation loss", "learning rate (log10)")
        self.best_plot = grid_plot("", "best validation loss found", "repeat")
        for plot, offset in ((self.plane_plot, (6, 6)), (self.profile_plot, (-6, 6)), (self.best_plot, (-6, 6))):
            plot.setMenuEnabled(False)
            legend(plot, offset)
        self.best_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#2ca02c", width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                         label="best rate", labelOpts={"color": "#2ca02c", "position": 0.05})
        self.plane_plot.addItem(self.best_line)
        self.profile = self.profile_plot.plot(pen=pg.mkPen("#555", width=1.5), name="loss at the best unimportant value")
        self.trials: dict[str, pg.ScatterPlotItem] = {}
        self.tried: dict[str, pg.ScatterPlotItem] = {}
        self.best_points: dict[str, pg.PlotDataItem] = {}
        self.means: dict[str, pg.PlotDataItem] = {}
        self.bands: dict[str, pg.FillBetweenItem] = {}
        self.band_edges: dict[str, tuple[pg.PlotCurveItem, pg.PlotCurveItem]] = {}
        for name, (colour, symbol) in STYLES.items():
            self.trials[name] = pg.ScatterPlotItem(size=11, symbol=symbol, pen=pg.mkPen("#222", width=0.5),
                                                   brush=pg.mkBrush(colour), name=LABELS[name])
            self.plane_plot.addItem(self.trials[name])
            self.tried[name] = pg.ScatterPlotItem(size=10, symbol=symbol, pen=pg.mkPen("#222", width=0.5),
                                                  brush=pg.mkBrush(colour), name=LABELS[name])
            self.profile_plot.addItem(self.tried[name])
            low, high = (pg.PlotCurveItem(pen=pg.mkPen(colour + "60", width=1)) for _ in range(2))
            self.bands[name] = pg.FillBetweenItem(low, high, brush=pg.mkBrush(colour + "30"))
            self.band_edges[name] = (low, high)
            self.best_plot.addItem(self.bands[name])
            self.means[name] = self.best_plot.plot(pen=pg.mkPen(colour, width=2), name=f"{LABELS[name]}, mean ± sd")
            self.best_points[name] = self.best_plot.plot(pen=None, symbol=symbol, symbolSize=9, symbolBrush=colour,
                                                         symbolPen=pg.mkPen("#222", width=0.5))
        # room above the data for the legends (they would hide the trials at the top of each range)
        self.plane_plot.setYRange(-0.05, 1.35, padding=0)
        self.profile_plot.setYRange(0.0, gr.FLOOR + gr.DEPTH + gr.RIPPLE + 0.3, padding=0)
        for plot in (self.plane_plot, self.profile_plot):
            plot.setXRange(np.log10(gr.IMPORTANT.low) - 0.2, np.log10(gr.IMPORTANT.high) + 0.2, padding=0)
        ci = self.canvas.ci
        ci.addItem(self.plane_plot, row=0, col=0)
        ci.addItem(self.profile_plot, row=0, col=1)
        ci.addItem(self.best_plot, row=0, col=2)

        self.lab: gr.GridRandomLab | None = None
        self.start_computing(self.busy_label)
        self.repeats_box.valueChanged.connect(self.recompute)
        self.seed_box.valueChanged.connect(self.recompute)
        self.shown_box.valueChanged.connect(self.show_repeat)
        if lab is not None:
            for box in (self.repeats_box, self.seed_box):
                box.blockSignals(True)
            self.repeats_box.setValue(len(lab.repeats))
            self.seed_box.setValue(lab.seed)
            for box in (self.repeats_box, self.seed_box):
                box.blockSignals(False)
            self.show_lab(lab)
        else:
            self.recompute()

    # ------------------------------------------------------------ computing
    def settings(self) -> tuple[int, int]:
        return self.repeats_box.value(), self.seed_box.value()

    def compute(self, settings: tuple[int, int]) -> gr.GridRandomLab:
        repeats, seed = settings
        return gr.explore(repeats, seed)

    # ------------------------------------------------------------ drawing
    def show_lab(self, lab: gr.GridRandomLab) -> None:
        self.lab = lab
        n = len(lab.repeats)
        self.shown_box.blockSignals(True)
        self.shown_box.setRange(0, n - 1)
        self.shown_box.blockSignals(False)
        ends = np.array([-0.3, n - 0.7])
        for name in gr.SAMPLERS:
            best = np.asarray(lab.best(name))
            s = lab.spread(name)
            self.best_points[name].setData(np.arange(n), best)
            self.means[name].setData(ends, np.full(2, s.mean))
            low, high = self.band_edges[name]
            low.setData(ends, np.full(2, s.mean - s.std))
            high.setData(ends, np.full(2, s.mean + s.std))
        grid, rand = lab.spread("grid"), lab.spread("random")
        set_title(self.best_plot, f"best of {lab.trials} trials, {n} repeats: grid {grid.mean:.3f} ± {grid.std:.3f}, "
                                  f"random {rand.mean:.3f} ± {rand.std:.3f}")
        self.note.setText(
            f"{lab.trials} trials each. The loss depends on the learning rate (important) and only a little on the "
            "other setting (unimportant). A 3 × 3 grid tries each value of the learning rate three times, changing "
            "only the setting that does not matter; random search tries a new learning rate every time. "
            + lab.summary() + " (Bergstra & Bengio 2012; `playground lab grid-random`.)")
        self.show_repeat(min(self.shown_box.value(), n - 1))

    def show_repeat(self, k: int) -> None:
        """Draw repeat k's trials: in the plane, and on the loss against the learning rate."""
        if self.lab is None:
            return
        run = self.lab.repeats[k]
        problem = run.objective
        self.best_line.setValue(problem.best_log_lr)
        xs = np.linspace(np.log10(gr.IMPORTANT.low), np.log10(gr.IMPORTANT.high), 400)
        self.profile.setData(xs, [problem.loss(10 ** x, problem.best_other) for x in xs])
        counts = []
        for name in gr.SAMPLERS:
            search = run.searches[name]
            lrs = np.log10([t.lr for t in search.trials])
            self.trials[name].setData(lrs, [t.other for t in search.trials])
            self.tried[name].setData(lrs, [t.loss for t in search.trials])
            counts.append(f"{LABELS[name]}: {search.distinct('lr')} learning rates, best {search.best.loss:.3f}")
        set_title(self.plane_plot, f"repeat {k}: where the trials landed (best rate 10^{problem.best_log_lr:.2f})")
        set_title(self.profile_plot, "<br>".join(counts))
