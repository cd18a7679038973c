"""Curves that grow while training and views that do not chase them: drawing a long curve
as the pixels can show it, and holding a plot's auto-range at rounded bounds so a frame does
not lay the axes out again for every new step (most of what a frame cost)."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pyqtgraph as pg


def long_curve(plot: pg.PlotItem, *, finite: bool = True, per_pixel: float = 1.0,
               **style: object) -> pg.PlotDataItem:
    """A curve that grows long (steps, probes, epochs), drawn as the pixels can show it: only
    its visible part, thinned to the lowest and highest value of every 1/`per_pixel` pixel
    column (peak downsampling keeps every spike). An opaque pen needs no more than one pair per
    pixel; pyqtgraph's default is five, and a wide pen draws each segment on its own (a
    translucent pen shows the overlap of the extra ones, so keep 5 there). `finite`: no NaN
    or inf ever in the data."""
    curve = plot.plot(autoDownsampleFactor=per_pixel, **style)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    curve.setSkipFiniteCheck(finite)
    return curve


STEP_MARKS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
"""A step axis ends at the next of these (x a power of ten) past the last step: the curves
fill at least 80% of the width, and the axis is laid out again only when they grow past one."""


def axis_end(last: float) -> float:
    """Where a step axis ends (see STEP_MARKS)."""
    v = max(float(last), 1.0)
    decade = 10.0 ** math.floor(math.log10(v))
    return next(m * decade for m in STEP_MARKS if m * decade >= v)


def rounded_span(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """[lo, hi] rounded out to a quarter of the decade of its width (on a log axis, to quarter
    decades): it changes when the values have moved that far, not with every new one. A
    constant v (lo == hi, or nearly) gets v ± |v|/4 rounded out the same way, so a constant
    η of 0.002 shows as a line through the middle of about 0.0015..0.0025, not on the zero
    line of 0..0.25; a constant 0 gets ±0.25 (on a log axis, a quarter decade each side)."""
    if log:
        lo = lo if lo > 0 else hi
        a, b = math.floor(4 * math.log10(lo)) / 4, math.ceil(4 * math.log10(hi)) / 4
        if a == b:   # a constant on a quarter-decade mark
            a, b = a - 0.25, b + 0.25
        return 10 ** a, 10 ** b
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):   # a constant (up to rounding)
        v = (lo + hi) / 2
        if v == 0:
            return -0.25, 0.25
        lo, hi = v - abs(v) / 4, v + abs(v) / 4
    q = 10.0 ** math.floor(math.log10(hi - lo)) / 4
    return math.floor(lo / q) * q, math.ceil(hi / q) * q


class SteadyRange:
    """Keeps a growing plot's auto-range from following every new point. An invisible curve,
    which the auto-range takes in, holds the view at rounded bounds: steps from 0 to
    `axis_end`, values over the `rounded_span` of all values shown. The axes, and the curves
    clipped to the view and thinned for it, are then laid out again when the data outgrows
    those bounds, not in every frame (that was most of what a frame cost). Zooming and
    panning by hand, and the "A" button, work as ever. `values` False: the plot's value range
    is fixed, only the steps grow."""

    def __init__(self, plot: pg.PlotItem, values: bool = True) -> None:
        self.plot = plot
        self.values = values
        self.anchor = plot.plot(pen=pg.mkPen(None))   # a curve that draws nothing
        self.lo, self.hi = math.inf, -math.inf
        self._held: tuple[float, ...] | None = None

    def take(self, value: float) -> None:
        """Take in one value to be drawn (a non-finite one is left out)."""
        if math.isfinite(value):
            self.lo, self.hi = min(self.lo, value), max(self.hi, value)

    def widen(self, values: np.ndarray | Sequence[float]) -> None:
        """Take in values to be drawn (non-finite ones are left out)."""
        values = np.asarray(values, dtype=np.float64)
        if not values.size:
            return
        lo, hi = float(values.min()), float(values.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            values = values[np.isfinite(values)]
            if not values.size:
                return
            lo, hi = float(values.min()), float(values.max())
        self.lo, self.hi = min(self.lo, lo), max(self.hi, hi)

    def hold(self, last_step: float) -> None:
        """Hold the view's bounds for data up to `last_step` (call when drawing)."""
        log = self.plot.getAxis("left").logMode
        if not self.values:
            y = (0.0, 0.0)   # (a fixed range: the view box does not auto-range y)
        elif self.lo <= self.hi and (self.hi > 0 or not log):
            y = rounded_span(self.lo, self.hi, log)
        else:
            return   # nothing to hold yet
        x = (0.0, axis_end(last_step))
        held = x + y
        if held != self._held:
            self._held = held
            self.anchor.setData(list(x), list(y))

    def clear(self) -> None:
        self.lo, self.hi, self._held = math.inf, -math.inf, None
        self.anchor.setData([], [])
