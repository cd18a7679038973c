"""The settings of the selected runs side by side, by preset path; only the keys that differ
unless the person asks for all of them. The one place a student sees exactly what changed."""
from __future__ import annotations

import json
from typing import Any, Sequence

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from playground.run_records.store import RunInfo

DIFFERS = QColor("#fff3c4")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


class SettingsTable(QWidget):
    MAX_COLUMNS = 20

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_all = QCheckBox("Show every setting (not only those that differ)")
        self.show_all.toggled.connect(lambda _on: self.redraw())
        self.note = QLabel("")
        self.note.setStyleSheet("color: #666")
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.show_all)
        lay.addWidget(self.note)
        lay.addWidget(self.table, 1)
        self.runs: list[RunInfo] = []
        self.keys: list[str] = []
        self.flats: list[dict[str, Any]] = []
        self.differ: list[str] = []

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        from playground.run_records.experiments import settings_table
        self.runs = list(runs)[:self.MAX_COLUMNS]
        self.keys, self.flats, self.differ = settings_table(self.runs)
        self.redraw()

    def redraw(self) -> None:
        differ = self.differ
        rows = self.keys if self.show_all.isChecked() else differ
        if len(self.runs) < 2:
            self.note.setText("Select two or more runs to see the settings in which they differ.")
        elif not differ:
            self.note.setText("These runs have the same settings: they differ only in their seeds."
                              if len({json.dumps(r.seeds, sort_keys=True) for r in self.runs}) > 1
                              else "These runs have the same settings and seeds.")
        else:
            self.note.setText("1 setting differs." if len(differ) == 1 else f"{len(differ)} settings differ.")
        self.table.clear()
        self.table.setColumnCount(len(self.runs))
        self.table.setRowCount(len(rows) + 1)
        self.table.setHorizontalHeaderLabels([r.name or f"{r.preset} ·{r.id[-4:]}" for r in self.runs])
        for c, r in enumerate(self.runs):
            self.table.horizontalHeaderItem(c).setToolTip(r.id)
        self.table.setVerticalHeaderLabels(["seeds (init, data, noise)"] + rows)
        for c, r in enumerate(self.runs):
            s = r.seeds
            self.table.setItem(0, c, QTableWidgetItem(", ".join(str(s.get(k, "?")) for k in ("init", "data", "noise"))))
        differ_set = set(differ)
        for row, key in enumerate(rows, start=1):
            for c, flat in enumerate(self.flats):
                item = QTableWidgetItem(_text(flat.get(key)))
                if key in differ_set:
                    item.setBackground(DIFFERS)
                self.table.setItem(row, c, item)
        for c in range(len(self.runs)):
            self.table.setColumnWidth(c, 170)
