"""The lesson presets keep their promises, and each family shows the contrast its lesson teaches.

Each family differs in one setting; here every member trains (at its own settings where that is
cheap, shorter where the effect already shows), its `expect` holds, and the contrast between the
members holds: the remedy beats the overfitting network, ReLU's gradient reaches the first layer
and sigmoid's does not, clipping rescues the exploding RNN, and so on.

Every figure here is asserted with a margin well outside seed noise. One seed's rounding differs
between CPUs (AVX-512, AVX2 or no vector kernels at all), and a chaotic training run turns that
into a different result, as another seed would: a contrast that one seed can cross is measured
over SEEDS and asserted on the mean (`.ci/run` runs these tests with ATEN_CPU_CAPABILITY=default).
"""
from __future__ import annotations

import math
from statistics import mean

import numpy as np
import pytest

from playground.training.events import Event, ProbeEvent, ProblemEvent
from playground.course.lessons import load_lesson
from playground.network.preset import builtin_names, resolve_preset
from playground.run_records.run_to_end import RunResult, train_run
from playground.training.trainer import Trainer

pytestmark = pytest.mark.figure

OVERFIT = ("overfit_moons", "overfit_moons_l2", "overfit_moons_dropout", "overfit_moons_early_stop",
           "overfit_moons_more_data")
OPTIMIZERS = tuple(f"sgd_vs_momentum_{o}" for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"))
DECAYS = tuple(f"lr_decay_{d}" for d in ("step", "exponential", "inverse_sqrt", "inverse_time"))
COVERED = frozenset(OVERFIT + OPTIMIZERS + DECAYS + (
    "deep_sigmoid", "deep_relu", "deep_plain", "deep_batchnorm", "rnn_exploding", "rnn_clipped",
    "selu_lecun", "linear_autoencoder", "logistic_regression", "linear_regression", "plain_cnn_deep",
    "overfit_moons_l1", "overfit_moons_elastic"))   # these two: tests/test_regularizer_presets.py
"""Presets whose promises this module checks; test_preset_results leaves them to it."""

SEEDS = (0, 1, 2)
"""The seeds a contrast that one seed's rounding can cross is measured over (asserted on the mean)."""

NOT_ROBUST_EXPECT: dict[str, str] = {}
"""Presets whose `expect` does not hold over seeds as they stand: their contrast is still checked."""


def run(name: str, epochs: int | None = None, check_expect: bool = True, seed: int | None = None,
        **changes) -> tuple[RunResult, list[Event]]:
    """Train a built-in preset (optionally shortened, reseeded or changed) and collect its events;
    at the preset's own seed its `expect` must hold."""
    preset = resolve_preset(name)
    for key, value in changes.items():
        setattr(preset.training, key, value)
    events: list[Event] = []
    result = train_run(preset, device="cpu", epochs=epochs, seed=seed, on_event=events.append)
    if check_expect and name not in NOT_ROBUST_EXPECT:
        for e in preset.expect:
            assert e.holds(result.summary), f"{name}: expected {e}, got {result.summary}"
    return result, events


def runs(name: str, seeds: tuple[int, ...] = SEEDS, **changes) -> list[RunResult]:
    """The preset trained once per seed; its `expect` must hold on the mean over the seeds."""
    results = [run(name, seed=s, check_expect=False, **changes)[0] for s in seeds]
    if not changes and name not in NOT_ROBUST_EXPECT:
        for e in resolve_preset(name).expect:
            averaged = {k: mean(float(r.summary[k]) for r in results)
                        for k in {e.metric} | ({e.value} if isinstance(e.value, str) else set())}
            assert e.holds(averaged), f"{name}: expected {e} on the mean over seeds {seeds}, got {averaged}"
    return results


def final_val_loss(result: RunResult) -> float:
    """The validation loss of the weights the run ends with (early stopping's restored ones)."""
    return result.trainer.evaluate("val")["loss"]


def test_every_lesson_preset_exists_and_every_preset_has_a_lesson():
    names = set(builtin_names())
    assert COVERED <= names
    for name in names:
        lesson = load_lesson(name)
        assert lesson.idea and lesson.look_at and lesson.change and lesson.predict and lesson.notes
        assert set(lesson.compare) <= names


def test_overfitting_and_every_remedy():
    """The lessons' claims are about validation LOSS (overfit_moons ends near 2.3, each remedy
    lower) and, for dropout, early stopping and more data, test accuracy. L2, early stopping and
    more data cut the loss to a third or less on every seed (ratio 0.12-0.31 over 5 seeds and 3
    CPU capabilities), so one seed shows it; dropout's effect is smaller (0.58-0.81), and its
    test accuracy gain is a few test points, so both are asserted on the mean over SEEDS."""
    base = runs("overfit_moons")
    for r in base:
        assert r.summary["train_accuracy"] >= 0.99, r.summary               # it memorises...
        assert final_val_loss(r) > 3 * r.summary["train_loss"] + 1.0, r.summary   # ...and generalises badly
    own = base[0]                                                           # seed 0, the presets' own
    for remedy in ("overfit_moons_l2", "overfit_moons_early_stop", "overfit_moons_more_data"):
        r, _ = run(remedy)
        assert final_val_loss(r) < 0.5 * final_val_loss(own), (remedy, final_val_loss(r), final_val_loss(own))
        if remedy != "overfit_moons_l2":   # the L2 lesson promises nothing about accuracy (within noise)
            # measured: at least 9 test points (0.075) above overfit_moons on each of 5 seeds
            assert r.summary["test_accuracy"] >= own.summary["test_accuracy"] + 0.03, remedy
        if remedy == "overfit_moons_early_stop":
            assert r.summary["finish_reason"] == "early_stopping"
    dropout = runs("overfit_moons_dropout")
    # measured over 5 seeds: 0.48-1.19 lower per seed, 0.50 on the mean over SEEDS
    assert mean(map(final_val_loss, dropout)) < mean(map(final_val_loss, base)) - 0.2
    # measured: 0.025-0.06 higher per seed
    assert mean(r.summary["test_accuracy"] for r in dropout) >= mean(r.summary["test_accuracy"] for r in base)


def _grad_norms(events: list[Event]) -> dict[str, float]:
    """Each Linear layer's gradient norm, averaged over the probes after the first epoch."""
    probes = [e for e in events if isinstance(e, ProbeEvent)][1:]
    norms: dict[str, list[float]] = {}
    for p in probes:
        for layer in p.layers:
            if layer.layer_type == "Linear" and layer.grad_norm is not None:
                norms.setdefault(layer.node_id, []).append(layer.grad_norm)
    return {k: float(np.mean(v)) for k, v in norms.items()}


def test_deep_sigmoid_gradients_vanish_where_relu_gradients_do_not():
    sig, sig_events = run("deep_sigmoid", epochs=10, check_expect=False)
    relu, relu_events = run("deep_relu", epochs=10, check_expect=False)
    gs, gr = _grad_norms(sig_events), _grad_norms(relu_events)
    first, last = "linear1", "linear9"
    assert gs[first] < 1e-2 * gs[last], gs          # orders of magnitude apart
    assert gr[first] > 1e-1 * gr[last], gr          # ReLU: within an order of magnitude
    # seed 0 on every CPU capability: 0.425 against 0.988 (other seeds: sigmoid <= 0.575, ReLU >= 0.825)
    assert sig.summary["val_accuracy"] <= 0.7 < 0.9 <= relu.summary["val_accuracy"]


def _first_epoch_reaching(result, accuracy: float) -> float:
    return next((e.epoch for e in result.trainer.history if e.val_accuracy >= accuracy), math.inf)


def test_batchnorm_trains_at_a_learning_rate_where_the_plain_network_stalls():
    plain, _ = run("deep_plain", epochs=20, check_expect=False)
    bn, _ = run("deep_batchnorm", epochs=20, check_expect=False)
    # The lesson: batch norm passes 0.9 within the first epochs (epoch 3-6 over 5 seeds and 3 CPU
    # capabilities) and the plain network never does; batch norm's LAST epoch may bounce below 0.9
    # at this large η (0.78 once), so the final accuracy is not what is asserted.
    assert _first_epoch_reaching(bn, 0.9) <= 10 and _first_epoch_reaching(plain, 0.9) == math.inf
    assert plain.summary["val_accuracy"] <= 0.7   # measured 0.47-0.62


def test_rnn_explodes_without_clipping_and_trains_with_it():
    exploding, events = run("rnn_exploding")
    assert exploding.summary["finish_reason"] == "problem"
    problems = [e for e in events if isinstance(e, ProblemEvent)]
    assert problems and problems[0].kind == "non_finite" and problems[0].node_id == "rnn1"
    clipped, _ = run("rnn_clipped")
    assert clipped.summary["finish_reason"] == "finished" and clipped.summary["test_mse"] < 0.05


def _activation_stats(events: list[Event]) -> list[tuple[float, float]]:
    probe = next(e for e in events if isinstance(e, ProbeEvent))  # step 0: as initialised
    return [(layer.act_mean, layer.act_std) for layer in probe.layers if layer.layer_type == "SELU"]


def test_selu_with_lecun_normal_keeps_activations_normalized_and_kaiming_does_not():
    lecun, events = run("selu_lecun")
    stats = _activation_stats(events)
    assert len(stats) == 10
    assert all(abs(m) < 0.3 and 0.7 < s < 1.3 for m, s in stats), stats
    preset = resolve_preset("selu_lecun")
    for node in preset.model.nodes:
        if node.type == "Linear":
            node.params["init"] = "kaiming_normal"
    kaiming_events: list[Event] = []
    train_run(preset, device="cpu", epochs=1, on_event=kaiming_events.append)
    assert _activation_stats(kaiming_events)[-1][1] > 1.5 * stats[-1][1]


def test_linear_autoencoder_matches_pca():
    s = run("linear_autoencoder")[0].summary
    # measured 1.015-1.019 × PCA's error over 5 seeds and 3 CPU capabilities
    assert s["code_size"] == 8 and s["test_mse"] <= 1.03 * s["pca_mse"]


def test_logistic_and_linear_regression():
    assert run("logistic_regression")[0].summary["val_accuracy"] >= 0.95
    assert run("linear_regression")[0].summary["test_mse"] <= 0.004  # noise floor σ² = 0.0025


def test_momentum_beats_sgd_and_adaptive_methods_beat_both_in_the_same_steps():
    """The optimizer race's claims, each by a margin many times the seed noise. Over seeds 0-4
    (`playground presets --verify`): validation accuracy SGD 0.57 ± 0.02, momentum 0.98 ± 0.01,
    Nesterov 0.99 ± 0.01, Adagrad 0.66 ± 0.03, RMSProp and Adam 1.00; momentum and the adaptive
    methods both end near 1.0, so they are told apart by the final training loss (momentum
    0.09 ± 0.04, Adam 0.002 ± 0.002)."""
    summary = {name.rsplit("_", 1)[1]: run(name)[0].summary for name in OPTIMIZERS}
    acc = {k: s["val_accuracy"] for k, s in summary.items()}
    assert acc["sgd"] + 0.2 < min(acc["momentum"], acc["nesterov"]), acc
    assert acc["adagrad"] + 0.2 < min(acc["rmsprop"], acc["adam"]), acc
    assert max(summary["rmsprop"]["train_loss"], summary["adam"]["train_loss"]) < 0.3 * summary["momentum"]["train_loss"]


def _last_epochs(result: RunResult, n: int = 10) -> tuple[float, float]:
    """The validation loss over the last n epochs: its level (mean) and how much it bounces (sd)."""
    losses = [e.val_loss for e in result.trainer.history[-n:]]
    return float(np.mean(losses)), float(np.std(losses))


def test_decay_settles_where_a_constant_large_learning_rate_bounces():
    """The decay lessons' claim, on the final loss: at η = 0.5 a constant rate keeps bouncing out
    of the minimum, a decaying one settles lower and steadier. The constant run is chaotic (its
    last epoch's validation loss is 0.9-7.9 over 5 seeds, and another CPU's rounding moves it as
    much as another seed), so the last 10 epochs' level and bounce are averaged over SEEDS.
    Measured on seeds 0-2 (unset / ATEN_CPU_CAPABILITY=default): constant level 3.9 / 6.3 and
    bounce 2.4 / 4.2; step 0.47 / 0.40 and 0.03 / 0.03, exponential 0.10 / 0.11 and 0.00,
    η/√(t+1) 0.59 and 0.01. η/(1+kt) now decays with k = 0.005 (with k = 0.001 it was still at η/2.2
    when it ended and bounced as high as the constant rate on some seeds)."""
    constant = [_last_epochs(r) for r in runs("lr_decay_step", schedule="constant")]
    level, bounce = mean(c[0] for c in constant), mean(c[1] for c in constant)
    for name in DECAYS:
        settled = [_last_epochs(r) for r in runs(name)]
        assert mean(d[0] for d in settled) < 0.5 * level, (name, settled, constant)
        assert mean(d[1] for d in settled) < 0.25 * bounce, (name, settled, constant)


def test_the_schedule_is_written_to_metrics_csv_as_the_notes_write_it(tmp_path, capsys):
    import csv
    from playground.command_line.main import main
    assert main(["train", "lr_decay_inverse_sqrt", "--epochs", "1", "--device", "cpu",
                 "--runs-dir", str(tmp_path)]) == 0
    [run_dir] = [p for p in tmp_path.iterdir() if p.is_dir()]
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "step"]
    assert len(rows) > 5
    for r in rows:
        assert float(r["lr"]) == pytest.approx(0.5 / math.sqrt(int(r["step"]) + 1))
        assert float(r["momentum"]) == pytest.approx(0.9)


def test_plain_cnn_deep_is_resnet_shapes_without_the_skips_and_trains():
    """Its full promise (test accuracy >= 0.9 after 14 epochs) takes minutes on a CPU: the CLI
    run checks it; here, same layers at equal depth, and the first steps learn."""
    plain, res = resolve_preset("plain_cnn_deep"), resolve_preset("resnet_shapes")
    kinds = lambda p: sorted(n.type for n in p.model.nodes if n.type != "Add")  # noqa: E731
    assert kinds(plain) == kinds(res) and not any(n.type == "Add" for n in plain.model.nodes)
    assert plain.training == res.training and plain.data == res.data
    plain.data.params["n_samples"] = 400
    plain.training.epochs = 3
    trainer = Trainer(plain, device="cpu")
    before = trainer.evaluate("train")["loss"]
    assert trainer.run().reason == "finished"
    assert trainer.evaluate("train")["loss"] < 0.9 * before
