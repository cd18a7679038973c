"""Issue 27, the optimization family: the curve-noise and steps-per-second figures a lesson may
claim (checked against a hand computation and against the record's own step losses), and the
batch-size family's presets."""
from __future__ import annotations

import csv
import json
import math
import statistics

import pytest

from playground.core.seeds import Seeds
from playground.course.metrics import METRICS
from playground.network.preset import resolve_preset
from playground.run_records.run_to_end import record_run
from playground.run_records.store import METRIC_COLUMNS
from playground.run_records.summary import curve_metrics


def _write_metrics(path, step_losses, epoch_rows):
    """A metrics.csv with the record's columns: step rows, then epoch rows (epoch, step, seconds)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(METRIC_COLUMNS)
        for k, loss in enumerate(step_losses, 1):
            w.writerow(["step", 0, k, loss] + [""] * (len(METRIC_COLUMNS) - 4))
        for epoch, step, seconds in epoch_rows:
            row = dict.fromkeys(METRIC_COLUMNS, "")
            row.update(kind="epoch", epoch=epoch, step=step, seconds=seconds, train_loss=0.5, val_loss=0.5)
            w.writerow([row[c] for c in METRIC_COLUMNS])


def test_the_new_figures_are_claimable():
    assert "loss_noise" in METRICS and "steps_per_second" in METRICS


def test_loss_noise_is_the_sd_of_the_late_step_changes_by_hand(tmp_path):
    # 8 steps: the last half is steps 5..8 with losses 0.9, 0.5, 0.8, 0.2 -> changes -0.4, +0.3, -0.6
    losses = [3.0, 2.0, 1.5, 1.0, 0.9, 0.5, 0.8, 0.2]
    _write_metrics(tmp_path / "metrics.csv", losses, [(1, 4, 0.5), (2, 8, 2.0)])
    got = curve_metrics(tmp_path / "metrics.csv")
    changes = [-0.4, 0.3, -0.6]
    mean = sum(changes) / 3
    by_hand = math.sqrt(sum((c - mean) ** 2 for c in changes) / 2)   # sample sd, ddof 1
    assert got["loss_noise"] == pytest.approx(by_hand, rel=1e-9)
    assert got["loss_noise"] == pytest.approx(0.4725815626, rel=1e-9)
    assert got["steps_per_second"] == pytest.approx(8 / 2.0)


def test_a_steadily_falling_curve_has_no_noise_and_a_jagged_one_has(tmp_path):
    _write_metrics(tmp_path / "metrics.csv", [1.0 - 0.01 * k for k in range(20)], [(1, 20, 1.0)])
    assert curve_metrics(tmp_path / "metrics.csv")["loss_noise"] == pytest.approx(0.0, abs=1e-12)
    _write_metrics(tmp_path / "metrics.csv", [0.1, 0.9] * 10, [(1, 20, 1.0)])
    assert curve_metrics(tmp_path / "metrics.csv")["loss_noise"] == pytest.approx(
        statistics.stdev([0.8, -0.8] * 4 + [0.8]))


def test_too_few_or_non_finite_steps_give_no_noise_figure(tmp_path):
    _write_metrics(tmp_path / "metrics.csv", [1.0, 0.5, 0.4, 0.3], [(1, 4, 0.0)])
    got = curve_metrics(tmp_path / "metrics.csv")   # last half: 2 losses, 1 change
    assert "loss_noise" not in got and "steps_per_second" not in got   # no time passed: no rate
    _write_metrics(tmp_path / "metrics.csv", [1.0, 0.5, 0.4, 0.3, 0.2, float("nan")], [(1, 6, 1.0)])
    assert "loss_noise" not in curve_metrics(tmp_path / "metrics.csv")
    assert curve_metrics(tmp_path / "nowhere.csv") == {}


def _circle(batch_size: int, epochs: int):
    """The jittered circle (noise 0.2) with plain SGD at 0.1, in batches of `batch_size`."""
    p = resolve_preset("batch_small_circle")
    p.data.params = {"noise": 0.2}
    p.training.batch_size, p.training.epochs = batch_size, epochs
    return p


def test_a_recorded_run_reports_the_noise_of_its_own_step_losses(tmp_path):
    done = record_run(_circle(32, 4), tmp_path, seeds=Seeds.from_seed(0), source="test")
    with open(tmp_path / done.id / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    losses = [float(r["loss"]) for r in rows if r["kind"] == "step"]
    assert len(losses) == 4 * 8                      # 240 training points in batches of 32
    late = losses[len(losses) // 2:]
    expected = statistics.stdev(b - a for a, b in zip(late, late[1:]))
    assert done.summary["loss_noise"] == pytest.approx(expected, rel=1e-6)
    assert done.summary["steps_per_second"] > 0
    saved = json.loads((tmp_path / done.id / "summary.json").read_text())
    assert saved["loss_noise"] == pytest.approx(expected, rel=1e-6)


def test_one_point_per_step_is_far_noisier_than_the_full_batch(tmp_path):
    one = record_run(_circle(1, 2), tmp_path, seeds=Seeds.from_seed(1), source="test").summary
    full = record_run(_circle(65536, 20), tmp_path, seeds=Seeds.from_seed(1), source="test").summary
    assert one["steps"] == 2 * 240 and full["steps"] == 20
    assert one["loss_noise"] > 100 * full["loss_noise"]


# ---------------------------------------------------------------- the momentum schedule

from playground.network.applies import inapplicable_settings, optimizer_problems   # noqa: E402
from playground.network.preset import preset_from_dict, preset_to_dict   # noqa: E402
from playground.network.spec import TrainSpec   # noqa: E402
from playground.params import ProblemList   # noqa: E402
from playground.training.optim import scheduled_momentum   # noqa: E402
from playground.training.trainer import Trainer   # noqa: E402


def test_the_linear_warmup_of_momentum_by_hand():
    ts = TrainSpec(optimizer="momentum", momentum=0.99, momentum_schedule="linear_warmup",
                   momentum_start=0.5, momentum_warmup_epochs=20)
    # rho_e = 0.5 + (0.99 - 0.5) * e / 20 for e < 20, then 0.99
    for epoch, rho in ((0, 0.5), (1, 0.5245), (10, 0.745), (19, 0.9655), (20, 0.99), (500, 0.99)):
        assert scheduled_momentum(ts, epoch) == pytest.approx(rho, abs=1e-12)
    assert scheduled_momentum(TrainSpec(optimizer="momentum", momentum=0.8), 3) == 0.8   # constant


def _warmup_trainer(optimizer="momentum", epochs=6):
    p = resolve_preset("momentum_warmup_spiral")
    p.data.params["n_samples"] = 120
    p.training.optimizer = optimizer
    p.training.batch_size = 32
    p.training.epochs = epochs
    p.training.momentum_warmup_epochs = 4
    p.training.momentum_start = 0.2
    p.training.momentum = 0.9
    return Trainer(p, device="cpu")


@pytest.mark.parametrize("optimizer", ["momentum", "nesterov"])
def test_the_trainer_gives_the_optimizer_the_scheduled_momentum_each_epoch(optimizer):
    t = _warmup_trainer(optimizer)
    by_hand = {0: 0.2, 1: 0.375, 2: 0.55, 3: 0.725, 4: 0.9, 5: 0.9}   # 0.2 + 0.7·e/4, then 0.9
    seen: dict[int, list[float]] = {}
    per_epoch = t.steps_per_epoch
    while t.step():   # the momentum the step just used, filed under that step's (0-based) epoch
        seen.setdefault((t.step_count - 1) // per_epoch, []).extend(g["momentum"] for g in t.optimizer.param_groups)
    assert t.epoch == 6 and sorted(seen) == list(range(6))
    for epoch, rho in by_hand.items():
        assert seen[epoch] == pytest.approx([rho] * len(seen[epoch]), abs=1e-12)


def test_the_recorded_momentum_column_follows_the_schedule(tmp_path):
    p = _warmup_trainer().preset
    done = record_run(p, tmp_path, seeds=Seeds.from_seed(0), source="test")
    with open(tmp_path / done.id / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "step"]
    for r in rows:
        e = int(r["epoch"])
        assert float(r["momentum"]) == pytest.approx(0.2 + 0.7 * min(e, 4) / 4, abs=1e-9), r
    assert {int(r["epoch"]) for r in rows} == set(range(6))


def test_a_momentum_schedule_needs_an_optimizer_with_momentum():
    ts = TrainSpec(optimizer="adam", momentum_schedule="linear_warmup")
    problems = optimizer_problems(ts)
    assert problems and problems[0].path == "training.momentum_schedule"
    doc = preset_to_dict(resolve_preset("momentum_warmup_spiral"))
    doc["training"]["optimizer"] = "adam"
    with pytest.raises(ProblemList, match="momentum_schedule"):
        preset_from_dict(doc)
    doc["training"].update(optimizer="momentum", momentum_schedule="cyclic")
    with pytest.raises(ProblemList):
        preset_from_dict(doc)
    low = resolve_preset("momentum_low_spiral")   # constant: its ramp settings are not connected
    assert {"momentum_start", "momentum_warmup_epochs"} <= set(inapplicable_settings(low))
    assert "momentum_start" not in inapplicable_settings(resolve_preset("momentum_warmup_spiral"))


def test_the_exported_script_schedules_momentum_as_the_playground_does(tmp_path):
    """train.py copies scheduled_momentum: same seed and batches, the same epoch losses as the
    Trainer through the ramp (a script that kept ρ fixed would drift from the second epoch)."""
    import os
    import subprocess
    import sys

    from playground.export import export
    preset = _warmup_trainer(epochs=3).preset
    preset.training.momentum_warmup_epochs = 2
    trainer = Trainer(preset, device="cpu")
    trainer.run()
    export(preset, None, "script", tmp_path / "script")
    proc = subprocess.run([sys.executable, "-I", "train.py", "--epochs", "3", "--device", "cpu", "--out", "run"],
                          cwd=tmp_path / "script", capture_output=True, text=True, timeout=120,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(open(tmp_path / "script" / "run" / "metrics.csv")))
    assert len(rows) == 3 == len(trainer.history)
    for row, epoch in zip(rows, trainer.history):
        assert float(row["train_loss"]) == pytest.approx(epoch.train_loss, rel=1e-5)
        assert float(row["val_loss"]) == pytest.approx(epoch.val_loss, rel=1e-5)
