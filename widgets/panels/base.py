"""What every live plot panel shares: taking in events, drawing them, clearing, and saving
as PNG/SVG/CSV.

A panel is a plain QWidget living on the GUI thread. It takes in each coalesced batch of engine
events (`ingest`: cheap, keeps the numbers it needs) and draws when asked (`render`: updates the
plot items it created once with setData/setImage). The two are apart so that the controller can
space out the drawing: every frame painted holds the GIL the training thread also needs, so
the panels together get a bounded share of the time (see `FrameScheduler` in the controller).
A panel keeps nothing of the model.
"""
from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (registers the exporters)
from PySide6 import QtCore
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton, QVBoxLayout, QWidget)

from widgets.theme import LIGHT

WIDE = 1.6
"""A panel wider than this many times its height lays its plots out side by side."""
BACKGROUND = LIGHT.base
"""Plots are drawn on white in either theme: they are figures, saved and printed as such."""
FOREGROUND = LIGHT.text
"""Axes, labels and titles on the plots' white canvas."""
MUTED = LIGHT.muted
"""Hint lines and secondary text."""
IDLE_HINT = "Start training to see this plot."

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
"""Colours for per-layer and per-class items (matplotlib's tab10: what students have seen)."""


def colour(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


class GrowingArray:
    """A numpy buffer that grows by doubling: appending n values costs O(n), never O(total).

    `view()` is a slice of the preallocated buffer, so curves get it without copying.

    With a `limit`, a long run's series stays bounded: once `limit` values are held, the older
    half keeps every other value (the recent half stays whole), so the buffer holds between 3/4
    and all of `limit`. The thinning depends only on the count, so arrays appended in step (an
    x column and its y columns) stay aligned. `total` counts every value ever added."""

    def __init__(self, capacity: int = 1024, dtype: type = np.float64, limit: int | None = None) -> None:
        if limit is not None and limit < 8:
            raise ValueError("a limit must hold at least 8 values")
        self._data = np.empty(capacity if limit is None else min(capacity, limit), dtype=dtype)
        self.size = 0
        self.total = 0
        self.limit = limit

    def extend(self, values: np.ndarray | Sequence[float]) -> None:
        values = np.asarray(values, dtype=self._data.dtype).reshape(-1)
        if self.limit is not None:
            for start in range(0, len(values), self.limit // 4):
                self._extend_bounded(values[start:start + self.limit // 4])
            return
        self._grow(values)

    def _extend_bounded(self, values: np.ndarray) -> None:
        if self.size + len(values) > self.limit:
            half = self.size // 2
            kept = np.concatenate([self._data[:half:2], self._data[half:self.size]])
            self._data[:len(kept)] = kept
            self.size = len(kept)
        self._grow(values)

    def _grow(self, values: np.ndarray) -> None:
        self.total += len(values)
        need = self.size + len(values)
        if need > len(self._data):
            cap = len(self._data)
            while cap < need:
                cap *= 2
            if self.limit is not None:
                cap = max(need, min(cap, self.limit))
            grown = np.empty(cap, dtype=self._data.dtype)
            grown[:self.size] = self._data[:self.size]
            self._data = grown
        self._data[self.size:need] = values
        self.size = need

    def append(self, value: float) -> None:
        if self.size < len(self._data) and (self.limit is None or self.size < self.limit):
            self._data[self.size] = value   # the common case, without making an array of one value
            self.size += 1
            self.total += 1
        else:
            self.extend((value,))

    def view(self) -> np.ndarray:
        return self._data[:self.size]

    def clear(self) -> None:
        self.size = self.total = 0

    def __len__(self) -> int:
        return self.size


def has_finite(values: object) -> bool:
    """Whether an array holds anything drawable. pyqtgraph takes the nanmin/nanmax of what it
    is given, which warns "All-NaN slice encountered" for all-NaN data: such data is not drawn."""
    a = np.asarray(values)
    return a.size > 0 and bool(np.isfinite(a).any())


def last_of(events: Iterable[object], kind: type) -> object | None:
    """The newest event of a type in a batch: snapshot-like views need only that one."""
    found = None
    for e in events:
        if isinstance(e, kind):
            found = e
    return found


def tile(images: np.ndarray, cols: int | None = None, gap: int = 1, normalize: bool = True) -> np.ndarray:
    """Lay out (n, H, W) greyscale images in a grid separated by `gap` NaN pixels (drawn blank).

    With `normalize`, each tile is scaled to [0, 1] on its own, so faint maps stay visible."""
    n, h, w = images.shape
    if n == 0:
        return np.full((1, 1), np.nan, dtype=np.float32)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan, dtype=np.float32)
    imgs = images.astype(np.float32, copy=True)
    if normalize:
        flat = np.where(np.isfinite(imgs), imgs, np.nan).reshape(n, -1)
        finite = np.isfinite(flat).any(axis=1)
        safe = np.where(finite[:, None], flat, 0.0)   # an all-NaN tile stays blank, without a warning
        lo = np.nanmin(safe, axis=1)[:, None, None]
        hi = np.nanmax(safe, axis=1)[:, None, None]
        imgs = (imgs - lo) / np.where(hi - lo > 1e-12, hi - lo, 1.0)
        imgs[~finite] = np.nan
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = imgs[k]
    return out


def as_images(x: np.ndarray) -> np.ndarray:
    """Samples as (n, H, W) greyscale pictures: images keep their first channel (or the
    channel mean), vectors become one-pixel-high strips."""
    x = np.asarray(x)
    if x.ndim == 4:   # (n, C, H, W)
        return x[:, 0] if x.shape[1] == 1 else x.mean(axis=1)
    if x.ndim == 3:   # (n, H, W) or (n, T, F)
        return x
    return x.reshape(len(x), 1, -1)


def busy_time() -> float:
    """The GUI thread's CPU time (seconds): what drawing costs the training thread. Painting
    holds the GIL, which the training thread needs for every step; the time the GUI thread
    spends waiting for the GIL while the training thread holds it costs training nothing, and
    under load it is most of a paint's wall time."""
    return time.thread_time()


class Canvas(pg.GraphicsLayoutWidget):
    """A white plot canvas that remembers what painting it costs (seconds of `busy_time`, smoothed)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(BACKGROUND)   # per canvas: pyqtgraph's global config is left alone
        self.paint_cost = 0.0

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        layout = getattr(self, "ci", None)   # (none yet while pyqtgraph builds the widget)
        for item in layout.items if layout is not None else ():
            if isinstance(item, RowLegend):
                item.fit(self.width())

    def paintEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        t0 = busy_time()
        super().paintEvent(event)
        cost = busy_time() - t0
        self.paint_cost = cost if self.paint_cost == 0 else 0.7 * self.paint_cost + 0.3 * cost


def graphics_layout(parent: QWidget | None = None) -> Canvas:
    return Canvas(parent)


def style_plot(plot: pg.PlotItem, title: str = "", left: str = "", bottom: str = "") -> pg.PlotItem:
    """Dark axes and labels on the white canvas; titles small, as lecture figures have them."""
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(FOREGROUND)
        axis.setTextPen(FOREGROUND)
        axis.enableAutoSIPrefix(False)   # "loss (x0.001)" reads worse than plain numbers
    if title:
        plot.setTitle(title, color=FOREGROUND, size="8pt")
    if left:
        plot.setLabel("left", left, color=FOREGROUND)
    if bottom:
        plot.setLabel("bottom", bottom, color=FOREGROUND)
    return plot


class Axis(pg.AxisItem):
    """An axis whose ticks and grid lines are drawn opaque, in the colour their transparency
    gives on the white canvas. Qt's raster engine draws a translucent one-pixel line about 30
    times slower than an opaque one, and a grid spans the whole plot, so it was repainted with
    every curve update: on a loss plot it took three quarters of the time of a paint, which
    holds the GIL the training thread needs. `show_grid` puts the grid behind the data, where
    the opaque colour is exactly what the transparent one looked like."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:  # noqa: N802, N803
        """pyqtgraph's spacing, widened on a short vertical axis until its labels fit one above the
        other: it labels at least three ticks, and a 45-px histogram at 1366×768 printed "8 6 4 2 0"
        over each other."""
        levels = super().tickSpacing(minVal, maxVal, size)
        if not levels or self.orientation not in ("left", "right") or self._tickSpacing is not None:
            return levels
        most = max(2, int(size // TICK_LABEL_PX))
        span, spacing = abs(maxVal - minVal), levels[0][0]
        widened = spacing
        while widened > 0 and span / widened + 1 > most:
            widened = _next_nice(widened)
        return levels if widened == spacing else [(widened, 0.0)]

    def drawPicture(self, p, axisSpec, tickSpecs, textSpecs) -> None:  # noqa: N802 - pyqtgraph's name
        flat: dict[int, QPen] = {}   # one pen per tick level, shared by its ticks
        specs = [(flat.get(id(pen)) or flat.setdefault(id(pen), _opaque(pen)), a, b) for pen, a, b in tickSpecs]
        super().drawPicture(p, axisSpec, specs, textSpecs)


TICK_LABEL_PX = 14
"""The room one label of a vertical axis needs: a line of the 8-pt axis font and a little space."""


def _next_nice(spacing: float) -> float:
    """The next tick spacing of the 1-2-5 series above `spacing` (2 → 5 → 10 → 20 …)."""
    exp = math.floor(math.log10(spacing))
    unit = 10.0 ** exp
    mantissa = spacing / unit
    return (2.0 if mantissa < 1.5 else 5.0 if mantissa < 3.5 else 10.0) * unit


_OPAQUE: dict[tuple, QPen] = {}


def _opaque(pen: QPen) -> QPen:
    """`pen` with its colour blended onto the canvas background (cached: a handful of pens)."""
    c = pen.color()
    if c.alpha() == 255 or pen.brush().style() != Qt.BrushStyle.SolidPattern:
        return pen
    key = (c.rgba(), pen.widthF(), pen.style(), pen.isCosmetic())
    flat = _OPAQUE.get(key)
    if flat is None:
        a, bg = c.alphaF(), pg.mkColor(BACKGROUND)
        flat = QPen(pen)
        flat.setColor(QColor(*(round(b + (v - b) * a) for v, b in
                               ((c.red(), bg.red()), (c.green(), bg.green()), (c.blue(), bg.blue())))))
        flat = _OPAQUE[key] = flat
    return flat


LEGEND_ENTRIES = 12
"""The most entries a legend row names: a 42-layer network's legend would otherwise push its plot
off the panel. The rest are counted in one line; the panel's CSV has every curve."""


class RowLegend(pg.LegendItem):
    """A legend in its own row of the canvas, above the plot it describes: it never covers the
    data (pyqtgraph's floats over the view box). Its height follows its entries, at most
    `max_entries` of them and a line counting the others."""

    def __init__(self, columns: int = 4, max_entries: int = LEGEND_ENTRIES) -> None:
        super().__init__(offset=None, colCount=columns, labelTextColor=FOREGROUND, verSpacing=-8,
                         horSpacing=12)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.columns = columns
        """The most columns; fewer where the canvas is too narrow for them (`fit`)."""
        self.max_entries = max_entries
        self.left_out = 0
        self._more: pg.LabelItem | None = None
        self._room: float | None = None

    def fit(self, width: float | None = None) -> None:
        """As many columns (up to `columns`) as fit `width` pixels (the canvas's, remembered for
        entries added later): a row of long names, wider than a narrow dock, made the canvas's
        layout wider than the canvas, and the plot at its right edge was cut off."""
        if width is not None:
            self._room = float(width)
        if self._room is None or not self.items:
            return
        for n in range(self.columns, 0, -1):
            self.setColumnCount(n)
            if self.effectiveSizeHint(Qt.SizeHint.MinimumSize).width() <= self._room:
                break

    def setColumnCount(self, columnCount: int) -> None:  # noqa: N802, N803 - pyqtgraph's names
        if columnCount == self.columnCount:
            return
        super().setColumnCount(columnCount)   # (it empties the layout and puts back the entries only)
        if self._more is not None:
            self.layout.addItem(self._more, self.layout.rowCount(), 0, 1, self.columnCount * 2)
        self.updateSize()

    def addItem(self, item, name) -> None:  # noqa: N802 - pyqtgraph's name
        if len(self.items) < self.max_entries:
            super().addItem(item, name)
            self.fit()
            return
        self.left_out += 1
        text = f"… and {self.left_out} more (Save ▸ CSV has every curve)"
        if self._more is None:
            self._more = pg.LabelItem(text, color=self.opts["labelTextColor"], justify="left",
                                      size=self.opts["labelTextSize"])
            self.layout.addItem(self._more, self.layout.rowCount(), 0, 1, self.columnCount * 2)
        else:
            self._more.setText(text)
        self.updateSize()

    def removeItem(self, item) -> None:  # noqa: N802 - pyqtgraph's name
        super().removeItem(item)
        self.fit()   # fewer names may fit in more columns again

    def clear(self) -> None:
        if self._more is not None:
            self._removeItemFromLayout(self._more)
            self._more = None
        self.left_out = 0
        super().clear()

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        height = 0.0
        for row in range(self.layout.rowCount()):
            items = [self.layout.itemAt(row, col) for col in range(self.layout.columnCount())]
            height += max((item.height() for item in items if item), default=0.0)
        if height:
            height += self.layout.verticalSpacing() * (self.layout.rowCount() - 1)
        self.setMinimumHeight(height)
        self.setMaximumHeight(height)
        self.updateGeometry()

    def boundingRect(self):  # noqa: N802 - Qt's name
        return QtCore.QRectF(0, 0, self.width(), self.height())


def legend_above(plot: pg.PlotItem, layout: pg.GraphicsLayout, row: int, col: int = 0, colspan: int = 1,
                 columns: int = 4) -> RowLegend:
    """Give `plot` a `RowLegend` in `layout` at (row, col): curves added with a name go there."""
    legend = RowLegend(columns)
    plot.legend = legend   # PlotItem.addItem puts named items into `plot.legend`
    layout.addItem(legend, row=row, col=col, colspan=colspan)
    return legend


def reset_axes(plot: pg.PlotItem) -> None:
    """A plot's axes as before any data: auto-ranging, from a unit range (pyqtgraph keeps the
    last range when a plot has no data left, which showed an old run's axes)."""
    vb = plot.getViewBox()
    if vb.state["aspectLocked"]:
        vb.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
    else:
        vb.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
    vb.enableAutoRange()


def axis_items(log_y: bool = False) -> dict[str, pg.AxisItem]:
    """The axes of a plot that shows a grid (`PlotItem(axisItems=...)`, `addPlot(axisItems=...)`)."""
    return {"left": LogAxis("left") if log_y else Axis("left"), "bottom": Axis("bottom")}


def show_grid(plot: pg.PlotItem, alpha: float = 0.15) -> None:
    """A light grid behind the data (the plot's axes must be `Axis`: see there)."""
    plot.showGrid(x=True, y=True, alpha=alpha)
    for name in ("left", "bottom"):
        plot.getAxis(name).setZValue(-1)   # below the view box: the data is drawn over it


LABEL_PX = 16
"""The least room a log axis gives one label along it: a line of the axis font and a little space."""


class LogAxis(Axis):
    """A log axis labelled at the decades (and at 2 and 5 when fewer than two decades show),
    with unlabelled minor ticks: pyqtgraph's own labels every minor tick of a short range, and
    in a short dock they pile up. Where the decades do not fit (seven of them in LSTM internals'
    60 px at 1366×768), every second or third decade is labelled, the others ticked."""

    def __init__(self, orientation: str = "left") -> None:
        super().__init__(orientation)
        self.setStyle(maxTextLevel=0)

    def logTickValues(self, minVal: float, maxVal: float, size: float, stdTicks: list) -> list:  # noqa: N802,N803
        lo, hi = int(np.floor(minVal)), int(np.ceil(maxVal))
        decades = [float(v) for v in range(lo, hi + 1) if minVal <= v <= maxVal]
        minor = [v + np.log10(k) for v in range(lo, hi) for k in range(2, 10) if minVal < v + np.log10(k) < maxVal]
        if len(decades) >= 2:
            every = max(1, math.ceil(len(decades) * LABEL_PX / max(size, 1.0)))
            labelled = [v for v in decades if round(v) % every == 0] or decades[:1]
            return [(float(every), labelled), (None, [v for v in decades if v not in labelled] + minor)]
        room = int(max(size, 1.0) // LABEL_PX)   # labels that fit, the decade first, then 5s, then 2s
        labelled = list(decades)
        for k in (5, 2):
            more = [v + np.log10(k) for v in range(lo, hi) if minVal < v + np.log10(k) < maxVal]
            if len(labelled) + len(more) <= room or not labelled:
                labelled += more
        labelled.sort()
        return [(None, labelled), (None, [m for m in minor if m not in labelled])]


def log_plot() -> pg.PlotItem:
    """A PlotItem with a log y axis that stays readable when short."""
    plot = pg.PlotItem(axisItems=axis_items(log_y=True))
    plot.setLogMode(y=True)
    return plot


def reset_stretch(layout: pg.GraphicsLayout) -> None:
    """Even out the stretch of a layout's existing rows and columns. (Setting a factor on a row
    that does not exist yet creates one that caps the layout's height: only touch real ones.)"""
    grid = layout.layout
    for r in range(grid.rowCount()):
        grid.setRowStretchFactor(r, 1)
    for c in range(grid.columnCount()):
        grid.setColumnStretchFactor(c, 1)


def image_item() -> pg.ImageItem:
    """An ImageItem reading arrays as (rows, columns), the way numpy prints them."""
    return pg.ImageItem(axisOrder="row-major")


def grey_lut() -> np.ndarray:
    return pg.colormap.get("CET-L1").getLookupTable(nPts=256)


def viridis_lut() -> np.ndarray:
    return pg.colormap.get("viridis").getLookupTable(nPts=256)


class Panel(QWidget):
    """Base of the live panels: a header row (hint text + Save menu) above the plots."""

    title = "Panel"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(type(self).__name__)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(2)
        self._header = QHBoxLayout()
        self._header.setContentsMargins(0, 0, 0, 0)
        self.hint = QLabel(self)
        # Wrapped at words, never cut mid-word: a narrow dock gives it a second line (the whole
        # text is the tooltip as well).
        self.hint.setWordWrap(True)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.hint.setStyleSheet(f"color: {MUTED};")
        self.idle_hint = IDLE_HINT
        """What the header says before a run, and again after `reset`."""
        self.set_hint(IDLE_HINT)
        self._header.addWidget(self.hint, 1)
        self.save_button = QToolButton(self)
        self.save_button.setText("Save")
        self.save_button.setToolTip("Save this plot as PNG or SVG, or its data as CSV")
        self.save_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.save_button)
        menu.addAction("Image (PNG)…", self._save_png)
        menu.addAction("Vector image (SVG)…", self._save_svg)
        menu.addAction("Data (CSV)…", self._save_csv)
        self.save_button.setMenu(menu)
        self._header.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addLayout(self._header)
        self.canvas: Canvas | None = None
        self.wide: bool | None = None
        """Laid out side by side (a wide, short dock) rather than stacked; see `arrange`."""
        self.square_canvas = False
        """Keep the canvas about as wide as it is high (plots whose aspect is locked)."""
        self.square_view: pg.ViewBox | None = None
        """The plot that `keep_square` keeps square, where a panel names one."""
        self.received = 0
        """How many events this panel has taken in since the last clear (tests and the window read it)."""
        self.dirty = False
        """Taken-in events not drawn yet."""
        self.render_cost = 0.0
        self.next_render = 0.0
        """perf_counter time before which the scheduler leaves this panel alone."""

    # ---- what subclasses provide
    snapshot_event: type | None = None
    """For views that show only the newest event of one kind (feature maps, reconstructions,
    confusion matrix): the default `ingest` keeps that event in `self.last`."""

    def ingest(self, events: list[object]) -> bool:
        """Take in the events of one coalesced batch (GUI thread); True when there is something
        new to draw. Keep it cheap: no plot item is touched here."""
        if self.snapshot_event is None:
            return False
        e = last_of(events, self.snapshot_event)
        if e is None:
            return False
        self.last = e
        self.received += 1
        return True

    def render(self) -> None:
        """Draw what was taken in (setData/setImage on the items made once)."""

    def clear(self) -> None:
        """Forget the data (subclasses clear their own items and call this); see `reset`."""
        self.received = 0
        self.dirty = False
        self.next_render = 0.0

    def reset(self) -> None:
        """Start clean: no curves, images or captions of an earlier run, and the axes back at
        their starting ranges. The window calls it on every panel on File ▸ New, opening a
        preset or an example, Reset Weights, a failed Start and a new run."""
        self.clear()
        for plot in self.plots():
            reset_axes(plot)
        self.set_hint(self.idle_hint)

    def plots(self) -> list[pg.PlotItem]:
        """The panel's plots (those whose axes `reset` puts back); by default every PlotItem on
        the canvas."""
        if self.canvas is None:
            return []
        return [item for item in self.canvas.ci.items if isinstance(item, pg.PlotItem)]

    def set_idle_hint(self, text: str) -> None:
        """The header's text before a run (and after `reset`)."""
        self.idle_hint = text
        self.set_hint(text)

    # ---- used by the controller and tests
    def show_events(self, events: list[object]) -> None:
        """Take in a batch and draw it at once."""
        if self.ingest(events):
            self.dirty = True
        if self.dirty:
            self.draw_now()

    def draw_now(self) -> float:
        """Render if anything is new; returns the seconds it took (`busy_time`)."""
        if not self.dirty:
            return 0.0
        t0 = busy_time()
        self.dirty = False
        self.render()
        if self.canvas is not None:
            # Fit the views' ranges to the new data now (pyqtgraph leaves it to the paint), so the
            # axes that change with them are painted in the same paint as the data: left to the
            # paint, every range change asks for a second paint of the canvas. Twice: a curve
            # clipped to the view takes the new range in, which asks for a range update again.
            scene = self.canvas.scene()
            scene.prepareForPaint()
            scene.prepareForPaint()
        cost = busy_time() - t0
        self.render_cost = cost if self.render_cost == 0 else 0.7 * self.render_cost + 0.3 * cost
        return cost

    @property
    def cost(self) -> float:
        """What one update costs the GUI thread: rendering plus painting (seconds)."""
        return self.render_cost + (self.canvas.paint_cost if self.canvas is not None else 0.0)

    def arrange(self, wide: bool) -> None:
        """Place the plots for a wide, short panel (side by side) or a tall one (stacked)."""

    def rearrange(self, wide: bool | None = None) -> None:
        """Lay the plots out again (`arrange`) and fit the layout back to the canvas: pyqtgraph
        shrinks a layout to its preferred size when an item leaves it."""
        if wide is not None:
            self.wide = wide
        self.arrange(bool(self.wide))
        if self.canvas is not None:
            self.canvas.ci.setGeometry(self.canvas.range)

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        wide = self.width() > WIDE * self.height()
        if wide != self.wide:
            self.rearrange(wide)
        if self.square_canvas and self.canvas is not None:
            # A locked aspect in a wide dock would leave empty axes either side: centre a
            # canvas about as wide as it is high instead.
            if self.square_view is not None:
                self._fit_square_view()
            else:
                self.canvas.setMaximumWidth(max(220, int((self.height() - 30) * 1.3) + 60))

    def keep_square(self, view: pg.ViewBox) -> None:
        """Keep the canvas as wide as makes `view` (a plot whose aspect is locked) square: what
        its axes, legend and caption take beside and above it is measured, not guessed, so the
        plot is as wide as it is high in a short dock too (a guess left a 2:1 view there, the
        plane drawn in its middle third)."""
        self.square_view = view
        view.sigResized.connect(self._fit_square_view)

    def _fit_square_view(self) -> None:
        view, canvas = self.square_view, self.canvas
        if view is None or canvas is None or view.height() <= 1:
            return
        beside = canvas.width() - view.width()   # the left axis and margins: the same at any width
        want = max(220, int(view.height() + beside))
        if abs(canvas.maximumWidth() - want) > 2:
            canvas.setMaximumWidth(want)

    def showEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.dirty:   # it was hidden while data came in
            self.draw_now()

    def is_shown(self) -> bool:
        """Visible on screen (not in a hidden dock or a background tab)."""
        return self.isVisible() and not self.visibleRegion().isEmpty()

    def export_item(self) -> pg.GraphicsItem | pg.GraphicsScene:
        """What PNG/SVG export draws: by default the panel's whole canvas."""
        return self.canvas.ci

    def csv_table(self) -> tuple[list[str], list[Sequence[object]]]:
        """Header and rows of this panel's data, for CSV."""
        return [], []

    # ---- saving
    def save_png(self, path: str | Path, width: int | None = None) -> Path:
        exporter = pg.exporters.ImageExporter(self.export_item())
        if width:
            exporter.parameters()["width"] = int(width)
        exporter.export(str(path))
        return Path(path)

    def save_svg(self, path: str | Path) -> Path:
        try:
            pg.exporters.SVGExporter(self.export_item()).export(str(path))
        except ValueError:
            # pyqtgraph 0.14's SVG clean-up cannot parse the paths Qt >= 6.11 writes; draw the
            # canvas straight into an SVG instead (still vector, just without that clean-up).
            self._render_svg(Path(path))
        return Path(path)

    def _render_svg(self, path: Path) -> None:
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        view = self.canvas
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(view.size())
        gen.setViewBox(view.rect())
        gen.setTitle(self.title)
        painter = QPainter(gen)
        try:
            view.render(painter)
        finally:
            painter.end()

    def save_csv(self, path: str | Path) -> Path:
        header, rows = self.csv_table()
        path = Path(path)
        with path.open("w", newline="") as f:
            writer = csv.writer(f)
            if header:
                writer.writerow(header)
            writer.writerows(rows)
        return path

    def _ask_path(self, suffix: str, what: str) -> str:
        stem = self.title.lower().replace(" ", "_").replace("&", "and").replace("/", "_")
        path, _ = QFileDialog.getSaveFileName(self, f"Save {self.title} as {what}", f"{stem}.{suffix}",
                                              f"{what} (*.{suffix})")
        return path

    def _save_png(self) -> None:
        if path := self._ask_path("png", "PNG image"):
            self.save_png(path)

    def _save_svg(self) -> None:
        if path := self._ask_path("svg", "SVG image"):
            self.save_svg(path)

    def _save_csv(self) -> None:
        if path := self._ask_path("csv", "CSV data"):
            self.save_csv(path)

    def set_hint(self, text: str) -> None:
        if self.hint.text() != text:
            self.hint.setText(text)
            self.hint.setToolTip(text)

    def add_canvas(self, canvas: Canvas, square: bool = False) -> None:
        self.canvas = canvas
        self.square_canvas = square
        if not square:
            self._layout.addWidget(canvas, 1)
            return
        row = QHBoxLayout()   # centred, as wide as its maximum allows
        row.addStretch(1)
        row.addWidget(canvas, 100)
        row.addStretch(1)
        self._layout.addLayout(row, 1)

    def add_control(self, widget: QWidget) -> None:
        """A control in the header row, before the Save button (keeps short docks usable)."""
        self._header.insertWidget(self._header.count() - 1, widget)


def curves_table(named: list[tuple[str, np.ndarray, np.ndarray]]) -> tuple[list[str], list[list[object]]]:
    """Long-format CSV rows (series, x, y) for several curves of different lengths."""
    rows: list[list[object]] = []
    for name, xs, ys in named:
        rows.extend([name, float(x), float(y)] for x, y in zip(xs, ys))
    return ["series", "x", "y"], rows
