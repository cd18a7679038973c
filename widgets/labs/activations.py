"""Activation gallery: every activation of the catalogue with its derivative, the regions where
it saturates shaded, its formula, and the gradient it passes back at a unit's typical input."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QWidget

from playground.labs import activations
from widgets.labs.common import LabPage, grid_plot, set_title
from widgets.panels.loss_marks import LABEL_BACKDROP, LABEL_Z

COLS = 4
F_PEN = pg.mkPen("#1f77b4", width=2)
D_PEN = pg.mkPen("#ff7f0e", width=2, style=Qt.PenStyle.DashLine)
SHADE = pg.mkBrush(214, 39, 40, 35)


class ActivationGalleryPage(LabPage):
    title = "Activation gallery"
    tab = "Activations"

    def __init__(self, parent: QWidget | None = None, curves: list[activations.ActivationCurve] | None = None,
                 typical_input: float = 1.0) -> None:
        super().__init__(parent)
        self.at_box = self.add_control(QDoubleSpinBox(self), "Typical input x:")
        self.at_box.setRange(-6.0, 6.0)
        self.at_box.setSingleStep(0.25)
        self.at_box.setValue(typical_input)
        self.at_box.setToolTip("A unit's typical pre-activation: each plot reads f'(x) there")
        self.unit_box = self.add_control(QComboBox(self), "From the model:")
        self.unit_box.setToolTip("An activation layer of the network being trained: its units' typical input "
                                 "(the std of the layer feeding it at the last probe step)")
        self.unit_box.setMinimumContentsLength(24)
        self.unit_box.setEnabled(False)
        self.unit_box.addItem("(train a model to read its units)")
        self.units: list[activations.ModelUnit] = []
        self.end_controls()
        self.curves = curves if curves is not None else activations.gallery()
        self.plots: dict[str, pg.PlotItem] = {}
        self.markers: dict[str, tuple[pg.InfiniteLine, pg.TextItem]] = {}
        for k, c in enumerate(self.curves):
            plot = grid_plot()
            plot.setMenuEnabled(False)
            for lo, hi in c.saturated:
                region = pg.LinearRegionItem((lo, hi), movable=False, brush=SHADE, pen=pg.mkPen(None))
                plot.addItem(region)
            plot.plot(c.xs, c.ys, pen=F_PEN)
            plot.plot(c.xs, c.grads, pen=D_PEN)
            lo = float(min(c.ys.min(), c.grads.min(), -1.2))
            hi = float(max(min(c.ys.max(), 3.0), c.grads.max(), 1.2))
            plot.setYRange(lo, hi, padding=0.05)
            plot.setXRange(c.xs[0], c.xs[-1], padding=0)
            line = pg.InfiniteLine(typical_input, angle=90, pen=pg.mkPen("#555", width=1))
            # On a white backdrop above the curves: in the corner it often sat on them (Tanh, ELU, PReLU).
            text = pg.TextItem(color="#333", anchor=(0, 1), fill=pg.mkBrush(*LABEL_BACKDROP))
            text.setZValue(LABEL_Z)
            plot.addItem(line)
            plot.addItem(text)
            self.markers[c.name] = (line, text)
            self.canvas.ci.addItem(plot, row=k // COLS, col=k % COLS)
            self.plots[c.name] = plot
            plot.setToolTip(f"{c.formula}\n{c.help}")
        self.at_box.valueChanged.connect(self.set_typical_input)
        self.unit_box.activated.connect(self._unit_chosen)
        self.set_typical_input(typical_input)

    def set_model_units(self, units: list[activations.ModelUnit]) -> None:
        """The running model's activation layers; picking one reads its plot at its typical input."""
        self.units = units
        self.unit_box.clear()
        if not units:
            self.unit_box.addItem("(train a model to read its units)")
            self.unit_box.setEnabled(False)
            return
        for u in units:
            self.unit_box.addItem(f"{u.node_id} ({u.activation}): x ≈ {u.typical_input:.3g}, f' = {u.gradient:.3g}")
        self.unit_box.setEnabled(True)
        self._unit_chosen(0)

    def _unit_chosen(self, index: int) -> None:
        if 0 <= index < len(self.units):
            u = self.units[index]
            self.at_box.setValue(u.typical_input)
            for name, plot in self.plots.items():
                plot.getViewBox().setBorder(pg.mkPen("#2ca02c", width=3) if name == u.activation else None)

    def set_typical_input(self, x: float) -> None:
        for c in self.curves:
            line, text = self.markers[c.name]
            g = activations.gradient_at(c.name, x)
            line.setValue(x)
            plot = self.plots[c.name]
            lo = plot.viewRange()[1][0]
            text.setText(f"f'({x:g}) = {g:.3g}")
            text.setPos(c.xs[0], lo)
            sat = "never saturates" if not c.saturated else \
                "saturates " + ", ".join(f"[{a:.1f}, {b:.1f}]" for a, b in c.saturated)
            set_title(plot, f"<b>{c.name}</b>: {sat}<br><span style='font-size:7pt'>{c.formula}</span>", "8pt")
        self.note.setText(f"Blue: f(x); orange dashed: f'(x) by autograd on the layer the builder makes; red: "
                          f"saturated, where |f'| is under a tenth of its peak. The label in each plot is the "
                          f"gradient a unit passes back at x = {x:g}.")

    def gradient_label(self, name: str) -> str:
        return self.markers[name][1].toPlainText()

    def shaded(self, name: str) -> int:
        return sum(isinstance(i, pg.LinearRegionItem) for i in self.plots[name].items)

