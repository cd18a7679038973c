"""The open document: the one current Preset, its file, its undo stack and its analysis.

Every view (canvas, inspector, settings) reads the preset from here and changes it only by
pushing an undo command; the commands call the `set_*` methods, which emit the signals the
views redraw from. So the canvas is a view of the spec, never a second copy of it.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from playground.spec import DataSpec, ModelSpec, Node, Preset, TrainSpec


def blank_preset(name: str = "untitled") -> Preset:
    """What File ▸ New gives: an Input layer for 2-D points, ready for layers below it."""
    model = ModelSpec(nodes=[Node("input1", "Input", {"shape": [2]}, [], (0.0, 0.0))])
    return Preset(name=name, description="", model=model, data=DataSpec("xor", {}), training=TrainSpec())


class Document(QObject):
    model_changed = Signal(object)
    """The network changed; the argument lists node ids to select afterwards, or None."""
    data_changed = Signal()
    training_changed = Signal(str)
    """A training setting changed; the argument is its name."""
    meta_changed = Signal()
    replaced = Signal()
    """A different preset was opened: views rebuild everything."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.preset: Preset = blank_preset()
        self.path: Path | None = None
        self.source = ""
        """Where the preset came from when it has no file: 'example xor_mlp', 'recovered', …"""
        self.undo_stack = QUndoStack(self)
        self._report = None

    # ---- reading
    @property
    def model(self) -> ModelSpec:
        return self.preset.model

    @property
    def report(self):
        """The engine's GraphReport of the current network (shapes and errors), cached."""
        if self._report is None:
            from playground.shapes import analyze  # imports torch: only once the window is up
            self._report = analyze(self.preset.model)
        return self._report

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    # ---- whole documents
    def replace(self, preset: Preset, path: Path | None = None, source: str = "", dirty: bool = False) -> None:
        self.undo_stack.clear()
        self.preset = preset.copy()
        self.path = Path(path) if path else None
        self.source = source
        self._report = None
        if dirty:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        self.replaced.emit()

    def mark_saved(self, path: Path) -> None:
        self.path = Path(path)
        self.source = ""
        self.undo_stack.setClean()

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    # ---- the commands' way in
    def set_model(self, spec: ModelSpec, select: list[str] | None = None) -> None:
        self.preset.model = copy.deepcopy(spec)
        self._report = None
        self.model_changed.emit(select)

    def set_training(self, name: str, value: Any) -> None:
        setattr(self.preset.training, name, copy.deepcopy(value))
        self.training_changed.emit(name)

    def set_data(self, data: DataSpec) -> None:
        self.preset.data = copy.deepcopy(data)
        self.data_changed.emit()

    def set_meta(self, name: str, description: str) -> None:
        self.preset.name = name
        self.preset.description = description
        self.meta_changed.emit()

    def snapshot(self) -> str:
        """The preset as canonical JSON text (for comparing and autosaving)."""
        from playground.preset import preset_to_dict
        return json.dumps(preset_to_dict(self.preset), sort_keys=True)
