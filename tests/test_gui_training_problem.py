"""A training that hits a non-finite loss pauses without a blocking dialog: the student sees the
Diagnoses card (naming the run's own learning rate) beside the curves, and a non-modal note."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from widgets.training.controller import TrainingController  # noqa: F401  (a broken import fails, never skips)
from widgets.testing import close_window, make_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    for name in ("question", "critical", "warning", "information"):   # a modal box fails the test
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError(a[1:3])))
    w = make_window(tmp_path, "rnn_exploding")
    assert w.controller is not None, getattr(w, "controller_error", "no training controller")
    yield w
    w.controller.discard()
    close_window(w)


def test_rnn_exploding_pauses_with_its_diagnosis_card_and_no_modal_box(qtbot, window):
    window.actions_by_name["train_start"].trigger()
    qtbot.waitUntil(lambda: window.controller.last_problem is not None and window.controller.state == "paused",
                    timeout=60_000)
    assert window.controller.last_problem.kind == "non_finite"
    box = window.findChild(QMessageBox, "problemBox")
    assert box is not None and box.isVisible() and not box.isModal()
    assert "rnn1" in box.text() and QMessageBox.StandardButton.Ok in (box.standardButton(b) for b in box.buttons())
    panel = window.controller.panel("Diagnoses")
    qtbot.waitUntil(lambda: bool(panel.cards), timeout=10_000)
    assert not window.panel_docks["Diagnoses"].visibleRegion().isEmpty()   # raised, not hidden behind a tab
    card = panel.cards[0].finding
    assert card.name == "divergence" and "NaN" in card.evidence
    assert "0.05" in card.causes[0] and "sgd" in card.causes[0]             # the run's rate, not a default
    assert card.action.setting == "lr" and card.action.value == pytest.approx(0.005)
    box.button(QMessageBox.StandardButton.Ok).click()                       # answered, it goes away
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "problemBox") is None, timeout=5_000)
