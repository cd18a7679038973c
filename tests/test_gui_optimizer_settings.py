"""Choosing an optimizer in Settings trains that optimizer as PyTorch and the notes define it: its
own hyper-parameters at their defaults, named with the notes' symbols, in one undoable edit."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QMessageBox

from widgets.testing import close_window, make_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    def no_dialog(*args, **kwargs):
        raise AssertionError(f"unexpected dialog: {args[1:3]}")
    for name in ("question", "critical", "warning", "information"):
        monkeypatch.setattr(QMessageBox, name, no_dialog)
    w = make_window(tmp_path, "xor_mlp")
    yield w
    close_window(w)


def _choose(panel, optimizer: str) -> None:
    combo = panel.editors["optimizer"]
    combo.setCurrentIndex(combo.findData(optimizer))
    combo.activated.emit(combo.currentIndex())


def _shown(panel) -> dict[str, str]:
    """Setting name → the label text of each optimizer row a person can see."""
    out = {}
    for name in ("momentum", "alpha", "beta1", "beta2", "weight_decay"):
        form, editor = panel.rows[name]
        if form.isRowVisible(editor):
            label = form.labelForField(editor)
            out[name] = " ".join(lab.text() for lab in label.findChildren(QLabel))
    return out


def test_choosing_rmsprop_trains_the_notes_rmsprop_in_one_undoable_edit(window):
    w, panel = window, window.training_panel
    ts = w.doc.preset.training
    assert ts.optimizer == "adam" and ts.momentum == 0.9
    before = w.doc.undo_stack.count()
    _choose(panel, "rmsprop")
    ts = w.doc.preset.training
    assert (ts.optimizer, ts.momentum, ts.alpha) == ("rmsprop", 0.0, 0.99)
    assert w.doc.undo_stack.count() == before + 1
    shown = _shown(panel)
    assert set(shown) == {"momentum", "alpha"}
    assert "momentum ρ" in shown["momentum"] and "RMSProp α" in shown["alpha"]
    assert panel.editors["momentum"].value() == 0.0
    w.doc.undo_stack.undo()
    ts = w.doc.preset.training
    assert (ts.optimizer, ts.momentum) == ("adam", 0.9)
    assert set(_shown(panel)) == {"beta1", "beta2"}


def test_weight_decay_shows_only_for_adamw_named_decoupled_and_never_stays_behind(window):
    w, panel = window, window.training_panel
    _choose(panel, "adamw")
    assert w.doc.preset.training.weight_decay == 0.01
    shown = _shown(panel)
    assert "decoupled weight decay (AdamW)" in shown["weight_decay"]
    _choose(panel, "sgd")
    assert w.doc.preset.training.weight_decay == 0.0 and "weight_decay" not in _shown(panel)
    _choose(panel, "momentum")
    assert w.doc.preset.training.momentum == 0.9 and set(_shown(panel)) == {"momentum"}
