"""What the main window's babysitting actions do: open the check, range-test and search dialogs
on the current preset, and apply a diagnosis' or a suggestion's setting, or a search trial's
settings, as an undoable edit."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMainWindow, QMessageBox


def apply_setting(window: QMainWindow, name: str, value: Any) -> None:
    """One training setting through the document's undo stack; a running training picks it up."""
    from widgets.commands import SetTraining
    window.doc.push(SetTraining(window.doc, name, value))
    window.statusBar().showMessage(f"{name} set to {value:g}; Edit ▸ Undo reverts it", 8000)


def apply_settings(window: QMainWindow, params: dict[str, Any], what: str) -> bool:
    """A search trial's settings (preset path → value, e.g. `training.lr`) on the open preset as one
    undoable edit; the settings panel shows them and Edit ▸ Undo gives back the old ones. False,
    with the reason in the status bar, when the open preset cannot take them (it was edited since
    the search started: a layer a setting names is gone)."""
    from playground.network.overrides import apply_overrides
    from playground.params import ProblemList
    from widgets.commands import ModelEdit, SetData, SetTraining
    doc = window.doc
    try:
        new = apply_overrides(doc.preset, [f"{key}={_literal(value)}" for key, value in params.items()])
    except ProblemList as e:
        window.statusBar().showMessage(f"These settings do not fit the open preset: {e}".replace("\n", " "), 12000)
        return False
    sections = {key.split(".")[0].split("[")[0] for key in params}
    training = [key.split(".", 1)[1] for key in params if key.startswith("training.")]
    changed = [name for name in training if getattr(new.training, name) != getattr(doc.preset.training, name)]
    data_changed = "data" in sections and new.data != doc.preset.data
    model_changed = "model" in sections and new.model != doc.preset.model
    shown = ", ".join(f"{key.split('.')[-1]} = {_short(value)}" for key, value in params.items())
    if not (changed or data_changed or model_changed):
        window.statusBar().showMessage(f"The preset already uses {shown}", 8000)
        return True
    stack = doc.undo_stack
    stack.beginMacro(f"{what}: {shown}")
    try:
        for name in changed:
            doc.push(SetTraining(doc, name, getattr(new.training, name)))
        if data_changed:
            doc.push(SetData(doc, new.data, what))
        if model_changed:
            doc.push(ModelEdit(doc, what, new.model))
    finally:
        stack.endMacro()
    window.statusBar().showMessage(f"{what}: {shown}; Edit ▸ Undo gives back the old settings", 10000)
    return True


def _literal(value: Any) -> str:
    """A sampled value as a --set literal: integers stay integers, numpy scalars become numbers."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int) or type(value).__name__.startswith(("int", "uint")):
        return repr(int(value))
    return repr(float(value))


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _ready(window: QMainWindow, what: str) -> bool:
    reason = window.train_block_reason() if hasattr(window, "train_block_reason") else ""
    if reason:
        QMessageBox.information(window, what, f"The preset cannot be trained yet: {reason}")
        return False
    from playground.babysit.seed_only import seed_only_refusal
    refusal = seed_only_refusal(window.doc.preset, what)
    if refusal:
        QMessageBox.information(window, what, refusal)
        return False
    return True


def _keep(window: QMainWindow, dialog) -> None:
    """Show a modeless dialog and keep a reference while it is open. Closed, it is deleted by
    Qt (deleteLater) and forgotten here, so no Python wrapper outlives its plots' C++ objects."""
    dialogs = window.__dict__.setdefault("_babysit_dialogs", [])
    dialogs.append(dialog)

    def forget(_code: int = 0) -> None:
        if dialog in dialogs:
            dialogs.remove(dialog)
        dialog.deleteLater()

    dialog.finished.connect(forget)
    dialog.show()


def open_check(window: QMainWindow) -> None:
    if not _ready(window, "Pre-flight check"):
        return
    from widgets.babysit.check_dialog import CheckDialog
    _keep(window, CheckDialog(window.doc.preset, window))


def open_lr_find(window: QMainWindow) -> None:
    if not _ready(window, "Find learning rate"):
        return
    from widgets.babysit.lr_find_dialog import LrFindDialog
    _keep(window, LrFindDialog(window.doc.preset, lambda lr: apply_setting(window, "lr", lr), window))


def open_search(window: QMainWindow) -> None:
    if not _ready(window, "Random search"):
        return
    from widgets.babysit.search_dialog import SearchDialog
    opener = getattr(window, "open_compare", None)
    _keep(window, SearchDialog(window.doc.preset, opener, window,
                               use_settings=lambda params, what: apply_settings(window, params, what)))


def connect_diagnoses(window: QMainWindow) -> None:
    """Route the Diagnoses panel's action buttons to undoable edits of the settings."""
    controller = getattr(window, "controller", None)
    if controller is None:
        return
    try:
        panel = controller.panel("Diagnoses")
    except StopIteration:
        return
    panel.action_requested.connect(lambda name, value: apply_setting(window, name, value))
