"""Live diagnoses: each fires on the fault it names, none fires on a healthy built-in preset over
three seeds, and each lesson that fails on purpose fires the finding its lesson names, first."""
from __future__ import annotations

import numpy as np
import pytest

from playground.babysit.diagnoses import THRESHOLDS, Diagnostician, saturated_fraction
from playground.babysit.run_findings import RunFindings
from playground.course.lessons import lesson_finding_of
from playground.training.events import EpochEvent, LayerProbe, LossEvent, ProbeEvent
from playground.network.fit import data_facts
from playground.babysit.outcome import accuracy_bar, good_accuracy
from playground.network.preset import builtin_names, resolve_preset
from playground.core.seeds import Seeds
from playground.training.trainer import Trainer


def _train(preset, max_steps: int) -> tuple[list, Trainer]:
    ts = preset.training
    ts.device = "cpu"
    ts.probe_every = min(ts.probe_every, 10)  # more probes, same training
    doc = Diagnostician(ts.lr, ts.optimizer)
    found: list = []
    trainer = Trainer(preset, device="cpu", on_event=lambda e: found.extend(doc.observe(e)))
    trainer.run(max_steps=max_steps)
    return found, trainer


def test_every_threshold_names_its_source():
    assert all(t.source for t in THRESHOLDS.values())
    assert THRESHOLDS["update_ratio_low"].value == 1e-4 and THRESHOLDS["update_ratio_high"].value == 1e-2
    assert THRESHOLDS["vanishing_ratio"].value == 1e-3 and THRESHOLDS["exploding_ratio"].value == 70


def test_sgd_at_learning_rate_10_is_flagged_within_50_steps():
    preset = resolve_preset("digits_mlp")
    preset.training.optimizer, preset.training.lr = "sgd", 10.0
    found, _ = _train(preset, 50)
    div = [d for d in found if d.name == "divergence"]
    assert div and div[0].step < 50
    assert div[0].action is not None and div[0].action.setting == "lr" and div[0].action.value == pytest.approx(1.0)
    assert "might" in " ".join(div[0].causes)


def test_sgd_at_learning_rate_1e_3_never_diverges():
    preset = resolve_preset("digits_mlp")
    preset.training.optimizer, preset.training.lr = "sgd", 1e-3
    found, trainer = _train(preset, 400)
    assert trainer.step_count == 400
    assert not [d for d in found if d.name == "divergence"]


def test_deep_init_small_vanishes_and_deep_init_kaiming_does_not():
    small, _ = _train(resolve_preset("deep_init_small"), 120)
    assert "vanishing" in {d.name for d in small}
    kaiming, _ = _train(resolve_preset("deep_init_kaiming"), 120)
    assert not {"vanishing", "exploding"} & {d.name for d in kaiming}


def test_the_overfitting_lesson_is_flagged_and_its_gradients_are_not():
    found, _ = _train(resolve_preset("overfit_moons"), 200)
    assert "overfitting" in {d.name for d in found}
    card = next(d for d in found if d.name == "overfitting")
    assert "Loss panel" in card.evidence and card.action.setting == "early_stopping"


def _probe(step: int, ratio: float, dead: float | None = None, layer_type: str = "Linear",
           counts=None, edges=None) -> ProbeEvent:
    counts = np.ones(10) if counts is None else counts
    edges = np.linspace(-1, 1, 11) if edges is None else edges
    layer = LayerProbe("fc1", layer_type, ratio, 1.0, 1.0, counts, edges, 0.0, 1.0, dead)
    output = LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10), np.linspace(-1, 1, 11), 0.0, 1.0, None)
    return ProbeEvent(step, 0, [layer, output])


@pytest.mark.parametrize("ratio, fires", [(1e-3, False), (5e-5, True), (3e-2, True)])
def test_update_ratio_judged_on_the_median_of_recent_probes(ratio, fires):
    doc = Diagnostician(1e-2)
    doc.observe(LossEvent(np.arange(800), np.full(800, 0.69), 0, 1e-2))  # a loss that has stopped falling
    found = []
    for k in range(60):
        noisy = ratio * (50 if k % 7 == 0 else 1)  # an odd spike does not move a median
        found += doc.observe(_probe(100 + 10 * k, noisy))
    assert bool([d for d in found if d.name == "update_ratio"]) == fires
    if fires:
        d = found[0]
        assert d.node_id == "fc1" and "Update ratio panel" in d.evidence
        assert (d.action.value > 1e-2) == (ratio < 1e-4)


def test_dead_relu_needs_more_than_half_dead_on_consecutive_probes():
    doc = Diagnostician()
    doc.observe(LossEvent(np.arange(200), np.full(200, 0.69), 0, 1e-3))
    assert not doc.observe(_probe(10, 1e-3, dead=0.4, layer_type="ReLU"))
    assert not doc.observe(_probe(20, 1e-3, dead=0.7, layer_type="ReLU"))
    found = doc.observe(_probe(30, 1e-3, dead=0.7, layer_type="ReLU"))
    assert [d.name for d in found] == ["dead_relu"]


def test_saturated_tanh_from_the_activation_histogram():
    edges = np.linspace(-1, 1, 21)
    piled = np.zeros(20)
    piled[[0, -1]] = 40
    piled[5:15] = 2
    assert saturated_fraction("Tanh", piled, edges) > 0.5
    assert saturated_fraction("Tanh", np.ones(20), edges) <= 0.1  # two bins of twenty reach the bounds
    assert saturated_fraction("ReLU", piled, edges) is None
    doc = Diagnostician()
    doc.observe(LossEvent(np.arange(200), np.full(200, 0.69), 0, 1e-3))
    persist = int(THRESHOLDS["saturation_persist_probes"].value)
    for k in range(1, persist):   # saturated, but not yet for long enough
        assert doc.observe(_probe(10 * k, 1e-3, layer_type="Tanh", counts=piled, edges=edges)) == []
    found = doc.observe(_probe(10 * persist, 1e-3, layer_type="Tanh", counts=piled, edges=edges))
    assert [d.name for d in found] == ["saturated"]


def test_overfitting_needs_a_gap_and_a_rising_validation_loss():
    doc = Diagnostician()
    found = []
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.15]
    val = [1.0, 0.7, 0.6, 0.66, 0.72, 0.8]
    for e, (tr, va) in enumerate(zip(train, val), 1):
        found += doc.observe(EpochEvent(e, e * 10, tr, va, None, None, 1e-3, 0.0))
    assert [d.name for d in found] == ["overfitting"]
    steady = Diagnostician()
    for e, tr in enumerate(train, 1):  # a gap alone, with the validation loss still falling
        assert not steady.observe(EpochEvent(e, e * 10, tr, 1.3 * tr, None, None, 1e-3, 0.0))


def test_overfitting_compares_the_validation_loss_with_the_training_loss_without_its_penalty():
    """The validation loss has no penalty terms: an L2 run's training loss with its penalty (here
    0.6 above the data loss) hid the gap the Loss panel shows between its curves."""
    train = [1.0, 0.6, 0.4, 0.3, 0.2, 0.15]
    val = [1.0, 0.7, 0.6, 0.66, 0.72, 0.8]
    with_penalty, summed = Diagnostician(), Diagnostician()
    found, hidden = [], []
    for e, (tr, va) in enumerate(zip(train, val), 1):
        found += with_penalty.observe(EpochEvent(e, e * 10, tr + 0.6, va, None, None, 1e-3, 0.0, tr))
        hidden += summed.observe(EpochEvent(e, e * 10, tr + 0.6, va, None, None, 1e-3, 0.0))
    assert [d.name for d in found] == ["overfitting"] and f"{0.15:.3g}" in found[0].evidence
    assert hidden == []   # the same losses with the penalty counted in: no gap to speak of


def test_a_diagnosis_fires_once_and_a_non_finite_loss_is_divergence():
    doc = Diagnostician(0.5)
    first = doc.observe(LossEvent(np.array([0, 1]), np.array([2.3, np.inf]), 0, 0.5))
    assert [d.name for d in first] == ["divergence"] and "NaN or infinite" in first[0].evidence
    assert not doc.observe(LossEvent(np.array([2]), np.array([np.nan]), 0, 0.5))


def test_probe_readings_wait_for_a_loss_that_stalls():
    """A ratio far outside the notes' band is news only while the loss stopped falling: a run whose
    smoothed loss still falls fast is learning, whatever its probes read."""
    def run(losses):
        doc = Diagnostician(1e-2)
        doc.observe(LossEvent(np.arange(len(losses)), np.asarray(losses, dtype=float), 0, 1e-2))
        return [d.name for k in range(60) for d in doc.observe(_probe(len(losses) + 10 * k, 5e-5))]
    falling = 2.0 * 0.99 ** np.arange(800)   # −63% per 100 steps
    assert run(falling) == []
    assert run(np.full(800, 0.69)) == ["update_ratio"]


def test_the_divergence_rule_on_a_hand_made_loss_sequence():
    """Hand computation: EMA 0.98 from 1.0; a loss of 1.0 for 10 steps keeps it at 1.0 (best 1.0);
    then 30.0 per step lifts it as 30 − 29·0.98^k, which first exceeds 4 (= 4 × best) at
    k = ⌈ln(26/29)/ln 0.98⌉ = 6, i.e. step 15. A falling loss never fires."""
    doc = Diagnostician(0.1)
    steps = np.arange(40)
    losses = np.where(steps < 10, 1.0, 30.0)
    found = doc.observe(LossEvent(steps, losses, 0, 0.1))
    assert [(d.name, d.step) for d in found] == [("divergence", 15)]
    assert found[0].action.value == pytest.approx(0.01) and found[0].severity == "critical"
    calm = Diagnostician(0.1)
    assert calm.observe(LossEvent(steps, 1.0 / (1 + steps), 0, 0.1)) == []
    near_zero = Diagnostician(0.1)   # 1e-4 → 1e-2 is 100 times the best but 1% of the starting loss
    tiny = np.concatenate([[1.0], np.full(20, 1e-4), np.full(20, 1e-2)])
    assert near_zero.observe(LossEvent(np.arange(41), tiny, 0, 0.1)) == []



def test_losses_in_one_event_or_a_step_at_a_time_tell_the_same():
    """The app sends a fast run's losses in events of hundreds of steps and a slow run's one at a
    time: the smoothed loss, its stall window, the pace trace (thinned past its bound) and the
    step a divergence is called at must not depend on that."""
    rng = np.random.default_rng(0)
    n = 9000   # past TRACE_POINTS: the trace is thinned on the way
    losses = np.concatenate([2.0 * 0.9995 ** np.arange(n) + 0.01 * rng.random(n), np.full(40, 50.0)])
    steps = np.arange(n + 40)
    whole, single = Diagnostician(0.1), Diagnostician(0.1)

    def feed(doc, size, upto):
        return [(d.name, d.step) for k in range(upto[0], upto[1], size)
                for d in doc.observe(LossEvent(steps[k:k + size], losses[k:k + size], 0, 0.1))]
    assert feed(whole, 500, (0, n)) == feed(single, 1, (0, n)) == []
    assert whole._trace == single._trace and list(whole._history) == list(single._history)
    assert whole._ema == single._ema and whole.stalled() == single.stalled()
    diverged = feed(whole, 40, (n, n + 40))
    assert diverged == feed(single, 1, (n, n + 40)) and diverged[0][0] == "divergence"


def test_a_non_finite_loss_after_finite_ones_is_divergence_at_its_step():
    doc = Diagnostician(0.1)
    found = doc.observe(LossEvent(np.array([7, 8, 9]), np.array([1.0, 0.9, np.nan]), 0, 0.1))
    assert [(d.name, d.step) for d in found] == [("divergence", 9)] and "NaN or infinite" in found[0].evidence


def test_a_high_update_ratio_of_an_adaptive_optimizer_is_no_call_to_lower_the_rate():
    """Adam's step is about lr per weight whatever the gradient, so a high ratio in a stall means
    small weights: only SGD-family optimizers hear "lower the rate"; a low ratio speaks for all."""
    def fired(optimizer, ratio):
        doc = Diagnostician(1e-2, optimizer)
        doc.observe(LossEvent(np.arange(800), np.full(800, 0.69), 0, 1e-2))
        return [d.name for k in range(60) for d in doc.observe(_probe(100 + 10 * k, ratio))]
    assert fired("adam", 3e-2) == [] and fired("rmsprop", 3e-2) == []
    assert fired("sgd", 3e-2) == ["update_ratio"] and fired("momentum", 3e-2) == ["update_ratio"]
    assert fired("adam", 5e-5) == ["update_ratio"]


def test_overfitting_needs_a_rise_that_matters_and_a_training_loss_still_falling():
    """deep_relu's case: the validation loss rises from 0.007 to 0.063 after a start of 0.58 (a
    rise of 10% of the start, below the fifth that matters); and a training loss that bounces up
    with the validation loss is instability, not overfitting."""
    def fired(train, val):
        doc = Diagnostician()
        return [d.name for e, (tr, va) in enumerate(zip(train, val), 1)
                for d in doc.observe(EpochEvent(e, e * 10, tr, va, None, None, 1e-3, 0.0))]
    assert fired([0.9, 0.1, 0.008, 0.003, 0.0013, 0.0009], [0.58, 0.1, 0.0074, 0.030, 0.057, 0.063]) == []
    assert fired([0.9, 0.1, 0.008, 0.003, 0.0013, 0.0009], [0.58, 0.1, 0.0074, 0.05, 0.1, 0.2]) == ["overfitting"]
    assert fired([0.6, 0.19, 0.12, 0.08, 0.12], [0.56, 0.16, 0.163, 0.27, 0.55]) == []


def test_a_plateau_counts_as_a_stall_while_accuracy_stays_below_what_the_data_allows():
    """With a known accuracy bar, a flat loss is a stall while the validation accuracy stands
    below it (however far the loss fell from an inflated start) and none once it is reached."""
    def stalled(accuracy):
        doc = Diagnostician(1e-2, "sgd", accuracy_bar=0.74)
        doc.observe(LossEvent(np.arange(400), np.r_[np.full(10, 5.0), np.full(390, 0.45)], 0, 1e-2))
        doc.observe(EpochEvent(1, 400, 0.45, 0.45, accuracy, accuracy, 1e-2, 0.0))
        return doc.stalled()
    assert stalled(0.62) and not stalled(0.79)


def test_the_outcome_bar_knows_what_noisy_moons_allow():
    """The nearest-neighbour baseline (tests/test_baselines.py) sets the bar on noisy moons
    below the generic 0.875: a run at 0.79 there is not far from good."""
    noisy = resolve_preset("overfit_moons_more_data")
    assert accuracy_bar(noisy, 2) < 0.79 < good_accuracy(2)
    assert accuracy_bar(resolve_preset("spiral_tanh"), 2) == good_accuracy(2)
    assert accuracy_bar(resolve_preset("shapes_cnn"), 3) == good_accuracy(3)   # no baseline on images


SEEDS = 3
STEP_CAP = 600
"""Runs are watched for their first 600 steps at their own probe interval: by then every live
detector has had its chance at the built-ins' most common interval of 25 steps (update ratios
from step 100 + 20 probes = 600, gradients from 6 probes, dead or saturated units from a stall
window plus 2 probes (saturated: 8), overfitting from epoch 4). The end-of-run outcome is judged for runs that
end within the cap, and lessons whose finding is the outcome run to their end."""


def _ranked_findings(name: str, k: int) -> list:
    preset = resolve_preset(name)
    preset.training.device = "cpu"
    voice = RunFindings(preset, lesson_finding_of(name))
    s = preset.training.seed + k
    from playground.run_records.warm_start import warm_start_weights   # a fine-tuning starts from its source
    trainer = Trainer(preset, device="cpu", on_event=voice.observe, seeds=Seeds(s, s, s),
                      initial_weights=warm_start_weights(preset, Seeds(s, s, s), device="cpu"))
    whole = lesson_finding_of(name) == "far_from_good"   # the outcome is judged at a run's end only
    finished = trainer.run(max_steps=None if whole else STEP_CAP)
    if finished.reason in ("finished", "early_stopping"):
        return voice.finish(trainer.history, data_facts(preset.data.name, preset.data.params).n_classes)
    return voice.ranked


def _ranked_findings_in_a_worker(name: str, k: int) -> list:
    import torch
    torch.set_num_threads(1)   # the workers share the cores, as `repeat --jobs` does
    return _ranked_findings(name, k)


@pytest.fixture(scope="module")
def builtin_findings() -> dict[str, list[list]]:
    """Every built-in preset at its own settings, 3 seeds each, trained by two worker processes
    (the machine's cores): shared by the two tests below."""
    from playground.core.workers import run_task, worker_pool
    names = builtin_names()
    with worker_pool(2) as pool:
        futures = {(n, k): pool.submit(run_task, _ranked_findings_in_a_worker, n, k)
                   for n in names for k in range(SEEDS)}
        return {n: [futures[n, k].result() for k in range(SEEDS)] for n in names}


@pytest.mark.slow
@pytest.mark.figure
def test_no_finding_fires_on_the_healthy_builtin_presets_over_three_seeds(builtin_findings):
    fired = {}
    for name, runs in builtin_findings.items():
        if lesson_finding_of(name):
            continue
        for k, found in enumerate(runs):
            if found:
                fired[f"{name} seed+{k}"] = [(f.name, f.node_id, f.step) for f in found]
    assert fired == {}
    assert "xor_mlp" in builtin_findings and not lesson_finding_of("xor_mlp")   # the default example is judged


@pytest.mark.slow
@pytest.mark.figure
def test_each_lesson_that_fails_on_purpose_fires_its_finding_first(builtin_findings):
    wrong = {}
    shown = {name: lesson_finding_of(name) for name in builtin_findings}
    assert {"vanishing", "divergence", "overfitting", "far_from_good", "dead_relu", "lr_too_low",
            "add_capacity"} <= set(shown.values())
    for name, runs in builtin_findings.items():
        if not shown[name]:
            continue
        for k, found in enumerate(runs):
            names = [f.name for f in found]
            if not names or names[0] != shown[name]:
                wrong[f"{name} seed+{k}"] = names[:4]
            outcome = [f for f in found if f.name == "far_from_good"]
            if outcome and ("wider or deeper" in outcome[0].message or "lesson shows" not in outcome[0].message):
                wrong[f"{name} seed+{k} outcome"] = outcome[0].message
    assert wrong == {}


def test_the_update_ratio_guide_is_the_notes_rule_of_thumb_and_the_bounds_lie_a_decade_either_side():
    guide = THRESHOLDS["update_ratio_guide"]
    assert guide.value == 1e-3 and "course notes" in guide.source and "0.001" in guide.source
    assert THRESHOLDS["update_ratio_low"].value == pytest.approx(guide.value / 10)
    assert THRESHOLDS["update_ratio_high"].value == pytest.approx(guide.value * 10)
