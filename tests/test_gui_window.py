"""The main window: every example opens, errors show on the canvas and stop Train, settings
panels edit the spec undoably, and the window's menus and docks are where a person expects."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMessageBox

from playground.layers import CATALOGUE
from playground.network.preset import builtin_names
from playground.network.spec import TRAINING_PARAMS
from widgets.canvas_items import NODE_H, NODE_W
from widgets.testing import close_window, drop_layer, make_window
from widgets.training.controller import TrainingController  # noqa: F401  (a broken import fails, never skips)


def _fail_on_dialog(monkeypatch) -> None:
    def no_dialog(*args, **kwargs):
        raise AssertionError(f"unexpected dialog: {args[1:3]}")
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, no_dialog)


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    _fail_on_dialog(monkeypatch)
    w = make_window(tmp_path)
    yield w
    close_window(w)


@pytest.fixture(scope="module")
def shared_window(qapp, tmp_path_factory):
    """One window for the read-only checks over every example (fast)."""
    w = make_window(tmp_path_factory.mktemp("examples"))
    yield w
    close_window(w)


def test_there_are_built_in_examples():
    assert "xor_mlp" in builtin_names() and len(builtin_names()) >= 5


@pytest.mark.parametrize("name", builtin_names())
def test_every_built_in_example_opens_without_error(shared_window, name, monkeypatch):
    _fail_on_dialog(monkeypatch)
    w = shared_window
    assert w.open_example(name)
    spec = w.doc.model
    assert w.doc.preset.name == name and w.doc.path is None and not w.doc.dirty
    assert w.doc.report.ok, w.doc.report.errors()
    assert set(w.scene.nodes) == set(spec.ids())
    assert len(w.scene.edges) == sum(len(n.inputs) for n in spec.nodes)
    assert not any(item.error for item in w.scene.nodes.values())
    assert all(item.shape_text for item in w.scene.nodes.values())
    assert name in w.windowTitle() and "(example)" in w.windowTitle()
    assert w.actions_by_name["train_start"].isEnabled() == (w.controller is not None)
    nodes = spec.nodes  # no two layers overlap on the canvas
    for k, a in enumerate(nodes):
        for b in nodes[k + 1:]:
            assert abs(a.pos[0] - b.pos[0]) >= NODE_W or abs(a.pos[1] - b.pos[1]) >= NODE_H, (a.id, b.id)


def test_examples_menu_lists_every_built_in_with_its_description(shared_window):
    w = shared_window
    w.examples_menu.aboutToShow.emit()
    actions = [a for m in w.examples_menu.actions() if m.menu() is not None for a in m.menu().actions()]
    assert sorted(a.text().lstrip("✓ ").split()[0] for a in actions) == builtin_names()   # each once, in a chapter
    assert all(a.toolTip() for a in actions)


def test_a_shape_error_marks_the_node_red_and_disables_train(window):
    w = window
    w.open_example("xor_mlp")
    start = w.actions_by_name["train_start"]
    input_id = w.doc.report.input_id
    linear = w.doc.model.consumers(input_id)[0]
    assert start.isEnabled() == (w.controller is not None)
    # an image-shaped input cannot feed a Linear layer directly
    w.inspector.show_nodes([input_id])
    from widgets.testing import type_into
    type_into(w.inspector.editors["shape"], "1, 8, 8")
    item = w.scene.nodes[linear]
    assert item.error and "Flatten" in item.error
    assert "Flatten" in item.toolTip()
    assert not start.isEnabled() and not w.actions_by_name["train_step"].isEnabled()
    assert "Cannot train" in w.graph_status.text() and linear in w.graph_status.text()
    assert "Cannot train" in start.toolTip()
    # the nodes after it wait for it: no error of their own, no shape either
    assert all(not w.scene.nodes[n].error for n in w.doc.model.consumers(linear))
    w.doc.undo_stack.undo()
    assert not item.error and item.shape_text
    assert start.isEnabled() == (w.controller is not None)
    assert "Cannot train" not in w.graph_status.text()


def test_train_is_disabled_with_the_reason_when_the_engine_is_missing(qtbot, tmp_path, monkeypatch):
    _fail_on_dialog(monkeypatch)
    monkeypatch.setitem(sys.modules, "widgets.training.controller", None)
    w = make_window(tmp_path, "xor_mlp")
    try:
        assert w.controller is None and w.doc.report.ok
        for key in ("train_start", "train_step", "train_stop", "train_reset"):
            assert not w.actions_by_name[key].isEnabled()
        assert "training engine" in w.graph_status.text()
    finally:
        close_window(w)


def test_train_actions_call_the_controller(window):
    w = window
    assert w.controller is not None, getattr(w, "controller_error", "no training controller")
    calls = []

    class Fake:
        is_running = False
        is_active = False
        state = "idle"

        def start(self, preset, weights=None): calls.append(("start", preset.name))
        def step(self, preset, weights=None): calls.append(("step", preset.name))
        def stop(self): calls.append(("stop",))
        def reset_weights(self): calls.append(("reset",))
        def shutdown(self): calls.append(("shutdown",))
        def discard(self): calls.append(("discard",))

    real, w.controller = w.controller, Fake()
    try:
        w.update_actions()
        w.actions_by_name["train_start"].trigger()
        w.actions_by_name["train_step"].trigger()
        w.actions_by_name["train_reset"].trigger()
        assert calls == [("start", "xor_mlp"), ("step", "xor_mlp"), ("reset",)]
    finally:
        w.controller = real


def test_menus_docks_and_shortcuts(window):
    w = window
    menus = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert menus == ["File", "Edit", "View", "Train", "Help"]
    file_items = [a.text().replace("&", "") for a in w.menuBar().actions()[0].menu().actions() if a.text()]
    for expected in ("New", "Open preset…", "Open Recent", "Examples", "Save", "Save As…", "Export",
                     "Import weights…", "Quit"):
        assert expected in file_items
    a = w.actions_by_name
    assert a["save"].shortcut().toString() == "Ctrl+S" and a["open"].shortcut().toString() == "Ctrl+O"
    assert a["undo"].shortcut().toString() == "Ctrl+Z" and a["train_start"].shortcut().toString() == "F5"
    docks = {d.objectName() for d in (w.palette_dock, w.inspector_dock, w.data_dock, w.training_dock)}
    assert docks == {"paletteDock", "inspectorDock", "dataDock", "trainingSettingsDock"}
    if w.controller is not None:
        assert len(w.panel_docks) == len(w.controller.panels())
    w.palette_dock.hide()
    w.reset_layout()
    assert w.palette_dock.isVisible()


def test_training_settings_are_built_from_the_declared_params_and_undo(window):
    w = window
    panel = w.training_panel
    assert set(panel.editors) == {p.name for p in TRAINING_PARAMS}
    lr = panel.editors["lr"]
    lr.stepBy(1)  # 1-2-5 steps on the log scale: 0.001 -> 0.002
    assert w.doc.preset.training.lr == pytest.approx(0.002 if w.doc.preset.training.lr < 0.0015 else
                                                     w.doc.preset.training.lr)
    before = w.doc.undo_stack.count()
    optimizer = panel.editors["optimizer"]
    optimizer.setCurrentIndex(optimizer.findData("sgd"))
    optimizer.activated.emit(optimizer.currentIndex())
    assert w.doc.preset.training.optimizer == "sgd"
    assert w.doc.undo_stack.count() == before + 1
    w.doc.undo_stack.undo()
    assert w.doc.preset.training.optimizer != "sgd"
    assert optimizer.currentData() == w.doc.preset.training.optimizer
    devices = [panel.editors["device"].itemData(i) for i in range(panel.editors["device"].count())]
    assert devices[:2] == ["auto", "cpu"]


def previewed(panel, qtbot) -> None:
    """Ask for the Data dock's preview and wait for it: the data set is made off the GUI thread."""
    panel.update_preview()
    qtbot.waitUntil(lambda: not panel.reading, timeout=10_000)


def test_data_settings_change_the_data_set_with_a_preview_and_undo(window, qtbot):
    w = window
    w.open_example("xor_mlp")
    panel = w.data_panel
    before = w.doc.preset.data.to_dict()
    combo = panel.combo
    combo.setCurrentIndex(combo.findData("digits"))
    combo.activated.emit(combo.currentIndex())
    assert w.doc.preset.data.name == "digits" and w.doc.preset.data.params == {}
    previewed(panel, qtbot)
    assert panel.preview.kind == "image"
    noise = panel.editors["noise"]
    noise.setValue(0.25)
    assert w.doc.preset.data.params["noise"] == pytest.approx(0.25)
    combo.setCurrentIndex(combo.findData("sine_next"))
    combo.activated.emit(combo.currentIndex())
    previewed(panel, qtbot)
    assert panel.preview.kind == "sequence"
    w.doc.undo_stack.undo()
    w.doc.undo_stack.undo()
    w.doc.undo_stack.undo()
    assert w.doc.preset.data.to_dict() == before
    previewed(panel, qtbot)
    assert panel.preview.kind == "points"
    assert combo.currentData() == "xor"


def test_every_data_set_previews(window, qtbot):
    from playground.data import DATASETS
    w = window
    panel = w.data_panel
    for name, entry in DATASETS.items():
        panel.combo.setCurrentIndex(panel.combo.findData(name))
        panel.combo.activated.emit(panel.combo.currentIndex())
        previewed(panel, qtbot)
        assert set(panel.editors) == {p.name for p in entry.params}
        if entry.imported:  # a person's own file: the preview asks for one until it is chosen
            assert "no data file chosen" in panel.preview.caption.text(), name
            continue
        assert panel.preview.kind == entry.kind, name
        assert "training samples" in panel.preview.caption.text(), name
    panel.editors["val_fraction"].setValue(0.5)
    panel.editors["test_fraction"].setValue(0.5)  # nothing left to train on: the engine says why
    previewed(panel, qtbot)
    assert "0.9" in panel.preview.caption.text()


def test_the_inspector_summarises_the_network_when_nothing_is_selected(window):
    w = window
    w.open_example("xor_mlp")
    w.scene.clearSelection()
    w.inspector.show_nodes([])
    w.inspector.name_edit.setText("my_xor")
    w.inspector.name_edit.editingFinished.emit()
    assert w.doc.preset.name == "my_xor" and "my_xor" in w.windowTitle()
    w.doc.undo_stack.undo()
    assert w.doc.preset.name == "xor_mlp"


def test_concept_notes_cover_every_layer_and_setting(window):
    from widgets.help import concept_notes_html
    html = concept_notes_html()
    assert all(name in html for name in CATALOGUE)
    assert all(p.name in html for p in TRAINING_PARAMS)


def test_zoom_and_fit(window):
    w = window
    w.open_example("resnet_shapes" if "resnet_shapes" in builtin_names() else "xor_mlp")
    w.view.zoom_reset()
    w.actions_by_name["zoom_in"].trigger()
    assert w.view.zoom() == pytest.approx(1.25)
    w.actions_by_name["zoom_fit"].trigger()
    assert w.view.zoom() <= 1.0
    rect = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
    assert rect.contains(w.scene.itemsBoundingRect().adjusted(10, 10, -10, -10))


def test_drop_on_empty_canvas_of_a_layer_that_takes_no_input(window):
    w = window
    w.actions_by_name["new"].trigger()
    assert drop_layer(w, "Input", QPointF(0, 120))  # a second Input: never auto-connected
    assert w.doc.model.node("input2").inputs == []
    assert any("Input" in e for e in w.doc.report.graph_errors)


def test_a_session_paused_before_its_first_step_claims_no_trained_weights(window):
    """Weights a session sends at step 0 are the ones it started from: opening another file then
    asked to discard "trained weights that are not exported"."""
    import numpy as np
    from playground.network.build import build_model
    state = {k: v.numpy() for k, v in build_model(window.doc.preset.model).state_dict().items()}
    window._on_weights_ready(state, window.doc.preset.copy(), 0)
    claimed = window.doc.unsaved_weights()
    window.doc.forget_weights()   # (closing the window would ask about them)
    window._on_weights_ready(state, window.doc.preset.copy(), 12)   # after an update: trained, kept
    kept = window.doc.unsaved_weights() and all(np.array_equal(window.doc.trained.state[k], v) for k, v in state.items())
    window.doc.forget_weights()
    assert not claimed and kept


def test_train_menu_drives_a_real_training_session_and_close_joins_its_thread(qtbot, tmp_path, monkeypatch):
    _fail_on_dialog(monkeypatch)
    w = make_window(tmp_path, "xor_mlp")
    try:
        assert w.controller is not None, getattr(w, "controller_error", "no training controller")
        from widgets.training.controller import running_threads
        a = w.actions_by_name
        w.doc.preset.training.epochs = 100_000  # still running when the test acts on it
        a["train_start"].trigger()
        qtbot.waitUntil(lambda: w.controller.is_running and "steps" in w.statusBar().currentMessage(),
                        timeout=30_000)
        assert a["train_start"].text() == "&Pause" and a["train_stop"].isEnabled()
        qtbot.waitUntil(lambda: "step" in w.progress_label.text(), timeout=30_000)
        w.training_panel.editors["lr"].stepBy(1)  # a hot setting reaches the running session
        qtbot.waitUntil(lambda: "lr " in w.statusBar().currentMessage()
                        and " from step " in w.statusBar().currentMessage(), timeout=10_000)
        a["train_start"].trigger()
        qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=10_000)
        assert a["train_start"].text() == "&Resume"
        w.doc.set_training("optimizer", "sgd")   # needs a rebuild: refused, and said so for a paused run
        assert "cannot change during a run, running or paused" in w.statusBar().currentMessage()
        w.doc.set_training("l2", 0.001)          # live: no step to apply it at while paused, and it says so
        assert w.statusBar().currentMessage() == "l2 = 0.001: applies at the next step (training is paused)"
        a["train_stop"].trigger()
        qtbot.waitUntil(lambda: not w.controller.is_active, timeout=10_000)
        assert w.weights_for_export()[0] is not None  # what Export will write
    finally:
        close_window(w)
    assert not running_threads()


def test_closing_the_window_while_training_stops_and_joins_the_thread(qtbot, tmp_path, monkeypatch):
    _fail_on_dialog(monkeypatch)
    w = make_window(tmp_path, "xor_mlp")
    assert w.controller is not None, getattr(w, "controller_error", "no training controller")
    from widgets.training.controller import running_threads
    w.doc.preset.training.epochs = 100_000
    w.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: w.controller.is_running, timeout=30_000)
    close_window(w)
    assert not running_threads()


def test_opening_an_example_while_a_stopped_run_winds_up_asks_nothing(qtbot, tmp_path, monkeypatch):
    """Stop pressed, the run still ending (its last look inside, its record): opening another
    example asked whether to stop a training that was already stopping. (Its trained weights are
    still offered for export first.)"""
    from PySide6.QtWidgets import QMessageBox
    from widgets.testing import Dialogs
    dialogs = Dialogs(monkeypatch)
    dialogs.answers = [QMessageBox.StandardButton.Discard]
    w = make_window(tmp_path, "xor_mlp")
    w.doc.preset.training.epochs = 100_000
    w.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: w.controller.is_running and w.controller.current_step() > 0, timeout=30_000)
    w.train_stop()   # (after an update: a run stopped before its first has no trained weights to offer)
    assert w.controller.state == "stopping"
    assert w.open_example("spiral_tanh") and w.doc.preset.name == "spiral_tanh"
    assert [title for _, title, _ in dialogs.shown] == ["Discard the trained weights?"]
    close_window(w)


def test_a_saved_layout_is_restored_once_every_dock_exists(qtbot, tmp_path, monkeypatch):
    """Qt crashed (a segfault under X11) restoring a layout left maximised while only some of the
    panel docks existed: the saved layout is restored before any panel dock, and after all."""
    from widgets.main_window import MainWindow
    first = make_window(tmp_path)
    first.showMaximized()
    first.save_layout()
    close_window(first)
    seen: list[int] = []
    original = MainWindow.restoreState

    def counting(self, state, version=0):
        seen.append(len(getattr(self, "panel_docks", {})))
        return original(self, state, version)
    monkeypatch.setattr(MainWindow, "restoreState", counting)
    second = make_window(tmp_path)
    total = len(second.panel_docks)
    close_window(second)
    assert total > 1 and seen and seen[-1] == total
    assert all(n in (0, total) for n in seen), seen


def test_a_run_that_finished_short_of_its_plan_shows_the_steps_it_took(window, monkeypatch):
    """Self-training's training set grows, so its planned step count is an estimate: "step
    1140/1200 · finished" read as a run stopped early."""
    c = window.controller
    monkeypatch.setattr(c, "_state", "running")
    window._on_progress(60, 1140, 1200, 300.0, 0.2)
    assert window.progress_label.text().startswith("epoch 60 · step 1140/1200 · 300 steps/s")
    monkeypatch.setattr(c, "_state", "finished")
    window._on_training_state()
    assert window.progress_label.text() == "epoch 60 · step 1140 · finished"
    window._on_progress(60, 1140, 1200, 0.0, -1)
    assert window.progress_label.text() == "epoch 60 · step 1140 · finished"
    window._on_progress(60, 1200, 1200, 0.0, -1)   # a run that took its plan keeps saying so
    assert window.progress_label.text() == "epoch 60 · step 1200/1200 · finished"
    monkeypatch.setattr(c, "_state", "stopped")
    window._on_progress(30, 600, 1200, 0.0, -1)
    assert window.progress_label.text() == "epoch 30 · step 600/1200 · stopped"


def test_the_status_bar_tooltip_holds_the_whole_message_a_narrow_window_cuts(window):
    long = "Training finished: trained 60 epochs (train loss 0.045 (0.0615 with its penalty), val loss 0.05, " \
           "test loss 0.0612, test accuracy 0.9833) · the run is kept in the run records"
    window.resize(1366, 768)
    window.statusBar().showMessage(long)
    bar = window.statusBar()
    window.progress_label.setText("epoch 60 · step 2280/2280 · finished")
    room = bar.width() - window.progress_label.sizeHint().width() - window.graph_status.sizeHint().width()
    assert bar.fontMetrics().horizontalAdvance(long) > room   # the bar cuts it
    assert bar.toolTip() == long
    bar.clearMessage()
    assert bar.toolTip() == ""


def test_a_window_deleted_with_unsaved_changes_after_shutdown_raises_nothing(qtbot, tmp_path, monkeypatch):
    """At quit the undo stack, deleted with the window, said "clean" to a window half gone:
    RuntimeError "Internal C++ object (MainWindow) already deleted" (pytest-qt fails on it)."""
    import shiboken6
    _fail_on_dialog(monkeypatch)
    w = make_window(tmp_path)
    assert drop_layer(w, "ReLU", QPointF(40, 40)) and w.doc.dirty
    w.shutdown()
    w.shutdown()   # idempotent
    shiboken6.delete(w)
