"""The runs browser: every recorded run in a sortable, filterable table, several selectable.

The table model holds `RunInfo`s read by the loader (never on the GUI thread); sorting and
filtering are a QSortFilterProxyModel's, so 200 runs sort and filter without re-reading a file.
"""
from __future__ import annotations

from typing import Any, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QLineEdit, QTableView, QVBoxLayout, QWidget)

from playground.run_records.store import STATUSES, RunInfo

COLUMNS = ("Run", "Preset", "Changed", "Status", "Val acc", "Val loss", "Test acc", "Group", "Date")
METRIC_COLUMNS = {"Val acc": "val_accuracy", "Val loss": "val_loss", "Test acc": "test_accuracy"}
STATUS_COLOURS = {"finished": "#2ca02c", "stopped": "#7f7f7f", "failed": "#d62728",
                  "incomplete": "#ff7f0e", "running": "#1f77b4"}
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
NAME_MAX_PX = 260
"""The Run and Preset columns grow to their longest text up to this; beyond it a name is cut in the
middle and the row's tooltip has it whole."""


def changed_text(run: RunInfo) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1] if k.startswith('training.') else k}={_short(v)}"
                     for k, v in run.changed.items())


def _short(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


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
        return (r.label, r.preset, changed_text(r) or ("twin" if r.parent else ""), r.status,
                fmt("val_accuracy"), fmt("val_loss"), fmt("test_accuracy"), r.group or "",
                (r.started or "")[:16].replace("T", " "))

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
            return self._text[r][c].lower() if c != 8 else (run.started or "")
        if role == Qt.ItemDataRole.ForegroundRole and COLUMNS[c] == "Status":
            return QColor(STATUS_COLOURS.get(run.status, "#000000"))
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [run.id, f"preset {run.preset}", f"status {run.status}"]
            if run.changed:
                lines.append("changed: " + ", ".join(f"{k}={v}" for k, v in run.changed.items()))
            if run.parent:
                lines.append(f"twin of {run.parent}")
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
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in zip(COLUMNS, (150, 90, 170, 70, 58, 58, 58, 110, 120)):
            self.table.setColumnWidth(COLUMNS.index(col), width)
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
        self._fit_name_columns()
        if keep:
            self.select_ids(keep)
        else:
            self.selection_changed.emit([])

    def _fit_name_columns(self) -> None:
        """The Run and Preset columns as wide as their longest text (up to NAME_MAX_PX): lesson
        families differ only at the end ("overfit_moons_l1", "…_l2"), and so do run ids, so a
        name cut in the middle hides which is which. They only grow: a width a person set stays."""
        fm = self.table.fontMetrics()
        for name, texts in (("Run", [r.label for r in self.model.runs]), ("Preset", [r.preset for r in self.model.runs])):
            widest = max((fm.horizontalAdvance(t) for t in texts), default=0)
            column = COLUMNS.index(name)
            want = min(NAME_MAX_PX, widest + 2 * fm.horizontalAdvance("M"))
            if want > self.table.columnWidth(column):
                self.table.setColumnWidth(column, want)

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
