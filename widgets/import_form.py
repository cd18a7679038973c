"""The data page's import form, built from the importer's declaration (`FormField`s).

The engine says which parameters an importer takes and in which words; this module only turns
each declared field into a widget: a list of what the file holds (its columns, its arrays), a
checklist of them, a choice, a number within the parameter's range, or a line of text. A new
importer gets its form without a line here.
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLineEdit, QListWidget, QListWidgetItem,
    QSpinBox, QWidget)

from playground.data.importers import FormField, Importer, Peek

CHECKLIST_HEIGHT = 120


class ImportForm:
    """The rows below the form's first one (the format line) for the importer shown now."""

    def __init__(self, form: QFormLayout, changed: Callable[[], None]) -> None:
        self.form, self.changed = form, changed
        self.importer: Importer | None = None
        self.widgets: dict[str, QWidget] = {}
        self.options: dict[str, list[str]] = {}

    def show(self, importer: Importer | None) -> None:
        """Build the rows of `importer`'s form (none for None), with the parameters' defaults."""
        while self.form.rowCount() > 1:
            self.form.removeRow(self.form.rowCount() - 1)
        self.importer, self.widgets, self.options = importer, {}, {}
        for field in importer.form if importer else ():
            widget = self._widget(field, importer.params)
            widget.setObjectName(f"field_{field.param}")
            self.widgets[field.param] = widget
            self.form.addRow(field.label, widget)

    def field(self, param: str) -> QWidget:
        """The widget that sets `param` (tests and the page read it by the parameter's name)."""
        return self.widgets[param]

    def fill(self, peek: Peek) -> None:
        """Offer what the file holds in the fields that list it, each preset to the peek's default."""
        self.options = {k: list(v) for k, v in peek.options.items()}
        taken = {f.param: peek.defaults[f.param] for f in self._fields() if f.param in peek.defaults}
        for field in self._fields():
            widget = self.widgets[field.param]
            if field.options_from and not field.checklist:
                names = self.options.get(field.options_from, [])
                widget.blockSignals(True)
                widget.clear()
                for name in names:
                    widget.addItem(name, name)
                # without the peek's choice: the last name no other field has chosen (an archive's
                # one array is not offered as its inputs and its label both)
                free = [n for n in names if n not in taken.values()] or names
                default = peek.defaults.get(field.param, free[-1] if free else "")
                taken.setdefault(field.param, default)
                if default in names:
                    widget.setCurrentIndex(names.index(default))
                widget.blockSignals(False)
        self._fill_checklists()

    def values(self) -> dict[str, Any]:
        """The importer's parameters as the form sets them (a fully ticked checklist: '')."""
        out: dict[str, Any] = {}
        for field in self._fields():
            w = self.widgets[field.param]
            if isinstance(w, QListWidget):
                items = [w.item(k) for k in range(w.count())]
                chosen = [i.text() for i in items if i.checkState() == Qt.CheckState.Checked]
                out[field.param] = "" if len(chosen) == len(items) else ",".join(chosen)
            elif isinstance(w, QComboBox):
                out[field.param] = w.currentData() if w.currentData() is not None else w.currentText()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[field.param] = w.value()
            elif isinstance(w, QCheckBox):
                out[field.param] = w.isChecked()
            else:
                out[field.param] = w.text()
        return out

    # ------------------------------------------------------------------ building
    def _fields(self) -> tuple[FormField, ...]:
        return self.importer.form if self.importer else ()

    def _widget(self, field: FormField, params) -> QWidget:
        param = next(p for p in params if p.name == field.param)
        if field.checklist:
            w = QListWidget()
            w.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
            w.setMaximumHeight(CHECKLIST_HEIGHT)
            w.itemChanged.connect(lambda _: self.changed())
            return w
        if field.options_from or param.kind == "choice":
            w = QComboBox()
            for value in param.choices if not field.options_from else ():
                w.addItem(field.text_of(value), value)
            if param.choices and not field.options_from:
                w.setCurrentIndex(list(param.choices).index(param.default))
            w.currentIndexChanged.connect(lambda _: self._picked(field))
            return w
        if param.kind in ("int", "float"):
            w = QSpinBox() if param.kind == "int" else QDoubleSpinBox()
            low = param.minimum if param.minimum is not None else -1e9
            high = param.maximum if param.maximum is not None else 1e9
            w.setRange(int(low), int(high)) if param.kind == "int" else w.setRange(low, high)
            w.setValue(param.default)
            w.setSuffix(field.suffix)
            w.valueChanged.connect(lambda _: self.changed())
            return w
        if param.kind == "bool":
            w = QCheckBox()
            w.setChecked(bool(param.default))
            w.toggled.connect(lambda _: self.changed())
            return w
        w = QLineEdit(str(param.default))
        w.editingFinished.connect(self.changed)
        return w

    def _picked(self, field: FormField) -> None:
        if field.options_from:
            self._fill_checklists()
        self.changed()

    def _fill_checklists(self) -> None:
        """Each checklist lists its options but those picked in a single-choice field drawing on
        the same ones (the label column is never also an input)."""
        for field in self._fields():
            if not field.checklist:
                continue
            taken = {self.widgets[f.param].currentText() for f in self._fields()
                     if f.options_from == field.options_from and not f.checklist}
            w = self.widgets[field.param]
            w.blockSignals(True)
            w.clear()
            for name in self.options.get(field.options_from, []):
                if name in taken:
                    continue
                item = QListWidgetItem(name)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked)
                w.addItem(item)
            w.blockSignals(False)
