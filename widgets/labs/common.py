"""What the lab pages share: a white plot canvas and small plot helpers."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from widgets.tasks import BackgroundTask

from widgets.panels.base import FOREGROUND, Canvas, axis_items, show_grid, style_plot


class LabPage(QWidget):
    """A lab: a row of controls above a canvas, and a line of text under it saying what it shows."""

    title = "Lab"
    tab = ""
    """The tab's short name (the title where empty): eleven whole titles made the labs window's tab
    bar ~240 px wider than the window, so the tabs scrolled and hid the last labs."""

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


class ComputingLabPage(LabPage):
    """A lab whose engine computation takes seconds: it runs off the GUI thread (a BackgroundTask)
    and the page draws when it is done. Settings changed while it runs are computed when it ends,
    only the newest. A subclass gives `settings()` (its controls' values), `compute(settings)` (the
    engine call, run on the task's thread: it must not touch widgets) and `show_lab(result)`, and
    calls `start_computing(busy_label)` once its controls exist."""

    def start_computing(self, busy_label: QLabel) -> None:
        self.busy_label = busy_label
        self.task: BackgroundTask | None = None
        self._running: tuple | None = None
        self._wanted: tuple | None = None
        self.error = ""

    def settings(self) -> tuple:
        raise NotImplementedError

    def compute(self, settings: tuple) -> object:
        raise NotImplementedError

    def show_lab(self, result: object) -> None:
        raise NotImplementedError

    def recompute(self) -> None:
        """Compute the lab for the controls' settings off the GUI thread."""
        self._wanted = self.settings()
        self.busy_label.setText("computing…")
        if self.task is None:
            self._start(self._wanted)

    @property
    def computing(self) -> bool:
        return self.task is not None

    def _start(self, settings: tuple) -> None:
        self._running = settings
        self.task = BackgroundTask(lambda _task: self.compute(settings))
        self.task.done.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self.task.start()

    def _finish_task(self) -> bool:
        """The task ended; True when newer settings are waiting (their computation has started)."""
        self.task.deleteLater()
        self.task = None
        if self._wanted != self._running:
            self._start(self._wanted)
            return True
        self.busy_label.setText("")
        return False

    @Slot(object)
    def _on_done(self, result: object) -> None:
        if not self._finish_task():
            self.error = ""
            self.show_lab(result)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._finish_task():
            self.error = message
            self.note.setText(f"Could not compute the lab: {message}")

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """The window closes: wait for a computation in flight (it cannot be interrupted; its
        thread is a daemon and its result goes nowhere)."""
        if self.task is not None:
            self.task.join(timeout_s)


def grid_plot(title: str = "", left: str = "", bottom: str = "", log_y: bool = False) -> pg.PlotItem:
    plot = pg.PlotItem(axisItems=axis_items(log_y=log_y))
    if log_y:
        plot.setLogMode(y=True)
    style_plot(plot, title, left, bottom)
    show_grid(plot)
    return plot


def set_title(plot: pg.PlotItem, text: str, size: str = "8pt") -> None:
    plot.setTitle(text, color=FOREGROUND, size=size)
