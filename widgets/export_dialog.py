"""File ▸ Export…: the engine's export formats, a destination, and what weights go in.

The formats, their descriptions and default file names come from `playground.export.FORMATS`;
failures show the engine's message and keep the dialog open so the person can fix the path.
Files the export would replace (also those written beside the chosen one, which no file
dialog asks about) are named, and replaced only when the person says so.
"""
from __future__ import annotations

import keyword
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
    QMessageBox, QPushButton, QVBoxLayout, QWidget)

from playground.network.spec import Preset


class ExportDialog(QDialog):
    def __init__(self, preset: Preset, state_dict, trained: bool, folder: Path,
                 fmt: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from playground.export import FORMATS, missing_packages
        self.preset, self.state_dict, self.trained = preset, state_dict, trained
        self.folder = Path(folder)
        self.result_paths: list[Path] = []
        self.warnings: list[str] = []
        self.untrained = False
        self.setWindowTitle(f"Export {preset.name}")
        self.resize(620, 460)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Format</b>"))
        self.formats = QListWidget()
        self.formats.setObjectName("formats")
        for name, f in FORMATS.items():
            missing = missing_packages(name)
            text = f"{f.title}\n    {f.description}"
            if missing:
                text += f"\n    needs: {', '.join(missing)} (pip install 'nn-playground[onnx]')"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f.description)
            self.formats.addItem(item)
        self.formats.currentItemChanged.connect(self._format_changed)
        layout.addWidget(self.formats, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Save to"))
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("export_path")
        row.addWidget(self.path_edit, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row.addWidget(browse)
        layout.addLayout(row)
        weights = ("The trained weights of the last training session are exported." if trained and state_dict is not None
                   else "Weights from the imported file are exported." if state_dict is not None
                   else f"There are no trained weights yet: the export holds the untrained initialization "
                        f"(seed {preset.training.seed}). Train first to export what the network learned.")
        self.weights_label = QLabel(weights)
        self.weights_label.setWordWrap(True)
        self.weights_label.setObjectName("hint" if state_dict is not None else "warningText")
        layout.addWidget(self.weights_label)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("errorBox")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.run_export)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        names = list(FORMATS)
        self.formats.setCurrentRow(names.index(fmt) if fmt in names else 0)

    def fmt(self) -> str:
        item = self.formats.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item else ""

    def _format_changed(self, *_: object) -> None:
        from playground.export import FORMATS
        f = FORMATS.get(self.fmt())
        if f is None:
            return
        name = export_file_name(self.preset.name, f)
        current = Path(self.path_edit.text()) if self.path_edit.text() else None
        folder = current.parent if current else self.folder
        self.path_edit.setText(str(folder / name))
        self.error_label.hide()

    def _browse(self) -> None:
        from playground.export import FORMATS
        f = FORMATS[self.fmt()]
        if f.is_folder:
            path = QFileDialog.getExistingDirectory(self, "Export into folder", str(Path(self.path_edit.text()).parent))
            if path:
                self.path_edit.setText(str(Path(path) / Path(self.path_edit.text()).name))
        else:
            # Export asks before replacing, naming every file it writes: no second question here
            path, _ = QFileDialog.getSaveFileName(self, f"Export {f.title}", self.path_edit.text(),
                                                  f"{f.title} (*{f.extension});;All files (*)",
                                                  options=QFileDialog.Option.DontConfirmOverwrite)
            if path:
                self.path_edit.setText(path)

    def run_export(self) -> bool:
        from playground.export import export
        path = self.path_edit.text().strip()
        if not path:
            self._fail("Choose where to save the export.")
            return False
        if not self._may_replace(path):
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            result = export(self.preset, self.state_dict, self.fmt(), path,
                            trained=self.trained if self.state_dict is not None else None)
        except Exception as e:  # the engine's errors carry the message the person needs
            self._fail(str(e))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.result_paths = list(result)
        self.warnings = list(getattr(result, "warnings", []))
        self.untrained = bool(self.warnings) and not result.trained
        """The export carried the untrained initialization (the engine warned of it)."""
        self.accept()
        return True

    def _may_replace(self, path: str) -> bool:
        """True when the export replaces no file, or the person agreed to replace the ones it would."""
        from playground.export import written_paths
        existing = [p for p in written_paths(self.fmt(), path) if p.is_file()]
        if not existing:
            return True
        names = " and ".join(p.name for p in existing)
        one = len(existing) == 1
        answer = QMessageBox.question(
            self, "Replace existing files?",
            f"{names} {'exists' if one else 'exist'} already in {existing[0].parent}.\n\n"
            f"Replace {'it' if one else 'them'} with this export?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            self._fail(f"Nothing was exported: {names} {'is' if one else 'are'} kept. Choose another name "
                       "to keep both.")
            return False
        return True

    def _fail(self, message: str) -> None:
        self.error_label.setText(f"⚠ {message}")
        self.error_label.show()


def export_file_name(preset_name: str, f) -> str:
    """The file an export suggests: named after the preset (`xor_mlp.onnx`). The Python module
    is too when that name imports (`from xor_mlp import XorMlp`) without hiding a module of
    Python's own, and is `model.py` otherwise."""
    stem = preset_name or "model"
    if f.name == "python":
        importable = stem.isidentifier() and not keyword.iskeyword(stem) and stem not in sys.stdlib_module_names \
            and stem not in ("torch", "numpy")
        return f"{stem}{f.extension}" if importable else f.default_name
    if f.is_folder:
        return f"{stem}_{f.default_name}"
    if f.name in ("state_dict", "summary"):
        return f"{stem}_{Path(f.default_name).stem.removeprefix('model_')}{f.extension}"
    return f"{stem}{f.extension}"
