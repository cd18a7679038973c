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


def _epoch_rows(path) -> list[dict[str, str]]:
    import csv
    with open(path, newline="", encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["kind"] == "epoch"]


def test_a_record_keeps_the_epochs_data_loss_beside_its_training_loss(tmp_path):
    """metrics.csv's epoch rows, summary.json and the compare window's curves carry the loss
    without its penalty: the records had only the penalized training loss, so a compared L2 run's
    training curve stood above its validation curve by the penalty alone."""
    import csv
    import json
    from playground.run_records.run_data import read_curves
    from playground.run_records.run_to_end import record_run
    preset = resolve_preset("overfit_moons_l2")
    preset.training.epochs = 2
    recorded = record_run(preset, tmp_path)
    run = tmp_path / recorded.id
    with open(run / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    b, n = preset.training.batch_size, 60   # (by hand) 60 training points, the last batch shorter
    for epoch in (1, 2):
        steps = [r for r in rows if r["kind"] == "step" and int(r["epoch"]) == epoch - 1]
        sizes = np.array([min(b, n - k * b) for k in range(len(steps))], dtype=float)
        assert sizes.sum() == n
        expected = float(np.array([float(r["data_loss"]) for r in steps]) @ sizes) / n
        row = next(r for r in rows if r["kind"] == "epoch" and int(r["epoch"]) == epoch)
        assert float(row["data_loss"]) == pytest.approx(expected, rel=1e-9)
        assert float(row["train_loss"]) > float(row["data_loss"]) * 1.05
    last = _epoch_rows(run / "metrics.csv")[-1]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["train_data_loss"] == pytest.approx(float(last["data_loss"]))
    assert summary["train_loss"] == pytest.approx(float(last["train_loss"]))
    curves = read_curves(run)
    assert curves.penalized
    assert list(curves.values["train_loss"]) == pytest.approx([float(r["data_loss"]) for r in _epoch_rows(run / "metrics.csv")])


def test_a_record_without_a_penalty_has_no_epoch_data_loss(tmp_path):
    import json
    from playground.run_records.run_data import read_curves
    from playground.run_records.run_to_end import record_run
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 2
    run = tmp_path / record_run(preset, tmp_path).id
    rows = _epoch_rows(run / "metrics.csv")
    assert rows and all(r["data_loss"] == "" for r in rows)
    assert "train_data_loss" not in json.loads((run / "summary.json").read_text())
    curves = read_curves(run)
    assert not curves.penalized
    assert list(curves.values["train_loss"]) == pytest.approx([float(r["train_loss"]) for r in rows])


def test_train_out_writes_the_data_loss_column_where_there_is_a_penalty(tmp_path):
    import csv
    from playground.run_records.run_to_end import train_run
    preset = resolve_preset("overfit_moons_l2")
    preset.training.epochs = 2
    result = train_run(preset, tmp_path / "l2", device="cpu")
    with open(tmp_path / "l2" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["train_data_loss"]) for r in rows] == pytest.approx(
        [e.train_data_loss for e in result.trainer.history], rel=1e-5)
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 1
    train_run(preset, tmp_path / "plain", device="cpu")
    assert "train_data_loss" not in (tmp_path / "plain" / "metrics.csv").read_text()


def test_the_compare_overlay_draws_and_names_the_training_loss_without_its_penalty(qtbot, tmp_path):
    from playground.run_records.run_to_end import record_run
    from playground.run_records.store import list_runs
    from widgets.compare.plots import OverlayPlot
    for name in ("overfit_moons_l2", "xor_mlp"):
        preset = resolve_preset(name)
        preset.training.epochs = 2
        record_run(preset, tmp_path)
    runs = {r.preset: r for r in list_runs(tmp_path)}
    overlay = OverlayPlot()
    qtbot.addWidget(overlay)
    overlay.set_runs([runs["xor_mlp"]])
    assert "dashed: training)" in overlay.legend.text()
    overlay.set_runs([runs["xor_mlp"], runs["overfit_moons_l2"]])
    assert "dashed: training, without its penalty terms" in overlay.legend.text()
    _, y = overlay.slots["loss"][1].lines["train"].getData()
    rows = _epoch_rows(tmp_path / runs["overfit_moons_l2"].id / "metrics.csv")
    assert list(y) == pytest.approx([float(r["data_loss"]) for r in rows])


def test_the_status_bar_names_first_the_training_loss_the_curves_draw():
    """A VAE's status bar said "train_loss 0.0615" (with β·KL) beside a Loss panel whose training
    curve ends at 0.045 (without): it leads with the latter now and says what the other is."""
    from playground.training.events import FinishedEvent
    from widgets.training.controller import _finished_text
    penalized = FinishedEvent("finished", 10, 2, "trained 2 epochs",
                              {"train_loss": 0.0615, "train_data_loss": 0.045, "val_loss": 0.05}, [])
    assert _finished_text(penalized) == ("Training finished: trained 2 epochs "
                                         "(train loss 0.045 (0.0615 with its penalty), val loss 0.05)")
    plain = FinishedEvent("finished", 10, 2, "trained 2 epochs", {"train_loss": 0.1, "val_loss": 0.2}, [])
    assert _finished_text(plain) == "Training finished: trained 2 epochs (train loss 0.1, val loss 0.2)"


def test_the_loss_panel_names_the_penalty_terms_and_says_its_training_curves_are_without_them(qtbot):
    """A contractive autoencoder's legend said "penalty (L1/L2/sparsity/KL)" and "train" beside a
    status bar whose training loss included the penalty."""
    from widgets.panels.loss import LossPanel
    from widgets.panels.loss_marks import mark_expected_initial_loss
    from playground.training.losses import penalty_names
    panel = LossPanel()
    qtbot.addWidget(panel)
    preset = resolve_preset("overfit_moons_l2")
    preset.training.epochs = 2
    mark_expected_initial_loss(panel, preset)
    events: list[object] = []
    Trainer(preset, device="cpu", on_event=events.append).run()
    panel.show_events(events)
    texts = [label.text for _, label in panel.legend.items]
    assert "penalty (L2, per step)" in texts
    assert "train without penalty (per step, smoothed)" in texts and "train without penalty (per epoch)" in texts
    mark_expected_initial_loss(panel, resolve_preset("xor_mlp"))   # the next run has none
    texts = [label.text for _, label in panel.legend.items]
    assert "train (per step, smoothed)" in texts and "train (per epoch)" in texts
    cae = resolve_preset("contractive_autoencoder")
    assert penalty_names(cae.training, {n.type for n in cae.model.nodes}) == ["contractive"]
    vae = resolve_preset("vae_digits")
    assert penalty_names(vae.training, {n.type for n in vae.model.nodes}) == ["β·KL"]


@pytest.mark.parametrize("name, zeroed", [("sparse_autoencoder", "sparsity_weight"), ("vae_digits", "kl_weight")])
def test_a_penalty_term_whose_weight_is_zero_records_no_penalty_series(name, zeroed):
    """The legend names the terms `penalty_names` gives, and a weight of 0 gives none; the Trainer
    had kept its own rule, took the penalized path and recorded a penalty series of zeros, so the
    records held a "train without penalty" loss the legend said did not exist."""
    from playground.training.losses import penalty_names
    preset = resolve_preset(name)
    setattr(preset.training, zeroed, 0.0)
    preset.training.epochs = 1
    assert penalty_names(preset.training, {n.type for n in preset.model.nodes}) == []
    events: list[object] = []
    trainer = Trainer(preset, device="cpu", on_event=events.append)
    trainer.run(max_steps=12)
    trainer.flush()   # the steps' losses, read back
    steps = [e for e in events if isinstance(e, LossEvent)]
    assert steps and all(e.penalties is None and e.data_losses is None for e in steps)
    weighted = resolve_preset(name)   # the same preset with its weight: the series is there
    weighted.training.epochs = 1
    events = []
    trainer = Trainer(weighted, device="cpu", on_event=events.append)
    trainer.run(max_steps=12)
    trainer.flush()
    weighted_steps = [e for e in events if isinstance(e, LossEvent)]
    assert weighted_steps and all(e.penalties is not None for e in weighted_steps)
