"""The app speaks with the engine's one voice: the Diagnoses panel shows the ranked findings (a
diverging loss first), and a run that ends far from a good result gets an outcome card there,
never a modal box that interrupts a lesson."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from playground.training.events import EpochEvent, FinishedEvent, LayerProbe, LossEvent, ProbeEvent
from widgets.testing import close_window, make_window


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    for name in ("question", "critical", "warning", "information"):   # a modal box fails the test
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError(a[1:3])))
    w = make_window(tmp_path, "xor_mlp")
    yield w
    close_window(w)


def test_the_diverging_card_comes_first_and_nothing_contradicts_it(window):
    """The spiral at lr 100: the vanishing card's "raise the learning rate" came first, the true
    divergence card last."""
    panel = window.controller.panel("Diagnoses")
    window.panel_docks["Diagnoses"].raise_()
    panel.voice.doctor.lr = 100.0
    panel.voice.preset.training.lr = 100.0
    tiny = LayerProbe("fc1", "Linear", 1e-3, 1e-6, 1.0, np.ones(10), np.linspace(-1, 1, 11), 0.0, 1.0, None)
    out = LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10), np.linspace(-1, 1, 11), 0.0, 1.0, None)
    events = [ProbeEvent(10 * k, 0, [tiny, out]) for k in range(7)]          # gradients vanish first ...
    events.append(LossEvent(np.arange(80, 90), np.r_[np.full(5, 0.7), np.full(5, np.inf)], 0, 100.0))
    panel.show_events(events)
    assert {f.name for f in panel.voice.live} >= {"vanishing", "divergence"}  # both fired
    names = [c.finding.name for c in panel.cards]
    assert names[0] == "divergence" and "vanishing" not in names            # ... and is no advice now
    assert panel.body_layout.indexOf(panel.cards[0]) == 0                    # drawn on top
    labels = [c.button.text() for c in panel.cards if c.button is not None]
    assert labels and not any(text.startswith("Raise") for text in labels)


@dataclass
class _Epoch:
    epoch: int
    step: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None


def test_the_outcome_is_a_card_beside_the_diagnoses_not_a_modal_box(window, qtbot):
    panel = window.controller.panel("Diagnoses")
    window.panel_docks["Loss & accuracy"].raise_()
    history = [_Epoch(k, 10 * k, 0.69, 0.69, 0.5) for k in range(10)]
    window.controller._preset = window.doc.preset.copy()
    window.controller.last_finished = FinishedEvent("finished", 90, 9, history=history)   # the Trainer's epochs
    window.controller._judge_outcome()
    assert window.findChild(QMessageBox) is None and not any(
        isinstance(w, QDialog) and w.isVisible() for w in window.findChildren(QDialog))
    assert window.panel_docks["Diagnoses"].windowTitle() == "Diagnoses (1)"  # counted behind its tab
    window.panel_docks["Diagnoses"].raise_()
    panel.render()
    assert [c.objectName() for c in panel.cards] == ["outcomeCard"]
    card = panel.cards[0]
    assert "50% validation accuracy" in card.finding.message and "What to try" in card.finding.message
    assert "Diagnoses" in window.statusBar().currentMessage()


def test_the_outcome_card_ranks_below_a_live_finding(window):
    panel = window.controller.panel("Diagnoses")
    window.panel_docks["Diagnoses"].raise_()
    epochs = [EpochEvent(k, 10 * k, 1.0 - 0.15 * k, v, None, None, 0.03, 0.0)
              for k, v in enumerate([1.0, 0.7, 0.6, 0.66, 0.72, 0.8], 1)]
    panel.show_events(epochs)
    panel.finish(epochs, 2)
    panel.render()
    names = [c.finding.name for c in panel.cards]
    assert names == ["overfitting", "far_from_good"]
    outcome = panel.cards[1].finding.message
    assert "overfitting" in outcome and "wider or deeper" not in outcome


def test_the_stall_advice_learns_what_the_data_allows_from_the_training_thread(qtbot, tmp_path, monkeypatch):
    """What noisy moons allow (the nearest-neighbour baseline) can take seconds to fit: the
    training thread works it out and the Diagnoses panel is told, the window never fits it."""
    import threading

    import playground.data.baselines as baselines
    from playground.babysit.outcome import accuracy_bar
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    threads = []
    original = baselines.fit_baselines
    monkeypatch.setattr(baselines, "_fitted", {})
    monkeypatch.setattr(baselines, "fit_baselines",
                        lambda ds: threads.append(threading.current_thread()) or original(ds))
    w = make_window(tmp_path, "overfit_moons_more_data")
    try:
        panel = w.controller.panel("Diagnoses")
        assert panel.voice.doctor.accuracy_bar is None and not threads   # nothing fitted by opening it
        w.doc.preset.training.epochs = 100_000
        w.actions_by_name["train_start"].trigger()
        qtbot.waitUntil(lambda: panel.voice.doctor.accuracy_bar is not None, timeout=60_000)
        qtbot.waitUntil(lambda: w.controller.is_running, timeout=30_000)
        w.controller.stop()
        qtbot.waitUntil(lambda: not w.controller.is_active, timeout=60_000)
        assert panel.voice.doctor.accuracy_bar == pytest.approx(accuracy_bar(w.doc.preset, 2))
        assert threads and threading.main_thread() not in threads
    finally:
        close_window(w)


def test_a_session_judges_each_event_once_and_the_panel_shows_what_it_sent(window, tmp_path):
    """The training thread judges the run's events for its record; the panel of a live session
    takes the FindingsEvents it sends and judges nothing again (the raw NaN loss below would
    fire a divergence card if it did), and the record's findings are the same ones."""
    import json

    from playground.babysit.run_findings import FindingsEvent
    from playground.run_records.store import LiveRecording
    from playground.training.trainer import Trainer
    trainer = Trainer(window.doc.preset.copy(), device="cpu")
    recording = LiveRecording(trainer, tmp_path / "runs")
    nan_loss = LossEvent(np.arange(3), np.array([0.7, 0.7, np.nan]), 0, 0.03)
    fired = recording(nan_loss)
    assert [f.name for f in fired] == ["divergence"]
    assert recording(LossEvent(np.arange(3, 5), np.array([np.nan, np.nan]), 0, 0.03)) == []   # fires once
    panel = window.controller.panel("Diagnoses")
    window.panel_docks["Diagnoses"].raise_()
    panel.start(trainer.preset, told=True)
    panel.show_events([nan_loss])
    panel.render()
    assert panel.cards == []
    panel.show_events([FindingsEvent(tuple(fired))])
    panel.render()
    assert [c.finding.name for c in panel.cards] == ["divergence"]
    recording.finish(trainer, "stopped")
    record = next((tmp_path / "runs").iterdir())
    assert [f["name"] for f in json.loads((record / "findings.json").read_text())] == ["divergence"]
