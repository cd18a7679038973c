"""A small picture of the chosen data set: the 2-D scatter, a grid of sample images, or a few
sequences. Drawn with pyqtgraph, which is imported only when the first preview is made."""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

CLASS_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                 "#7f7f7f", "#bcbd22", "#17becf"]
MAX_POINTS = 600
"""Points a scatter draws at most: a sample of the training split (the caption says so)."""
MAX_NAMED = len(CLASS_COLOURS)
"""Classes drawn as their own coloured series and named in the caption; beyond this many
(a CSV may hold up to the engine's class limit) the colours repeat and the rest are counted."""
MAX_IMAGES = 32


def sample_rows(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """At most `limit` row indices spread over all `n` rows (the same ones each time), so a
    large set draws as fast as a small one and a sorted file still shows every class."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))


def class_scatter(item, a: np.ndarray, b: np.ndarray, y: np.ndarray, class_names: list[str],
                  size: int = 5) -> None:
    """Points coloured by class: one series per class while there are few, else one series with
    a colour per point (hundreds of series, one per class, froze the window)."""
    import pyqtgraph as pg
    y = np.asarray(y).reshape(len(y), -1)[:, 0].astype(int)
    if len(class_names) <= MAX_NAMED:
        for c, name in enumerate(class_names):
            pick = y == c
            item.addItem(pg.ScatterPlotItem(a[pick], b[pick], size=size, pen=None, name=name,
                                            brush=pg.mkBrush(CLASS_COLOURS[c % len(CLASS_COLOURS)])))
        return
    brushes = [pg.mkBrush(c) for c in CLASS_COLOURS]
    item.addItem(pg.ScatterPlotItem(a, b, size=size, pen=None, brush=[brushes[c % len(brushes)] for c in y]))


def class_legend(class_names: list[str]) -> str:
    """The caption's class names with their colours, the first `MAX_NAMED` of them."""
    shown = "  ".join(f"<span style='color:{CLASS_COLOURS[c % len(CLASS_COLOURS)]}'>●</span> {html.escape(name)}"
                      for c, name in enumerate(class_names[:MAX_NAMED]))
    more = len(class_names) - MAX_NAMED
    return shown + (f"  … and {more:,} more classes (colours repeat)" if more > 0 else "")


class DataPreview(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setFixedHeight(210)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen("#555")
            axis.setTextPen("#333")
        layout.addWidget(self.plot)
        self.caption = QLabel()
        self.caption.setObjectName("hint")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.kind = ""

    def _reset(self, square: bool) -> pg.PlotItem:
        item = self.plot.getPlotItem()
        item.clear()
        if item.legend is not None:
            item.legend.scene().removeItem(item.legend) if item.legend.scene() else None
            item.legend = None
        item.setAspectLocked(square)
        item.invertY(False)
        item.showAxes(True)
        item.getAxis("left").setTicks(None)   # (a strip plot's class names are its own)
        item.getViewBox().setMouseEnabled(False, False)
        return item

    def show_error(self, message: str) -> None:
        self._reset(False)
        self.kind = ""   # nothing of the last data set stays as if it were this one
        self.caption.setText(f"<span style='color:#d1242f'>⚠ {message}</span>")

    def show_reading(self) -> None:
        """The data set is being read off the GUI thread (a large file takes a while)."""
        self._reset(False)
        self.kind = ""
        self.caption.setText("Reading the data set…")

    def show_dataset(self, ds) -> None:
        """Draw a `playground.data.Dataset`."""
        self.kind = ds.kind
        x, y = ds.x_train, ds.y_train
        facts = [f"{len(x)} training samples", "input (" + ", ".join(str(d) for d in ds.input_shape) + ")"]
        if ds.n_classes:
            facts.append(f"{ds.n_classes} classes")
        one_input = x.ndim == 2 and x.shape[1] == 1
        if ds.kind == "points" and one_input and ds.n_classes:
            rows = sample_rows(len(x))
            self._strip(ds, x[rows, 0], np.asarray(y)[rows])
            facts.append("one input: its value across, each class on its own row")
            if len(rows) < len(x):
                facts.append(f"showing {len(rows)} of them, sampled")
        elif (ds.kind == "points" and not one_input) or (ds.kind == "regression" and x.shape[1] == 2):
            rows = sample_rows(len(x))
            self._scatter(ds, x[rows], np.asarray(y)[rows])
            if len(rows) < len(x):
                facts.append(f"showing {len(rows)} of them, sampled")
        elif ds.kind in ("regression", "points"):   # one input and a value to predict: the value against it
            item = self._reset(False)
            item.plot(x[:MAX_POINTS, 0], np.asarray(y[:MAX_POINTS]).reshape(len(x[:MAX_POINTS]), -1)[:, 0],
                      pen=None, symbol="o", symbolSize=5, symbolBrush="#1f77b4", symbolPen=None)
        elif ds.kind == "image":
            self._images(ds, x[:MAX_IMAGES])
        else:
            self._sequences(x[:4])
        if ds.kind == "points" and ds.n_classes:
            names = class_legend(list(ds.class_names))
        else:
            names = html.escape(", ".join(ds.class_names[:10]) + ("…" if len(ds.class_names) > 10 else ""))
        self.caption.setText(" · ".join(facts) + (f"<br>{names}" if names else ""))

    def _scatter(self, ds, x: np.ndarray, y: np.ndarray) -> None:
        item = self._reset(True)
        if ds.n_classes:
            names = [ds.class_names[c] if c < len(ds.class_names) else str(c) for c in range(ds.n_classes)]
            class_scatter(item, x[:, 0], x[:, 1], y, names)
        else:
            values = np.asarray(y).reshape(len(y), -1)[:, 0]
            span = float(values.max() - values.min()) or 1.0
            lut = pg.colormap.get("viridis").getLookupTable(nPts=256)
            idx = ((values - values.min()) / span * 255).astype(int)
            brushes = [pg.mkBrush(*lut[i]) for i in idx]
            item.addItem(pg.ScatterPlotItem(x[:, 0], x[:, 1], size=5, pen=None, brush=brushes))

    def _strip(self, ds, x: np.ndarray, y: np.ndarray) -> None:
        """One input of a classification: its values across, each class a row of its own (a little
        jitter, so equal values stay apart), the first class at the top."""
        item = self._reset(False)
        item.invertY(True)
        labels = np.asarray(y).reshape(len(y), -1)[:, 0].astype(int)
        jitter = np.random.default_rng(0).uniform(-0.2, 0.2, len(labels))
        names = [ds.class_names[c] if c < len(ds.class_names) else str(c) for c in range(ds.n_classes)]
        class_scatter(item, np.asarray(x, dtype=float), labels + jitter, labels, names)
        item.getAxis("left").setTicks([[(float(c), name) for c, name in enumerate(names)]])   # rows, not 0.5s

    def _images(self, ds, x: np.ndarray) -> None:
        item = self._reset(True)
        imgs = x[:, 0] if x.shape[1] == 1 else x.mean(axis=1)
        mosaic = mosaic_of(imgs, cols=8)
        image = pg.ImageItem(axisOrder="row-major")
        image.setImage(mosaic, levels=(np.nanmin(mosaic), np.nanmax(mosaic)))
        image.setLookupTable(pg.colormap.get("CET-L1").getLookupTable(nPts=256))
        item.addItem(image)
        item.invertY(True)
        item.showAxes(False)
        item.getViewBox().autoRange(padding=0.02)

    def _sequences(self, x: np.ndarray) -> None:
        item = self._reset(False)
        for k, seq in enumerate(x):
            colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
            item.plot(np.arange(seq.shape[0]), seq[:, 0], pen=pg.mkPen(colour, width=1.5))
            if seq.shape[1] > 1:
                item.plot(np.arange(seq.shape[0]), seq[:, 1], pen=pg.mkPen(colour, width=1, style=pg.QtCore.Qt.PenStyle.DotLine))
        item.setLabel("bottom", "time step")


def mosaic_of(images: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """(n, H, W) images side by side in rows of `cols`, separated by blank (NaN-free) gaps."""
    n, h, w = images.shape
    cols = min(cols, n) or 1
    rows = -(-n // cols)
    lo = float(images.min()) if n else 0.0
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), lo, dtype=np.float32)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = images[k]
    return out
