"""Clustering lab: k-means walked through assignment and update on a 2-D set, the objective per
iteration, k-means++ against random starts, and single linkage on the same points with its
dendrogram and a cut the student drags; a second tab clusters the digits' raw pixels against the
codes of trained autoencoders (widgets.labs.cluster_codes).

The engine (playground.labs.clustering) computes everything; `explore` takes a second or more with
its 20 starts per method, so it runs on a background thread and the page draws when it is done."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from playground.network.cli_values import MAX_SEED
from playground.labs import cluster_codes as cc
from playground.labs import clustering as cl
from widgets.labs.cluster_codes import CodesSection
from widgets.labs.common import ComputingLabPage, grid_plot, set_title
from widgets.panels.base import PALETTE

CLUSTER_COLOURS = [c for c in PALETTE if c != "#7f7f7f"] + [
    "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"]
"""One colour per cluster (tab10 and its light twins, without the greys: grey means "a small cluster")."""
SMALL_CLUSTER = "#cfcfcf"
"""A cut's clusters beyond the largest len(CLUSTER_COLOURS) are drawn in this grey."""
STRIP_ROWS = {"k-means++": 1.0, "random": 0.0}


def cluster_colours(labels: np.ndarray) -> list[str]:
    """k-means' clusters by their index (at most 20; the colours repeat past 18)."""
    return [CLUSTER_COLOURS[int(j) % len(CLUSTER_COLOURS)] for j in labels]


def cut_colours(labels: np.ndarray, kmeans: np.ndarray) -> list[str]:
    """A cut's clusters in the colours of the k-means clusters they share the most points with
    (`clustering.matched_to`), so the two plots colour the same group alike; the clusters left over
    take the next colours, the largest first, and those past the colours (often single points
    the chain has not reached yet) are grey."""
    numbers = cl.matched_to(labels, kmeans)
    matched = int(kmeans.max()) + 1
    return [cluster_colours([j])[0] if j < matched else
            CLUSTER_COLOURS[j] if j < len(CLUSTER_COLOURS) else SMALL_CLUSTER for j in numbers]


def mean_sd(values: np.ndarray) -> str:
    """"mean ± sd" of the starts' objectives, as the engine reckons them (`start_spread`)."""
    mean, sd = cl.start_spread(values)
    return f"{mean:.4g} ± {sd:.3g}"


def rand_index_text(value: float, digits: int = 3) -> str:
    """An adjusted Rand index as read: chance-level values a hair under 0 are said as 0, not −0.000."""
    return f"{0.0 if abs(value) < 0.5 * 10 ** -digits else value:.{digits}f}"


def stacked(values: np.ndarray, bins: int = 50, step: float = 0.035) -> np.ndarray:
    """Vertical offsets that stack dots of (nearly) equal value, so that 20 starts ending at the
    same objective show as 20 dots, not one."""
    values = np.asarray(values, dtype=float)
    span = float(values.max() - values.min()) if len(values) else 0.0
    slot = np.floor((values - values.min()) / (span / bins)) if span > 0 else np.zeros(len(values))
    offsets = np.zeros(len(values))
    for s in np.unique(slot):
        members = np.flatnonzero(slot == s)
        offsets[members] = (np.arange(len(members)) - (len(members) - 1) / 2) * step
    return np.clip(offsets, -0.42, 0.42)


def points_plot(title: str) -> pg.PlotItem:
    plot = grid_plot(title, "x₂", "x₁")
    plot.setAspectLocked(True)
    plot.setMenuEnabled(False)
    return plot


class ClusteringLabPage(ComputingLabPage):
    title = "Clustering"
    starts = cl.STARTS
    """Starts per method for the objective comparison (tests ask for fewer)."""

    def __init__(self, parent: QWidget | None = None, lab: cl.ClusterLab | cc.CodesComparison | None = None) -> None:
        """`lab`: a 2-D lab to show (else computed), or a codes comparison to show on its tab (the
        2-D lab is then computed when its tab is first shown)."""
        super().__init__(parent)
        self.data_box = self.add_control(QComboBox(self), "Data:")
        self.data_box.addItems(list(cl.SETS))
        self.k_box = self.add_control(QSpinBox(self), "k:")
        self.k_box.setRange(0, 20)
        self.k_box.setSpecialValueText("classes")
        self.k_box.setToolTip("Number of clusters for k-means (\"classes\": as many as the set has classes)")
        self.init_box = self.add_control(QComboBox(self), "Start:")
        self.init_box.addItems(list(cl.INITS))
        self.seed_box = self.add_control(QSpinBox(self), "Seed:")
        self.seed_box.setRange(0, MAX_SEED)   # 2**31 - 1, QSpinBox's own limit
        self.seed_box.setToolTip("Seed of the data and of the start whose steps are shown")
        self.busy_label = self.add_control(QLabel(self))
        self.busy_label.setStyleSheet("color: #555;")
        self.end_controls()
        self.layout().insertLayout(1, self._step_bar())

        ci = self.canvas.ci
        self.kmeans_plot = points_plot("k-means")
        self.kmeans_points = pg.ScatterPlotItem(size=6, pen=None)
        self.kmeans_plot.addItem(self.kmeans_points)
        self.trail = self.kmeans_plot.plot(   # each centre's way so far
            pen=pg.mkPen(40, 40, 40, 130, width=1.5), connect="finite", symbol="o", symbolSize=5, symbolPen=None,
            symbolBrush=pg.mkBrush(40, 40, 40, 130))
        self.centre_halo = pg.ScatterPlotItem(size=30, symbol="star", pen=None, brush=pg.mkBrush(255, 255, 255, 230))
        self.centres = pg.ScatterPlotItem(size=22, symbol="star", pen=pg.mkPen("#000", width=1.5))
        self.kmeans_plot.addItem(self.centre_halo)
        self.kmeans_plot.addItem(self.centres)
        self.objective_plot = grid_plot("objective (sum of squared distances to the centres)", "objective",
                                        "iteration")
        self.objective_plot.setMenuEnabled(False)
        self.objective_curve = self.objective_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=6,
                                                        symbolBrush="#1f77b4", symbolPen=None)
        self.objective_mark = pg.ScatterPlotItem(size=13, pen=pg.mkPen("#d62728", width=2), brush=None)
        self.objective_plot.addItem(self.objective_mark)
        self.starts_plot = grid_plot("", "", "final objective")
        self.starts_plot.setMenuEnabled(False)
        self.starts_plot.getAxis("left").setTicks([[(y, name) for name, y in STRIP_ROWS.items()]])
        self.starts_plot.setYRange(-0.6, 1.6, padding=0)
        self.starts_dots = {name: pg.ScatterPlotItem(size=7, pen=pg.mkPen("#222", width=0.5),
                                                     brush=pg.mkBrush(PALETTE[r] + "c0"))
                            for r, name in enumerate(STRIP_ROWS)}
        for dots in self.starts_dots.values():
            self.starts_plot.addItem(dots)
        self.cut_plot = points_plot("single linkage, cut")
        self.cut_points = pg.ScatterPlotItem(size=6, pen=None)
        self.cut_plot.addItem(self.cut_points)
        self.cut_plot.setXLink(self.kmeans_plot)
        self.cut_plot.setYLink(self.kmeans_plot)
        self.dendrogram_plot = grid_plot("dendrogram: drag the red line to cut", "merge distance", "")
        self.dendrogram_plot.hideAxis("bottom")
        self.dendrogram_plot.setMenuEnabled(False)
        self.dendrogram_plot.setMouseEnabled(x=True, y=False)
        self.links = self.dendrogram_plot.plot(pen=pg.mkPen("#555", width=1), connect="finite")
        self.leaves = pg.ScatterPlotItem(size=5, pen=None, symbol="s")
        self.dendrogram_plot.addItem(self.leaves)
        self.cut_line = pg.InfiniteLine(0.0, angle=0, movable=True, pen=pg.mkPen("#d62728", width=2.5),
                                        hoverPen=pg.mkPen("#ff3030", width=4), label="cut {value:.3f}",
                                        labelOpts={"position": 0.9, "color": "#d62728", "anchors": [(1, 1), (1, 1)]})
        self.dendrogram_plot.addItem(self.cut_line)
        ci.addItem(self.kmeans_plot, row=0, col=0)
        ci.addItem(self.cut_plot, row=0, col=1)
        ci.addItem(self.dendrogram_plot, row=0, col=2, rowspan=2)
        ci.addItem(self.objective_plot, row=1, col=0)
        ci.addItem(self.starts_plot, row=1, col=1)
        ci.layout.setRowStretchFactor(0, 3)
        ci.layout.setRowStretchFactor(1, 2)

        self.lab: cl.ClusterLab | None = None
        self.start_computing(self.busy_label)
        for box in (self.data_box, self.init_box):
            box.currentTextChanged.connect(self.recompute)
        for box in (self.k_box, self.seed_box):
            box.valueChanged.connect(self.recompute)
        self.step_slider.valueChanged.connect(self.show_step)
        self.previous_button.clicked.connect(lambda: self.step_slider.setValue(self.step_slider.value() - 1))
        self.next_button.clicked.connect(lambda: self.step_slider.setValue(self.step_slider.value() + 1))
        self.cut_line.sigPositionChanged.connect(self._cut_moved)
        self._into_tabs()
        if isinstance(lab, cc.CodesComparison):
            self.codes.show_result(lab)
            self.tabs.setCurrentWidget(self.codes)
            self.tabs.currentChanged.connect(self._first_sets_view)
        elif lab is not None:
            self._set_controls(lab)
            self.show_lab(lab)
        else:
            self.recompute()

    def _into_tabs(self) -> None:
        """The 2-D sets (controls, steps, plots and note) on one tab, the digits' learned codes on
        another."""
        outer = self.layout()
        self.sets_tab = QWidget()
        inner = QVBoxLayout(self.sets_tab)
        inner.setContentsMargins(0, 0, 0, 0)
        while outer.count():
            item = outer.takeAt(0)
            if item.widget() is not None:
                inner.addWidget(item.widget(), 1 if item.widget() is self.canvas else 0)
            elif item.layout() is not None:
                part = item.layout()
                part.setParent(None)
                inner.addLayout(part)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.sets_tab, "k-means and single linkage on 2-D sets")
        self.codes = CodesSection()
        self.tabs.addTab(self.codes, "Clustering learned codes (digits)")
        outer.addWidget(self.tabs)

    def _first_sets_view(self, index: int) -> None:
        if self.tabs.widget(index) is self.sets_tab and self.lab is None and not self.computing:
            self.recompute()

    def shutdown(self, timeout_s: float = 10.0) -> None:
        self.codes.shutdown(timeout_s)
        super().shutdown(timeout_s)

    def _step_bar(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.previous_button = QPushButton("◀ Previous", self)
        self.step_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.step_slider.setRange(0, 0)
        self.next_button = QPushButton("Next ▶", self)
        self.step_text = QLabel(self)
        self.cut_text = QLabel(self)
        for label in (self.step_text, self.cut_text):
            label.setWordWrap(True)
        row.addWidget(self.previous_button)
        row.addWidget(self.step_slider, 1)
        row.addWidget(self.next_button)
        row.addWidget(self.step_text, 3)
        row.addWidget(self.cut_text, 3)
        return row

    def _set_controls(self, lab: cl.ClusterLab) -> None:
        widgets = (self.data_box, self.init_box, self.k_box, self.seed_box)
        for w in widgets:
            w.blockSignals(True)
        self.data_box.setCurrentText(lab.data)
        self.init_box.setCurrentText(lab.init)
        self.k_box.setValue(0 if lab.k == int(lab.y.max()) + 1 else lab.k)
        self.seed_box.setValue(lab.seed)
        for w in widgets:
            w.blockSignals(False)

    # ------------------------------------------------------------ computing
    def settings(self) -> tuple[str, int | None, str, int, int]:
        """What `explore` is asked for: data, k (None: the set's classes), start, seed, starts."""
        return (self.data_box.currentText(), self.k_box.value() or None, self.init_box.currentText(),
                self.seed_box.value(), self.starts)

    def compute(self, settings: tuple[str, int | None, str, int, int]) -> cl.ClusterLab:
        data, k, init, seed, starts = settings
        return cl.explore(data, k, init, seed, starts)

    # ------------------------------------------------------------ drawing
    def show_lab(self, lab: cl.ClusterLab) -> None:
        self.lab = lab
        self.kmeans_points.setData(lab.x[:, 0], lab.x[:, 1])
        self.cut_points.setData(lab.x[:, 0], lab.x[:, 1])
        (x0, y0), (x1, y1) = lab.x.min(0), lab.x.max(0)
        self.kmeans_plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.06)   # the cut plot is linked
        objectives = [s.objective for s in lab.steps]
        self.objective_curve.setData(np.arange(1, len(objectives) + 1), objectives)
        self.objective_plot.getAxis("bottom").setTicks(
            None if len(objectives) > 12 else [[(i, str(i)) for i in range(1, len(objectives) + 1)]])
        self._draw_starts(lab)
        self._draw_dendrogram(lab)
        self.step_slider.blockSignals(True)
        self.step_slider.setRange(0, 2 * len(lab.steps) - 2)
        self.step_slider.setValue(0)
        self.step_slider.blockSignals(False)
        self.show_step(0)
        self.cut_line.setValue(lab.cut_height(lab.k))
        self._cut_moved()
        self._note()

    def _draw_starts(self, lab: cl.ClusterLab) -> None:
        everything = np.concatenate([np.asarray(v) for v in lab.starts.values()])
        offsets = stacked(everything)
        at = 0
        words = []
        for name, y in STRIP_ROWS.items():
            values = np.asarray(lab.starts[name])
            self.starts_dots[name].setData(values, y + offsets[at:at + len(values)])
            at += len(values)
            words.append(f"{name} {mean_sd(values)}")
        set_title(self.starts_plot, f"final objective of {len(values)} starts each, mean ± sd:<br>"
                                    + ",  ".join(words))
        lo, hi = float(everything.min()), float(everything.max())
        pad = 0.05 * (hi - lo) or 0.05 * abs(hi) or 1.0
        self.starts_plot.setXRange(lo - pad, hi + pad, padding=0)

    def _draw_dendrogram(self, lab: cl.ClusterLab) -> None:
        from scipy.cluster.hierarchy import dendrogram
        tree = dendrogram(lab.linkage, no_plot=True)
        icoord, dcoord = np.asarray(tree["icoord"]), np.asarray(tree["dcoord"])
        gaps = np.full((len(icoord), 1), np.nan)
        self.links.setData(np.hstack([icoord, gaps]).ravel(), np.hstack([dcoord, gaps]).ravel())
        self.leaf_order = np.asarray(tree["leaves"])
        self.leaf_x = 5.0 + 10.0 * np.arange(len(self.leaf_order))
        top = float(lab.linkage[-1, 2])
        self.cut_line.setBounds((0.0, top * 1.1))
        self.dendrogram_plot.setXRange(0, 10 * len(self.leaf_order), padding=0.01)
        self.dendrogram_plot.setYRange(-0.03 * top, top * 1.12, padding=0)

    def positions(self) -> int:
        return self.step_slider.maximum() + 1

    def step_at(self, position: int) -> tuple[int, str, np.ndarray, np.ndarray]:
        """The slider's position as (iteration, phase, centres, labels): even positions are an
        assignment to the iteration's centres, odd ones the update that moves them to the means."""
        steps = self.lab.steps
        i, update = divmod(position, 2)
        if update and i + 1 < len(steps):
            return i, "update", steps[i + 1].centres, steps[i].labels
        return i, "assign", steps[i].centres, steps[i].labels

    def show_step(self, position: int) -> None:
        if self.lab is None:
            return
        steps = self.lab.steps
        i, phase, centres, labels = self.step_at(position)
        self.kmeans_points.setBrush([pg.mkBrush(c) for c in cluster_colours(labels)])
        self.centre_halo.setData(centres[:, 0], centres[:, 1])
        darker = [pg.mkBrush(pg.mkColor(c).darker(150)) for c in cluster_colours(np.arange(len(centres)))]
        self.centres.setData(centres[:, 0], centres[:, 1], brush=darker)   # to stand out among their points
        path = [s.centres for s in steps[:i + 1]] + ([centres] if phase == "update" else [])
        track = np.stack(path, axis=1)   # (k, visits, 2): each centre's way so far
        gaps = np.full((track.shape[0], 1, 2), np.nan)
        track = np.concatenate([track, gaps], axis=1).reshape(-1, 2)
        self.trail.setData(track[:, 0], track[:, 1])
        self.objective_mark.setData([i + 1], [steps[i].objective])
        self.previous_button.setEnabled(position > 0)
        self.next_button.setEnabled(position < self.step_slider.maximum())
        n = len(steps)
        if phase == "assign":
            done = (" — no centre moves any more: k-means has converged" if steps[i].moved == 0 else
                    " — stopped at the iteration limit" if i == n - 1 else "")
            text = (f"Iteration {i + 1} of {n}, assign: every point joins its nearest centre; "
                    f"objective {steps[i].objective:.4g}{done}.")
        else:
            text = (f"Iteration {i + 1} of {n}, update: every centre moves to the mean of its points "
                    f"(the largest move {steps[i].moved:.3g}).")
        self.step_text.setText(text)
        set_title(self.kmeans_plot, f"k-means, k = {self.lab.k} ({self.lab.init} start, seed {self.lab.seed}): "
                                    f"{phase} {i + 1}")

    def _cut_moved(self, *_args: object) -> None:
        if self.lab is None:
            return
        height = float(self.cut_line.value())
        labels = self.lab.cut(height)
        clusters, ari = self.lab.cut_score(height)
        leaf_colours = cut_colours(labels, self.lab.steps[-1].labels)   # as k-means' last step colours them
        self.cut_points.setBrush([pg.mkBrush(c) for c in leaf_colours])
        self.leaves.setData(self.leaf_x, np.zeros(len(self.leaf_x)),
                            brush=[pg.mkBrush(leaf_colours[p]) for p in self.leaf_order])
        small = "; the smallest in grey" if clusters > len(CLUSTER_COLOURS) else ""
        set_title(self.cut_plot, f"single linkage cut at {height:.3f}: {clusters} cluster{'s' if clusters != 1 else ''}{small}")
        self.cut_text.setText(f"Cut at {height:.3f}: {clusters} cluster{'s' if clusters != 1 else ''}, "
                              f"adjusted Rand index {rand_index_text(ari)} against the classes (k-means: "
                              f"{rand_index_text(self.lab.kmeans_ari)}).")

    def _note(self) -> None:
        lab = self.lab
        plus, rand = (np.asarray(lab.starts[m]) for m in ("k-means++", "random"))
        shape = {"moons": "two moons", "circle": "a disc inside a ring", "spiral": "two spirals",
                 "xor": "the XOR quadrants"}.get(lab.data, f"{int(lab.y.max()) + 1} {lab.data}")
        self.note.setText(
            "Step through: each assignment and each update can only lower the objective or leave it, so the "
            "curve never rises, and k-means stops when no centre moves. Its end depends on the start: over "
            f"{len(plus)} starts, k-means++ (first centres spread apart) ends at {mean_sd(plus)}, random starts "
            f"at {mean_sd(rand)} (mean ± sd). "
            "k-means cuts the plane into straight-edged cells around its centres; single linkage joins the "
            f"nearest points first and so follows chains of points. On {shape}, with k = {lab.k}: k-means "
            f"scores {rand_index_text(lab.kmeans_ari, 2)} against the classes, single linkage "
            f"{rand_index_text(lab.single_linkage_ari, 2)} "
            "(adjusted Rand index: 1 the same partition, about 0 chance). A stray point far from the rest stays "
            "a cluster of its own until the last merges: drag the cut lower and watch the index."
            + ("" if lab.data == "moons" else "  Try moons, where k-means cuts straight across both."))
