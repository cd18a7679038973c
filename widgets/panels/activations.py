"""Activations over time (one heatmap per layer, dead-unit fraction) and gradient norms per layer.

Each probe brings, per layer, a histogram of the layer's outputs on the fixed probe batch with
its own range. The heatmap draws them as columns (time to the right, activation value up) on a
shared value axis per layer, so a layer that saturates (mass at ±1 of a tanh), vanishes (a thin
line at 0) or dies (ReLU: everything at 0) shows at a glance.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

from playground.layers.activations import DEAD_SLOPE
from playground.training.events import LayerProbe, ProbeEvent
from widgets.panels.base import (
    FOREGROUND, Panel, RowLegend, graphics_layout, image_item, reset_stretch, style_plot,
    viridis_lut)
from widgets.panels.history import ThinnedList
from widgets.panels.update_ratio import GradientsPanel, LayerCurves  # noqa: F401  (GradientsPanel: its old home)

ROWS = 48
"""Value bins of the displayed heatmaps."""
MAX_COLUMNS = 400
"""At most this many time columns are drawn; longer runs show an even sample of probes."""
ROW_HEIGHT = 120
"""Pixels per row of heatmaps: a deep network scrolls rather than squeezing them flat."""
COLUMN_WIDTH = 260


def rebin(counts: np.ndarray, edges: np.ndarray, lo: float, hi: float, rows: int = ROWS) -> np.ndarray:
    """A histogram moved onto `rows` equal bins over [lo, hi] (mass spread evenly within a bin),
    scaled so its largest bin is 1 and square-rooted so thin tails stay visible."""
    cdf = np.concatenate(([0.0], np.cumsum(counts, dtype=np.float64)))
    target = np.linspace(lo, hi, rows + 1)
    col = np.diff(np.interp(target, edges, cdf))
    top = col.max()
    return np.sqrt(col / top) if top > 0 else col


def rebin_many(raw: list[tuple[np.ndarray, np.ndarray]], lo: float, hi: float, rows: int = ROWS) -> np.ndarray:
    """`rebin` of many histograms at once, as (rows, len(raw)) columns. The probes' histograms
    have equal-width bins, so where each new bin edge falls is arithmetic, not a search; any
    other histograms go through `rebin` one by one."""
    counts = np.array([c for c, _ in raw], dtype=np.float64)   # (n, bins)
    edges = np.array([e for _, e in raw], dtype=np.float64)    # (n, bins + 1)
    n, bins = counts.shape if counts.ndim == 2 else (len(raw), -1)
    if bins < 1 or edges.shape != (n, bins + 1) or not np.allclose(
            np.diff(edges, axis=1), (edges[:, -1:] - edges[:, :1]) / bins, rtol=1e-6, atol=0.0):
        return np.stack([rebin(c, e, lo, hi, rows) for c, e in raw], axis=1)
    cdf = np.concatenate((np.zeros((n, 1)), np.cumsum(counts, axis=1)), axis=1)
    width = edges[:, -1:] - edges[:, :1]
    at = (np.linspace(lo, hi, rows + 1)[None, :] - edges[:, :1]) / width * bins   # in bins, from the first edge
    at = np.clip(at, 0.0, bins)
    k = np.minimum(at.astype(np.int64), bins - 1)
    below = np.take_along_axis(cdf, k, axis=1) + (at - k) * np.take_along_axis(counts, k, axis=1)
    col = np.diff(below, axis=1)
    top = col.max(axis=1, keepdims=True)
    col = np.sqrt(np.divide(col, top, out=np.zeros_like(col), where=top > 0))
    return col.T


class LayerHeatmap:
    """One layer's plot: the histogram columns so far, redrawn when a probe adds one.

    Probes only keep the raw histograms (`add`, per batch); the columns are rebinned onto the
    shared value range when drawn, and only those the image shows (at most MAX_COLUMNS), so a
    range that widens costs one rebinning per frame, not one per probe. At most 2 × MAX_COLUMNS
    histograms are kept, evenly spaced over the run (`ThinnedList`): an hour's run holds steady."""

    def __init__(self, plot: pg.PlotItem, probe: LayerProbe) -> None:
        self.plot = plot
        self.node_id = probe.node_id
        self.layer_type = probe.layer_type
        self.image = image_item()
        self.image.setLookupTable(viridis_lut())
        plot.addItem(self.image)
        self.kept = ThinnedList(MAX_COLUMNS)
        self.lo, self.hi = np.inf, -np.inf
        self.last: LayerProbe | None = None
        self._columns: dict[int, np.ndarray] = {}
        """Rebinned columns by probe index, for the range `_binned`."""
        self._binned: tuple[float, float] | None = None
        self._title = ""

    @property
    def raw(self) -> list[tuple[np.ndarray, np.ndarray]]:
        return self.kept.items   # type: ignore[return-value]

    @property
    def steps(self) -> list[int]:
        return self.kept.keys

    def add(self, step: int, p: LayerProbe) -> None:
        edges = np.asarray(p.hist_edges, dtype=np.float64)
        counts = np.asarray(p.hist_counts, dtype=np.float64)
        if len(edges) < 2 or not np.all(np.isfinite(edges)) or not np.all(np.isfinite(counts)):
            return
        self.last = p
        thinnings = self.kept.thinnings
        if not self.kept.offer(step, (counts, edges)):
            return
        if self.kept.thinnings != thinnings:
            self._binned = None   # the cached columns are indexed by position
        if edges[0] < self.lo or edges[-1] > self.hi:
            lo, hi = min(self.lo, edges[0]), max(self.hi, edges[-1])
            pad = 0.05 * max(hi - lo, 1e-6)
            self.lo, self.hi = lo - pad, hi + pad

    def columns(self, pick: np.ndarray) -> np.ndarray:
        """The picked probes' histograms on the current value range, as (ROWS, len(pick))
        columns (each cached until the range widens)."""
        if self._binned != (self.lo, self.hi):
            self._binned, self._columns = (self.lo, self.hi), {}
        missing = [int(k) for k in pick if int(k) not in self._columns]
        if missing:
            new = rebin_many([self.raw[k] for k in missing], self.lo, self.hi)
            self._columns.update(zip(missing, new.T))
        return np.stack([self._columns[int(k)] for k in pick], axis=1)

    def redraw(self) -> None:
        if not self.raw:
            return
        n = len(self.raw)
        pick = np.unique(np.linspace(0, n - 1, min(n, MAX_COLUMNS)).round().astype(int))
        img = self.columns(pick).astype(np.float32)  # (ROWS, cols)
        self.image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        x0 = self.steps[0]
        x1 = self.steps[-1] if n > 1 else x0 + 1
        width = (x1 - x0) * len(pick) / max(len(pick) - 1, 1) if n > 1 else 1.0
        self.image.setRect(pg.QtCore.QRectF(x0, self.lo, max(width, 1e-9), self.hi - self.lo))
        p = self.last
        text = f"{self.node_id} ({self.layer_type})  mean {p.act_mean:.3g} ± {p.act_std:.3g}"
        if p.dead_fraction is not None and np.isfinite(p.dead_fraction):
            text += f"  dead {p.dead_fraction:.0%}"
        if text != self._title:   # a new title lays the plot out again
            self._title = text
            self.plot.setTitle(text, color=FOREGROUND, size="8pt")


class ActivationsPanel(Panel):
    title = "Activations"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = graphics_layout()
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setWidget(self.canvas)
        self._layout.addWidget(self.scroll, 1)
        self.columns = 1
        self.heatmaps: dict[str, LayerHeatmap] = {}
        self.dead_plot: pg.PlotItem | None = None
        self.dead_legend: RowLegend | None = None
        self.dead: LayerCurves | None = None
        self.set_idle_hint("Per layer: how the outputs on the probe batch are spread (value up, training "
                      "time to the right). Saturating, vanishing or dead layers stand out.")

    def _layout_for(self, probes: list[LayerProbe]) -> None:
        """Make one heatmap per layer the first time a probe lists it (once per session)."""
        new = False
        for p in probes:
            if p.node_id not in self.heatmaps:
                plot = style_plot(pg.PlotItem())
                plot.hideAxis("bottom")   # time runs left to right as in the plot below; fewer axes paint faster
                self.heatmaps[p.node_id] = LayerHeatmap(plot, p)
                new = True
        if self.dead_plot is None and any(p.dead_fraction is not None for p in probes):
            self.dead_plot = style_plot(pg.PlotItem(), f"Dead units (|f′(x)| below {DEAD_SLOPE:g} on every probe input)",
                                        "fraction", "step")
            self.dead_plot.setYRange(0, 1, padding=0.02)
            self.dead_legend = RowLegend(4)   # placed above the plot by `_place`
            self.dead_plot.legend = self.dead_legend
            self.dead = LayerCurves(self.dead_plot, fixed_range=True)
            new = True
        if new:
            self._place(self._columns_for_width())

    def _columns_for_width(self) -> int:
        return max(1, min(4, self.width() // COLUMN_WIDTH))

    def _place(self, cols: int) -> None:
        """Heatmaps in as many columns as the panel's width holds, the dead-unit plot below;
        a deep network scrolls."""
        self.columns = cols
        ci = self.canvas.ci
        plots = [h.plot for h in self.heatmaps.values()] + ([self.dead_plot, self.dead_legend] if self.dead_plot else [])
        for plot in plots:
            if plot in ci.items:
                ci.removeItem(plot)
        for k, h in enumerate(self.heatmaps.values()):
            ci.addItem(h.plot, row=k // cols, col=k % cols)
        rows = (len(self.heatmaps) + cols - 1) // cols
        if self.dead_plot is not None:
            ci.addItem(self.dead_legend, row=rows, col=0, colspan=cols)
            ci.addItem(self.dead_plot, row=rows + 1, col=0, colspan=cols)
        reset_stretch(ci)
        if self.dead_plot is not None:
            ci.layout.setRowStretchFactor(rows, 0)
        self.canvas.setMinimumHeight(ROW_HEIGHT * (rows + (self.dead_plot is not None)))
        ci.setGeometry(self.canvas.range)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.heatmaps and self._columns_for_width() != self.columns:
            self._place(self._columns_for_width())

    def ingest(self, events: list[object]) -> bool:
        probes = [e for e in events if isinstance(e, ProbeEvent)]
        for e in probes:
            self._layout_for(e.layers)
            for p in e.layers:
                self.heatmaps[p.node_id].add(e.step, p)
                if p.dead_fraction is not None and np.isfinite(p.dead_fraction) and self.dead is not None:
                    self.dead.add(p.node_id, p.node_id, e.step, p.dead_fraction)
            self.received += 1
        return bool(probes)

    def render(self) -> None:
        for h in self.heatmaps.values():
            h.redraw()
        if self.dead is not None:
            self.dead.redraw()

    def clear(self) -> None:
        super().clear()
        self.canvas.clear()
        self.canvas.setMinimumHeight(0)
        self.heatmaps.clear()
        self.dead_plot, self.dead, self.dead_legend = None, None, None

    def plots(self) -> list[pg.PlotItem]:
        return []   # made afresh for each run (`clear` removes them)

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        rows: list[list[object]] = []
        for h in self.heatmaps.values():
            for step, (counts, edges) in zip(h.steps, h.raw):
                rows.extend([h.node_id, step, float(a), float(b), float(c)]
                            for a, b, c in zip(edges[:-1], edges[1:], counts))
        return ["layer", "step", "bin_low", "bin_high", "count"], rows
