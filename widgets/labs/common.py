"""What the lab pages share: a white plot canvas and small plot helpers."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.panels.base import FOREGROUND, Canvas, axis_items, show_grid, style_plot


class LabPage(QWidget):
    """A lab: a row of controls above a canvas, and a line of text under it saying what it shows."""

    title = "Lab"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.controls = QHBoxLayout()
        layout.addLayout(self.controls)
        self.canvas = Canvas(self)
        layout.addWidget(self.canvas, 1)
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #333;")
        layout.addWidget(self.note)

    def add_control(self, widget: QWidget, label: str = "") -> QWidget:
        if label:
            self.controls.addWidget(QLabel(label, self))
        self.controls.addWidget(widget)
        return widget

    def end_controls(self) -> None:
        self.controls.addStretch(1)


def grid_plot(title: str = "", left: str = "", bottom: str = "", log_y: bool = False) -> pg.PlotItem:
    plot = pg.PlotItem(axisItems=axis_items(log_y=log_y))
    if log_y:
        plot.setLogMode(y=True)
    style_plot(plot, title, left, bottom)
    show_grid(plot)
    return plot


def set_title(plot: pg.PlotItem, text: str, size: str = "8pt") -> None:
    plot.setTitle(text, color=FOREGROUND, size=size)
