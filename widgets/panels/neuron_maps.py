"""Neuron maps (2-D data): every unit's output over the input plane as a small heat map, the
nodes laid out in columns by depth as the network is (TensorFlow Playground's picture, for any
of our graphs). Click a map to see it large beside them.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from playground.training.events import NeuronMapEvent
from widgets.panels.base import FOREGROUND, Panel, graphics_layout, has_finite, image_item, reset_stretch
from widgets.panels.decision_boundary import two_class_lut

GAP = 3


def column_image(maps: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Stack (units, H, W) maps of a column's nodes into one image, each map scaled to [0, 1] on
    its own (gaps are NaN: drawn blank); also where each (node, unit) starts, row by row."""
    h, w = maps[0].shape[1:]
    total = sum(len(m) for m in maps)
    out = np.full((total * (h + GAP) - GAP, w), np.nan, dtype=np.float32)
    starts: list[tuple[int, int]] = []
    r = 0
    for node_k, m in enumerate(maps):
        for u in range(len(m)):
            v = m[u][::-1].astype(np.float32)   # top row: the largest x₂, as on the plane
            lo, hi = np.nanmin(v), np.nanmax(v)
            out[r:r + h] = (v - lo) / (hi - lo) if hi - lo > 1e-12 else 0.5
            starts.append((node_k, u))
            r += h + GAP
    return out, starts


class NeuronMapsPanel(Panel):
    title = "Neuron maps"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_canvas(graphics_layout(self))
        self.columns: list[tuple[pg.PlotItem, pg.ImageItem]] = []
        self.big_plot = pg.PlotItem()
        for name in ("left", "bottom"):
            self.big_plot.hideAxis(name)
        self.big_plot.setAspectLocked(True)
        self.big_image = image_item()
        self.big_image.setLookupTable(two_class_lut(pale=0.9))
        self.big_plot.addItem(self.big_image)
        self.last: NeuronMapEvent | None = None
        self.layout_key: tuple = ()
        self.chosen: tuple[str, int] | None = None
        self._starts: list[list[tuple[str, int]]] = []
        self.canvas.scene().sigMouseClicked.connect(self._clicked)
        self.set_idle_hint("2-D data: each unit's output over the input plane, by depth; click one to enlarge it.")

    snapshot_event = NeuronMapEvent

    def plots(self) -> list[pg.PlotItem]:
        return []

    def _build(self, e: NeuronMapEvent) -> None:
        ci = self.canvas.ci
        ci.clear()
        reset_stretch(ci)
        self.columns = []
        for c, col in enumerate(e.columns):
            plot = pg.PlotItem()
            for name in ("left", "bottom"):
                plot.hideAxis(name)
            plot.setAspectLocked(True)
            plot.invertY(True)
            plot.setMouseEnabled(False, False)
            img = image_item()
            img.setLookupTable(two_class_lut(pale=0.9))
            plot.addItem(img)
            label = ", ".join(col) if len(col) < 3 else f"{col[0]}, … ({len(col)})"
            plot.setTitle(label, color=FOREGROUND, size="7pt")
            ci.addItem(plot, row=0, col=c)
            self.columns.append((plot, img))
        ci.addItem(self.big_plot, row=0, col=len(e.columns))
        ci.layout.setColumnStretchFactor(len(e.columns), 3)
        self.layout_key = tuple(tuple(c) for c in e.columns)

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        if tuple(tuple(c) for c in e.columns) != self.layout_key:
            self._build(e)
        self._starts = []
        for (plot, img), col in zip(self.columns, e.columns):
            maps = [np.asarray(e.maps[n]) for n in col]
            image, starts = column_image(maps)
            self._starts.append([(col[k], u) for k, u in starts])
            if has_finite(image):
                img.setImage(image, levels=(0.0, 1.0), autoLevels=False)
            else:
                img.clear()
        if self.chosen is None or self.chosen[0] not in e.maps:
            hidden = [n for col in e.columns[1:-1] for n in col]
            self.chosen = (hidden[0] if hidden else e.output_id, 0)
        self._draw_big()
        shown = sum(len(m) for m in e.maps.values())
        self.set_hint(f"Step {e.step}: {shown} unit maps over the plane (orange low, blue high, each on its own "
                      f"scale); click one to enlarge.")

    def _draw_big(self) -> None:
        e = self.last
        if e is None or self.chosen is None:
            return
        nid, unit = self.chosen
        m = np.asarray(e.maps[nid])
        unit = min(unit, len(m) - 1)
        v = m[unit]
        if not has_finite(v):
            self.big_image.clear()
            return
        lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
        self.big_image.setImage(v, levels=(lo, hi if hi > lo else lo + 1), autoLevels=False)
        x0, x1, y0, y1 = float(e.xs[0]), float(e.xs[-1]), float(e.ys[0]), float(e.ys[-1])
        self.big_image.setRect(pg.QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        what = "x₁, x₂" if nid == e.input_id else e.node_types.get(nid, "")
        self.big_plot.setTitle(f"{nid} ({what}) unit {unit + 1}: {lo:.3g} … {hi:.3g}", color=FOREGROUND, size="8pt")

    def choose(self, column: int, row: int) -> None:
        """Enlarge the map at a column's `row`-th place (what a click does)."""
        if 0 <= column < len(self._starts) and 0 <= row < len(self._starts[column]):
            self.chosen = self._starts[column][row]
            self._draw_big()

    def _clicked(self, ev: object) -> None:
        e = self.last
        if e is None:
            return
        pos = ev.scenePos()
        h = len(e.ys)
        for c, (plot, img) in enumerate(self.columns):
            if plot.sceneBoundingRect().contains(pos):
                p = img.mapFromScene(pos)
                self.choose(c, int(p.y()) // (h + GAP))
                return

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        if e is None:
            return [], []
        rows = []
        for nid, m in e.maps.items():
            for u in range(len(m)):
                for i, y in enumerate(e.ys):
                    for j, x in enumerate(e.xs):
                        rows.append([nid, u, float(x), float(y), float(m[u, i, j])])
        return ["node", "unit", "x1", "x2", "output"], rows
