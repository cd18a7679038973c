"""Undo commands: every edit a person makes is one of these on the document's QUndoStack.

Each command keeps exact before/after snapshots of what it changes (the network, the data
settings, one training setting, the name), so undo and redo restore exactly, whatever the
edit did. The edits themselves are the pure functions of `graph_edits`.
"""
from __future__ import annotations

import copy
import time
from typing import Any, Iterable

from PySide6.QtGui import QUndoCommand

from playground.network.spec import DataSpec, ModelSpec
from playground.network import graph_edits as edits
from widgets.document import Document

MERGE_WINDOW_S = 1.5
"""Repeated edits of one value within this time (spin box steps, typing) undo as one."""

_MODEL_MERGE_ID = 1
_TRAINING_MERGE_ID = 2
_DATA_MERGE_ID = 3


class ModelEdit(QUndoCommand):
    """A change of the network, kept as before/after snapshots of the whole ModelSpec."""

    def __init__(self, doc: Document, text: str, after: ModelSpec, select: Iterable[str] | None = None,
                 merge_key: tuple | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = copy.deepcopy(doc.model)
        self.after = copy.deepcopy(after)
        self.select = list(select) if select is not None else None
        self.merge_key = merge_key
        self.stamp = time.monotonic()

    def redo(self) -> None:
        self.doc.set_model(self.after, self.select)

    def undo(self) -> None:
        self.doc.set_model(self.before, None)

    def id(self) -> int:
        return _MODEL_MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, ModelEdit) or other.merge_key != self.merge_key
                or other.stamp - self.stamp > MERGE_WINDOW_S):
            return False
        self.after = other.after
        self.stamp = other.stamp
        return True


class AddNode(ModelEdit):
    def __init__(self, doc: Document, type_name: str, pos: tuple[float, float],
                 inputs: Iterable[str] = (), params: dict[str, Any] | None = None) -> None:
        after, self.node_id = edits.add_node(doc.model, type_name, pos, inputs, params)
        super().__init__(doc, f"Add {type_name}", after, [self.node_id])


class InsertOnEdge(ModelEdit):
    def __init__(self, doc: Document, type_name: str, pos: tuple[float, float], src: str, dst: str) -> None:
        from playground.network.layout import ROW
        after, self.node_id = edits.insert_on_edge(doc.model, type_name, pos, src, dst, row=ROW)
        super().__init__(doc, f"Insert {type_name} between {src} and {dst}", after, [self.node_id])


class Connect(ModelEdit):
    """Raises EditRefused before it is pushed when the connection cannot be made."""

    def __init__(self, doc: Document, src: str, dst: str) -> None:
        super().__init__(doc, f"Connect {src} → {dst}", edits.connect(doc.model, src, dst))


class Disconnect(ModelEdit):
    def __init__(self, doc: Document, src: str, dst: str) -> None:
        super().__init__(doc, f"Disconnect {src} → {dst}", edits.disconnect(doc.model, src, dst))


class DeleteItems(ModelEdit):
    def __init__(self, doc: Document, node_ids: Iterable[str], edge_pairs: Iterable[tuple[str, str]] = ()) -> None:
        node_ids, edge_pairs = list(node_ids), list(edge_pairs)
        parts = []
        if node_ids:
            parts.append(node_ids[0] if len(node_ids) == 1 else f"{len(node_ids)} layers")
        if edge_pairs:
            parts.append("1 connection" if len(edge_pairs) == 1 else f"{len(edge_pairs)} connections")
        super().__init__(doc, "Delete " + " and ".join(parts), edits.delete(doc.model, node_ids, edge_pairs), [])


class MoveNodes(ModelEdit):
    def __init__(self, doc: Document, positions: dict[str, tuple[float, float]], text: str = "") -> None:
        n = len(positions)
        super().__init__(doc, text or (f"Move {next(iter(positions))}" if n == 1 else f"Move {n} layers"),
                         edits.move(doc.model, positions))


class SetParam(ModelEdit):
    def __init__(self, doc: Document, node_id: str, name: str, value: Any) -> None:
        super().__init__(doc, f"Set {node_id}.{name} = {value!r}",
                         edits.set_param(doc.model, node_id, name, value), merge_key=("param", node_id, name))


class RenameNode(ModelEdit):
    def __init__(self, doc: Document, old: str, new: str) -> None:
        super().__init__(doc, f"Rename {old} to {new}", edits.rename(doc.model, old, new), [new])


class SetOutput(ModelEdit):
    def __init__(self, doc: Document, node_id: str) -> None:
        super().__init__(doc, f"Make {node_id} the output" if node_id else "Clear the output mark",
                         edits.set_output(doc.model, node_id))


class PasteNodes(ModelEdit):
    def __init__(self, doc: Document, nodes: list[dict[str, Any]], offset: tuple[float, float]) -> None:
        after, self.node_ids = edits.paste(doc.model, nodes, offset)
        n = len(self.node_ids)
        super().__init__(doc, f"Paste {n} layer{'s' if n != 1 else ''}", after, self.node_ids)


class SetTraining(QUndoCommand):
    """One training setting (learning rate, optimizer, …)."""

    def __init__(self, doc: Document, name: str, value: Any) -> None:
        super().__init__(f"Set {name} = {value!r}")
        self.doc, self.name = doc, name
        self.before = copy.deepcopy(getattr(doc.preset.training, name))
        self.after = copy.deepcopy(value)
        self.stamp = time.monotonic()

    def redo(self) -> None:
        self.doc.set_training(self.name, self.after)

    def undo(self) -> None:
        self.doc.set_training(self.name, self.before)

    def id(self) -> int:
        return _TRAINING_MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetTraining) or other.name != self.name or other.stamp - self.stamp > MERGE_WINDOW_S:
            return False
        self.after, self.stamp = other.after, other.stamp
        self.setText(other.text())
        return True


class SetData(QUndoCommand):
    """The data set or one of its parameters, as before/after DataSpec snapshots."""

    def __init__(self, doc: Document, after: DataSpec, text: str, merge_key: tuple | None = None) -> None:
        super().__init__(text)
        self.doc = doc
        self.before = copy.deepcopy(doc.preset.data)
        self.after = copy.deepcopy(after)
        self.merge_key = merge_key
        self.stamp = time.monotonic()

    @classmethod
    def choose(cls, doc: Document, name: str) -> "SetData":
        """Another data set; its parameters start at their defaults."""
        return cls(doc, DataSpec(name, {}), f"Use data set {name}")

    @classmethod
    def param(cls, doc: Document, name: str, value: Any) -> "SetData":
        data = copy.deepcopy(doc.preset.data)
        data.params[name] = copy.deepcopy(value)
        return cls(doc, data, f"Set data {name} = {value!r}", ("data", data.name, name))

    def redo(self) -> None:
        self.doc.set_data(self.after)

    def undo(self) -> None:
        self.doc.set_data(self.before)

    def id(self) -> int:
        return _DATA_MERGE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (not isinstance(other, SetData) or other.merge_key != self.merge_key
                or other.stamp - self.stamp > MERGE_WINDOW_S):
            return False
        self.after, self.stamp = other.after, other.stamp
        return True


class SetMeta(QUndoCommand):
    """The preset's name and description."""

    def __init__(self, doc: Document, name: str, description: str) -> None:
        super().__init__("Rename preset" if name != doc.preset.name else "Edit description")
        self.doc = doc
        self.before = (doc.preset.name, doc.preset.description)
        self.after = (name, description)

    def redo(self) -> None:
        self.doc.set_meta(*self.after)

    def undo(self) -> None:
        self.doc.set_meta(*self.before)
