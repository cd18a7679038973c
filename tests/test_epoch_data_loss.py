"""With a penalty (L2 here) the epoch's training loss is also given without it, as the per-step
curve and the validation loss measure it, and the Loss panel's per-epoch training curve is that
one: the L2 lesson's epoch curve stood ~2x above its own step curve and read as a gap."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from playground.network.preset import resolve_preset  # noqa: E402
from playground.training.events import EpochEvent, LossEvent  # noqa: E402
from playground.training.trainer import Trainer  # noqa: E402


def _run(name: str, epochs: int) -> list[object]:
    preset = resolve_preset(name)
    preset.training.epochs = epochs
    events: list[object] = []
    Trainer(preset, device="cpu", on_event=events.append).run()
    return events


def test_the_epoch_data_loss_is_the_step_data_losses_weighted_by_batch_size():
    events = _run("overfit_moons_l2", 2)
    trainer_preset = resolve_preset("overfit_moons_l2")
    assert trainer_preset.training.l2 > 0
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    steps = [e for e in events if isinstance(e, LossEvent)]
    per_epoch = len(np.concatenate([e.steps for e in steps])) // 2
    data = np.concatenate([e.data_loss() for e in steps])
    whole = np.concatenate([e.losses for e in steps])
    # (by hand) overfit_moons trains 60 points: batches of its batch size, the last one shorter
    sizes = np.array([min(trainer_preset.training.batch_size, 60 - k * trainer_preset.training.batch_size)
                      for k in range(per_epoch)], dtype=float)
    assert sizes.sum() == 60 and epochs[0].step == per_epoch
    for k, e in enumerate(epochs):
        part = slice(k * per_epoch, (k + 1) * per_epoch)
        assert e.train_data_loss == pytest.approx(float(data[part] @ sizes) / 60, rel=1e-9)
        assert e.train_loss == pytest.approx(float(whole[part] @ sizes) / 60, rel=1e-9)
        assert e.train_loss > e.train_data_loss * 1.05   # the penalty is no rounding error here
    from playground.training.events import FinishedEvent
    finished = next(e for e in events if isinstance(e, FinishedEvent))
    assert finished.metrics["train_data_loss"] == epochs[-1].train_data_loss   # the status bar says both


def test_without_a_penalty_there_is_no_separate_data_loss():
    epochs = [e for e in _run("xor_mlp", 1) if isinstance(e, EpochEvent)]
    assert epochs and all(e.train_data_loss is None for e in epochs)


def test_the_loss_panel_draws_the_epochs_data_loss(qtbot):
    from widgets.panels.loss import LossPanel
    events = _run("overfit_moons_l2", 2)
    panel = LossPanel()
    qtbot.addWidget(panel)
    panel.show_events(events)
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert list(panel.train_epoch.view()) == pytest.approx([e.train_data_loss for e in epochs])
