"""Conv output size: spin boxes for n, k, s and p; one row of the padded input with every kernel
position drawn under it (the positions are the output pixels), the formula floor((n + 2p − k)/s) + 1
worked out beside torch's Conv2d and the canvas's answer, and a CNN preset's convolution and pooling
layers read the same way, shape by shape as the builder's canvas shows them."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from playground.labs import conv_size as cs
from widgets.labs.common import LabPage, grid_plot, set_title

INPUT_BRUSH = pg.mkBrush(174, 199, 232)
PAD_BRUSH = pg.mkBrush(210, 210, 210)
DROP_BRUSH = pg.mkBrush(255, 152, 150)
WINDOW_BRUSH = pg.mkBrush(44, 160, 44, 70)
WINDOW_PEN = pg.mkPen("#2ca02c", width=2)
CELL_PEN = pg.mkPen("#555", width=1)
COLUMNS = ("layer", "type", "input", "k", "s", "p", "floor((n + 2p − k)/s) + 1", "canvas shows", "")


def _shape(shape: tuple) -> str:
    return "×".join(map(str, shape))


def unseen_text(size: cs.ConvSize) -> str:
    """What the note says of the input pixels no output sees (`ConvSize.unseen_inputs`): those
    between windows (a stride larger than the kernel) and those past the last window (the floor
    in the formula); where there are none, whether the floor drops padding zeros."""
    unseen = size.unseen_inputs
    tail = size.dropped_inputs
    gaps = len(unseen) - tail
    words = []
    if gaps:
        what = "1 input pixel (red) lies" if gaps == 1 else f"{gaps} input pixels (red) lie"
        words.append(f" The stride {size.s} is larger than the kernel {size.k}: {what} between two positions, "
                     f"under no window.")
    if tail:
        what = "input pixel (red) lies" if tail == 1 else f"{tail} input pixels (red) lie"
        words.append(f" The last {what} past the last position, which is the floor in the formula.")
    if unseen:
        seen = size.n - len(unseen)
        words.append(f" No output sees {'it' if len(unseen) == 1 else 'them'}: the outputs see {seen} of the "
                     f"{size.n} input pixels.")
        return "".join(words)
    zeros = size.dropped
    if zeros:
        last = "padding zero lies" if zeros == 1 else f"{zeros} padding zeros lie"
        return (f" The last {last} past the last position: the floor in the formula drops "
                f"{'it' if zeros == 1 else 'them'}, and every input pixel is still seen.")
    return ""


class ConvSizeLabPage(LabPage):
    title = "Conv output size"
    tab = "Conv size"

    def __init__(self, parent: QWidget | None = None, size: cs.ConvSize | None = None,
                 preset: str = cs.CNN_PRESETS[0]) -> None:
        super().__init__(parent)
        size = size or cs.compute()
        self.boxes: dict[str, QSpinBox] = {}
        for name, label, low, value in (("n", "Input n:", 1, size.n), ("k", "Kernel k:", 1, size.k),
                                        ("s", "Stride s:", 1, size.s), ("p", "Padding p:", 0, size.p)):
            box = self.add_control(QSpinBox(self), label)
            box.setRange(low, cs.LIMIT)
            box.setValue(value)
            self.boxes[name] = box
        self.preset_box = self.add_control(QComboBox(self), "   Read a preset's layers:")
        self.preset_box.addItems(list(cs.CNN_PRESETS))
        self.preset_box.setCurrentText(preset)
        self.end_controls()
        self.plot = grid_plot("", "", "pixel of the padded input")
        self.plot.hideAxis("left")
        self.plot.setMenuEnabled(False)
        self.canvas.ci.addItem(self.plot, row=0, col=0)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(220)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.layout().insertWidget(2, self.table)
        self.size: cs.ConvSize | None = None
        self.layers: list[cs.LayerSize] = []
        self.error = ""
        for box in self.boxes.values():
            box.valueChanged.connect(self.recompute)
        self.preset_box.currentTextChanged.connect(self.show_preset)
        self.recompute()
        self.show_preset(self.preset_box.currentText())

    def values(self) -> tuple[int, int, int, int]:
        return tuple(self.boxes[name].value() for name in "nksp")

    def recompute(self) -> None:
        n, k, s, p = self.values()
        self.plot.clear()
        try:
            size = cs.compute(n, k, s, p)
        except ValueError as e:
            self.size, self.error = None, str(e)
            set_title(self.plot, f"<span style='color:#d62728'>{self.error}</span>: no output (the canvas marks "
                                 f"such a layer red)", "9pt")
            self.note.setText(f"The kernel must fit in the padded input: k ≤ n + 2p. {self.error}.")
            return
        self.size, self.error = size, ""
        self._draw(size)

    def _draw(self, size: cs.ConvSize) -> None:
        n, k, s, p = size.n, size.k, size.s, size.p
        width = n + 2 * p
        xs = np.arange(width)
        unseen = {x + p for x in size.unseen_inputs}
        # Red: input pixels no window reaches. Padding no window reaches stays grey: dropping a zero loses nothing.
        brushes = [PAD_BRUSH if (x < p or x >= p + n) else DROP_BRUSH if x in unseen else INPUT_BRUSH for x in xs]
        self.plot.addItem(pg.BarGraphItem(x0=xs, y0=np.zeros(width), width=0.92, height=0.92, brushes=brushes,
                                          pen=CELL_PEN))
        rows = len(size.starts)
        self.plot.addItem(pg.BarGraphItem(x0=np.array(size.starts, dtype=float), y0=-1.1 - 0.9 * np.arange(rows),
                                          width=k - 0.08, height=0.7, brush=WINDOW_BRUSH, pen=WINDOW_PEN))
        for j, start in enumerate(size.starts):
            label = pg.TextItem(f"output {j + 1}", color="#1b5e20", anchor=(0, 0.5))
            label.setPos(start + k + 0.1, -0.75 - 0.9 * j)
            self.plot.addItem(label)
        self.plot.setXRange(-0.5, width + 3.5, padding=0.02)
        self.plot.setYRange(-1.2 - 0.9 * rows, 1.2, padding=0.02)
        ok = "agree ✓" if size.agree else "DISAGREE"
        set_title(self.plot, f"<b>{size.worked}</b> output pixels per side · torch's Conv2d gives {size.torch_out}, "
                             f"the canvas {size.canvas_out}: {ok}", "10pt")
        self.note.setText(f"One row of the {n}×{n} input (blue) with {p} zero{'s' if p != 1 else ''} of padding on "
                          f"each side (grey): the {k}-pixel kernel (green) starts at 0 and steps {s} pixel"
                          f"{'s' if s > 1 else ''} at a time, and every position it fits is one output pixel."
                          f"{unseen_text(size)} The table reads the chosen preset's layers the same way; each one's "
                          f"shape is what its node shows after the arrow on the builder's canvas.")

    def show_preset(self, name: str) -> None:
        self.layers = cs.preset_layers(name)
        self.table.setRowCount(len(self.layers))
        for row, layer in enumerate(self.layers):
            agree = layer.formula_out == layer.canvas_shape[-1]
            cells = (layer.node_id, layer.layer, _shape(layer.input_shape), layer.k, layer.s, layer.p, layer.worked,
                     _shape(layer.canvas_shape), "✓" if agree else "✗")
            for col, value in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(str(value)))
        self.table.resizeColumnsToContents()
