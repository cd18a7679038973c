"""Softmax and information: the naive softmax overflowing in float32 beside the max-subtraction
trick, the largest probability climbing to 1 as the logits are scaled up, and two distributions p
and q the student edits, with H(p), H(p, q) and KL(p‖q) and the identity H(p, q) = H(p) + KL(p‖q)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QWidget

from playground.labs import softmax as sm
from widgets.labs.common import LabPage, grid_plot, set_title

P_BRUSH = pg.mkBrush(31, 119, 180, 210)
Q_BRUSH = pg.mkBrush(255, 127, 14, 210)
BAR_BRUSH = pg.mkBrush(44, 160, 44, 210)
RED = "#d62728"


LOGITS_TIP = "Numbers separated by commas; try 1000, 1001, 1002 or −1000, −1001, −1002"


def _fmt(values) -> str:
    return "[" + ", ".join(f"{v:.4g}" if np.isfinite(v) else str(float(v)) for v in values) + "]"


class SoftmaxLabPage(LabPage):
    title = "Softmax and information"
    tab = "Softmax"

    def __init__(self, parent: QWidget | None = None, lab: sm.SoftmaxLab | None = None) -> None:
        super().__init__(parent)
        lab = lab or sm.explore()
        self.logits_edit = self.add_control(QLineEdit(", ".join(f"{v:g}" for v in lab.overflow.logits), self),
                                            "Logits z:")
        self.logits_edit.setToolTip(LOGITS_TIP)
        self.logits_edit.setMinimumWidth(180)
        self.factor_box = self.add_control(QDoubleSpinBox(self), "× factor (1/temperature):")
        self.factor_box.setRange(0.01, 100.0)
        self.factor_box.setDecimals(2)
        self.factor_box.setSingleStep(0.5)
        self.factor_box.setValue(lab.factor)
        self.factor_box.setToolTip("softmax(factor · z): a factor above 1 sharpens, below 1 flattens")
        self.unit_box = self.add_control(QComboBox(self), "Unit:")
        self.unit_box.addItems(list(sm.UNITS))
        self.unit_box.setCurrentText(lab.information.unit)
        self.end_controls()

        row = QHBoxLayout()
        row.addWidget(QLabel("Classes:", self))
        self.k_box = QSpinBox(self)
        self.k_box.setRange(2, sm.MAX_CLASSES)
        self.k_box.setValue(len(lab.information.p))
        row.addWidget(self.k_box)
        self.p_boxes = self._weights(row, "p:", lab.information.p, "#1f77b4")
        row.addStretch(1)
        self.layout().insertLayout(1, row)
        # q in a row of its own, under p: side by side, 8 classes' 16 boxes made the window 1415 px wide
        q_row = QHBoxLayout()
        q_row.addSpacing(row.itemAt(0).widget().sizeHint().width() + self.k_box.sizeHint().width() + row.spacing())
        self.q_boxes = self._weights(q_row, "q:", lab.information.q, "#ff7f0e")
        q_row.addStretch(1)
        self.layout().insertLayout(2, q_row)

        ci = self.canvas.ci
        self.softmax_plot = grid_plot("", "probability", "class")
        self.softmax_plot.setYRange(0, 1.05, padding=0)
        self.confidence_plot = grid_plot("", "largest probability", "factor (log scale)")
        self.confidence_plot.setLogMode(x=True)
        self.confidence_plot.getAxis("bottom").setTicks([[(np.log10(v), f"{v:g}") for v in (0.01, 0.1, 1, 10, 100)]])
        self.confidence_plot.setYRange(0, 1.05, padding=0)
        self.info_plot = grid_plot("", "probability", "class")
        self.info_plot.setYRange(0, 1.05, padding=0)
        for col, plot in enumerate((self.softmax_plot, self.confidence_plot, self.info_plot)):
            plot.setMenuEnabled(False)
            ci.addItem(plot, row=0, col=col)
        self.softmax_bars: pg.BarGraphItem | None = None
        self.info_bars: list[pg.BarGraphItem] = []
        self.confidence_curve = self.confidence_plot.plot(pen=pg.mkPen("#2ca02c", width=2))
        self.factor_line = pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen("#555", width=1))
        self.confidence_plot.addItem(self.factor_line)
        self.confidence_plot.addItem(pg.InfiniteLine(1.0, angle=0, pen=pg.mkPen("#999", width=1, style=Qt.PenStyle.DashLine)))
        self.error = self.logits_error = self.information_error = ""
        self.lab: sm.SoftmaxLab | None = lab

        self.logits_edit.editingFinished.connect(self.recompute)
        self.factor_box.valueChanged.connect(self.recompute)
        self.unit_box.currentTextChanged.connect(self.recompute)
        self.k_box.valueChanged.connect(self._classes_changed)
        for box in self.p_boxes + self.q_boxes:
            box.valueChanged.connect(self.recompute)
        self._classes_changed(self.k_box.value())

    def _weights(self, row: QHBoxLayout, label: str, values: np.ndarray, colour: str) -> list[QDoubleSpinBox]:
        text = QLabel(label, self)
        text.setStyleSheet(f"color: {colour}; font-weight: bold;")
        row.addSpacing(12)
        row.addWidget(text)
        boxes = []
        for k in range(sm.MAX_CLASSES):
            box = QDoubleSpinBox(self)
            box.setRange(0.0, 1.0)
            box.setDecimals(2)
            box.setSingleStep(0.05)
            box.setValue(float(values[k]) if k < len(values) else 0.1)
            box.setToolTip(f"weight of class {k + 1} (the weights are scaled to sum to 1)")
            row.addWidget(box)
            boxes.append(box)
        return boxes

    def _classes_changed(self, k: int) -> None:
        for boxes in (self.p_boxes, self.q_boxes):
            for i, box in enumerate(boxes):
                box.setVisible(i < k)
        self.recompute()

    def logits(self) -> list[float]:
        pieces = self.logits_edit.text().replace("−", "-").replace(" ", "").split(",")
        if len(pieces) > 1 and not all(pieces):
            raise ValueError("an empty entry between two commas")
        return [float(v) for v in pieces if v]

    def weights(self, boxes: list[QDoubleSpinBox]) -> list[float]:
        return [b.value() for b in boxes[:self.k_box.value()]]

    def recompute(self) -> None:
        """The logits' half and p and q's half each on their own: a bad logits entry had frozen the
        whole lab, p and q too, with the old bars still up under a red line at the bottom."""
        factor = self.factor_box.value()
        try:
            o, scaled, c = sm.logits_part(self.logits(), factor)
            self.logits_error = ""
        except ValueError as e:
            o = scaled = c = None
            self.logits_error = str(e).replace("could not convert string to float", "not a number")
        try:
            i = sm.information(self.weights(self.p_boxes), self.weights(self.q_boxes), self.unit_box.currentText())
            self.information_error = ""
        except ValueError as e:
            i, self.information_error = None, str(e)
        self.error = "; ".join(e for e in (self.logits_error, self.information_error) if e)
        self.logits_edit.setStyleSheet(f"border: 2px solid {RED};" if self.logits_error else "")
        self.logits_edit.setToolTip(f"Cannot compute: {self.logits_error}" if self.logits_error else LOGITS_TIP)
        self._show_logits(o, factor, scaled, c)
        self._show_information(i)
        self.lab = sm.SoftmaxLab(o, float(factor), scaled, c, i) if not self.error else None
        self._note(o, i)

    def show_lab(self, lab: sm.SoftmaxLab) -> None:
        self.lab = lab
        self._show_logits(lab.overflow, lab.factor, lab.scaled, lab.confidence)
        self._show_information(lab.information)
        self._note(lab.overflow, lab.information)

    def _show_logits(self, o: sm.Overflow | None, factor: float, scaled: np.ndarray | None,
                     c: sm.Confidence | None) -> None:
        if self.softmax_bars is not None:
            self.softmax_plot.removeItem(self.softmax_bars)
            self.softmax_bars = None
        if o is None:
            set_title(self.softmax_plot, f"<span style='color:{RED}'>no softmax: {self.logits_error}</span>")
            self.confidence_curve.setData([], [])
            set_title(self.confidence_plot, "<b>Over-confidence</b>: no logits to scale")
            return
        k = np.arange(1, len(o.logits) + 1)
        self.softmax_bars = pg.BarGraphItem(x=k, height=scaled, width=0.6, brush=BAR_BRUSH)
        self.softmax_plot.addItem(self.softmax_bars)
        self.softmax_plot.setXRange(0.4, len(k) + 0.6, padding=0)
        self.softmax_plot.getAxis("bottom").setTicks([[(int(j), str(j)) for j in k]])
        naive = f"<span style='color:{RED}'>{_fmt(o.naive)}</span>" if o.naive_fails else _fmt(o.naive)
        set_title(self.softmax_plot,
                  f"<b>softmax({factor:g}·z)</b> (bars, by the max-subtraction trick)<br>"
                  f"float32 exp(z): {_fmt(o.exps)}<br>naive exp(z)/Σexp(z): {naive}<br>"
                  f"exp(z − max z)/Σ: {_fmt(o.stable)}")

        self.confidence_curve.setData(c.factors, c.max_prob)
        self.factor_line.setValue(np.log10(factor))
        reach = c.factor_for(0.99)
        set_title(self.confidence_plot,
                  "<b>Over-confidence</b>: largest probability of softmax(factor·z)<br>"
                  + (f"reaches 0.99 at factor {reach:.3g}; at {factor:g}: {scaled.max():.4g}"
                     if reach is not None else f"at {factor:g}: {scaled.max():.4g} (ties never reach 0.99)"))

    def _show_information(self, i: sm.Information | None) -> None:
        for bar in self.info_bars:
            self.info_plot.removeItem(bar)
        self.info_bars = []
        if i is None:
            set_title(self.info_plot, f"<span style='color:{RED}'>no p and q: {self.information_error}</span>")
            return
        kk = np.arange(1, len(i.p) + 1)
        self.info_bars = [pg.BarGraphItem(x=kk - 0.18, height=i.p, width=0.34, brush=P_BRUSH),
                          pg.BarGraphItem(x=kk + 0.18, height=i.q, width=0.34, brush=Q_BRUSH)]
        for bar in self.info_bars:
            self.info_plot.addItem(bar)
        self.info_plot.setXRange(0.4, len(kk) + 0.6, padding=0)
        self.info_plot.getAxis("bottom").setTicks([[(int(j), str(j)) for j in kk]])
        u = i.unit
        set_title(self.info_plot,
                  f"<b><span style='color:#1f77b4'>p</span> and <span style='color:#ff7f0e'>q</span></b>: "
                  f"H(p) = {i.entropy_p:.4g}, H(q) = {i.entropy_q:.4g} {u}<br>"
                  f"H(p, q) = {_fmt([i.cross_entropy])[1:-1]}, KL(p‖q) = {_fmt([i.kl])[1:-1]}, "
                  f"KL(q‖p) = {_fmt([i.kl_reverse])[1:-1]} {u}")

    def _note(self, o: sm.Overflow | None, i: sm.Information | None) -> None:
        words = []
        if self.error:
            words.append(f"<span style='color:{RED}'>Cannot compute: {self.error}.</span> ")
        if o is not None:
            words.append(f"The naive softmax fails in float32: exp overflows past z = {sm.FLOAT32_EXP_LIMIT:.1f} "
                         f"(inf/inf = nan) or underflows to 0 (0/0 = nan); subtracting max z leaves the answer "
                         f"unchanged and every exponent ≤ 0. " if o.naive_fails else
                         "The naive softmax works for these logits; try 1000, 1001, 1002. ")
            words.append("Scaling the logits up drives the largest probability to 1: softmax is over-confident. ")
        if i is not None:
            words.append(f"p and q are the weights scaled to sum to 1. <b>{i.identity_text()}</b>: cross-entropy is "
                         f"p's own entropy plus the KL divergence, which is 0 only when q = p and not symmetric.")
        self.note.setText("".join(words))

    def set_weights(self, p: list[float], q: list[float]) -> None:
        """Set both distributions (and the number of classes) at once, then compute."""
        for boxes, values in ((self.p_boxes, p), (self.q_boxes, q)):
            for box, v in zip(boxes, values):
                box.blockSignals(True)
                box.setValue(v)
                box.blockSignals(False)
        self.k_box.setValue(len(p))
        self.recompute()
