"""The runs browser: every recorded run in a sortable, filterable table, several selectable.

The table model holds `RunInfo`s read by the loader (never on the GUI thread); sorting and
filtering are a QSortFilterProxyModel's, so 200 runs sort and filter without re-reading a file.
"""
from __future__ import annotations

import time
from typing import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QStyle, QStyledItemDelegate, QTableView,
    QVBoxLayout, QWidget)

from playground.network.overrides import changes_text
from playground.run_records.store import STATUSES, RunInfo

COLUMNS = ("Run", "Preset", "Status", "Val acc", "Val loss", "Test acc", "Changed", "Group", "Date")
"""The metrics come right after a run's name and status, so a narrow table shows them first."""
METRIC_COLUMNS = {"Val acc": "val_accuracy", "Val loss": "val_loss", "Test acc": "test_accuracy"}
STATUS_COLOURS = {"finished": "#2ca02c", "stopped": "#7f7f7f", "failed": "#d62728",
                  "incomplete": "#ff7f0e", "running": "#1f77b4"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_MAX_PX = 260
"""The Run and Preset columns grow to their longest text up to this; beyond it a name is cut in the
middle and the row's tooltip has it whole."""
TEXT_MAX_PX = {"Changed": 200, "Group": 140}
"""The other free-text columns' widest."""
RUN_MIN_PX = 120
"""How narrow the Run column is made (cut in the middle: an id's unique tail stays) before the
table scrolls sideways; every other column keeps at least its header's width."""
SHRINK_ORDER = ("Date", "Run", "Group", "Changed", "Preset")
"""Which columns give up width first when the table is narrower than all of them: the date (the
table still sorts by it, and a row's tooltip says it whole), the run id down to RUN_MIN_PX (cut in
its middle, its unique tail stays), the group's id; what the runs changed, which tells them apart,
after those."""




def date_text(started: str, this_year: str | None = None) -> str:
    """When a run started, as the table shows it: "2025-11-30 09:12", or "12-07 15:49" this year
    (a narrow table's width goes to what a run changed, not to the year of every row)."""
    shown = started[:16].replace("T", " ")
    year = this_year or time.strftime("%Y")
    return shown[5:] if shown.startswith(f"{year}-") else shown


class ElideRightDelegate(QStyledItemDelegate):
    """Cuts a cell's text at its end: "optimizer=sgd, epo…" reads, where the table's own cut in the
    middle (right for run ids, whose tail is what tells them apart) gave "opt….01"."""

    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt's name)
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class RunTableModel(QAbstractTableModel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs: list[RunInfo] = []
        self._text: list[tuple[str, ...]] = []

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        self.beginResetModel()
        self.runs = list(runs)
        self._text = [self._row_text(r) for r in self.runs]   # formatted once, not at every paint
        self.endResetModel()

    @staticmethod
    def _row_text(r: RunInfo) -> tuple[str, ...]:
        m = r.metrics
        fmt = (lambda k: f"{m[k]:.4f}" if isinstance(m.get(k), (int, float)) else "")
        text = {"Run": r.label, "Preset": r.preset, "Status": r.status, "Val acc": fmt("val_accuracy"),
                "Val loss": fmt("val_loss"), "Test acc": fmt("test_accuracy"),
                "Changed": changes_text(r.changed) or ("twin" if r.parent else ""), "Group": r.group or "",
                "Date": date_text(r.started or "")}
        return tuple(text[c] for c in COLUMNS)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        run = self.runs[r]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text[r][c]
        if role == SORT_ROLE:
            key = METRIC_COLUMNS.get(COLUMNS[c])
            if key is not None:
                v = run.metrics.get(key)
                return float(v) if isinstance(v, (int, float)) else float("-inf")
            return self._text[r][c].lower() if COLUMNS[c] != "Date" else (run.started or "")
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[c] == "Status":
            return QColor(STATUS_COLOURS.get(run.status, "#000000"))
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [run.id if run.label == run.id else f"{run.label} ({run.id})",
                     f"preset {run.preset}", f"status {run.status}"]
            if run.started:
                lines.append(f"started {run.started[:16].replace('T', ' ')}")
            if run.changed:
                lines.append("changed: " + ", ".join(f"{k}={v}" for k, v in run.changed.items()))
            if run.parent:
                lines.append(f"twin of {run.parent}")
            if run.group:
                lines.append(f"group {run.group}")
            if run.seeds:
                lines.append("seeds: " + ", ".join(f"{k} {v}" for k, v in run.seeds.items()))
            if run.problem:
                lines.append(run.problem)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.TextAlignmentRole and COLUMNS[c] in METRIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class RunFilter(QSortFilterProxyModel):
    """Rows whose text contains every word typed, and whose status is the one chosen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.status = ""
        self.setSortRole(SORT_ROLE)

    def set_text(self, text: str) -> None:
        self._refilter(lambda: setattr(self, "words", text.lower().split()))

    def set_status(self, status: str) -> None:
        self._refilter(lambda: setattr(self, "status", status))

    def _refilter(self, change) -> None:
        """Qt 6.10 replaced invalidateFilter() with begin/endFilterChange around the change."""
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        model: RunTableModel = self.sourceModel()  # type: ignore[assignment]
        run = model.runs[row]
        if self.status and run.status != self.status:
            return False
        if not self.words:
            return True
        hay = " ".join(model._text[row]).lower() + " " + run.id.lower()
        return all(w in hay for w in self.words)


class RunsBrowser(QWidget):
    """The table with its filter box and status choice; `selection_changed` carries the runs."""

    selection_changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunTableModel(self)
        self.proxy = RunFilter(self)
        self.proxy.setSourceModel(self.model)
        self.filter_edit = QLineEdit(placeholderText="Filter: preset, setting, status, group…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self.proxy.set_text)
        self.status_box = QComboBox()
        self.status_box.addItem("Any status", "")
        for s in STATUSES:
            self.status_box.addItem(s.capitalize(), s)
        self.status_box.currentIndexChanged.connect(
            lambda _i: self.proxy.set_status(self.status_box.currentData() or ""))
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(COLUMNS.index("Date"), Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)   # an id's unique tail stays visible
        self._elide_right = ElideRightDelegate(self.table)
        for name in ("Changed", "Group", "Date"):
            self.table.setItemDelegateForColumn(COLUMNS.index(name), self._elide_right)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self._fitting = False
        self._user_widths = False   # a person dragged a column's edge: the widths are theirs
        header.sectionResized.connect(self._on_section_resized)
        header.sortIndicatorChanged.connect(lambda *_: self.fit_columns())   # room for its arrow
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit(self.selected()))
        top = QHBoxLayout()
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.status_box)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.table, 1)

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        """Show these runs, keeping the selection of runs still there."""
        keep = {r.id for r in self.selected()}
        self.table.selectionModel().blockSignals(True)
        self.model.set_runs(runs)
        self.table.selectionModel().blockSignals(False)
        self.fit_columns()
        if keep:
            self.select_ids(keep)
        else:
            self.selection_changed.emit([])

    def fit_columns(self) -> None:
        """Every column in view with its header readable, where the table is wide enough: the
        compact ones (status, metrics, date) as wide as their header or values, the free-text ones
        as wide as their longest text up to a cap, then, while that is wider than the table, the
        Changed, Group, Run and Preset columns cut back (their text cut in the middle; the row's
        tooltip has it whole). Changed and Group are hidden while no run has any. A width a person
        set stays until the window is opened again."""
        if self._user_widths:
            return
        self._fitting = True
        try:
            self._fit_columns()
        finally:
            self._fitting = False

    def _fit_columns(self) -> None:
        table, header = self.table, self.table.horizontalHeader()
        fm, head_fm = table.fontMetrics(), header.fontMetrics()
        pad = fm.horizontalAdvance("M")
        margin = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header) + 6
        sorted_column = header.sortIndicatorSection() if header.isSortIndicatorShown() else -1
        texts = list(zip(*self.model._text)) or [()] * len(COLUMNS)
        want: dict[str, int] = {}
        floor: dict[str, int] = {}
        for c, name in enumerate(COLUMNS):
            if name in ("Changed", "Group"):
                table.setColumnHidden(c, not any(texts[c]))
            if table.isColumnHidden(c):
                continue
            # a header's text and margins; the sorted one's also its sort arrow (Qt's size hint)
            head = header.sectionSizeHint(c) if c == sorted_column else head_fm.horizontalAdvance(name) + margin
            widest = max((fm.horizontalAdvance(t) for t in texts[c]), default=0) + pad
            cap = NAME_MAX_PX if name in ("Run", "Preset") else TEXT_MAX_PX.get(name, widest)
            want[name] = max(head, min(cap, widest))
            floor[name] = max(head, RUN_MIN_PX) if name == "Run" else head
        room = table.viewport().width() if table.isVisible() else table.width() - 2 * table.frameWidth()
        over = sum(want.values()) - room
        for name in SHRINK_ORDER:
            if over <= 0:
                break
            if name in want:
                cut = max(0, min(over, want[name] - floor[name]))
                want[name] -= cut
                over -= cut
        for name, width in want.items():
            table.setColumnWidth(COLUMNS.index(name), width)

    def _on_section_resized(self, column: int, _old: int, _new: int) -> None:
        last = max((c for c in range(len(COLUMNS)) if not self.table.isColumnHidden(c)), default=-1)
        if not self._fitting and column != last and self.table.isVisible():   # (the last one stretches)
            self._user_widths = True

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self.fit_columns()

    def selected(self) -> list[RunInfo]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.runs[r] for r in rows]

    def visible_runs(self) -> list[RunInfo]:
        return [self.model.runs[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                for r in range(self.proxy.rowCount())]

    def select_ids(self, ids: set[str] | list[str]) -> None:
        from PySide6.QtCore import QItemSelection, QItemSelectionModel
        wanted = set(ids)
        sel = QItemSelection()
        for row, run in enumerate(self.model.runs):
            if run.id in wanted:
                idx = self.proxy.mapFromSource(self.model.index(row, 0))
                if idx.isValid():
                    sel.select(idx, self.proxy.index(idx.row(), len(COLUMNS) - 1))
        sm = self.table.selectionModel()
        sm.blockSignals(True)
        sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        sm.blockSignals(False)
        self.selection_changed.emit(self.selected())
