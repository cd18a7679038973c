"""An editor for any declared `Param`: the inspector and the settings panels build theirs here.

Ranges, choices and help come from the Param, so the catalogue (or the data-set registry, or
the declared training settings) is the only place they are written. Every editor emits
`edited(value)` with a value that passes `Param.check`, and `set_value` updates it silently.
"""
from __future__ import annotations

import math
import re
from typing import Any, Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QToolButton,
    QToolTip, QWidget)

from playground.params import Param

INT_LIMIT = 2**31 - 1
FLOAT_LIMIT = 1e12
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_PARTIAL = re.compile(r"^[+-]?(\d*\.?\d*)([eE][+-]?\d*)?$")


def tooltip(p: Param) -> str:
    bounds = []
    if p.minimum is not None:
        bounds.append(f"≥ {p.minimum:g}")
    if p.maximum is not None:
        bounds.append(f"≤ {p.maximum:g}")
    extra = f"<br><i>{p.name}: {', '.join(bounds)}</i>" if bounds else f"<br><i>{p.name}</i>"
    return f"<p style='white-space:normal'>{p.help}{extra}</p>"


def nice_steps(value: float, up: bool) -> float:
    """The next value on the 1-2-5 ladder (…, 0.001, 0.002, 0.005, 0.01, …)."""
    if value <= 0:
        return 1e-6 if up else 0.0
    exp = math.floor(math.log10(value))
    ladder = [m * 10.0 ** e for e in (exp - 1, exp, exp + 1) for m in (1, 2, 5)]
    if up:
        return next(v for v in ladder if v > value * (1 + 1e-9))
    return next(v for v in reversed(ladder) if v < value * (1 - 1e-9))


def _refuse(editor: QAbstractSpinBox, message: str) -> None:
    """Say why a typed number was not taken, at the field itself (any panel: the inspector's
    layer settings too), and tell the panel, which may keep the line under the field."""
    editor.setToolTip(message)
    QToolTip.showText(editor.mapToGlobal(QPoint(0, editor.height())), message, editor)
    editor.refused.emit(message)


class IntEditor(QSpinBox):
    edited = Signal(object)
    refused = Signal(str)
    """A typed whole number outside the range was not taken: why, naming the range."""

    def __init__(self, p: Param, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        self.setRange(int(max(p.minimum if p.minimum is not None else -INT_LIMIT, -INT_LIMIT)),
                      int(min(p.maximum if p.maximum is not None else INT_LIMIT, INT_LIMIT)))
        self.setKeyboardTracking(False)
        self.setAccelerated(True)
        self.set_value(value)
        self.valueChanged.connect(lambda v: self.edited.emit(int(v)))

    def set_value(self, value: Any) -> None:
        self.blockSignals(True)
        self.setValue(int(value))
        self.blockSignals(False)

    def validate(self, text: str, pos: int):
        """Any whole number may be typed (QSpinBox would drop the keystroke that leaves the range,
        and take what is left); one out of range is refused aloud on Return (`fixup`)."""
        t = text.strip()
        if _INTEGER.match(t):
            ok = self.minimum() <= int(t) <= self.maximum()
            return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos)
        if t in ("", "+", "-"):
            return (QValidator.State.Intermediate, text, pos)
        return (QValidator.State.Invalid, text, pos)

    def fixup(self, text: str) -> str:
        t = text.strip()
        if _INTEGER.match(t):
            _refuse(self, f"{self.param.name} must be between {self.minimum()} and {self.maximum()}; "
                          f"{t} was not taken")
        return self.textFromValue(self.value())


class FloatEditor(QDoubleSpinBox):
    """Shows numbers as a person writes them (0.001, 1e-05), steps in a size that fits the value;
    a log-scale Param (learning rate, σ) steps along 1-2-5."""

    edited = Signal(object)
    refused = Signal(str)
    """A typed number outside the range was not taken: why, naming the range."""

    def __init__(self, p: Param, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        self.setDecimals(12)
        self.setRange(p.minimum if p.minimum is not None else -FLOAT_LIMIT,
                      p.maximum if p.maximum is not None else FLOAT_LIMIT)
        self.setKeyboardTracking(False)
        self.set_value(value)
        self.valueChanged.connect(lambda v: self.edited.emit(float(self._clean(v))))

    @staticmethod
    def _clean(v: float) -> float:
        return float(f"{v:.10g}")

    def set_value(self, value: Any) -> None:
        self.blockSignals(True)
        self.setValue(float(value))
        self.blockSignals(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        t = text.strip()
        if _NUMBER.match(t):
            v = float(t)
            ok = self.minimum() <= v <= self.maximum()
            return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate, text, pos)
        if _PARTIAL.match(t):
            return (QValidator.State.Intermediate, text, pos)
        return (QValidator.State.Invalid, text, pos)

    def fixup(self, text: str) -> str:
        """A number outside the declared range is refused aloud: the field says its range."""
        t = text.strip()
        if _NUMBER.match(t):
            _refuse(self, f"{self.param.name} must be between {self.minimum():g} and {self.maximum():g}; "
                          f"{t} was not taken")
        return self.textFromValue(self.value())

    def stepBy(self, steps: int) -> None:
        v = self.value()
        for _ in range(abs(steps)):
            if self.param.log_scale:
                v = nice_steps(v, steps > 0)
            else:
                size = 10.0 ** math.floor(math.log10(abs(v))) if v else self._zero_step()
                if steps < 0 and abs(v) > 0 and math.isclose(abs(v), size):
                    size /= 10
                v = v + size if steps > 0 else v - size
        self.setValue(min(self.maximum(), max(self.minimum(), self._clean(v))))

    def _zero_step(self) -> float:
        top = self.maximum()
        return 0.01 if top <= 1 else 0.1 if top <= 10 else 1.0


class BoolEditor(QCheckBox):
    edited = Signal(object)

    def __init__(self, p: Param, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        self.set_value(value)
        self.toggled.connect(lambda v: self.edited.emit(bool(v)))

    def set_value(self, value: Any) -> None:
        self.blockSignals(True)
        self.setChecked(bool(value))
        self.blockSignals(False)


class ChoiceEditor(QComboBox):
    edited = Signal(object)

    def __init__(self, p: Param, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        for c in p.choices:
            self.addItem(str(c), c)
        self.set_value(value)
        self.activated.connect(lambda k: self.edited.emit(self.itemData(k)))

    def set_value(self, value: Any) -> None:
        self.blockSignals(True)
        k = self.findData(value)
        if k < 0:  # a value the declaration does not list: show it rather than hide it
            self.addItem(str(value), value)
            k = self.count() - 1
        self.setCurrentIndex(k)
        self.blockSignals(False)


class TextEditor(QLineEdit):
    """Free text (`str`), a list of integers (`ints`, typed as `1, 28, 28`) or of numbers
    (`floats`, typed as `1, 1000`; empty for none)."""

    edited = Signal(object)

    def __init__(self, p: Param, value: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = p
        if p.kind in ("ints", "floats"):
            self.setPlaceholderText("e.g. 1, 28, 28" if p.kind == "ints" else "e.g. 1, 1000 (empty: none)")
        self.set_value(value)
        self.editingFinished.connect(self._commit)
        self.textEdited.connect(lambda _: self._mark(None))

    def set_value(self, value: Any) -> None:
        self._value = value
        self.blockSignals(True)
        listed = self.param.kind in ("ints", "floats")
        self.setText(", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) if listed else str(value))
        self.blockSignals(False)
        self._mark(None)

    def parse(self, text: str) -> Any:
        if self.param.kind not in ("ints", "floats"):
            return text
        parts = [s for s in re.split(r"[\s,x×()\[\]]+" if self.param.kind == "ints" else r"[\s,()\[\]]+",
                                     text.strip()) if s]
        try:
            return [int(s) for s in parts] if self.param.kind == "ints" else [float(s) for s in parts]
        except ValueError:
            return text

    def _commit(self) -> None:
        value = self.parse(self.text())
        problem = self.param.check(value)
        if problem:
            self._mark(f"{self.param.name} {problem}")
            return
        self._mark(None)
        if value != self._value:
            self._value = value
            self.edited.emit(value)

    def _mark(self, problem: str | None) -> None:
        self.setProperty("invalid", bool(problem))
        self.setToolTip(problem or tooltip(self.param))
        self.style().unpolish(self)
        self.style().polish(self)


def make_editor(p: Param, value: Any, parent: QWidget | None = None) -> QWidget:
    """The editor for `p`, showing `value`; connect to its `edited(value)` signal."""
    kind = {"int": IntEditor, "float": FloatEditor, "bool": BoolEditor, "choice": ChoiceEditor,
            "str": TextEditor, "ints": TextEditor, "floats": TextEditor}[p.kind]
    editor = kind(p, value, parent)
    editor.setToolTip(tooltip(p))
    editor.setObjectName(f"param_{p.name}")
    return editor


def help_button(anchor: str, open_entry: Callable[[str], None], what: str) -> QToolButton:
    """A small "?" that opens Help ▸ Concept notes at `anchor` (the entry for `what`)."""
    button = QToolButton()
    button.setObjectName("helpButton")
    button.setText("?")
    button.setAutoRaise(True)
    button.setProperty("anchor", anchor)
    button.setToolTip(f"Open {what} in Help ▸ Concept notes")
    button.setCursor(Qt.CursorShape.WhatsThisCursor)
    button.clicked.connect(lambda: open_entry(anchor))
    return button


def labelled(text: str, tip: str, button: QToolButton | None) -> QWidget:
    """A form label with its "?" beside it."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(2)
    row.addStretch(1)
    label = QLabel(text)
    label.setToolTip(tip)
    row.addWidget(label)
    if button is not None:
        row.addWidget(button)
    box.label = label  # type: ignore[attr-defined]
    return box
