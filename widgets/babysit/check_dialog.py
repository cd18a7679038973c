"""Train ▸ Pre-flight Check: the notes' sanity checks on the current preset, as a list of
green / amber / red results with the number measured, the number expected and why."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground.babysit.checks import CheckResult, check_title, checking_text
from playground.network.spec import Preset
from widgets.tasks import BackgroundTask, TaskDialog

STATUS_COLOURS = {"green": "#1a7f37", "amber": "#bf8700", "red": "#d1242f"}


def _num(x: float | None) -> str:
    return "—" if x is None else f"{x:.4g}"


class CheckDialog(TaskDialog):
    """Runs `run_checks` off the GUI thread and lists the results."""

    def __init__(self, preset: Preset, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Pre-flight check — {preset.name}")
        self.resize(980, 330)
        lay = QVBoxLayout(self)
        self.status = QLabel(checking_text())
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.table = QTableWidget(0, 5, self)
        self.table.setObjectName("checkTable")
        self.table.setHorizontalHeaderLabels(["", "Check", "Measured", "Expected", "Why"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        head = self.table.horizontalHeader()
        for col, mode in enumerate([QHeaderView.ResizeMode.ResizeToContents] * 4 + [QHeaderView.ResizeMode.Stretch]):
            head.setSectionResizeMode(col, mode)
        lay.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.results: list[CheckResult] = []
        preset = preset.copy()
        self.task = BackgroundTask(lambda task: _run(preset), self)
        self.task.done.connect(self.show_results)
        self.task.failed.connect(lambda text: self.status.setText(f"The checks could not run: {text}"))
        self.task.start()

    def show_results(self, results: list[CheckResult]) -> None:
        self.results = list(results)
        self.table.setRowCount(len(results))
        for row, r in enumerate(results):
            dot = QTableWidgetItem(f"● {r.status}")
            dot.setForeground(QColor(STATUS_COLOURS[r.status]))
            cells = [dot, QTableWidgetItem(check_title(r.name)), QTableWidgetItem(_num(r.measured)),
                     QTableWidgetItem(_num(r.expected)), QTableWidgetItem(r.why)]
            for col, item in enumerate(cells):
                item.setToolTip(r.why)
                if col in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeRowsToContents()
        red = sum(r.status == "red" for r in results)
        amber = sum(r.status == "amber" for r in results)
        self.status.setText("All clear: nothing red." if not red and not amber else
                            f"{red} red, {amber} amber: read the why of each before a long training.")



def _run(preset: Preset) -> list[CheckResult]:
    from playground.babysit.checks import run_checks
    return run_checks(preset, device="cpu")
