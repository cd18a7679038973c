"""The open document: the one current Preset, its file, its undo stack, its analysis and its
weights.

Every view (canvas, inspector, settings) reads the preset from here and changes it only by
pushing an undo command; the commands call the `set_*` methods, which emit the signals the
views redraw from. So the canvas is a view of the spec, never a second copy of it.

The document is also the one owner of the weights and where they came from: weights imported
from a file (what the next training starts from) and the weights of the last training. Both
belong to the network they were made for: an edit that changes the network's structure, or
another preset, drops them; the training thread and the export ask here.
"""
from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from playground.network.spec import DataSpec, ModelSpec, Node, Preset, TrainSpec

if TYPE_CHECKING:   # numpy loads with the first weights, after the window is shown
    import numpy as np


NEW_TRAINING = {"lr": 0.03, "epochs": 100, "batch_size": 32}
"""File ▸ New's training settings: Adam at 0.03 for 100 epochs learns every 2-D toy set (xor,
circles, moons, spirals) with a small hidden layer, where the engine's defaults (1e-3, 20
epochs) leave the spiral near chance."""


def blank_preset(name: str = "untitled") -> Preset:
    """What File ▸ New gives: an Input layer for 2-D points, ready for layers below it."""
    model = ModelSpec(nodes=[Node("input1", "Input", {"shape": [2]}, [], (0.0, 0.0))])
    training = TrainSpec(**NEW_TRAINING)
    return Preset(name=name, description="", model=model, data=DataSpec("xor", {}), training=training)


def network_structure(spec: ModelSpec) -> str:
    """What weights depend on: every node but its place on the canvas, and the output."""
    return json.dumps([[n.id, n.type, n.params, list(n.inputs)] for n in spec.nodes] + [spec.output],
                      sort_keys=True, default=str)


def problem_text(problem) -> str:
    """A problem as a person reads it: a node's own message names it by id (`Linear 'out'`);
    a setting's problem names the setting (`loss: …`), never a path like `model.nodes[3]`."""
    if getattr(problem, "node_id", "") or not problem.path or problem.path.startswith("model"):
        return problem.message
    return f"{problem.path.split('.')[-1]}: {problem.message}"


@dataclass
class Weights:
    """A network's weights (name → numpy array) and where they came from."""

    state: dict[str, np.ndarray]
    origin: str
    """'trained' (a training in this window) or 'imported' (File ▸ Import weights)."""
    structure: str
    """`network_structure` of the network they belong to."""
    trained: bool = True
    """False for imported weights saved before any training (the export says so)."""
    step: int = 0
    kept: bool = False
    """Exported (or imported from a file): discarding them loses nothing."""

    def tensors(self) -> dict:
        import numpy as np
        import torch
        return {k: torch.from_numpy(np.array(v)) for k, v in self.state.items()}

    def clone(self) -> "Weights":
        """A copy whose arrays are copies: what the copy keeps cannot change under it."""
        import numpy as np
        return dataclasses.replace(self, state={k: np.array(v, copy=True) for k, v in self.state.items()})


class Document(QObject):
    model_changed = Signal(object)
    """The network changed; the argument lists node ids to select afterwards, or None."""
    data_changed = Signal()
    training_changed = Signal(str)
    """A training setting changed; the argument is its name."""
    meta_changed = Signal()
    replaced = Signal()
    """A different preset was opened: views rebuild everything."""
    weights_changed = Signal(str)
    """The weights changed; the argument says why: trained, imported, reset, edited, replaced."""
    data_read = Signal()
    """A data set finished reading off the GUI thread: the fit check may have changed."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.preset: Preset = blank_preset()
        self.path: Path | None = None
        self.source = ""
        """Where the preset came from when it has no file: 'example xor_mlp', 'recovered', …"""
        self.undo_stack = QUndoStack(self)
        self.last_reset: ResetWeights | None = None
        """The latest Reset Weights on the stack: the only one that keeps the weights it reset."""
        self._report = None
        self._problems: list | None = None
        self.imported: Weights | None = None
        """Weights the next training starts from instead of a fresh initialization."""
        self.trained: Weights | None = None
        """The weights of the last training of this network (at its last pause or end)."""
        from widgets.data_reading import DataReader
        self.data_reader = DataReader(self)
        """Reads a person's data file off the GUI thread (the fit check and the preview ask it)."""
        self.data_reader.read.connect(self._on_data_read)

    # ---- reading
    @property
    def model(self) -> ModelSpec:
        return self.preset.model

    @property
    def report(self):
        """The engine's GraphReport of the current network (shapes and errors), cached."""
        if self._report is None:
            from playground.network.shapes import analyze  # imports torch: only once the window is up
            self._report = analyze(self.preset.model)
        return self._report

    @property
    def problems(self) -> list:
        """Every reason this preset cannot train (graph, shapes, data, fit of network, data and
        loss), each naming its node by id where one is to blame; cached until the next edit."""
        if self._problems is None:
            from playground.network.fit import fit_problems
            from playground.params import Problem
            try:
                self._problems = list(fit_problems(self.preset, self.data_reader.facts))
            except Exception as e:  # noqa: BLE001 - a check that fails must not break editing
                self._problems = [Problem("", f"the network could not be checked: {type(e).__name__}: {e}")]
            if not self._problems and all(n.type == "Input" for n in self.preset.model.nodes):
                self._problems = [Problem("model", "the network has only its Input: add layers below it "
                                                   "(e.g. Linear, Tanh, Linear)")]
        return self._problems

    def _on_data_read(self, read) -> None:
        from widgets.data_reading import spec_key
        if read.key == spec_key(self.preset.data.name, self.preset.data.params):
            self._problems = None
            self.data_read.emit()

    def node_problems(self) -> dict[str, str]:
        """node id → the first problem that node causes (what the canvas marks in red)."""
        out: dict[str, str] = {}
        for p in self.problems:
            nid = getattr(p, "node_id", "")
            if nid and nid not in out:
                out[nid] = p.message
        return out

    @property
    def weights(self) -> Weights | None:
        """What an export writes: the last training's weights, else the imported ones."""
        return self.trained or self.imported

    def structure(self) -> str:
        return network_structure(self.preset.model)

    def set_trained(self, state: dict[str, np.ndarray], structure: str, step: int = 0) -> bool:
        """Keep the weights a training reached; False (and nothing kept) when they were trained
        on another network than the one now open."""
        if structure != self.structure():
            return False
        self._release_reset()   # newer weights: undoing the reset must not put older ones over them
        self.trained = Weights(state, "trained", structure, True, step)
        self.weights_changed.emit("trained")
        return True

    def set_imported(self, state: dict[str, np.ndarray], trained: bool) -> None:
        self._release_reset()
        self.trained = None
        self.imported = Weights(state, "imported", self.structure(), trained, kept=True)
        self.weights_changed.emit("imported")

    def forget_weights(self, why: str = "reset") -> bool:
        """Fresh weights from now on; True if there were any."""
        had = self.trained is not None or self.imported is not None
        self.trained = self.imported = None
        if had:
            self.weights_changed.emit(why)
        return had

    def restore_weights(self, trained: Weights | None, imported: Weights | None) -> None:
        """Put back weights a reset forgot (Edit ▸ Undo of Reset Weights)."""
        self.trained, self.imported = trained, imported
        self.weights_changed.emit("restored")

    def _release_reset(self) -> None:
        if self.last_reset is not None:
            self.last_reset.release()

    def unsaved_weights(self) -> bool:
        """Trained weights that no export has written yet (closing or replacing loses them)."""
        return self.trained is not None and not self.trained.kept

    @property
    def dirty(self) -> bool:
        """Edits since the last save; steps that change no setting (Reset Weights) do not count."""
        stack = self.undo_stack
        if stack.isClean():
            return False
        if stack.cleanIndex() < 0:
            return True
        lo, hi = sorted((stack.cleanIndex(), stack.index()))
        return not all(isinstance(stack.command(i), ResetWeights) for i in range(lo, hi))

    # ---- whole documents
    def replace(self, preset: Preset, path: Path | None = None, source: str = "", dirty: bool = False) -> None:
        self.undo_stack.clear()
        self.preset = preset.copy()
        self.path = Path(path) if path else None
        self.source = source
        self._report = self._problems = None
        self.trained = self.imported = None
        self.last_reset = None
        if dirty:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        self.replaced.emit()

    def mark_saved(self, path: Path) -> None:
        """Saved to `path`: the preset's name follows the file's."""
        self.path = Path(path)
        self.source = ""
        renamed = self.preset.name != self.path.stem
        self.preset.name = self.path.stem
        self.undo_stack.setClean()
        if renamed:
            self.meta_changed.emit()

    def push(self, command: QUndoCommand) -> None:
        self.undo_stack.push(command)

    # ---- the commands' way in
    def set_model(self, spec: ModelSpec, select: list[str] | None = None) -> None:
        before = self.structure()
        self.preset.model = copy.deepcopy(spec)
        self._report = self._problems = None
        if self.structure() != before:   # not just layers moved: the weights were for another network
            self.forget_weights("edited")
        self.model_changed.emit(select)

    def set_training(self, name: str, value: Any) -> None:
        setattr(self.preset.training, name, copy.deepcopy(value))
        self._problems = None
        self.training_changed.emit(name)

    def set_data(self, data: DataSpec) -> None:
        self.preset.data = copy.deepcopy(data)
        self._problems = None
        self.data_changed.emit()

    def set_meta(self, name: str, description: str) -> None:
        self.preset.name = name
        self.preset.description = description
        self.meta_changed.emit()

    def snapshot(self) -> str:
        """The preset as canonical JSON text (for comparing and autosaving)."""
        from playground.network.preset import preset_to_dict
        return json.dumps(preset_to_dict(self.preset), sort_keys=True)


class ResetWeights(QUndoCommand):
    """Reset Weights as a step on the undo stack: redo forgets the document's weights (trained
    and imported), undo gives them back with the run status the reset cleared.

    Only the latest reset keeps the weights it forgot (a network's weights can be large): a
    newer reset releases them, and so do newer weights (a training, an import), which an undo
    must not replace with older ones. A released reset undoes to nothing and leaves the stack."""

    def __init__(self, doc: Document, status: str, after_reset: Callable[[], None],
                 after_restore: Callable[[str, bool], None]) -> None:
        super().__init__("Reset Weights")
        self.doc = doc
        self.status = status
        """The run status the reset clears (the status bar's "… · finished")."""
        self.after_reset, self.after_restore = after_reset, after_restore
        self.kept: tuple[Weights | None, Weights | None] | None = None

    def release(self) -> None:
        self.kept = None

    def redo(self) -> None:
        if self.doc.last_reset is not None and self.doc.last_reset is not self:
            self.doc.last_reset.release()
        self.doc.last_reset = self
        trained, imported = self.doc.trained, self.doc.imported
        self.kept = (trained.clone() if trained is not None else None,
                     imported.clone() if imported is not None else None)
        self.doc.forget_weights("reset")
        self.after_reset()

    def undo(self) -> None:
        if self.kept is None:
            self.setObsolete(True)   # its weights are gone: the stack drops this step
            self.after_restore("", False)
            return
        trained, imported = self.kept
        self.doc.restore_weights(trained, imported)
        self.kept = None   # the document holds them again; a redo takes them anew
        self.after_restore(self.status, True)
