"""Backprop step by step: a 2-3-2 sigmoid network, one SGD step drawn unit by unit — each
unit's value (z → a) and δ = ∂L/∂z, each edge's ∂L/∂w and its updated weight — and the
check against autograd. "Next step" goes on from the updated weights. Each edge's label is placed
along its edge where it covers the fewest other labels and units (`place_on_edges`), so that
crossing edges do not stack their numbers."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDoubleSpinBox, QPushButton, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from playground.labs import backprop as bp
from widgets.labs.common import LabPage, set_title
from widgets.panels.loss_marks import LABEL_Z

X_POS = (0.0, 1.4, 2.8)
NODE_BRUSH = {0: pg.mkBrush("#dddddd"), 1: pg.mkBrush("#9ecae1"), 2: pg.mkBrush("#fdd0a2")}
NODE_PX = 46
LABEL_T = tuple(float(t) for t in np.linspace(0.15, 0.85, 29))
"""Where along its edge (0: its input end, 1: its output end) a label may sit."""
Rect = tuple[float, float, float, float]
"""x0, y0, x1, y1 in the plot's coordinates."""
GAP_PX = 4
"""Room kept free around each edge label, in pixels."""


def overlap(a: Rect, b: Rect) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_on_edges(edges: list[tuple[tuple[float, float], tuple[float, float]]], sizes: list[tuple[float, float]],
                   obstacles: list[Rect]) -> list[float]:
    """For each edge (its two ends) and its label's (width, height), the fraction along the edge
    where the label, centred there, overlaps least with the obstacles and the labels placed
    before it; of equal choices the one nearest the middle of the edge."""
    placed: list[Rect] = []
    out: list[float] = []
    for ((x0, y0), (x1, y1)), (w, h) in zip(edges, sizes):
        def rect(t: float) -> Rect:
            cx, cy = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
        best = min(LABEL_T, key=lambda t: (round(sum(overlap(rect(t), o) for o in obstacles + placed), 9),
                                          abs(t - 0.5)))
        placed.append(rect(best))
        out.append(best)
    return out


def positions() -> list[list[tuple[float, float]]]:
    """Where each unit sits: layers left to right, units top to bottom, centred."""
    return [[(X_POS[layer], (n - 1) / 2 - k) for k in range(n)] for layer, n in enumerate(bp.SIZES)]


class BackpropPage(LabPage):
    title = "Backprop step by step"
    tab = "Backprop"

    def __init__(self, parent: QWidget | None = None, step: bp.BackpropStep | None = None) -> None:
        super().__init__(parent)
        self.seed_box = self.add_control(QSpinBox(self), "Seed:")
        self.seed_box.setRange(0, 9999)
        self.lr_box = self.add_control(QDoubleSpinBox(self), "η:")
        self.lr_box.setRange(0.001, 10.0)
        self.lr_box.setSingleStep(0.1)
        self.lr_box.setValue(0.5)
        self.reset_button = self.add_control(QPushButton("Reset", self))
        self.next_button = self.add_control(QPushButton("Next step", self))
        self.end_controls()
        self.plot = self.canvas.ci.addPlot()
        for name in ("left", "bottom"):
            self.plot.hideAxis(name)
        self.plot.setMouseEnabled(False, False)
        self.plot.setXRange(-0.4, 3.4)
        self.plot.setYRange(-1.5, 1.6)
        self.edges: dict[tuple[int, int, int], tuple[pg.PlotDataItem, pg.TextItem]] = {}
        pos = positions()
        for layer in range(2):
            for j, (x0, y0) in enumerate(pos[layer]):
                for i, (x1, y1) in enumerate(pos[layer + 1]):
                    line = self.plot.plot([x0, x1], [y0, y1], pen=pg.mkPen("#999", width=1.5))
                    text = pg.TextItem(color="#222", anchor=(0.5, 0.5))   # placed by _place_labels
                    text.setZValue(LABEL_Z)   # above every edge: a later edge's line ran across its numbers
                    self.plot.addItem(text)
                    self.edges[(layer, i, j)] = (line, text)
        self.nodes = pg.ScatterPlotItem(size=NODE_PX, pen=pg.mkPen("#444", width=1.5))
        flat = [(x, y, layer) for layer, units in enumerate(pos) for x, y in units]
        self.nodes.setData([p[0] for p in flat], [p[1] for p in flat], brush=[NODE_BRUSH[p[2]] for p in flat])
        self.plot.addItem(self.nodes)
        self.node_text: list[list[pg.TextItem]] = []
        for layer, units in enumerate(pos):
            row = []
            for x, y in units:
                # beside the unit: inputs on their left, outputs on their right, hidden units above
                anchor = {0: (1.15, 0.5), 1: (0.5, 1.25), 2: (-0.15, 0.5)}[layer]
                t = pg.TextItem(color="#000", anchor=anchor)
                t.setZValue(LABEL_Z)
                t.setPos(x, y)
                self.plot.addItem(t)
                row.append(t)
            self.node_text.append(row)
        self.table = QTableWidget(self)
        self.table.setMaximumHeight(150)
        self.layout().insertWidget(2, self.table)
        self.weights: dict[str, np.ndarray] | None = None
        self.step_count = 0
        self.step: bp.BackpropStep | None = None
        self.reset_button.clicked.connect(self.reset)
        self.seed_box.valueChanged.connect(self.reset)   # a new seed is a new network: it had waited for Reset
        self.next_button.clicked.connect(self.next_step)
        self.plot.getViewBox().sigResized.connect(self._on_view_resized)
        if step is not None:
            self.show_step(step)
        else:
            self.reset()

    def reset(self) -> None:
        self.weights = bp.initial_weights(self.seed_box.value())
        self.step_count = 0
        self.show_step(bp.step(lr=self.lr_box.value(), weights=self.weights))

    def next_step(self) -> None:
        s = self.step
        self.weights = {"w1": s.new_w1, "b1": s.new_b1, "w2": s.new_w2, "b2": s.new_b2}
        self.step_count += 1
        self.show_step(bp.step(lr=self.lr_box.value(), weights=self.weights))

    def show_step(self, s: bp.BackpropStep) -> None:
        self.step = s
        for (layer, i, j), (line, text) in self.edges.items():
            w, g, new = ((s.w1, s.grad_w1, s.new_w1) if layer == 0 else (s.w2, s.grad_w2, s.new_w2))
            text.setHtml(f"<div style='background:#ffffffd0; font-size:8pt'>w {w[i, j]:.3f} → {new[i, j]:.3f}<br>"
                         f"∂L/∂w {g[i, j]:.2e}</div>")
            line.setPen(pg.mkPen("#1f77b4" if g[i, j] < 0 else "#d62728", width=1 + min(4.0, 60 * abs(g[i, j]))))
        for k, t in enumerate(self.node_text[0]):
            t.setHtml(f"<div style='font-size:9pt; background:#ffffffd0'>x{k + 1} = {s.x[k]:.3g}</div>")
        for k, t in enumerate(self.node_text[1]):
            t.setHtml(f"<div style='font-size:9pt; background:#ffffffd0'>z {s.z1[k]:.3f}, h = σ(z) {s.h[k]:.3f}"
                      f"<br>δ {s.delta1[k]:.2e}</div>")
        for k, t in enumerate(self.node_text[2]):
            t.setHtml(f"<div style='font-size:9pt; background:#ffffffd0'>z {s.z2[k]:.3f}, y {s.y[k]:.3f} "
                      f"(target {s.target[k]:g})<br>δ {s.delta2[k]:.2e}</div>")
        set_title(self.plot, f"Step {self.step_count + 1}: loss ½Σ(y − t)² = {s.loss:.5f} → {s.loss_after:.5f} after "
                             f"the update (η = {s.lr:g}); edge colour: sign of ∂L/∂w (red +, blue −), width: its size",
                  "9pt")
        self._place_labels()
        self._fill_table(s)
        self.note.setText(
            "Forward: z₁ = W₁x + b₁, h = σ(z₁), z₂ = W₂h + b₂, y = σ(z₂). Backward: δ₂ = (y − t)·y(1 − y), "
            "δ₁ = (W₂ᵀδ₂)·h(1 − h), ∂L/∂W₂ = δ₂hᵀ, ∂L/∂W₁ = δ₁xᵀ, W ← W − η∂L/∂W.  "
            f"Max |hand − autograd| over every gradient: {s.max_abs_diff_vs_autograd:.2g}.")

    def _on_view_resized(self, *_: object) -> None:
        """A method, not a lambda: the connection ends with this page (a lambda could be called
        while the page is being destroyed)."""
        self._place_labels()

    def _text_rect(self, item: pg.TextItem, x: float, y: float) -> Rect:
        """Where a text item at (x, y) lies in plot coordinates (its size is in pixels)."""
        px, py = self.plot.getViewBox().viewPixelSize()
        box = item.textItem.boundingRect()
        w, h = box.width() * px, box.height() * py
        ax, ay = item.anchor.x(), item.anchor.y()
        left, top = x - ax * w, y + ay * h
        return left, top - h, left + w, top

    def _place_labels(self) -> None:
        """Put each edge's label where it covers the fewest others (its size depends on the view)."""
        px, py = self.plot.getViewBox().viewPixelSize()
        if not (px > 0 and py > 0):
            return
        pos = positions()
        r = NODE_PX / 2
        obstacles = [(x - r * px, y - r * py, x + r * px, y + r * py) for units in pos for x, y in units]
        obstacles += [self._text_rect(t, *pos[layer][k]) for layer, row in enumerate(self.node_text)
                      for k, t in enumerate(row)]
        keys = list(self.edges)
        ends = [(pos[layer][j], pos[layer + 1][i]) for layer, i, j in keys]
        sizes = []
        for key in keys:
            box = self.edges[key][1].textItem.boundingRect()
            sizes.append(((box.width() + 2 * GAP_PX) * px, (box.height() + 2 * GAP_PX) * py))
        for key, ((a, b), t) in zip(keys, zip(ends, place_on_edges(ends, sizes, obstacles))):
            self.edges[key][1].setPos(a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))

    def _fill_table(self, s: bp.BackpropStep) -> None:
        rows = []
        for layer, (w, g, new) in enumerate(((s.w1, s.grad_w1, s.new_w1), (s.w2, s.grad_w2, s.new_w2)), start=1):
            for i in range(w.shape[0]):
                for j in range(w.shape[1]):
                    rows.append((f"W{layer}[{i + 1},{j + 1}]", w[i, j], g[i, j], new[i, j]))
        for layer, (b, g, new) in enumerate(((s.b1, s.grad_b1, s.new_b1), (s.b2, s.grad_b2, s.new_b2)), start=1):
            for i in range(len(b)):
                rows.append((f"b{layer}[{i + 1}]", b[i], g[i], new[i]))
        self.table.setColumnCount(len(rows))
        self.table.setRowCount(3)
        self.table.setVerticalHeaderLabels(["w", "∂L/∂w", "w − η∂L/∂w"])
        self.table.setHorizontalHeaderLabels([r[0] for r in rows])
        for c, (_, w, g, new) in enumerate(rows):
            for r, v in enumerate((w, g, new)):
                self.table.setItem(r, c, QTableWidgetItem(f"{v:.4g}"))
        self.table.resizeColumnsToContents()
