"""When a run ends in the app, the loss panel shows its held-out test figures: the same numbers
summary.json records (the engine measures them once, where it writes the summary)."""
from __future__ import annotations

import json

import pytest

from playground.network.preset import resolve_preset
from playground.run_records.store import LiveRecording, list_runs
from playground.training.trainer import Trainer
from widgets.panels.loss import LossPanel

TIMEOUT = 60_000


@pytest.fixture
def controller(bare_controller):
    return bare_controller


def test_a_finished_run_shows_the_test_figures_of_its_summary(qtbot, controller, runs_dir):
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 2
    controller.start(preset)
    panel = controller.panel(LossPanel.title)
    qtbot.waitUntil(lambda: controller.state == "finished" and bool(panel.test_results), timeout=TIMEOUT)
    summary = json.loads((runs_dir / list_runs(runs_dir)[0].id / "summary.json").read_text())
    assert set(panel.test_results) == {"test_loss", "test_accuracy"}
    assert panel.test_results["test_loss"] == pytest.approx(summary["test_loss"])
    assert panel.test_results["test_accuracy"] == pytest.approx(summary["test_accuracy"])
    assert "test: " in panel.caption()


def test_a_stopped_run_shows_them_too_and_a_reset_clears_them(qtbot, controller, runs_dir):
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 100_000
    controller.start(preset)
    qtbot.waitUntil(lambda: controller.current_step() > 5, timeout=TIMEOUT)
    controller.stop()
    panel = controller.panel(LossPanel.title)
    qtbot.waitUntil(lambda: controller.state == "stopped" and bool(panel.test_results), timeout=TIMEOUT)
    assert "test_accuracy" in panel.test_results
    controller.reset_weights()   # no session: the panels start clean
    assert panel.test_results == {} and "test" not in panel.caption()


def test_an_unrecorded_run_still_reports_its_test_figures(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the runs folder should be")
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 1
    trainer = Trainer(preset, device="cpu")
    recording = LiveRecording(trainer, runs_folder=blocker)
    assert recording.problem   # recording is off ...
    trainer.run()
    figures = recording.finish(trainer, "finished")
    assert set(figures) == {"test_loss", "test_accuracy"}   # ... the figures are measured all the same
    assert recording.finish(trainer, "stopped", error="training failed") == {}


def test_an_autoencoders_caption_gives_pcas_test_mse_beside_its_own(qtbot, controller, runs_dir):
    """digits_autoencoder's lesson compares test_mse with pca_mse, which only summary.json had."""
    preset = resolve_preset("digits_autoencoder")
    preset.training.epochs = 1
    controller.start(preset)
    panel = controller.panel(LossPanel.title)
    qtbot.waitUntil(lambda: controller.state == "finished" and bool(panel.test_results), timeout=TIMEOUT)
    summary = json.loads((runs_dir / list_runs(runs_dir)[0].id / "summary.json").read_text())
    assert panel.test_results["pca_mse"] == pytest.approx(summary["pca_mse"])
    assert f"PCA with 8 components: test mse {summary['pca_mse']:.4g}" in panel.caption()
    assert f"mse {summary['test_mse']:.4g}" in panel.caption().split("PCA")[0]
