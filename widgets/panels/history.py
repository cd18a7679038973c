"""Bounded panel history: what a live plot keeps of an hour's run fits in a fixed amount of
memory, and still shows every spike.

A curve keeps at most `capacity` points. When it fills up, its older half is min/max binned:
each group of `group` neighbouring points becomes two, the lowest and the highest, in the
order they came. Old stretches thin out geometrically (binned again when the curve fills
again), the recent ones stay at full resolution, and the envelope of the curve (what peak
downsampling would draw anyway) is kept. Per-step losses once grew by 40 bytes a step
without end: at 3,000 steps/s that was most of the app's growth in memory.

For a moving average over binned points, each point also carries the sum and the count of
the raw values it stands for (`weighted=True`): a trailing average over a window of steps
is then exact at full resolution and the mean of whole bins further back.
"""
from __future__ import annotations

import numpy as np

CAPACITY = 32768
"""Points a step curve keeps (a few hundred kB): many more than a screen's width of pixels."""
GROUP = 8
"""Neighbouring old points binned into their minimum and maximum."""


class MinMaxHistory:
    """A growing (x, y) series that keeps at most `capacity` points (see the module's note).

    x must not decrease. `view()` returns slices of preallocated buffers: no copy per frame."""

    def __init__(self, capacity: int = CAPACITY, group: int = GROUP, weighted: bool = False) -> None:
        if capacity < 4 * group or group < 2 or group % 2:
            raise ValueError("capacity must hold several groups, and a group an even number >= 2")
        self.capacity, self.group, self.weighted = capacity, group, weighted
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._sum = np.empty(capacity, dtype=np.float64) if weighted else None
        self._count = np.empty(capacity, dtype=np.float64) if weighted else None
        self.size = 0
        self.total = 0
        """How many points were ever added (those binned away included)."""
        self.compactions = 0
        """How many times the older half was binned: views that cache by index start over."""

    def __len__(self) -> int:
        return self.size

    def extend(self, xs: np.ndarray | list[float], ys: np.ndarray | list[float]) -> None:
        xs = np.asarray(xs, dtype=np.float64).reshape(-1)
        ys = np.asarray(ys, dtype=np.float64).reshape(-1)
        start = 0
        while start < len(xs):
            if self.size == self.capacity:
                self._compact()
            take = min(self.capacity - self.size, len(xs) - start)
            end = self.size + take
            self._x[self.size:end] = xs[start:start + take]
            self._y[self.size:end] = ys[start:start + take]
            if self.weighted:
                self._sum[self.size:end] = ys[start:start + take]
                self._count[self.size:end] = 1.0
            self.size = end
            start += take
        self.total += len(xs)

    def append(self, x: float, y: float) -> None:
        if self.size < self.capacity and not self.weighted:
            self._x[self.size], self._y[self.size] = x, y
            self.size += 1
            self.total += 1
        else:
            self.extend((x,), (y,))

    def _compact(self) -> None:
        """Bin the older half: each group of points becomes its minimum and maximum, in x order.
        The first point stays as it came (a run's starting loss is worth seeing)."""
        g = self.group
        half = ((self.size - 1) // 2) // g * g
        groups = half // g
        old = slice(1, 1 + half)
        x = self._x[old].reshape(groups, g)
        y = self._y[old].reshape(groups, g)
        lo, hi = np.argmin(y, axis=1), np.argmax(y, axis=1)
        first, second = np.minimum(lo, hi), np.maximum(lo, hi)
        rows = np.arange(groups)
        keep = 2 * groups
        new_x = np.stack((x[rows, first], x[rows, second]), axis=1).reshape(-1)
        new_y = np.stack((y[rows, first], y[rows, second]), axis=1).reshape(-1)
        buffers = [(self._x, new_x), (self._y, new_y)]
        if self.weighted:
            sums = self._sum[old].reshape(groups, g).sum(axis=1)
            counts = self._count[old].reshape(groups, g).sum(axis=1)
            buffers += [(self._sum, np.repeat(sums / 2, 2)), (self._count, np.repeat(counts / 2, 2))]
        rest = self.size - 1 - half
        for buf, new in buffers:
            buf[1 + keep:1 + keep + rest] = buf[1 + half:self.size].copy()
            buf[1:1 + keep] = new
        self.size = 1 + keep + rest
        self.compactions += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[:self.size], self._y[:self.size]

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.size]

    def sums_and_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """What each point stands for: the sum and the number of the raw values binned into it."""
        if not self.weighted:
            return self.y, np.ones(self.size)
        return self._sum[:self.size], self._count[:self.size]

    def last(self) -> float:
        return float(self._y[self.size - 1])

    def clear(self) -> None:
        self.size = self.total = 0
        self.compactions = 0

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in (self._x, self._y, self._sum, self._count) if b is not None)


def trailing_mean(x: np.ndarray, sums: np.ndarray, counts: np.ndarray, window: float,
                  start: int = 0) -> np.ndarray:
    """The mean of the raw values over the trailing `window` steps at points start.. of a
    (possibly binned) series: exactly the moving average where the points are single steps."""
    c_sum = np.concatenate(([0.0], np.cumsum(sums)))
    c_count = np.concatenate(([0.0], np.cumsum(counts)))
    idx = np.arange(start, len(x))
    lo = np.searchsorted(x, x[idx] - window, side="right")
    lo = np.minimum(lo, idx)
    return (c_sum[idx + 1] - c_sum[lo]) / np.maximum(c_count[idx + 1] - c_count[lo], 1e-300)


class ThinnedList:
    """At most `2 * columns` items of a long sequence, evenly spaced: when full, every other
    one is dropped and from then on only every `stride`-th new one is kept. For probes
    whose columns a heatmap draws (it shows at most `columns` anyway)."""

    def __init__(self, columns: int) -> None:
        self.limit = 2 * columns
        self.items: list[object] = []
        self.keys: list[int] = []
        self.stride = 1
        self.seen = 0
        self.thinnings = 0

    def offer(self, key: int, item: object) -> bool:
        """Keep the item if it falls on the stride; True when kept."""
        k = self.seen
        self.seen += 1
        if k % self.stride:
            return False
        self.items.append(item)
        self.keys.append(key)
        if len(self.items) >= self.limit:
            self.items, self.keys = self.items[::2], self.keys[::2]
            self.stride *= 2
            self.thinnings += 1
        return True

    def __len__(self) -> int:
        return len(self.items)

    def clear(self) -> None:
        self.items, self.keys = [], []
        self.stride, self.seen, self.thinnings = 1, 0, 0
