"""LSTM internals (recurrent presets): the input, forget and output gates and the cell state
over the time steps of one probe sequence (heat maps: time across, units down), the share of
saturated gates (< 0.1 or > 0.9) over training, and ‖∂L/∂h_t‖ flowing back through time.

The gradient plot keeps the previous run's curve when it used another cell, so training the
adding problem with an RNN and then with an LSTM puts the two side by side. A bidirectional
layer shows its forward direction's gates and both directions' gradients (the backward one's in
time order: it starts at t = T and ends at t = 1).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from playground.training.events import RecurrentEvent
from widgets.panels.base import (
    FOREGROUND, GrowingArray, Panel, axis_items, graphics_layout, image_item, log_plot, reset_stretch,
    show_grid, style_plot, viridis_lut)
from widgets.panels.legend_place import LegendPlacer
from widgets.panels.weights import diverging_lut

ORDER = ("input", "forget", "output", "cell", "reset", "update", "hidden")
TITLES = {"input": "Input gate i_t", "forget": "Forget gate f_t", "output": "Output gate o_t",
          "cell": "Cell state c_t", "reset": "Reset gate r_t", "update": "Update gate z_t", "hidden": "Hidden state h_t"}
CELL_COLOURS = {"LSTM": "#1f77b4", "RNN": "#d62728", "GRU": "#2ca02c"}


def _underflow(g: np.ndarray, where: str) -> str:
    """' (nonzero from t = 67)' where the gradient underflowed to exactly 0 on some steps."""
    nonzero = np.flatnonzero(g > 0)
    if not len(nonzero) or len(nonzero) == len(g):
        return ""
    return f" (nonzero {where} t = {nonzero[0] + 1 if where == 'from' else nonzero[-1] + 1})"


class LstmInternalsPanel(Panel):
    title = "LSTM internals"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_control(QLabel("Sequence #", self))
        self.sequence_box = QSpinBox(self)
        self.sequence_box.setRange(0, 7)
        self.sequence_box.setToolTip("Which probe sequence's gates to show")
        self.sequence_box.valueChanged.connect(lambda _v: self._draw_gates() if self.last is not None else None)
        self.add_control(self.sequence_box)
        self.add_canvas(graphics_layout(self))
        self.gate_plots: dict[str, tuple[pg.PlotItem, pg.ImageItem]] = {}
        for name in ORDER:
            plot = style_plot(pg.PlotItem(), TITLES[name], "unit", "t")
            img = image_item()
            img.setLookupTable(diverging_lut() if name in ("cell", "hidden") else viridis_lut())
            plot.addItem(img)
            plot.invertY(True)
            self.gate_plots[name] = (plot, img)
        self.sat_plot = style_plot(pg.PlotItem(axisItems=axis_items()), "Saturated gates (&lt; 0.1 or &gt; 0.9)",
                                   "share", "step")
        show_grid(self.sat_plot)
        self.sat_plot.setYRange(0, 1)
        self.sat_curve = self.sat_plot.plot(pen=pg.mkPen("#9467bd", width=2), symbol="o", symbolSize=4)
        self.grad_plot = style_plot(log_plot(), "‖∂L/∂h_t‖ back through time", "norm", "t")
        show_grid(self.grad_plot)
        legend = self.grad_plot.addLegend(offset=(5, 5), labelTextColor="#222", labelTextSize="8pt", verSpacing=-6,
                                          brush=pg.mkBrush(255, 255, 255, 200))
        legend.layout.setContentsMargins(2, 1, 2, 1)   # a short plot: the legend as small as it reads
        self.legend_place = LegendPlacer(self.grad_plot, self.grad_plot.legend)
        """The legend in the corner its curves leave free (they rise or fall, and a previous run's too)."""
        self.grad_curve = self.grad_plot.plot(pen=pg.mkPen(CELL_COLOURS["LSTM"], width=2), name="this run")
        self.previous_curve = self.grad_plot.plot(pen=pg.mkPen("#7f7f7f", width=2, style=pg.QtCore.Qt.PenStyle.DashLine))
        """In the legend once there is a previous run to show."""
        self.backward_curve = self.grad_plot.plot(pen=pg.mkPen("#ff7f0e", width=2))
        """A bidirectional layer's backward direction; in the legend while there is one."""
        self.sat_steps, self.sat_values = GrowingArray(256, limit=4096), GrowingArray(256, limit=4096)
        self.previous: tuple[str, np.ndarray] | None = None
        self.last: RecurrentEvent | None = None
        self._shown: tuple[str, ...] = ()
        self.rearrange(False)
        self.set_idle_hint("Recurrent presets: gates and cell state over time, saturation, gradient through time.")

    def plots(self) -> list[pg.PlotItem]:
        return [self.sat_plot, self.grad_plot] + [p for p, _ in self.gate_plots.values()]

    def arrange(self, wide: bool) -> None:
        ci = self.canvas.ci
        for item in list(ci.items):
            ci.removeItem(item)
        reset_stretch(ci)
        names = self._shown or ("input", "forget", "output", "cell")
        if wide:
            for k, name in enumerate(names):
                ci.addItem(self.gate_plots[name][0], row=k // 2, col=k % 2)
            ci.addItem(self.grad_plot, row=0, col=2)
            ci.addItem(self.sat_plot, row=1, col=2)
        else:
            for k, name in enumerate(names):
                ci.addItem(self.gate_plots[name][0], row=k // 2, col=k % 2)
            rows = (len(names) + 1) // 2
            ci.addItem(self.grad_plot, row=rows, col=0)
            ci.addItem(self.sat_plot, row=rows, col=1)

    def ingest(self, events: list[object]) -> bool:
        new = False
        for e in events:
            if isinstance(e, RecurrentEvent):
                if e.saturated is not None:
                    self.sat_steps.append(e.step)
                    self.sat_values.append(e.saturated)
                self.last = e
                self.received += 1
                new = True
        return new

    def clear(self) -> None:
        """A new run: keep this run's gradient curve as "previous run" beside the next one."""
        if self.last is not None and len(self.last.grad_norm):
            self.previous = (self.last.cell, np.asarray(self.last.grad_norm))
        super().clear()
        self.last = None
        self.sat_steps.clear()
        self.sat_values.clear()
        self.sat_curve.setData([], [])
        self.grad_curve.setData([], [])
        self.backward_curve.setData([], [])
        for _, img in self.gate_plots.values():
            img.clear()

    def render(self) -> None:
        e = self.last
        if e is None:
            return
        shown = tuple(n for n in ORDER if n in e.gates)[:4]
        if shown != self._shown:
            self._shown = shown
            self.rearrange()
        self._draw_gates()
        self.sat_curve.setData(self.sat_steps.view(), self.sat_values.view())
        g = np.asarray(e.grad_norm, dtype=float)
        t = np.arange(1, len(g) + 1)
        ok = g > 0
        self.grad_curve.setData(t[ok], g[ok])
        self.grad_curve.setPen(pg.mkPen(CELL_COLOURS.get(e.cell, "#1f77b4"), width=2))
        back = None if e.grad_norm_backward is None else np.asarray(e.grad_norm_backward, dtype=float)
        self._label(self.grad_curve, f"this run ({e.cell}{', forward' if back is not None else ''})")
        self._show_backward(back, e.cell)
        if self.previous is not None:
            cell, pg_ = self.previous
            keep = pg_ > 0
            self.previous_curve.setData(np.arange(1, len(pg_) + 1)[keep], pg_[keep])
            self.previous_curve.setPen(pg.mkPen(CELL_COLOURS.get(cell, "#7f7f7f"), width=2,
                                                style=pg.QtCore.Qt.PenStyle.DashLine))
            if self.grad_plot.legend.getLabel(self.previous_curve) is None:
                self.grad_plot.legend.addItem(self.previous_curve, "previous run")
            self._label(self.previous_curve, f"previous run ({cell})")
        self.legend_place.place()
        reach = g[0] / g[-1] if len(g) and g[-1] > 0 else float("nan")
        sat = f"{e.saturated:.0%} of gates saturated; " if e.saturated is not None else ""
        hint = f"{e.cell} '{e.node_id}', step {e.step}: {sat}‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = {reach:.2g}"
        if back is not None:
            back_reach = back[-1] / back[0] if len(back) and back[0] > 0 else float("nan")
            hint = (f"{e.cell} '{e.node_id}' (bidirectional; gates: forward direction), step {e.step}: {sat}"
                    f"forward ‖∂L/∂h_1‖ / ‖∂L/∂h_T‖ = {reach:.2g}{_underflow(g, 'from')}, "
                    f"backward ‖∂L/∂h_T‖ / ‖∂L/∂h_1‖ = {back_reach:.2g}{_underflow(back, 'up to')}")
        self.set_hint(hint + ".")

    def _show_backward(self, back: np.ndarray | None, cell: str) -> None:
        legend = self.grad_plot.legend
        if back is None:
            self.backward_curve.setData([], [])
            if legend.getLabel(self.backward_curve) is not None:
                legend.removeItem(self.backward_curve)
            return
        keep = back > 0
        self.backward_curve.setData(np.arange(1, len(back) + 1)[keep], back[keep])
        if legend.getLabel(self.backward_curve) is None:
            legend.addItem(self.backward_curve, f"this run ({cell}, backward)")

    def _label(self, curve: pg.PlotDataItem, text: str) -> None:
        label = self.grad_plot.legend.getLabel(curve)
        if label is not None and label.text != text:
            label.setText(text)

    def _draw_gates(self) -> None:
        e = self.last
        if e is None:
            return
        k = self.sequence_box.value()
        for name, (plot, img) in self.gate_plots.items():
            values = e.gates.get(name)
            if values is None:
                continue
            k = min(k, len(values) - 1)
            m = np.asarray(values[k]).T   # (H, T): units down, time across
            if name in ("cell", "hidden"):
                lim = float(np.nanmax(np.abs(m))) or 1.0
                img.setImage(m, levels=(-lim, lim), autoLevels=False)
            else:
                img.setImage(m, levels=(0.0, 1.0), autoLevels=False)
            way = ", forward direction" if e.grad_norm_backward is not None else ""
            plot.setTitle(f"{TITLES[name]} (sequence {k}{way})", color=FOREGROUND, size="8pt")

    def csv_table(self) -> tuple[list[str], list[list[object]]]:
        e = self.last
        if e is None:
            return [], []
        if e.grad_norm_backward is not None:
            return ["t", "grad_norm", "grad_norm_backward"], [
                [t + 1, float(v), float(b)] for t, (v, b) in enumerate(zip(e.grad_norm, e.grad_norm_backward))]
        return ["t", "grad_norm"], [[t + 1, float(v)] for t, v in enumerate(e.grad_norm)]
