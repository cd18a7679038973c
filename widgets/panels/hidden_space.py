"""Hidden space: a hidden layer's representation of the data in 2-D, coloured by class — its
two units as they are, or its first two principal components. On XOR the classes, tangled in
the input, come apart until a line separates them: what the next layer needs. A legend names
the class of each colour (the data's class names once the run has sent them).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from playground.training.events import ConfusionEvent, HiddenSpaceEvent
from widgets.panels.base import FOREGROUND, Panel, axis_items, graphics_layout, last_of, show_grid, style_plot
from widgets.panels.decision_boundary import point_colour


class HiddenSpacePanel(Panel):
    title = "Hidden space"
    snapshot_event = HiddenSpaceEvent

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_control(QLabel("Layer:", self))
        self.layer_box = QComboBox(self)
        self.layer_box.setToolTip("Which hidden layer's representation to show")
        self.layer_box.setMinimumContentsLength(8)
        self.layer_box.currentTextChanged.connect(lambda _t: self._draw() if self.last is not None else None)
        self.add_control(self.layer_box)
        self.add_canvas(graphics_layout(self), square=True)
        self.plot = style_plot(self.canvas.addPlot(axisItems=axis_items()), "", "axis 2", "axis 1")
        show_grid(self.plot)
        self.plot.getViewBox().setDefaultPadding(0.08)   # points on the edge of the cloud stay whole
        self.scatter = pg.ScatterPlotItem(size=6, pen=pg.mkPen("w", width=0.5))
        self.plot.addItem(self.scatter)
        self.legend = self.plot.addLegend(offset=(-4, 4), labelTextColor=FOREGROUND, brush=pg.mkBrush(255, 255, 255, 200),
                                          verSpacing=-4)
        self.class_names: list[str] = []
        self._legend_names: tuple[str, ...] = ()
        self.last: HiddenSpaceEvent | None = None
        self._brushes: dict[tuple[int, int], object] = {}
        self.set_idle_hint("Classifiers: a hidden layer's view of the data (its 2 units, or PCA to 2-D).")

    def clear(self) -> None:
        super().clear()
        self.last = None
        self.scatter.setData([], [])
        self.legend.clear()
        self._legend_names = ()

    def ingest(self, events: list[object]) -> bool:
        confusion = last_of(events, ConfusionEvent)   # it carries the data's class names
        if confusion is not None:
            self.class_names = [str(n) for n in confusion.class_names]
        return super().ingest(events)

    def _set_legend(self, n_classes: int) -> None:
        names = (tuple(self.class_names) if len(self.class_names) == n_classes
                 else tuple(f"class {k}" for k in range(n_classes)))
        if names == self._legend_names:
            return
        self.legend.clear()
        for k, name in enumerate(names):
            sample = pg.ScatterPlotItem(size=8, pen=pg.mkPen("w", width=0.5), brush=self._brush(k, n_classes))
            self.legend.addItem(sample, name)
        self._legend_names = names

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        names = list(e.points)
        if names != [self.layer_box.itemText(k) for k in range(self.layer_box.count())]:
            keep = self.layer_box.currentText()
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            self.layer_box.addItems(names)
            # the last hidden layer before the output: where separability matters
            self.layer_box.setCurrentText(keep if keep in names else names[-1])
            self.layer_box.blockSignals(False)
        self._draw()

    def _brush(self, label: int, n: int) -> object:
        key = (label, n)
        if key not in self._brushes:
            self._brushes[key] = pg.mkBrush(point_colour(label, n))
        return self._brushes[key]

    def _draw(self) -> None:
        e = self.last
        nid = self.layer_box.currentText()
        if e is None or nid not in e.points:
            return
        pts = np.asarray(e.points[nid])
        labels = np.asarray(e.labels).astype(int)
        brushes = [self._brush(int(k), e.n_classes) for k in labels]
        ok = np.all(np.isfinite(pts), axis=1)
        self.scatter.setData(pts[ok, 0], pts[ok, 1], brush=[b for b, keep in zip(brushes, ok) if keep])
        self._set_legend(e.n_classes)
        kind = e.node_types.get(nid, "")
        if e.method[nid] == "units":
            how, xl, yl = "its two units", "unit 1", "unit 2"
        else:
            how, xl, yl = f"PCA to 2-D, keeping {e.kept[nid]:.0%} of the variance", "PC 1", "PC 2"
        # a short title: a long one is cut at the edge of a square plot in a narrow dock
        self.plot.setTitle(f"{nid} ({kind}), step {e.step}", color=FOREGROUND, size="8pt")
        self.plot.setLabel("bottom", xl, color=FOREGROUND)
        self.plot.setLabel("left", yl, color=FOREGROUND)
        self.set_hint(f"{len(pts)} probe samples coloured by class in {nid}'s representation: {how}.")

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        if e is None:
            return [], []
        return ["node", "axis1", "axis2", "label"], [
            [nid, float(p[0]), float(p[1]), int(lab)] for nid, pts in e.points.items()
            for p, lab in zip(pts, e.labels)]
