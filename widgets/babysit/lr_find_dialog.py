"""Train ▸ Find Learning Rate: the range test's loss against the learning rate (log axis), the
suggestions the sweep stands behind marked, a button that uses one (an undoable edit of the
settings), and the engine's note when it withholds one."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from playground.babysit.lr_find import BETA, RECOMMENDED, SUGGESTION_NAMES, RangeTest, sweep_text
from playground.network.spec import Preset
from widgets.tasks import BackgroundTask, TaskDialog

COLOURS = {"valley": "#1a7f37", "min_over_10": "#bf8700", "steepest": "#2f6fdf"}
"""Each suggestion's colour, in the order its line label and button are placed."""
MARKS = {key: (COLOURS[key], SUGGESTION_NAMES[key]) for key in SUGGESTION_NAMES}
"""Suggestion → (colour, the engine's name for it)."""


class LrFindDialog(TaskDialog):
    """Runs the sweep on a fresh build of the preset (its own weights are untouched either way)."""

    def __init__(self, preset: Preset, use_lr: Callable[[float], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Learning-rate range test — {preset.name}")
        self.resize(900, 560)
        self.use_lr = use_lr
        self.result: RangeTest | None = None
        lay = QVBoxLayout(self)
        self.status = QLabel(f"Sweeping the learning rate {sweep_text()} with {preset.training.optimizer}…")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLogMode(x=True, y=False)
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "learning rate (log scale)")
        self.plot.setLabel("left", "smoothed training loss")
        # Bottom left, where the sweep's curve never is (it starts high and ends higher), not over the marks' labels.
        self.plot.addLegend(offset=(10, -10), labelTextColor="#222", brush=pg.mkBrush(255, 255, 255, 215))
        self.raw = self.plot.plot([], [], pen=None, symbol="o", symbolSize=4, symbolBrush=(150, 150, 150, 120),
                                  symbolPen=None, name="loss per step")
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#1f2328", width=2), name=f"smoothed (EMA {BETA:g})")
        self.lines: dict[str, pg.InfiniteLine] = {}
        lay.addWidget(self.plot_widget, 1)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, (colour, label) in MARKS.items():
            b = QPushButton(f"Use {label}")
            b.setEnabled(False)
            b.setStyleSheet(f"color: {colour}; font-weight: bold")
            b.clicked.connect(lambda _=False, k=key: self._use(k))
            row.addWidget(b)
            self.buttons[key] = b
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        row.addWidget(close)
        lay.addLayout(row)
        preset = preset.copy()
        self.task = BackgroundTask(lambda task: _sweep(preset, task), self)
        self.task.done.connect(self.show_result)
        self.task.failed.connect(lambda text: self.status.setText(f"The range test could not run: {text}"))
        self.task.start()

    def show_result(self, result: RangeTest) -> None:
        self.result = result
        if len(result.lrs) < 2:
            self.status.setText("The loss was not finite even at the smallest learning rate: nothing to suggest.")
            self._offer_only({})
            return
        self.raw.setData(np.array(result.lrs), np.array(result.raw_losses))
        self.curve.setData(np.array(result.lrs), np.array(result.losses))
        top = 1.25 * max(result.losses)
        self.plot.setYRange(0.9 * min(result.losses), top)
        for k, (key, (colour, label)) in enumerate(MARKS.items()):
            lr = result.suggestions.get(key)
            if lr is None:
                continue
            line = pg.InfiniteLine(pos=math.log10(lr), angle=90, pen=pg.mkPen(colour, width=2, style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=f"{label}\n{lr:.2g}", labelOpts={"position": 0.92 - 0.12 * k, "color": colour})
            self.plot.addItem(line)
            self.lines[key] = line
        self._offer_only(result.suggestions)
        lines = [f"{len(result.lrs)} steps. The model and optimizer were restored exactly after the sweep."]
        if result.suggestions:
            lines.insert(0, f"The smoothed loss is lowest at lr {result.lr_at_min:.2g}; a good learning rate lies "
                            f"below that. {SUGGESTION_NAMES[RECOMMENDED].capitalize()} (fast.ai's default) is the "
                            "safest of the three; steepest descent can sit close to where the loss takes off.")
        if result.note:
            lines.append(result.note)
        self.status.setText(" ".join(lines))

    def _offer_only(self, suggestions: dict[str, float]) -> None:
        """A "Use" button for each suggestion the sweep stands behind, and none for one it withheld."""
        for key, (_, label) in MARKS.items():
            button = self.buttons[key]
            lr = suggestions.get(key)
            button.setVisible(lr is not None)
            button.setEnabled(lr is not None)
            if lr is not None:
                button.setText(f"Use {label}{' (recommended)' if key == RECOMMENDED else ''}: {lr:.2g}")

    def _use(self, key: str) -> None:
        if self.result is not None and key in self.result.suggestions:
            lr = float(f"{self.result.suggestions[key]:.2g}")
            self.use_lr(lr)
            self.status.setText(f"Learning rate set to {lr:g} (Edit ▸ Undo reverts it).")



def _sweep(preset: Preset, task: BackgroundTask) -> RangeTest:
    from playground.babysit.lr_find import lr_range_test
    from playground.training.trainer import Trainer
    trainer = Trainer(preset, device="cpu")
    return lr_range_test(trainer, should_stop=lambda: task.cancelled)
