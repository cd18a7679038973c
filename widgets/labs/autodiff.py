"""Forward against reverse mode: the Jacobian of a small tanh network built both ways (forward
mode fills it a column per pass, reverse mode a row per backward pass: the lines between the
cells are the passes), and the cost of each mode over a sweep of n with m = 1 (a loss of many
inputs: reverse wins) and of m with n = 1 (forward wins), every operation counted by the engine.

The engine (playground.labs.autodiff_modes) runs its passes in plain Python, up to half a second
at 64 × 64, so the page computes off the GUI thread."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget

from playground.core.words import plural
from playground.labs import autodiff_modes as ad
from widgets.labs.common import ComputingLabPage, grid_plot, set_title

FORWARD = "#1f77b4"
REVERSE = "#ff7f0e"
PASS_PEN = pg.mkPen("#222", width=2)
MANY_PASSES_PEN = pg.mkPen("#222", width=1)
"""Between more than 16 passes the lines would hide the cells."""
NUMBERS_UP_TO = 8
"""Cells get their numbers written in when both n and m are at most this."""


def _ticks(k: int) -> list[list[tuple[float, str]]]:
    step = 1 if k <= 16 else 8
    return [[(j + 0.5, str(j + 1)) for j in range(k) if j == 0 or (j + 1) % step == 0]]


class AutodiffLabPage(ComputingLabPage):
    title = "Forward vs reverse mode"
    tab = "Forward vs reverse"

    def __init__(self, parent: QWidget | None = None, lab: ad.AutodiffLab | None = None) -> None:
        super().__init__(parent)
        self.boxes: dict[str, QSpinBox] = {}
        for name, label, low, high, value, tip in (
                ("n", "Inputs n:", 1, ad.MAX_SIZE, ad.INPUTS, "f: Rⁿ → Rᵐ; forward mode: one pass per input"),
                ("m", "Outputs m:", 1, ad.MAX_SIZE, ad.OUTPUTS,
                 "reverse mode: one backward pass per output; m = 1 is a scalar, like a loss"),
                ("hidden", "Hidden units:", 1, ad.MAX_HIDDEN, ad.HIDDEN, "tanh units between the two layers"),
                ("seed", "Seed:", 0, 1_000_000, ad.SEED, "seed of the weights and the point x")):
            box = self.add_control(QSpinBox(self), label)
            box.setRange(low, high)
            box.setValue(value)
            box.setToolTip(tip)
            self.boxes[name] = box
        self.busy_label = self.add_control(QLabel(self))
        self.busy_label.setStyleSheet("color: #555;")
        self.end_controls()

        self.jacobian_plots: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        self.cell_items: dict[str, list] = {"forward": [], "reverse": []}
        for mode in ("forward", "reverse"):
            plot = grid_plot("", "output k", "input j")
            plot.setMenuEnabled(False)
            plot.invertY(True)
            plot.showGrid(x=False, y=False)
            image = pg.ImageItem(axisOrder="row-major")
            image.setLookupTable(pg.colormap.get("CET-D1").getLookupTable(nPts=256))
            plot.addItem(image)
            self.jacobian_plots[mode], self.images[mode] = plot, image
        self.cost_plots: dict[str, pg.PlotItem] = {}
        self.cost_curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.here: dict[str, pg.ScatterPlotItem] = {}
        for axis, label in (("n", "inputs n (m = 1)"), ("m", "outputs m (n = 1)")):
            plot = grid_plot("", "operations (log scale)", f"{label}, log scale", log_y=True)
            plot.setLogMode(x=True, y=True)
            plot.getAxis("bottom").setTicks([[(np.log10(s), str(s)) for s in ad.SWEEP_SIZES]])
            plot.setMenuEnabled(False)
            plot.addLegend(offset=(8, 6), labelTextSize="8pt", labelTextColor="#222",
                           brush=pg.mkBrush(255, 255, 255, 210), pen=pg.mkPen("#999"))
            passes = {"n": ("n passes", "1 backward pass"), "m": ("1 pass", "m backward passes")}[axis]
            for mode, colour, what in (("forward", FORWARD, passes[0]), ("reverse", REVERSE, passes[1])):
                self.cost_curves[(axis, mode)] = plot.plot(pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=7,
                                                           symbolBrush=colour, symbolPen=None,
                                                           name=f"{mode} mode: {what}")
            self.here[axis] = pg.ScatterPlotItem(size=14, symbol="o", pen=pg.mkPen("#222", width=2), brush=None)
            plot.addItem(self.here[axis])
            self.cost_plots[axis] = plot
        ci = self.canvas.ci
        ci.addItem(self.jacobian_plots["forward"], row=0, col=0)
        ci.addItem(self.jacobian_plots["reverse"], row=0, col=1)
        ci.addItem(self.cost_plots["n"], row=1, col=0)
        ci.addItem(self.cost_plots["m"], row=1, col=1)

        self.lab: ad.AutodiffLab | None = None
        self.start_computing(self.busy_label)
        for box in self.boxes.values():
            box.valueChanged.connect(self.recompute)
        if lab is not None:
            for name, value in (("n", lab.n), ("m", lab.m), ("hidden", lab.hidden), ("seed", lab.seed)):
                self.boxes[name].blockSignals(True)
                self.boxes[name].setValue(value)
                self.boxes[name].blockSignals(False)
            self.show_lab(lab)
        else:
            self.recompute()

    # ------------------------------------------------------------ computing
    def settings(self) -> tuple[int, int, int, int]:
        return tuple(self.boxes[k].value() for k in ("n", "m", "hidden", "seed"))

    def compute(self, settings: tuple[int, int, int, int]) -> ad.AutodiffLab:
        n, m, hidden, seed = settings
        return ad.explore(n, m, hidden, seed, with_sweep=self.lab.sweep if self.lab is not None else None)

    # ------------------------------------------------------------ drawing
    def show_lab(self, lab: ad.AutodiffLab) -> None:
        self.lab = lab
        diff = lab.max_abs_diff
        for mode, result in (("forward", lab.forward), ("reverse", lab.reverse)):
            self._draw_jacobian(mode, result.jacobian)
            if mode == "forward":
                how = (f"<b>forward mode</b>: {plural(result.passes, 'pass', 'passes')} (one per input: column j is J·eⱼ), "
                       f"{result.ops} operations")
            else:
                how = (f"<b>reverse mode</b>: 1 recording sweep + {plural(result.passes, 'backward pass', 'backward passes')} "
                       f"(one per output: row k is eₖᵀ·J), {result.ops} operations")
            set_title(self.jacobian_plots[mode], f"{how}<br>J = ∂f/∂x, {lab.m} × {lab.n}; "
                                                 f"max |J − torch autograd| = {diff[mode]:.1g}")
        for axis, points, fixed in (("n", lab.sweep.along_n, "m = 1"), ("m", lab.sweep.along_m, "n = 1")):
            sizes = np.array([getattr(p, axis) for p in points], dtype=float)
            self.cost_curves[(axis, "forward")].setData(sizes, [p.forward_ops for p in points])
            self.cost_curves[(axis, "reverse")].setData(sizes, [p.reverse_ops for p in points])
            last = points[-1]
            set_title(self.cost_plots[axis], f"cost against {axis} with {fixed} ({lab.hidden} hidden units): at "
                                             f"{axis} = {getattr(last, axis)}, forward {last.forward_ops}, reverse "
                                             f"{last.reverse_ops} operations")
            on_curve = (lab.m == 1) if axis == "n" else (lab.n == 1)
            here = getattr(lab, axis)
            self.here[axis].setData([np.log10(here)] * 2 if on_curve else [],
                                    [np.log10(lab.forward.ops), np.log10(lab.reverse.ops)] if on_curve else [])
        verdict = lab.verdict()
        self.note.setText(
            f"f(x) = tanh(W₂ tanh(W₁x + b₁) + b₂), {plural(lab.n, 'input')} → {plural(lab.m, 'output')}, as a graph of "
            f"{lab.nodes} scalar nodes (one evaluation: {lab.evaluate_ops} operations). "
            f"{verdict[0].upper() + verdict[1:]}. Each pass costs a small multiple of one evaluation, so the number "
            "of passes decides: for a loss (m = 1) of many parameters reverse mode, backpropagation, needs one "
            "backward pass where forward mode needs n; with one "
            "input and many outputs forward mode wins. Reverse mode pays in memory: its tape keeps "
            f"{lab.reverse.tape_size} numbers. Both Jacobians agree with torch.autograd.functional.jacobian and "
            f"torch.func.jvp/vjp (largest difference {max(diff.values()):.1g}). Circled: your n and m, on the left "
            "plot when m = 1, on the right when n = 1.")

    def _draw_jacobian(self, mode: str, jac: np.ndarray) -> None:
        plot, image = self.jacobian_plots[mode], self.images[mode]
        m, n = jac.shape
        top = float(np.max(np.abs(jac))) or 1.0
        image.setImage(jac, levels=(-top, top))
        image.setRect(pg.QtCore.QRectF(0, 0, n, m))
        for item in self.cell_items[mode]:
            plot.removeItem(item)
        items = []
        # the passes: forward mode fills one column per pass, reverse mode one row
        cuts = range(1, n) if mode == "forward" else range(1, m)
        pen = PASS_PEN if len(cuts) <= 16 else MANY_PASSES_PEN
        items += [pg.InfiniteLine(c, angle=90 if mode == "forward" else 0, pen=pen) for c in cuts]
        if n <= NUMBERS_UP_TO and m <= NUMBERS_UP_TO:
            for k in range(m):
                for j in range(n):
                    text = pg.TextItem(f"{jac[k, j]:.3g}", color="#000", anchor=(0.5, 0.5))
                    text.setPos(j + 0.5, k + 0.5)
                    items.append(text)
        for item in items:
            plot.addItem(item)
        self.cell_items[mode] = items
        plot.getAxis("bottom").setTicks(_ticks(n))
        plot.getAxis("left").setTicks(_ticks(m))
        plot.setXRange(0, n, padding=0.02)
        plot.setYRange(0, m, padding=0.02)

    def cell_texts(self, mode: str) -> list[str]:
        """The numbers written in the Jacobian's cells, row by row (none when it is too big)."""
        return [item.toPlainText() for item in self.cell_items[mode] if isinstance(item, pg.TextItem)]
