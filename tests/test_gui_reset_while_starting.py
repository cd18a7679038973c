"""Reset pressed while a session is still starting (its first batches not drawn yet) is not
lost: the worker takes it, the run so far becomes a stopped record and the session pauses."""
from __future__ import annotations

import pytest

from playground.network.preset import resolve_preset
from playground.run_records.store import list_runs

TIMEOUT = 60_000


@pytest.fixture
def controller(bare_controller):
    return bare_controller


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
