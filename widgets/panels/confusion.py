"""Confusion matrix on the validation set: rows are the true class, columns the prediction.

Colour is the share of each true class (row-normalised), so a rare class that is always
mistaken shows as clearly as a common one; the numbers are counts.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from playground.training.events import ConfusionEvent
from widgets.panels.base import BACKGROUND, FOREGROUND, Panel, graphics_layout, image_item, style_plot

MAX_LABELLED = 20
"""Above this many classes the cells carry no numbers (they would not fit)."""
CHAR_PX = 7
"""About how wide a character of a tick label is, in pixels: whether class names fit under columns."""


class ConfusionPanel(Panel):
    snapshot_event = ConfusionEvent
    title = "Confusion matrix"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_canvas(graphics_layout(self), square=True)
        self.plot = style_plot(self.canvas.addPlot(), "", "true class", "predicted class")
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.image = image_item()
        self.image.setLookupTable(pg.colormap.get("CET-L12").getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.texts: list[pg.TextItem] = []
        self.names: list[str] = []
        self.tick_names: list[str] = []
        """The rows' labels as shown: the class names (numbered when the columns show only numbers)."""
        self._named_columns: bool | None = None
        self._white: list[bool] = []
        self.last: ConfusionEvent | None = None
        self.set_idle_hint("Classifiers only: which classes the network confuses on the validation set.")

    def _cells_for(self, names: list[str]) -> None:
        """Make the text items and ticks once per class list."""
        if names == self.names:
            return
        for t in self.texts:
            self.plot.removeItem(t)
        self.texts = []
        n = len(names)
        if n <= MAX_LABELLED:
            for k in range(n * n):
                t = pg.TextItem("", anchor=(0.5, 0.5), color=FOREGROUND)
                t.setPos(k % n + 0.5, k // n + 0.5)
                self.plot.addItem(t)
                self.texts.append(t)
        self._white = [False] * len(self.texts)
        self.names = list(names)
        self._named_columns = None
        self._ticks()
        self.plot.enableAutoRange()   # fits the matrix whatever the panel's shape

    def _ticks(self) -> None:
        """Class names under the columns where they fit; where they would overlap, numbers there
        and the rows named `k: name` (so each number is named once)."""
        names = self.names
        width = max(len(str(name)) for name in names) if names else 0
        named = width <= 4 or self.plot.vb.width() / max(len(names), 1) >= CHAR_PX * width + 12
        if named == self._named_columns:
            return
        self._named_columns = named
        left = [(k + 0.5, str(name) if named else f"{k}: {name}") for k, name in enumerate(names)]
        bottom = [(k + 0.5, str(name) if named else str(k)) for k, name in enumerate(names)]
        self.plot.getAxis("bottom").setTicks([bottom])
        self.plot.getAxis("left").setTicks([left])
        self.tick_names = [label for _, label in left]

    def resizeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.last is not None:   # the numbers may fit now, or not any more
            self.dirty = True
            QTimer.singleShot(0, self.draw_now)

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        m = np.asarray(e.matrix, dtype=np.float64)
        names = list(e.class_names) if len(e.class_names) == len(m) else [str(k) for k in range(len(m))]
        self._cells_for(names)
        self._ticks()   # the panel may have been resized: names under the columns may fit now, or not
        rows = m.sum(axis=1, keepdims=True)
        share = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
        self.image.setImage(share.astype(np.float32), levels=(0.0, 1.0), autoLevels=False)
        # Numbers only where a cell has room for them.
        fits = bool(self.texts) and self.plot.vb.width() / max(len(m), 1) >= 8 * len(str(int(m.max()))) + 8
        for t in self.texts:
            t.setVisible(fits)
        if fits:   # text items re-lay out HTML on every change: touch only what changed
            for k, (count, s) in enumerate(zip(m.ravel(), share.ravel())):
                t, text, white = self.texts[k], f"{int(count)}", bool(s > 0.6)
                if t.toPlainText() != text:
                    t.setText(text)
                if self._white[k] != white:
                    t.setColor(BACKGROUND if white else FOREGROUND)
                    self._white[k] = white
        total = m.sum()
        acc = np.trace(m) / total if total else float("nan")
        # In the header, not as a plot title: a title's width would hold the canvas open.
        self.set_hint(f"Validation set, epoch {e.epoch}: accuracy {acc:.1%}. Rows: true class; "
                      "columns: predicted; colour: share of the row.")

    def clear(self) -> None:
        super().clear()
        self.last = None
        self.image.clear()
        for t in self.texts:
            t.setText("")

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        if self.last is None:
            return [], []
        m = np.asarray(self.last.matrix)
        return (["true \\ predicted", *self.names], [[name, *map(int, row)] for name, row in zip(self.names, m)])
