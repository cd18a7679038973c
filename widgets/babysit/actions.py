"""What the main window's babysitting actions do: open the check, range-test and search dialogs
on the current preset, and apply a diagnosis' or a suggestion's setting as an undoable edit."""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMainWindow, QMessageBox


def apply_setting(window: QMainWindow, name: str, value: Any) -> None:
    """One training setting through the document's undo stack; a running training picks it up."""
    from widgets.commands import SetTraining
    window.doc.push(SetTraining(window.doc, name, value))
    window.statusBar().showMessage(f"{name} set to {value:g}; Edit ▸ Undo reverts it", 8000)


def _ready(window: QMainWindow, what: str) -> bool:
    reason = window.train_block_reason() if hasattr(window, "train_block_reason") else ""
    if reason:
        QMessageBox.information(window, what, f"The preset cannot be trained yet: {reason}")
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
    _keep(window, SearchDialog(window.doc.preset, opener, window))


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
