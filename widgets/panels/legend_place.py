"""A legend in the corner of its plot where it hides the least of what is drawn.

A fixed corner suits one picture and covers another: the gradient back through time rises to the
right in one run and falls in the next, the moons lie where their data set puts them. So the
legend is moved, whenever the plot's range or data change, to the corner whose legend-sized box
holds the fewest drawn points (curves count along their segments, not only at their samples);
on a tie the corner it was given first wins, so a legend does not wander over an empty plot.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

CORNERS = ((0, 0), (1, 0), (0, 1), (1, 1), (0.5, 0), (0.5, 1))
"""Where a legend may sit, as (x, y) in the view: 0 = left or top, 1 = right or bottom, 0.5 = the
middle of the top or bottom edge (where two curves that cross leave room: one rising, one falling)."""
SUBSTEPS = 8
"""Points sampled along each segment of a curve with few samples, so a line through a corner counts."""


def drawn_pixels(plot: pg.PlotItem) -> np.ndarray:
    """(n, 2) positions, in pixels from the view's top left, of what the plot's curves and scatters
    draw inside the view (a line's segments sampled between its points)."""
    vb = plot.vb
    (x0, x1), (y0, y1) = vb.viewRange()
    width, height = vb.width(), vb.height()
    if width <= 0 or height <= 0 or x1 <= x0 or y1 <= y0:
        return np.zeros((0, 2))
    found = []
    for item in plot.items:
        if not item.isVisible() or not isinstance(item, (pg.PlotDataItem, pg.ScatterPlotItem, pg.PlotCurveItem)):
            continue
        x, y = item.getData()
        if x is None or y is None or len(x) == 0:
            continue
        xy = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
        xy = xy[np.isfinite(xy).all(axis=1)]
        lines = isinstance(item, pg.PlotCurveItem) or (isinstance(item, pg.PlotDataItem) and item.opts.get("pen") is not None)
        if lines and 1 < len(xy) <= 2000:
            t = np.linspace(0, 1, SUBSTEPS, endpoint=False)[None, :, None]
            xy = np.concatenate([(xy[:-1, None, :] * (1 - t) + xy[1:, None, :] * t).reshape(-1, 2), xy[-1:]])
        px = (xy[:, 0] - x0) / (x1 - x0) * width
        py = (xy[:, 1] - y0) / (y1 - y0) * height
        if not vb.state["yInverted"]:
            py = height - py
        if vb.state["xInverted"]:
            px = width - px
        found.append(np.column_stack([px, py]))
    return np.concatenate(found) if found else np.zeros((0, 2))


def covered(points: np.ndarray, corner: tuple[float, float], size: tuple[float, float],
            view: tuple[float, float], margin: float) -> int:
    """How many of `points` a legend of `size` at `corner` of a view of size `view` would hide."""
    w, h = size
    left = margin if corner[0] == 0 else view[0] - margin - w if corner[0] == 1 else (view[0] - w) / 2
    top = margin if corner[1] == 0 else view[1] - margin - h
    inside = (points[:, 0] >= left) & (points[:, 0] <= left + w) & (points[:, 1] >= top) & (points[:, 1] <= top + h)
    return int(np.count_nonzero(inside))


def best_corner(points: np.ndarray, size: tuple[float, float], view: tuple[float, float],
                margin: float, preferred: tuple[float, float]) -> tuple[float, float]:
    """The corner hiding the fewest points; `preferred` first on a tie, then CORNERS' order."""
    order = [preferred] + [c for c in CORNERS if c != preferred]
    return min(order, key=lambda c: covered(points, c, size, view, margin))


class LegendPlacer:
    """Keeps `legend` in the emptiest corner of `plot`; call `place()` after new data (the plot's
    range changes place it by themselves)."""

    def __init__(self, plot: pg.PlotItem, legend: pg.LegendItem, preferred: tuple[float, float] = (0, 0),
                 margin: float = 5) -> None:
        self.plot, self.legend, self.preferred, self.margin = plot, legend, preferred, margin
        self.corner: tuple[float, float] | None = None
        plot.vb.sigRangeChanged.connect(lambda *_: self.place())
        plot.vb.sigResized.connect(lambda *_: self.place())

    def place(self) -> None:
        if not self.legend.isVisible():   # (a hidden box follows no range: placed when shown)
            return
        rect = self.legend.boundingRect()
        vb = self.plot.vb
        if rect.width() <= 0 or vb.width() <= 0:
            return
        corner = best_corner(drawn_pixels(self.plot), (rect.width(), rect.height()), (vb.width(), vb.height()),
                             self.margin, self.preferred)
        if corner == self.corner:
            return
        self.corner = corner
        offset = (self.margin if corner[0] == 0 else -self.margin if corner[0] == 1 else 0,
                  self.margin if corner[1] == 0 else -self.margin)
        self.legend.anchor(itemPos=corner, parentPos=corner, offset=offset)

    def make_room(self) -> None:
        """Where even the best corner hides some of what is drawn, grow the view's range at that
        corner's edge (top or bottom) by a band as high as the legend, where it then sits over
        nothing. For a plot whose range its owner sets (call it after setting the range; the
        range signal then places the legend in the band): the generative lab's moons reach
        every corner, and its legend hid a few of them."""
        self.place()
        vb = self.plot.vb
        rect = self.legend.boundingRect()
        if self.corner is None or vb.height() <= 0:
            return
        size, view = (rect.width(), rect.height()), (vb.width(), vb.height())
        if covered(drawn_pixels(self.plot), self.corner, size, view, self.margin) == 0:
            return
        share = (rect.height() + 2 * self.margin) / vb.height()   # of the grown range: the band
        if share >= 0.5:   # a band that would squeeze the data into less than half the plot
            return
        (_, _), (y0, y1) = vb.viewRange()
        grow = share * (y1 - y0) / (1 - share)
        at_bottom = (self.corner[1] == 1) != bool(vb.state["yInverted"])
        vb.setYRange(y0 - grow if at_bottom else y0, y1 if at_bottom else y1 + grow, padding=0)
