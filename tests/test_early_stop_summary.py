"""summary.json's `val_loss_final` is the loss of the weights a run ends with.

Early stopping gives back its best epoch's weights, so a student comparing `overfit_moons` with
`overfit_moons_early_stop` must read the restored weights' loss (issue 14: "early stopping
restores ~0.46"), not the last, already overfitted epoch's.
"""
from __future__ import annotations

import json

import pytest

from playground.network.preset import resolve_preset
from playground.run_records.store import RunRecorder
from playground.run_records.run_to_end import train_run


@pytest.mark.figure
def test_early_stopping_records_the_restored_weights_validation_loss(tmp_path):
    preset = resolve_preset("overfit_moons_early_stop")
    preset.training.early_stopping = 10     # stops sooner; the last epochs are still worse than the best
    result = train_run(preset, tmp_path / "out", device="cpu", recorder=RunRecorder(tmp_path / "runs"))
    s = result.summary
    assert s["finish_reason"] == "early_stopping"
    history = result.trainer.history
    best = min(history, key=lambda e: e.val_loss)
    assert s["best_epoch"] == best.epoch and s["val_loss_min"] == best.val_loss
    assert s["val_loss"] == history[-1].val_loss > best.val_loss          # the last epoch's curve point
    assert s["val_loss_final"] == pytest.approx(best.val_loss, rel=1e-5)  # the weights it ends with
    assert s["val_loss_final"] == pytest.approx(result.trainer.evaluate("val")["loss"])
    for folder in (tmp_path / "out", *(tmp_path / "runs").iterdir()):    # --out and the run record
        written = json.loads((folder / "summary.json").read_text())
        assert written["val_loss_final"] == s["val_loss_final"] < written["val_loss"]


def test_a_run_that_trains_to_the_end_reports_its_last_epoch():
    preset = resolve_preset("overfit_moons")
    result = train_run(preset, device="cpu", epochs=5)
    s = result.summary
    assert s["finish_reason"] == "finished"
    assert s["val_loss_final"] == s["val_loss"] == result.trainer.history[-1].val_loss
    assert s["val_loss_min"] <= s["val_loss_final"]
