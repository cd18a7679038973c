"""Initialization explorer: a 10-layer, 500-wide tanh or ReLU stack under each initialization;
activation and gradient histograms per layer (the notes' figure), the std per layer, and the
formula behind the choice. "Predict, then reveal" hides the plots until the student has said
which layer dies first."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QPushButton, QSpinBox, QWidget

from playground.labs import init_explorer as ie
from widgets.labs.common import LabPage, grid_plot, set_title
from widgets.panels.base import FOREGROUND

ACT_BRUSH = pg.mkBrush(31, 119, 180, 200)
GRAD_BRUSH = pg.mkBrush(214, 39, 40, 200)
DEAD = 1e-3
"""A layer "dies" when its activations' std falls under this."""


class InitExplorerPage(LabPage):
    title = "Initialization explorer"
    tab = "Initialization"

    def __init__(self, parent: QWidget | None = None, report: ie.InitReport | None = None) -> None:
        super().__init__(parent)
        self.activation_box = self.add_control(QComboBox(self), "Activation:")
        self.activation_box.addItems(list(ie.ACTIVATIONS))
        self.init_box = self.add_control(QComboBox(self), "Init:")
        self.init_box.addItems(list(ie.INITS))
        self.std_box = self.add_control(QDoubleSpinBox(self), "σ:")
        self.std_box.setDecimals(4)
        self.std_box.setRange(0.0001, 10.0)
        self.std_box.setSingleStep(0.01)
        self.std_box.setValue(0.01)
        self.seeds_box = self.add_control(QSpinBox(self), "Seeds:")
        self.seeds_box.setRange(1, 10)
        self.seeds_box.setValue(3)
        self.run_button = self.add_control(QPushButton("Run", self))
        self.predict_check = self.add_control(QCheckBox("Predict, then reveal", self))
        self.predict_check.setToolTip("Hide the plots until you have picked which layer dies first")
        self.guess_label = self.add_control(QLabel("Dies first:", self))
        self.guess_box = self.add_control(QComboBox(self))
        self.guess_box.addItems([f"layer {k}" for k in range(1, ie.LAYERS + 1)] + ["none"])
        self.reveal_button = self.add_control(QPushButton("Reveal", self))
        self.end_controls()

        ci = self.canvas.ci
        self.std_plot = grid_plot("std of activations per layer", "std", "layer", log_y=True)
        self.std_curve = self.std_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="o", symbolSize=6,
                                            symbolBrush="#1f77b4")
        self.grad_std_plot = grid_plot("std of gradients ∂L/∂h per layer", "std", "layer", log_y=True)
        self.grad_std_curve = self.grad_std_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o", symbolSize=6,
                                                      symbolBrush="#d62728")
        ci.addItem(self.std_plot, row=0, col=0, colspan=ie.LAYERS // 2)
        ci.addItem(self.grad_std_plot, row=0, col=ie.LAYERS // 2, colspan=ie.LAYERS - ie.LAYERS // 2)
        self.act_hists, self.grad_hists = [], []
        for row, store, brush in ((1, self.act_hists, ACT_BRUSH), (2, self.grad_hists, GRAD_BRUSH)):
            for k in range(ie.LAYERS):
                plot = pg.PlotItem()
                plot.hideAxis("left")
                plot.getAxis("bottom").setStyle(tickLength=-3)
                plot.getAxis("bottom").setPen(FOREGROUND)
                plot.getAxis("bottom").setTextPen(FOREGROUND)
                plot.setMenuEnabled(False)
                bars = pg.BarGraphItem(x=[0], height=[0], width=1, brush=brush, pen=None)
                plot.addItem(bars)
                ci.addItem(plot, row=row, col=k)
                store.append((plot, bars))
        ci.layout.setRowStretchFactor(0, 3)
        self.report: ie.InitReport | None = None
        self.revealed = True
        self.run_button.clicked.connect(self.run)
        self.reveal_button.clicked.connect(self.reveal)
        self.predict_check.toggled.connect(self._predict_toggled)
        self.init_box.currentTextChanged.connect(lambda t: self.std_box.setEnabled(t == "normal"))
        self._predict_toggled(False)
        if report is not None:
            self.activation_box.setCurrentText(report.activation)
            self.init_box.setCurrentText(report.init)
            self.std_box.setValue(report.std)
            self.show_report(report)
        else:
            self.init_box.setCurrentText("normal")
            self.run()

    def _predict_toggled(self, on: bool) -> None:
        for w in (self.guess_label, self.guess_box, self.reveal_button):
            w.setVisible(on)
        if on:
            self.revealed = False
            self.canvas.setVisible(False)
            self.note.setText("Predict: with this activation and initialization, which layer's activations "
                              f"collapse first (std under {DEAD:g})? Pick one and press Reveal.")
        else:
            self.reveal()

    def run(self) -> None:
        report = ie.explore(self.activation_box.currentText(), self.init_box.currentText(), self.std_box.value(),
                            seeds=self.seeds_box.value(), batch=500)
        if self.predict_check.isChecked():
            self.revealed = False
            self.canvas.setVisible(False)
        self.show_report(report)

    def reveal(self) -> None:
        self.revealed = True
        self.canvas.setVisible(True)
        if self.report is not None:
            self._note()

    def show_report(self, r: ie.InitReport) -> None:
        self.report = r
        layers = np.arange(1, len(r.act_std) + 1)
        self.std_curve.setData(layers, np.maximum(r.act_std, 1e-30))
        self.grad_std_curve.setData(layers, np.maximum(r.grad_std, 1e-30))
        for (plot, bars), (counts, edges), k in zip(self.act_hists, r.act_hist, layers):
            bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts, width=float(edges[1] - edges[0]))
            set_title(plot, f"layer {k}: {r.act_std[k - 1]:.2g}", "7pt")
            plot.setXRange(float(edges[0]), float(edges[-1]), padding=0)   # (float32 ends overflowed in its range checks)
        for (plot, bars), (counts, edges), k in zip(self.grad_hists, r.grad_hist, layers):
            bars.setOpts(x=(edges[:-1] + edges[1:]) / 2, height=counts, width=float(edges[1] - edges[0]))
            set_title(plot, f"∂L/∂h {k}: {r.grad_std[k - 1]:.2g}", "7pt")
            plot.setXRange(float(edges[0]), float(edges[-1]), padding=0)   # (float32 ends overflowed in its range checks)
        what = f"N(0, {r.std:g}²)" if r.init == "normal" else r.init
        set_title(self.std_plot, f"{r.activation}, {what}: std of activations per layer (mean of "
                                 f"{self.seeds_box.value()} seeds)")
        if self.revealed:
            self._note()

    def _note(self) -> None:
        r = self.report
        dies = ie.first_dying_layer(r, DEAD)
        answer = f"layer {dies}" if dies else "none"
        guess = ""
        if self.predict_check.isChecked():
            said = self.guess_box.currentText()
            guess = f"You said {said}; {'right!' if said == answer else 'it is ' + answer + '.'}  "
        self.note.setText(
            f"{guess}{ie.FORMULAS[r.init]}. Weight std {r.weight_std:.4g} for 500→500. Activation std layer 1 → 10: "
            f"{r.act_std[0]:.2g} → {r.act_std[-1]:.2g}; gradient std {r.grad_std[0]:.2g} → {r.grad_std[-1]:.2g}. "
            f"First layer under {DEAD:g}: {answer}.")
