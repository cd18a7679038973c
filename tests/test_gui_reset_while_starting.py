"""Reset pressed while a session is still starting (its first batches not drawn yet) is not
lost: the worker takes it, the run so far becomes a stopped record and the session pauses."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMainWindow

from playground.preset import resolve_preset
from playground.records import list_runs
from widgets.training.controller import TrainingController, running_threads

TIMEOUT = 60_000


@pytest.fixture
def controller(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(tmp_path / "runs"))
    window = QMainWindow()
    qtbot.addWidget(window)
    c = TrainingController(window)
    yield c
    c.shutdown()
    for t in running_threads():
        t.quit()
        t.wait(10_000)


def test_reset_right_after_start_pauses_on_fresh_weights(qtbot, controller, tmp_path):
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 100_000
    controller.start(preset)
    assert controller.state == "starting"
    controller.reset_weights()
    qtbot.waitUntil(lambda: controller.state == "paused" and len(list_runs(tmp_path / "runs")) == 2,
                    timeout=TIMEOUT)
    assert controller.current_step() == 0
    controller.stop()
    qtbot.waitUntil(lambda: controller.state == "stopped", timeout=TIMEOUT)
