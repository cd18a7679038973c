"""The File menu's work: open, save, examples, recent files, import, export and crash recovery.

A mixin of `MainWindow` (it uses the window's document, settings and status bar). Every file
goes through the engine's preset and weights modules; a bad file shows the engine's message,
which names the bad field, and leaves the current work untouched.
"""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.core.files import FileProblem
from playground.params import ProblemList
from widgets.document import blank_preset
from widgets.recovery import Recovery

MAX_RECENT = 10
PRESET_FILTER = "NN Playground presets (*.json);;All files (*)"
DEFAULT_EXAMPLE = "xor_mlp"


def ask(box: QMessageBox):
    """Show a question box and return the standard button pressed, or the text of a custom one
    (tests replace this to answer without a person)."""
    box.exec()
    clicked = box.clickedButton()
    standard = box.standardButton(clicked) if clicked is not None else QMessageBox.StandardButton.Cancel
    return standard if standard != QMessageBox.StandardButton.NoButton else clicked.text()


class FileActions:
    """Mixed into MainWindow."""

    recovery: Recovery

    # ---------------------------------------------------------------- asking
    def maybe_save(self, doing: str = "continuing") -> bool:
        """True when it is fine to replace the current work: a running training may be stopped,
        trained weights may be lost, and unsaved changes are saved, discarded or there are none."""
        return self.maybe_stop_training(doing) and self.maybe_discard_weights(doing) and self._maybe_save(doing)

    def maybe_stop_training(self, doing: str) -> bool:
        """A training that runs or is paused: ask before stopping it (the caller then replaces the
        document, which ends the session)."""
        c = self.controller
        if c is None or not c.is_active:
            return True
        if c.state == "stopping":   # Stop was pressed and the run is winding up: nothing to ask, wait for it
            self.statusBar().showMessage("Waiting for the training to stop…")
            c.stop_now()
            return True
        answer = QMessageBox.question(
            self, "Training is running",
            f"“{self.doc.preset.name}” is training. Stop the training before {doing}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        c.stop_now()   # its final weights reach this document (the next question may offer to export them)
        return True

    def maybe_discard_weights(self, doing: str) -> bool:
        """Trained weights that no export has written: ask before they are lost (a preset holds no
        weights)."""
        if not self.doc.unsaved_weights():
            return True
        record = self.weights_record()
        kept = (f" Its run record {record} keeps them (Train ▸ Compare Runs lists it), but a preset file "
                "holds no weights: File ▸ Export writes them where other tools load them." if record else
                " A preset file holds no weights: File ▸ Export writes them.")
        box = QMessageBox(QMessageBox.Icon.Question, "Discard the trained weights?",
                          f"The network “{self.doc.preset.name}” has trained weights that are not exported.{kept}"
                          f"\n\nDiscard the weights here before {doing}?",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        export = box.addButton("Export…", QMessageBox.ButtonRole.ActionRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        answer = ask(box)
        if answer == "Export…" or box.clickedButton() is export:
            return self.export_dialog() and not self.doc.unsaved_weights()
        return answer == QMessageBox.StandardButton.Discard

    def _maybe_save(self, doing: str) -> bool:
        if not self.doc.dirty:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes",
            f"“{self.doc.preset.name}” has changes that are not saved.\nSave them before {doing}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def show_file_error(self, title: str, error: Exception) -> None:
        # The status bar says so too: "Opened <the last file>" must not stay under a failed open.
        self.statusBar().showMessage(f"{title}: {str(error).splitlines()[0] if str(error) else type(error).__name__}")
        QMessageBox.critical(self, title, str(error))

    # ---------------------------------------------------------------- opening
    def new_preset(self) -> bool:
        if not self.maybe_save("starting a new network"):
            return False
        self.doc.replace(blank_preset(), None, source="new")
        self._after_open("New network: drag layers from the palette below the Input")
        return True

    def open_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Open preset", self._last_dir(), PRESET_FILTER)
        return self.open_path(path) if path else False

    def open_path(self, path: str | Path) -> bool:
        """Open a preset file; a bad file shows a dialog and keeps the current work."""
        from widgets.preset_io import open_preset
        path = Path(path)
        try:
            preset, problems = open_preset(path)
        except (ProblemList, FileProblem) as e:
            self.show_file_error("Cannot open preset", e)
            return False
        if not self.maybe_save(f"opening {path.name}"):
            return False
        self.doc.replace(preset, path.resolve())
        self._remember(path.resolve())
        self.settings.setValue("last_dir", str(path.resolve().parent))
        self._after_open(f"Opened {path}" + (f" — the network has {len(problems)} problem(s) to fix"
                                             if problems else ""))
        return True

    def open_example(self, name: str) -> bool:
        """A built-in preset, opened as an untitled copy so the built-in is never overwritten."""
        from playground.network.preset import PRESETS_DIR, load_preset
        try:
            preset = load_preset(PRESETS_DIR / f"{name}.json")
        except (ProblemList, FileProblem) as e:
            self.show_file_error("Cannot open example", e)
            return False
        if not self.maybe_save(f"opening the example {name}"):
            return False
        self.doc.replace(preset, None, source=f"example {name}")
        self.settings.setValue("last_preset", f"builtin:{name}")
        from playground.course.examples import builtin_examples
        summary = next((ex.summary for ex in builtin_examples() if ex.name == name), "")
        self._after_open(f"Example {name}" + (f": {summary}" if summary else ""))
        return True

    def open_initial(self, arg: str | None) -> None:
        """At start-up: the path or name given, else the last preset, else the default example."""
        from playground.network.preset import builtin_names
        if arg:
            if self._open_arg(arg):
                return
        else:
            last = str(self.settings.value("last_preset", "") or "")
            if last.startswith("builtin:") and last[8:] in builtin_names() and self.open_example(last[8:]):
                return
            if last and not last.startswith("builtin:") and Path(last).is_file() and self._open_quietly(last):
                return
        if DEFAULT_EXAMPLE in builtin_names() and self.open_example(DEFAULT_EXAMPLE):
            return
        self.doc.replace(blank_preset(), None, source="new")
        self._after_open("")

    def _open_arg(self, arg: str) -> bool:
        p = Path(arg)
        if p.suffix == ".json" or p.exists():
            return self.open_path(p)
        from playground.network.preset import builtin_names
        if arg in builtin_names():
            return self.open_example(arg)
        self.show_file_error("Cannot open preset", FileProblem(
            f"no preset file or built-in preset named {arg!r} (built-ins: {', '.join(builtin_names())})"))
        return False

    def _open_quietly(self, path: str) -> bool:
        from widgets.preset_io import open_preset
        try:
            preset, _ = open_preset(path)
        except (ProblemList, FileProblem):
            return False
        self.doc.replace(preset, Path(path))
        self._after_open(f"Opened {path}")
        return True

    # ---------------------------------------------------------------- saving
    def save(self) -> bool:
        if self.doc.path is None:
            return self.save_as()
        return self.write(self.doc.path)

    def save_as(self) -> bool:
        start = str(self.doc.path) if self.doc.path else str(Path(self._last_dir()) / f"{self.doc.preset.name}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save preset as", start, PRESET_FILTER)
        if not path:
            return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(".json")
        return self.write(path)

    def write(self, path: str | Path) -> bool:
        """Save the preset to `path`; its name follows the file's name."""
        from playground.network.preset import PRESETS_DIR, save_preset
        path = Path(path).resolve()
        if path.parent == PRESETS_DIR.resolve():
            self.show_file_error("Cannot save here", FileProblem(
                f"{path.parent} holds the built-in examples, which stay as they are; save your copy "
                "in another folder"))
            return False
        preset = self.doc.preset.copy()
        preset.name = path.stem
        try:
            save_preset(preset, path)
        except (FileProblem, OSError) as e:
            self.show_file_error("Cannot save preset", e)
            return False
        self.doc.mark_saved(path)
        self._remember(path)
        self.settings.setValue("last_dir", str(path.parent))
        self.recovery.clear()
        self.update_title()
        errors = self.doc.report.errors()
        weights = " — a preset holds no weights: File ▸ Export writes them" if self.doc.weights is not None else ""
        self.statusBar().showMessage(f"Saved {path.name}" + (" (the network still has problems to fix)" if errors
                                                             else "") + weights, 10000)
        return True

    # ---------------------------------------------------------------- recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def _remember(self, path: Path) -> None:
        items = [str(path)] + [p for p in self.recent_files() if p != str(path)]
        self.settings.setValue("recent_files", items[:MAX_RECENT])
        self.settings.setValue("last_preset", str(path))

    def clear_recent(self) -> None:
        self.settings.setValue("recent_files", [])

    def _last_dir(self) -> str:
        return str(self.settings.value("last_dir", str(Path.home())))

    # ---------------------------------------------------------------- weights
    def import_weights_dialog(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", self._last_dir(),
                                              "Playground weights (*.safetensors);;All files (*)")
        return self.import_weights(path) if path else False

    def import_weights(self, path: str | Path) -> bool:
        from playground.export.common import ExportError, prepare
        from playground.network.model_file import load_weights
        path = Path(path)
        try:
            preset, state_dict, meta = load_weights(path)
        except (ProblemList, FileProblem, OSError, ValueError) as e:
            self.show_file_error("Cannot import weights", e)
            return False
        try:   # the engine's own fit check (names, then shapes): refused now, not at Start
            prepare(preset, state_dict)
        except (ExportError, ProblemList) as e:
            self.show_file_error("Cannot import weights", FileProblem(f"{path.name}: {e}"))
            return False
        if not self.maybe_save(f"importing {path.name}"):
            return False
        self.doc.replace(preset, None, source=f"weights {path.name}")
        self.doc.set_imported({k: v.detach().cpu().numpy() for k, v in state_dict.items()},
                              meta.get("trained", "true") == "true")
        then = ": training starts from these weights" if self.controller is not None else ""
        self._after_open(f"Imported {preset.name} with {len(state_dict)} weight tensors from {path.name}{then}")
        return True

    def export_dialog(self, fmt: str | None = None) -> bool:
        from widgets.export_dialog import ExportDialog
        if not self.doc.report.ok:
            self.show_file_error("Cannot export", ValueError(
                "The network has problems to fix first:\n" + "\n".join(self.doc.report.errors())))
            return False
        state, trained = self.weights_for_export()
        folder = Path(self.settings.value("export_dir", self._last_dir()))
        dialog = ExportDialog(self.doc.preset, state, trained, folder, fmt, self)
        if not dialog.exec():   # an earlier "Exported …" would read as this export's outcome
            self.statusBar().showMessage("Export cancelled: nothing was written", 5000)
            return False
        if self.doc.weights is not None and dialog.result_paths:
            self.doc.weights.kept = True
        self.settings.setValue("export_dir", str(Path(dialog.path_edit.text()).parent))
        shown = ", ".join(str(p) for p in dialog.result_paths[:3])
        more = f" and {len(dialog.result_paths) - 3} more" if len(dialog.result_paths) > 3 else ""
        # (the engine's warning tells a command-line user which commands to run; here, what to do in the app)
        note = (f" — untrained weights (seed {self.doc.preset.training.seed}): train first to export what the "
                f"network learns" if dialog.untrained else "")
        self.statusBar().showMessage(f"Exported {shown}{more}{note}", 10000)
        return True

    def weights_for_export(self):
        """(state_dict or None, trained): the weights the document holds for this very network
        (the last training's, else imported ones), never another network's."""
        w = self.doc.weights
        if w is None or w.structure != self.doc.structure():
            return None, False
        return w.tensors(), w.trained

    # ---------------------------------------------------------------- recovery
    def autosave(self) -> None:
        from playground.network.preset import preset_to_dict
        if not self.doc.dirty:
            self.recovery.clear()
            return
        try:
            self.recovery.save(preset_to_dict(self.doc.preset), str(self.doc.path or ""))
        except (FileProblem, OSError) as e:
            self.statusBar().showMessage(f"Autosave failed: {e}", 6000)

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest autosaved work back. True when it was restored."""
        from widgets.preset_io import preset_for_editing
        orphans = self.recovery.orphans()
        if not orphans:
            return False
        item = orphans[0]
        answer = QMessageBox.question(
            self, "Recover unsaved work?",
            f"NN Playground did not close properly last time.\n\nRecover the unsaved work on "
            f"“{item.name}” autosaved at {item.when()}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        for other in orphans[1:]:
            Recovery.discard(other)
        if answer != QMessageBox.StandardButton.Yes:
            Recovery.discard(item)
            return False
        try:
            preset, _ = preset_for_editing(json.loads(json.dumps(item.preset_doc)))
        except (ProblemList, FileProblem, ValueError) as e:
            self.show_file_error("Cannot recover", e)
            Recovery.discard(item)
            return False
        path = Path(item.source_path) if item.source_path else None
        self.doc.replace(preset, path, source="recovered", dirty=True)
        Recovery.discard(item)
        self.autosave()
        self._after_open(f"Recovered the work autosaved at {item.when()}; save it to keep it")
        return True
