"""Weights: how each layer's weights spread over training (quantile bands over time), their
histogram and that of their last gradients now, and the first Linear layer's weight rows as
images when its input is an image (a linear classifier's "templates").

L1 shows as a spike at 0 (and its share in the title), L2 as bands that narrow,
max-norm as a largest row norm that stops at c.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from playground.training.events import WeightsEvent
from widgets.panels.base import (
    FOREGROUND, GrowingArray, Panel, axis_items, graphics_layout, has_finite, image_item, reset_stretch,
    show_grid, style_plot, tile)

BANDS = ((0, 8), (1, 7), (2, 6), (3, 5))
"""Pairs of quantile indices (playground.training.inside.QUANTILES) filled from the outside in."""
BAND_ALPHA = (40, 70, 100, 140)
BLUE = (31, 119, 180)
RED = (214, 39, 40)
MAX_TEMPLATES = 64
GRADIENTS_TITLE = "Gradients ∂L/∂w (last step)"


def diverging_lut(n: int = 256) -> np.ndarray:
    """Red (negative) → white (0) → blue (positive): a weight's sign at a glance."""
    t = np.linspace(-1.0, 1.0, n)[:, None]
    strong = np.where(t < 0, np.array(RED), np.array(BLUE))
    mix = np.abs(t)
    return (255 * (1 - mix) + strong * mix).astype(np.ubyte)


PROBE_POINTS = 1024
"""Probe rows a layer's history keeps at most (~0.1 MB a layer, more rows than the panel is
wide in pixels). A fast model probes ~18 times a second: 1024 rows fill within a minute, after
which the panel's memory stays flat (4096 took four minutes, most of an 8-minute soak's growth)."""


class LayerHistory:
    """One layer's quantiles at the probe steps: every one of them, until a long run has made
    PROBE_POINTS; then the older half keeps every other one (the columns thin alike)."""

    def __init__(self) -> None:
        self.steps = GrowingArray(256, limit=PROBE_POINTS)
        self.q = [GrowingArray(256, limit=PROBE_POINTS) for _ in range(9)]
        self.zero = GrowingArray(256, limit=PROBE_POINTS)

    def add(self, step: int, quantiles: np.ndarray, zero: float) -> None:
        self.steps.append(step)
        for arr, v in zip(self.q, quantiles):
            arr.append(float(v))
        self.zero.append(zero)


class WeightsPanel(Panel):
    title = "Weights"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_control(QLabel("Layer:", self))
        self.layer_box = QComboBox(self)
        self.layer_box.setToolTip("Which layer's weights to show")
        self.layer_box.setMinimumContentsLength(8)
        # As wide as its longest "id (Type)" once the layers are known (it was sized while still
        # empty, which cut "hidden (Linear)" to "hidden (Lin"); a very long id is elided instead
        # of pushing the header's text away.
        self.layer_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.layer_box.setMaximumWidth(260)
        self.layer_box.currentTextChanged.connect(lambda _t: self._draw() if self.last is not None else None)
        self.add_control(self.layer_box)
        self.add_canvas(graphics_layout(self))
        self.bands_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "Weights over training", "w", "step")
        show_grid(self.bands_plot)
        self.band_curves = []
        for (lo, hi), alpha in zip(BANDS, BAND_ALPHA):
            a = pg.PlotCurveItem(pen=pg.mkPen(*BLUE, alpha))
            b = pg.PlotCurveItem(pen=pg.mkPen(*BLUE, alpha))
            fill = pg.FillBetweenItem(a, b, brush=pg.mkBrush(*BLUE, alpha))
            self.bands_plot.addItem(a)
            self.bands_plot.addItem(b)
            self.bands_plot.addItem(fill)
            self.band_curves.append((lo, hi, a, b))
        self.median = self.bands_plot.plot(pen=pg.mkPen(BLUE, width=2))
        self.hist_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "Weights now", "count", "w")
        self.hist = pg.BarGraphItem(x=[0], height=[0], width=1, brush=pg.mkBrush(*BLUE, 170), pen=None)
        self.hist_plot.addItem(self.hist)
        self.grad_plot = style_plot(pg.PlotItem(axisItems=axis_items()), GRADIENTS_TITLE, "count", "∂L/∂w")
        self.grad_hist = pg.BarGraphItem(x=[0], height=[0], width=1, brush=pg.mkBrush(*RED, 170), pen=None)
        self.grad_plot.addItem(self.grad_hist)
        self.templates_plot = pg.PlotItem()
        self.templates_plot.setTitle("First layer's weights as images", color=FOREGROUND, size="8pt")
        for name in ("left", "bottom"):
            self.templates_plot.hideAxis(name)
        self.templates_plot.setAspectLocked(True)
        self.templates_plot.invertY(True)
        self.templates_image = image_item()
        self.templates_image.setLookupTable(diverging_lut())
        self.templates_plot.addItem(self.templates_image)
        self.history: dict[str, LayerHistory] = {}
        self.last: WeightsEvent | None = None
        self.rearrange(False)
        for plot in (self.hist_plot, self.grad_plot):
            plot.vb.setLimits(yMin=0)   # counts: an empty plot's axis ran from -0.4
        self.set_idle_hint("Per-layer weights over training, weight and gradient histograms, first-layer templates: "
                           "Train ▸ Step shows them after one update, Start as it trains.")

    def plots(self) -> list[pg.PlotItem]:
        return [self.bands_plot, self.hist_plot, self.grad_plot]

    def arrange(self, wide: bool) -> None:
        ci = self.canvas.ci
        for plot in (self.bands_plot, self.hist_plot, self.grad_plot, self.templates_plot):
            if plot in ci.items:
                ci.removeItem(plot)
        reset_stretch(ci)
        templates = self.last is not None and self.last.templates is not None
        if wide:
            ci.addItem(self.bands_plot, row=0, col=0, rowspan=2)
            ci.addItem(self.hist_plot, row=0, col=1)
            ci.addItem(self.grad_plot, row=1, col=1)
            if templates:
                ci.addItem(self.templates_plot, row=0, col=2, rowspan=2)
                for c in range(3):
                    ci.layout.setColumnStretchFactor(c, 1)
        else:
            ci.addItem(self.bands_plot, row=0, col=0, colspan=2 if not templates else 1)
            if templates:
                ci.addItem(self.templates_plot, row=0, col=1)
            ci.addItem(self.hist_plot, row=1, col=0)
            ci.addItem(self.grad_plot, row=1, col=1)

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, WeightsEvent):
                for k, nid in enumerate(e.nodes):
                    self.history.setdefault(nid, LayerHistory()).add(e.step, e.quantiles[k], e.zero_fraction[k])
                had_templates = self.last is not None and self.last.templates is not None
                self.last = e
                self.received += 1
                new = True
                if (e.templates is not None) != had_templates:
                    self.rearrange()
        return new

    def clear(self) -> None:
        super().clear()
        self.history.clear()
        self.last = None
        self.layer_box.clear()
        for _, _, a, b in self.band_curves:
            a.setData([], [])
            b.setData([], [])
        self.median.setData([], [])
        self.hist.setOpts(x=[0], height=[0], width=1)
        self.grad_hist.setOpts(x=[0], height=[0], width=1)
        self.templates_image.clear()

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        labels = [f"{nid} ({t})" for nid, t in zip(e.nodes, e.layer_types)]
        if labels != [self.layer_box.itemText(k) for k in range(self.layer_box.count())]:
            keep = self.layer_box.currentText()
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(labels)
            if keep in labels:
                self.layer_box.setCurrentText(keep)
            self.layer_box.blockSignals(False)
        self._draw()

    def selected(self) -> int:
        return max(0, self.layer_box.currentIndex())

    def _draw(self) -> None:
        e = self.last
        if e is None or not e.nodes:
            return
        k = min(self.selected(), len(e.nodes) - 1)
        nid = e.nodes[k]
        h = self.history.get(nid)
        if h is not None and len(h.steps):
            steps, q = h.steps.view(), [arr.view() for arr in h.q]
            one = len(steps) == 1
            # one probe (step 0): a curve of one point draws nothing, so a column of its spread, at its step
            self.bands_plot.getAxis("bottom").setTicks([[(float(steps[0]), str(int(steps[0])))]] if one else None)
            if one:
                steps, q = np.array([steps[0] - 0.5, steps[0] + 0.5]), [np.repeat(v, 2) for v in q]
            for lo, hi, a, b in self.band_curves:
                a.setData(steps, q[lo])
                b.setData(steps, q[hi])
            self.median.setData(steps, q[4])
            self.bands_plot.setTitle("Weights over training" + (": one probe so far" if one else ""),
                                     color=FOREGROUND, size="8pt")
        counts, edges = e.weight_hists[k]
        centres = (edges[:-1] + edges[1:]) / 2
        self.hist.setOpts(x=centres, height=counts, width=float(edges[1] - edges[0]))
        zero = e.zero_fraction[k]
        self.hist_plot.setTitle(f"{nid} weights: {zero:.1%} at 0, max row norm {e.max_row_norm[k]:.3g}",
                                color=FOREGROUND, size="8pt")
        g = e.grad_hists[k]
        if g is not None:
            gc, ge = g
            self.grad_hist.setOpts(x=(ge[:-1] + ge[1:]) / 2, height=gc, width=float(ge[1] - ge[0]))
        else:   # before the first step (or a perceptron's rule): nothing to draw, and the title says why
            self.grad_hist.setOpts(x=[0], height=[0], width=1)
        self.grad_plot.setTitle(GRADIENTS_TITLE if g is not None else "Gradients ∂L/∂w: none " + (
            "before the first step" if e.step == 0 else "in this learning rule"), color=FOREGROUND, size="8pt")
        if e.templates is not None:
            t = np.asarray(e.templates)[:MAX_TEMPLATES]
            lim = float(np.nanmax(np.abs(t))) if has_finite(t) else 1.0
            grid = tile(t, normalize=False)
            self.templates_image.setImage(grid, levels=(-lim or -1.0, lim or 1.0), autoLevels=False)
            self.templates_plot.setTitle(f"{e.templates_node}: {len(t)} units as {t.shape[1]}×{t.shape[2]} images",
                                         color=FOREGROUND, size="8pt")
        self.set_hint(f"Step {e.step}: {nid} has {zero:.1%} of its weights at 0 (|w| at most 0.001 of its largest), largest row norm "
                      f"{e.max_row_norm[k]:.3g}. Bands: min–max, 7–93%, 16–84%, 31–69%, median. Images: red −, blue +.")

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        rows: list[list[object]] = []
        for nid, h in self.history.items():
            for i, step in enumerate(h.steps.view()):
                rows.append([nid, int(step)] + [float(q.view()[i]) for q in h.q] + [float(h.zero.view()[i])])
        return ["node", "step", "min", "q07", "q16", "q31", "median", "q69", "q84", "q93", "max", "zero_fraction"], rows
