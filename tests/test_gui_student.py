"""The app as a student meets it (issue 11): every run, opened preset and reset starts the panels
clean; the fit of network, data and loss is checked while editing; settings that do not apply
are hidden; trained weights are never lost without asking, and belong to the network they were
trained on."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

import widgets.file_actions as file_actions
from playground.network.spec import TrainSpec
from widgets.commands import SetData, SetParam, SetTraining
from widgets.testing import close_window, make_window
from widgets.training.controller import running_threads

TIMEOUT = 30_000
Yes, Cancel, Discard = (QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Cancel,
                        QMessageBox.StandardButton.Discard)


class Questions:
    """Answers the window's questions as told, and records them; any other dialog fails."""

    def __init__(self, monkeypatch) -> None:
        self.asked: list[str] = []
        self.answers: list = []
        monkeypatch.setattr(QMessageBox, "question", self._question)
        monkeypatch.setattr(file_actions, "ask", lambda box: self._answer(box.windowTitle(), box.text()))
        self.warnings: list[str] = []
        for kind in ("critical", "information"):
            monkeypatch.setattr(QMessageBox, kind, self._unexpected)
        monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text, *a, **k: self.warnings.append(title))

    def _question(self, parent, title, text, *rest, **kw):
        return self._answer(title, text)

    def _answer(self, title: str, text: str):
        self.asked.append(f"{title}: {text}")
        if not self.answers:
            raise AssertionError(f"unexpected question: {title}: {text}")
        return self.answers.pop(0)

    @staticmethod
    def _unexpected(parent, title, text, *rest, **kw):
        raise AssertionError(f"unexpected dialog: {title}: {text}")


@pytest.fixture
def questions(monkeypatch):
    return Questions(monkeypatch)


@pytest.fixture
def window(qtbot, tmp_path, questions):
    w = make_window(tmp_path, "xor_mlp")
    assert w.controller is not None, getattr(w, "controller_error", "no training controller")
    yield w
    w.controller.discard()
    close_window(w)
    assert not running_threads()


def set_training(w, **values) -> None:
    for name, value in values.items():
        w.doc.push(SetTraining(w.doc, name, value))


def train_to_the_end(qtbot, w, epochs: int = 3) -> None:
    set_training(w, epochs=epochs)
    w.doc.undo_stack.setClean()   # set-up, not the work the questions are about
    w.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.doc.trained is not None, timeout=TIMEOUT)


def panels_are_clean(w) -> bool:
    loss = w.controller.panel("Loss & accuracy")
    return len(loss.steps) == 0 and len(loss.epoch_steps) == 0 and all(
        p.received == 0 and not p.dirty for _title, p in w.controller.panels())


# ---------------------------------------------------------------------------- 1: clean panels

def test_new_open_and_reset_start_every_panel_clean(qtbot, window, questions):
    w = window
    train_to_the_end(qtbot, w)
    assert not panels_are_clean(w)
    questions.answers = [Discard]   # the trained weights
    assert w.new_preset()
    assert panels_are_clean(w) and w.doc.weights is None
    assert "steps/s" not in w.progress_label.text()

    assert w.open_example("xor_mlp")
    train_to_the_end(qtbot, w)
    questions.answers = [QMessageBox.StandardButton.Reset]
    w.actions_by_name["train_reset"].trigger()   # Reset Weights after the run asks, then resets
    assert panels_are_clean(w) and w.doc.weights is None
    assert "fresh initialization" in w.statusBar().currentMessage()

    train_to_the_end(qtbot, w)
    questions.answers = [Discard]
    assert w.open_example("spiral_tanh")   # another preset shows nothing of the last run
    assert panels_are_clean(w)


def test_a_failed_start_leaves_no_earlier_plots(qtbot, window, questions):
    w = window
    train_to_the_end(qtbot, w)
    w.controller.start(w.doc.preset.copy(), {"no.such.weight": np.zeros(3)})
    qtbot.waitUntil(lambda: w.controller.state == "problem", timeout=TIMEOUT)
    assert questions.warnings == ["Cannot start from the imported weights"]
    assert panels_are_clean(w)


# ---------------------------------------------------------------------------- 2: live fit check

def test_an_output_that_does_not_fit_the_data_is_marked_before_start(window):
    w = window
    start = w.actions_by_name["train_start"]
    out = w.doc.model.output_id()
    assert start.isEnabled() and not w.scene.nodes[out].error
    w.doc.push(SetParam(w.doc, out, "out_features", 3))   # xor has 2 classes
    item = w.scene.nodes[out]
    assert item.error and f"'{out}'" in item.error and "(2,)" in item.error
    assert not start.isEnabled() and not w.actions_by_name["train_step"].isEnabled()
    tip = start.toolTip()
    assert tip.startswith("Cannot train:") and f"'{out}'" in tip and "model.nodes" not in tip
    assert "more)" not in tip and "model.nodes" not in w.graph_status.text()
    w.inspector.show_nodes([])   # the network's summary lists the problem too, not "✓ complete"
    from PySide6.QtWidgets import QLabel
    boxes = [label.text() for label in w.inspector.findChildren(QLabel) if label.objectName() == "errorBox"]
    assert any(f"'{out}'" in text for text in boxes)
    w.doc.undo_stack.undo()
    assert not w.scene.nodes[out].error and start.isEnabled()


def test_the_fit_follows_the_data_set_and_the_loss_live(window, questions):
    w = window
    start = w.actions_by_name["train_start"]
    w.doc.push(SetData.choose(w.doc, "digits"))   # 8x8 images into a 2-D Input
    assert not start.isEnabled()
    assert "Input shape" in w.train_block_reason() and "digits" in w.train_block_reason()
    assert w.scene.nodes[w.doc.report.input_id].error
    w.doc.undo_stack.undo()
    assert start.isEnabled() and not w.scene.nodes[w.doc.report.input_id].error
    questions.answers = [Discard]
    assert w.open_example("regression_sine")
    assert start.isEnabled()
    set_training(w, loss="cross_entropy")   # real-valued targets: no classes to cross-entropy over
    assert not start.isEnabled() and w.train_block_reason().startswith("loss:")
    w.doc.undo_stack.undo()
    assert start.isEnabled()


# ---------------------------------------------------------------------------- 9: what applies

def test_settings_that_do_not_apply_are_hidden_with_the_reason(window):
    w = window
    panel = w.training_panel
    set_training(w, optimizer="adam")
    assert "momentum" in panel.hidden and "Adam" in panel.hidden["momentum"]
    form, editor = panel.rows["momentum"]
    assert not form.isRowVisible(editor)
    notes = [note.text() for _box, _f, _names, note in panel.sections]
    assert any("momentum" in text for text in notes)
    set_training(w, optimizer="momentum")
    assert "momentum" not in panel.hidden and form.isRowVisible(editor)
    assert "beta1" in panel.hidden
    # a classifier: no autoencoder terms
    for name in ("code_node", "sparsity", "contractive", "kl_weight"):
        assert name in panel.hidden and "target is input" in panel.hidden[name]
    set_training(w, target="input")
    assert "sparsity" not in panel.hidden and "kl_weight" in panel.hidden   # no Sampling node


def test_init_std_is_disabled_unless_the_init_is_normal(window):
    w = window
    out = w.doc.model.output_id()
    w.scene.select_ids([out])
    std = w.inspector.editors["init_std"]
    assert not std.isEnabled() and "normal init" in std.toolTip()
    w.doc.push(SetParam(w.doc, out, "init", "normal"))
    assert w.inspector.editors["init_std"].isEnabled()


def test_a_question_mark_opens_the_entry_in_the_concept_notes(window):
    w = window
    out = w.doc.model.output_id()
    w.scene.select_ids([out])
    from PySide6.QtWidgets import QToolButton
    buttons = [b for b in w.inspector.findChildren(QToolButton) if b.objectName() == "helpButton"]
    anchors = {b.property("anchor") for b in buttons}
    assert "layer-Linear" in anchors and "layer-Linear-out_features" in anchors
    next(b for b in buttons if b.property("anchor") == "layer-Linear").click()
    assert w.notes_dialog is not None and w.notes_dialog.isVisible()
    assert "name='layer-Linear'" in w.notes_dialog.browser.toHtml() or w.notes_dialog.browser.find("Linear")
    w.notes_dialog.close()


# ---------------------------------------------------------------------------- 10: weights prompt

def test_new_asks_before_it_discards_trained_weights(qtbot, window, questions):
    w = window
    train_to_the_end(qtbot, w)
    assert w.doc.unsaved_weights()
    questions.answers = [Cancel]
    assert not w.new_preset()
    assert w.doc.preset.name == "xor_mlp" and w.doc.trained is not None
    assert "not exported" in questions.asked[-1] and "File ▸ Export" in questions.asked[-1]
    # (the run record keeps them, and the question says which: "not exported" alone read as lost)
    assert w.weights_record() and f"Its run record {w.weights_record()} keeps them" in questions.asked[-1]
    questions.answers = [Discard]
    assert w.new_preset()
    assert w.doc.weights is None and w.weights_for_export() == (None, False)


def test_an_unchanged_network_without_weights_opens_without_a_question(window, questions):
    assert window.open_example("spiral_tanh") and not questions.asked


def test_new_networks_get_settings_that_learn_the_toy_sets(window, questions):
    w = window
    assert w.new_preset()
    ts = w.doc.preset.training
    assert ts.lr > TrainSpec().lr and ts.epochs > TrainSpec().epochs


# ---------------------------------------------------------------------------- 11: switching while training

def test_opening_another_preset_while_training_asks_then_stops_it(qtbot, window, questions):
    w = window
    set_training(w, epochs=100_000)
    w.doc.undo_stack.setClean()
    w.actions_by_name["train_start"].trigger()
    loss = w.controller.panel("Loss & accuracy")
    qtbot.waitUntil(lambda: w.controller.is_running and len(loss.steps) > 10, timeout=TIMEOUT)

    questions.answers = [Cancel]
    assert not w.open_example("digits_mlp")
    assert w.controller.is_running and w.doc.preset.name == "xor_mlp"

    questions.answers = [Yes, Discard]   # stop the training; discard its weights
    assert w.open_example("digits_mlp")
    assert "is training" in questions.asked[-2] and "Discard" in questions.asked[-1]
    assert not w.controller.is_active and w.doc.preset.name == "digits_mlp"
    assert "digits_mlp" in w.windowTitle()
    qtbot.wait(200)   # nothing of the old session arrives late
    assert panels_are_clean(w) and w.doc.weights is None
    # the export offers no weights: the old ones were xor_mlp's
    assert w.weights_for_export() == (None, False)


def test_weights_belong_to_the_network_they_were_trained_on(qtbot, window, questions):
    w = window
    train_to_the_end(qtbot, w)
    state, trained = w.weights_for_export()
    assert trained and {"hidden.weight", "out.weight"} <= set(state)
    # a finished run of another network never lands on this one
    from widgets.document import network_structure
    other = w.doc.preset.copy()
    other.model.node("hidden").params["out_features"] = 5
    assert not w.doc.set_trained({"x": state["out.weight"].numpy()}, network_structure(other.model))
    assert set(w.weights_for_export()[0]) == set(state)
    questions.answers = [Discard]
    assert w.open_example("digits_mlp")
    assert w.weights_for_export() == (None, False)


# ---------------------------------------------------------------------------- 4: speed

def test_slow_motion_takes_and_draws_every_step(qtbot, window):
    w = window
    set_training(w, epochs=100_000)
    w.doc.undo_stack.setClean()
    w.speed_combo.setCurrentIndex(w.speed_combo.findData(20.0))
    assert w.controller.speed == 20.0
    loss = w.controller.panel("Loss & accuracy")
    w.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: len(loss.steps) >= 3, timeout=TIMEOUT)   # each step shows as it is taken
    w.actions_by_name["train_start"].trigger()   # pause
    qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=TIMEOUT)
    taken = w.controller.current_step()
    qtbot.waitUntil(lambda: len(loss.steps) == taken, timeout=TIMEOUT)
    assert list(loss.steps.view()) == list(range(taken))   # the history is complete
    assert "steps/s" not in w.progress_label.text()   # paused: no rate, no time left
    w.speed_combo.setCurrentIndex(w.speed_combo.findData(0.0))
    assert w.controller.speed == 0.0


# ---------------------------------------------------------------------------- 10: a mark where lr changed

def test_a_hot_setting_changed_while_training_is_marked_on_the_curves(qtbot, window):
    w = window
    set_training(w, epochs=100_000)
    w.doc.undo_stack.setClean()
    w.actions_by_name["train_start"].trigger()
    loss = w.controller.panel("Loss & accuracy")
    qtbot.waitUntil(lambda: w.controller.is_running and len(loss.steps) > 5, timeout=TIMEOUT)
    assert loss.marks == []
    set_training(w, lr=0.5)   # marked where the Trainer applied it, which it reports back
    qtbot.waitUntil(lambda: [text for _step, text, _lines in loss.marks] == ["lr 0.03 → 0.5"], timeout=TIMEOUT)
    w.actions_by_name["train_stop"].trigger()
    qtbot.waitUntil(lambda: not w.controller.is_active, timeout=TIMEOUT)


# ---------------------------------------------------------------------------- 5: layers stay in view

def test_added_layers_auto_layout_and_fit_keep_every_layer_in_view(window):
    w = window
    for _ in range(8):   # a long chain, longer than the canvas is tall
        w.palette.activated.emit("Linear")   # added below the end of the chain
        added = w.scene.nodes[w.scene.selected_ids()[0]]
        seen = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
        assert seen.contains(added.sceneBoundingRect())
    assert not w.scene.all_in_view()
    w.actions_by_name["auto_layout"].trigger()
    assert w.scene.all_in_view()
    w.view.zoom_reset()
    w.actions_by_name["zoom_fit"].trigger()
    assert w.scene.all_in_view()
    w.doc.undo_stack.setClean()


def test_the_status_says_where_training_runs_and_why(qtbot, window):
    w = window
    train_to_the_end(qtbot, w, epochs=1)
    assert w.controller.device_reason   # e.g. "auto: no CUDA or MPS device on this machine"
    assert w.progress_label.toolTip() == f"Device: {w.controller.device_reason}"
