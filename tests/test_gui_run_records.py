"""The app records every training run too: the worker writes a record as it trains, a stop
marks it stopped, and a reset ends one record and starts the next."""
from __future__ import annotations

import pytest

from playground.network.preset import resolve_preset
from playground.run_records.store import list_runs

TIMEOUT = 60_000


@pytest.fixture
def controller(bare_controller):
    return bare_controller


def xor(epochs: int):
    p = resolve_preset("xor_mlp")
    p.training.epochs = epochs
    return p


def test_a_finished_app_run_is_recorded(qtbot, controller, runs_dir):
    controller.start(xor(3))   # an edit of the built-in xor_mlp: 3 epochs instead of 80
    qtbot.waitUntil(lambda: controller.state in ("finished",), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: bool(list_runs(runs_dir)) and list_runs(runs_dir)[0].status == "finished",
                    timeout=TIMEOUT)
    run = list_runs(runs_dir)[0]
    assert run.preset == "xor_mlp" and run.metrics["epochs"] == 3 and "val_accuracy" in run.metrics
    assert run.changed == {"training.epochs": 3}
    assert (runs_dir / run.id / "model.safetensors").exists()
    info = (runs_dir / run.id / "run.json").read_text()
    assert '"source": "app"' in info


def test_stop_and_reset_in_the_app_end_their_records(qtbot, controller, runs_dir):
    controller.start(xor(100_000))
    qtbot.waitUntil(lambda: controller.current_step() > 30, timeout=TIMEOUT)
    controller.reset_weights()   # the run so far becomes a stopped record; a new one starts
    qtbot.waitUntil(lambda: len(list_runs(runs_dir)) == 2 and controller.state == "paused", timeout=TIMEOUT)
    controller.resume()
    qtbot.waitUntil(lambda: controller.current_step() > 10, timeout=TIMEOUT)
    controller.stop()
    qtbot.waitUntil(lambda: controller.state == "stopped", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: [r.status for r in list_runs(runs_dir)] == ["stopped", "stopped"], timeout=TIMEOUT)
    first, second = list_runs(runs_dir)   # in the order they started
    assert first.metrics["steps"] > 30 and second.metrics["steps"] >= 10
    assert first.started < second.started
