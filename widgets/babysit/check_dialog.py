"""Train ▸ Pre-flight Check: the notes' sanity checks on the current preset, as a list of
green / amber / red results with the number measured, the number expected (each with what it
is, in the engine's words: they differ from check to check) and why."""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialogButtonBox, QHeaderView, QLabel, QProgressBar, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground.babysit.checks import CheckResult, check_title, checking_text
from playground.network.spec import Preset
from widgets.tasks import BackgroundTask, TaskDialog

STATUS_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#d1242f"}
NUMBER_COLUMN_PX = 200
"""The Measured and Expected columns' width: the number, and below it what it is, wrapped."""


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


class CheckDialog(TaskDialog):
    """Runs `run_checks` off the GUI thread and lists the results."""

    join_timeout_s = 0.25
    """Closing waits this long for the cancelled checks on the GUI thread, then lets the thread end
    by itself: they hear the cancel within ten steps, but not while the Trainer is being built
    (up to a second on first use), and a walkthrough measured the window frozen for 0.94 s."""

    def __init__(self, preset: Preset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pre-flight check — {preset.name}")
        self.resize(1100, 440)
        lay = QVBoxLayout(self)
        self.status = QLabel(checking_text())
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.busy = QProgressBar(self)   # the checks take seconds: an indeterminate bar while they run
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        lay.addWidget(self.busy)
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("checkTable")
        self.table.setHorizontalHeaderLabels(["", "Check", "Measured", "Expected", "Why"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        head = self.table.horizontalHeader()
        fixed, fit = QHeaderView.ResizeMode.Interactive, QHeaderView.ResizeMode.ResizeToContents
        for col, mode in enumerate([fit, fit, fixed, fixed, QHeaderView.ResizeMode.Stretch]):
            head.setSectionResizeMode(col, mode)
        for col in (2, 3):
            self.table.setColumnWidth(col, NUMBER_COLUMN_PX)
        self.table.horizontalHeaderItem(2).setToolTip("The number the check measured, and what it is")
        self.table.horizontalHeaderItem(3).setToolTip("What the check expected, and what that is: a target or a bound")
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.results: list[CheckResult] = []
        preset = preset.copy()
        self.task = BackgroundTask(lambda task: _run(preset, lambda: task.cancelled), self)
        self.task.done.connect(self.show_results)
        self.task.failed.connect(self._failed)
        self.task.start()

    def _failed(self, text: str) -> None:
        self.busy.hide()
        self.status.setText(f"The checks could not run: {text}")

    def show_results(self, results: list[CheckResult]) -> None:
        self.busy.hide()
        self.results = list(results)
        self.table.setRowCount(len(results))
        for row, r in enumerate(results):
            dot = QTableWidgetItem(f"● {r.status}")
            dot.setForeground(QColor(STATUS_COLOURS[r.status]))
            cells = [dot, QTableWidgetItem(check_title(r.name)),
                     _number_item("Measured", r.measured, r.measured_label, r.why),
                     _number_item("Expected", r.expected, r.expected_label, r.why), QTableWidgetItem(r.why)]
            for col, item in enumerate(cells):
                if not item.toolTip():
                    item.setToolTip(r.why)
                item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)   # rows of 2-3 lines
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        red = sum(r.status == "red" for r in results)
        amber = sum(r.status == "amber" for r in results)
        self.status.setText("All clear: nothing red." if not red and not amber else
                            f"{red} red, {amber} amber: read the why of each before a long training.")


def _number_item(word: str, value: float | None, label: str, why: str) -> QTableWidgetItem:
    """A measured or expected number and, below it, what it is (the check's words)."""
    item = QTableWidgetItem(_num(value) + (f"\n{label}" if label and value is not None else ""))
    if label and value is not None:
        item.setToolTip(f"{word}: {label} = {_num(value)}\n{why}")
    return item


def _run(preset: Preset, cancelled: Callable[[], bool]) -> list[CheckResult]:
    """The checks, stopped (ChecksCancelled) soon after the dialog closes: closing joins the task
    on the GUI thread, which waited for every check to end (seconds) while the window froze."""
    from playground.babysit.checks import run_checks
    return run_checks(preset, device="cpu", cancelled=cancelled)
