"""Files in the window: bad files are refused with the engine's message and lose nothing,
unsaved work is asked about, autosaved and recovered, and the window remembers its state."""
from __future__ import annotations

import json
import os

import pytest
from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox

from playground.network.preset import PRESETS_DIR, load_preset, preset_to_dict
from widgets.training.controller import TrainingController  # noqa: F401  (a broken import fails, never skips)
from widgets.testing import Dialogs, close_window, drop_layer, make_window

Save, Discard, Cancel = (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard,
                         QMessageBox.StandardButton.Cancel)


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


@pytest.fixture
def window(qtbot, tmp_path, dialogs):
    w = make_window(tmp_path, "xor_mlp")
    yield w
    close_window(w)


def edit(w) -> None:
    """Some unsaved work: a layer appended to the chain."""
    w.palette.activated.emit("ReLU")
    assert w.doc.dirty


def write_bad_preset(path, field_value) -> None:
    doc = preset_to_dict(load_preset(PRESETS_DIR / "xor_mlp.json"))
    doc["model"]["nodes"][1]["params"]["out_features"] = field_value
    path.write_text(json.dumps(doc))


def test_a_bad_preset_shows_the_problem_and_keeps_the_current_work(window, dialogs, tmp_path):
    w = window
    edit(w)
    before, undo_count = w.doc.snapshot(), w.doc.undo_stack.count()
    bad = tmp_path / "bad.json"
    write_bad_preset(bad, -3)
    assert not w.open_path(bad)
    kind, title, text = dialogs.shown[-1]
    assert kind == "critical" and "Cannot open" in title
    assert "model.nodes[1].params.out_features" in text and ">= 1" in text
    assert w.doc.snapshot() == before and w.doc.undo_stack.count() == undo_count and w.doc.dirty

    (tmp_path / "broken.json").write_text("{ not json")
    assert not w.open_path(tmp_path / "broken.json")
    assert "not valid JSON" in dialogs.shown[-1][2]
    assert w.statusBar().currentMessage().startswith("Cannot open")   # no "Opened …" of the last file left there
    assert not w.open_path(tmp_path / "missing.json")
    assert "no such preset file" in dialogs.shown[-1][2]
    assert w.doc.snapshot() == before


def test_unsaved_changes_ask_save_discard_or_cancel(window, dialogs, tmp_path, monkeypatch):
    w = window
    edit(w)
    assert w.isWindowModified() and "[*]" in w.windowTitle()
    before = w.doc.snapshot()
    dialogs.answers = [Cancel]
    assert not w.open_example("spiral_tanh")
    assert w.doc.snapshot() == before
    dialogs.answers = [Discard]
    assert w.open_example("spiral_tanh")
    assert w.doc.preset.name == "spiral_tanh" and not w.isWindowModified()

    edit(w)
    target = tmp_path / "mine.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    dialogs.answers = [Save]
    expected = {**json.loads(w.doc.snapshot()), "name": "mine"}   # the name follows the file's
    assert w.open_example("xor_mlp")
    assert preset_to_dict(load_preset(target)) == expected

    edit(w)
    dialogs.answers = [Cancel]
    w.close()
    assert w.isVisible()  # closing was cancelled: the work is still there
    assert w.doc.dirty


def test_examples_are_never_overwritten(window, dialogs, monkeypatch):
    w = window
    edit(w)
    target = PRESETS_DIR / "xor_mlp.json"
    original = target.read_text()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert w.doc.path is None  # an example opens as an untitled copy
    assert not w.save()
    assert "built-in examples" in dialogs.shown[-1][2]
    assert target.read_text() == original and w.doc.dirty


def test_half_built_work_saved_with_errors_opens_again_showing_them(window, tmp_path):
    w = window
    w.actions_by_name["new"].trigger()
    drop_layer(w, "Linear", QPointF(400, 400))  # not connected to anything yet
    assert not w.doc.report.ok
    path = tmp_path / "wip.json"
    assert w.write(path)
    expected = json.loads(w.doc.snapshot())
    w.actions_by_name["new"].trigger()
    assert w.open_path(path)
    assert json.loads(w.doc.snapshot()) == expected
    assert w.scene.nodes["linear1"].error


def test_recent_files_last_preset_and_theme_are_remembered(qtbot, tmp_path, dialogs):
    w = make_window(tmp_path, "xor_mlp")
    path = tmp_path / "remember.json"
    assert w.write(path)
    w.apply_theme("dark")
    w.resize(720, 480)  # within the offscreen screen, which restoreGeometry clamps to
    size = (w.width(), w.height())  # the toolbar's minimum width may widen it a little
    assert size[1] == 480 and size[0] < 900
    close_window(w)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert settings.value("recent_files") in ([str(path.resolve())], str(path.resolve()))
    w2 = make_window(tmp_path)  # no preset given: the last one opens
    try:
        assert w2.doc.path == path.resolve()
        assert w2.actions_by_name["theme_dark"].isChecked() and w2.scene.theme.name == "dark"
        assert (w2.width(), w2.height()) == size
        w2.recent_menu.aboutToShow.emit()
        assert w2.recent_menu.actions()[0].text() == "remember.json"
        w2.apply_theme("light")
    finally:
        close_window(w2)


def test_unsaved_work_is_autosaved_and_offered_back_after_a_crash(qtbot, tmp_path, dialogs):
    w = make_window(tmp_path, "xor_mlp")
    edit(w)
    w.autosave()
    assert w.recovery.path.exists()
    expected = w.doc.snapshot()
    # a crash: the process is gone, its autosave file stays behind
    crashed = w.recovery.folder / "autosave-999999999.json"
    os.replace(w.recovery.path, crashed)
    w.doc.undo_stack.setClean()
    close_window(w)

    dialogs.answers = [QMessageBox.StandardButton.Yes]
    w2 = make_window(tmp_path)
    try:
        assert "Recover" in dialogs.shown[-1][1]
        assert w2.doc.snapshot() == expected
        assert w2.doc.dirty and "(recovered)" in w2.windowTitle()
        assert not crashed.exists()
    finally:
        close_window(w2)
    assert not w2.recovery.path.exists()  # a normal close leaves no recovery file


def test_declining_recovery_discards_it(qtbot, tmp_path, dialogs):
    folder = tmp_path / "state" / "recovery"
    folder.mkdir(parents=True)
    doc = {"format": "nn-playground-recovery", "saved_at": 0, "source_path": "",
           "preset": preset_to_dict(load_preset(PRESETS_DIR / "xor_mlp.json"))}
    (folder / "autosave-999999998.json").write_text(json.dumps(doc))
    dialogs.answers = [QMessageBox.StandardButton.No]
    w = make_window(tmp_path)
    try:
        assert not list(folder.glob("autosave-999999998.json"))
        assert w.doc.preset.name == "xor_mlp" and not w.doc.dirty
    finally:
        close_window(w)


def test_export_writes_the_engine_format_and_says_when_weights_are_untrained(window, tmp_path):
    from widgets.export_dialog import ExportDialog
    w = window
    w.export_menu.aboutToShow.emit()
    from playground.export import FORMATS
    shown = w.export_menu.actions()
    assert shown[0] is w.actions_by_name["export"] and shown[0].shortcut().toString() == "Ctrl+E"
    assert [a.text() for a in shown[2:]] == [f"{f.title}…" for f in FORMATS.values()]
    state, trained = w.weights_for_export()
    assert state is None and not trained
    dialog = ExportDialog(w.doc.preset, state, trained, tmp_path, "safetensors", w)
    assert "no trained weights" in dialog.weights_label.text()
    assert dialog.path_edit.text().endswith("xor_mlp.safetensors")
    assert dialog.run_export()
    assert dialog.result_paths and dialog.result_paths[0].exists()
    assert any("untrained" in text for text in dialog.warnings)
    # and what was exported imports back, with its preset and weights
    assert w.import_weights(dialog.result_paths[0])
    assert w.doc.preset.name == "xor_mlp" and w.doc.imported is not None
    assert w.weights_for_export()[0] is not None
    dialog.deleteLater()


def test_export_names_the_python_module_after_the_network_and_asks_before_replacing(window, dialogs, tmp_path,
                                                                                     monkeypatch):
    """Two networks exported to one folder no longer overwrite each other's model.py, and a second
    export of the same one asks first, naming the weights file beside the module too."""
    from widgets.export_dialog import ExportDialog
    w = window
    dialog = ExportDialog(w.doc.preset, None, False, tmp_path, "python", w)
    assert dialog.path_edit.text() == str(tmp_path / "xor_mlp.py")
    assert dialog.run_export() and not dialogs.shown   # nothing to replace: no question
    module, weights = tmp_path / "xor_mlp.py", tmp_path / "xor_mlp_weights.pt"
    assert sorted(dialog.result_paths) == sorted([module, weights])
    module.write_text("# my edits")
    dialogs.answers = [QMessageBox.StandardButton.No]
    again = ExportDialog(w.doc.preset, None, False, tmp_path, "python", w)
    assert not again.run_export()
    kind, title, text = dialogs.shown[-1]
    assert kind == "question" and "xor_mlp.py and xor_mlp_weights.pt" in text
    assert module.read_text() == "# my edits"   # kept, and the dialog says so
    assert again.error_label.isVisibleTo(again) and "kept" in again.error_label.text()
    dialogs.answers = [QMessageBox.StandardButton.Yes]
    assert again.run_export() and "class " in module.read_text()
    for dlg in (dialog, again):
        dlg.deleteLater()
    # a cancelled export does not leave the last one's "Exported …" standing
    w.statusBar().showMessage(f"Exported {module}", 10000)
    monkeypatch.setattr(ExportDialog, "exec", lambda self: 0)
    assert not w.export_dialog("python")
    assert "cancelled" in w.statusBar().currentMessage() and "Exported" not in w.statusBar().currentMessage()


def test_an_export_failure_shows_the_engine_message_and_keeps_the_dialog_open(window, tmp_path):
    from widgets.export_dialog import ExportDialog
    w = window
    dialog = ExportDialog(w.doc.preset, None, False, tmp_path, "summary", w)
    dialog.path_edit.setText(str(tmp_path / "no" / "such" / "folder" / "summary.txt"))
    assert not dialog.run_export()
    assert dialog.error_label.isVisibleTo(dialog) and "folder" in dialog.error_label.text()
    dialog.deleteLater()


def test_importing_something_that_is_not_playground_weights_is_refused(window, dialogs, tmp_path):
    w = window
    before = w.doc.snapshot()
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a safetensors file")
    assert not w.import_weights(junk)
    assert dialogs.shown[-1][0] == "critical" and "junk.safetensors" in dialogs.shown[-1][2]
    assert w.doc.snapshot() == before


def test_imported_weights_are_what_step_trains_from(qtbot, window, dialogs, tmp_path):
    """File ▸ Import weights of a trained run, then Train ▸ Step: the first loss is the trained
    model's, far below an untrained start, and the status bar says where training started."""
    from playground.run_records.run_to_end import train_run
    from widgets.commands import MoveNodes, SetParam
    w = window
    assert w.controller is not None, getattr(w, "controller_error", "no training controller")
    run = train_run(load_preset(PRESETS_DIR / "xor_mlp.json"), tmp_path / "run", epochs=30)
    loss = w.controller.panel("Loss & accuracy")

    def step_once() -> float:
        w.actions_by_name["train_step"].trigger()
        qtbot.waitUntil(lambda: len(loss.steps) == 1 and w.controller.state == "paused", timeout=30_000)
        value = float(loss.losses.view()[0])
        w.actions_by_name["train_stop"].trigger()
        qtbot.waitUntil(lambda: not w.controller.is_active, timeout=30_000)
        return value

    untrained = step_once()
    dialogs.answers = [Discard]   # the weights of that one step
    assert w.import_weights(tmp_path / "run" / "model.safetensors")
    assert "not exported" in dialogs.shown[-1][2]
    assert "Imported" in w.statusBar().currentMessage() and "these weights" in w.statusBar().currentMessage()
    assert w.doc.imported is not None
    w.actions_by_name["train_step"].trigger()
    qtbot.waitUntil(lambda: len(loss.steps) == 1 and w.controller.state == "paused", timeout=30_000)
    first = float(loss.losses.view()[0])
    assert first < 3 * run.summary["train_loss"] + 0.02 and first < untrained / 5
    assert "imported weights" in w.statusBar().currentMessage()
    w.actions_by_name["train_stop"].trigger()
    qtbot.waitUntil(lambda: not w.controller.is_active, timeout=30_000)

    w.doc.push(MoveNodes(w.doc, {"out": (40.0, 400.0)}))   # moving a layer changes no weight
    assert w.doc.imported is not None and w.doc.weights is not None
    w.doc.push(SetParam(w.doc, "hidden", "out_features", 16))   # a structural edit: they no longer apply
    assert w.doc.imported is None and w.doc.weights is None and w.weights_for_export() == (None, False)
    assert "weights were made for the old network" in w.statusBar().currentMessage()
    w.doc.undo_stack.undo()
    assert step_once() == pytest.approx(untrained, rel=1e-6)   # the seed's initialization again


def test_ctrl_e_opens_the_export_dialog(window, qtbot, monkeypatch):
    """The Export action's shortcut was dead: the action sat in no menu, toolbar or window."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from widgets.export_dialog import ExportDialog
    opened = []
    monkeypatch.setattr(ExportDialog, "exec", lambda self: opened.append(self.fmt()) or 0)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert opened == ["safetensors"]   # the dialog, at the first format


def test_the_status_after_an_untrained_export_says_what_to_do_in_the_app(window, tmp_path, monkeypatch):
    """It quoted the engine's command-line advice ("playground train PRESET --out DIR"), cut off at 1366 px."""
    from widgets.export_dialog import ExportDialog
    window.settings.setValue("export_dir", str(tmp_path))
    monkeypatch.setattr(ExportDialog, "exec", lambda self: 1 if self.run_export() else 0)
    assert window.export_dialog("safetensors")
    message = window.statusBar().currentMessage()
    assert "Exported" in message and "xor_mlp.safetensors" in message
    assert "train first" in message and "playground train" not in message and "--out" not in message
