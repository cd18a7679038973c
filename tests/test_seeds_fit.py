"""Three seeds (init, data order, noise), the live fit check, and what LossEvents carry."""
import numpy as np
import pytest

from playground.training.events import EpochEvent, LossEvent
from playground.network.fit import FitProblem, fit_problems
from playground.core.seeds import Seeds
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.trainer import Trainer


def dropout_preset(**training) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("ReLU", {}),
                            ("Dropout", {"p": 0.3}), ("Linear", {"out_features": 2}))
    base = dict(epochs=2, batch_size=16, lr=0.05, probe_every=1000)
    base.update(training)
    return Preset("t", "", model, DataSpec("xor", {"n_samples": 96}), TrainSpec(**base))


def losses_of(preset: Preset, seeds: Seeds | None = None) -> tuple[np.ndarray, Trainer, list]:
    events: list = []
    trainer = Trainer(preset, on_event=events.append, seeds=seeds)
    trainer.run()
    return np.concatenate([e.losses for e in events if isinstance(e, LossEvent)]), trainer, events


def first_batch(trainer: Trainer) -> list[int]:
    return trainer._perm[:trainer.ts.batch_size].tolist()


def test_same_three_seeds_give_bit_identical_losses():
    a, ta, _ = losses_of(dropout_preset(), Seeds(1, 2, 3))
    b, tb, _ = losses_of(dropout_preset(), Seeds(1, 2, 3))
    assert np.array_equal(a, b)
    assert ta.initial_weights_hash() == tb.initial_weights_hash()
    assert ta.seeds == Seeds(1, 2, 3)


def test_one_seed_means_what_it_always_meant():
    a, _, _ = losses_of(dropout_preset(seed=7))
    b, trainer, _ = losses_of(dropout_preset(seed=0), Seeds.from_seed(7))
    assert np.array_equal(a, b) and trainer.seeds == Seeds(7, 7, 7)


def test_each_seed_moves_only_its_own_randomness():
    base = Trainer(dropout_preset(), seeds=Seeds(1, 2, 3))
    other_data = Trainer(dropout_preset(), seeds=Seeds(1, 5, 3))
    other_init = Trainer(dropout_preset(), seeds=Seeds(4, 2, 3))
    other_noise = Trainer(dropout_preset(), seeds=Seeds(1, 2, 9))
    assert base.initial_weights_hash() == other_data.initial_weights_hash() == other_noise.initial_weights_hash()
    assert base.initial_weights_hash() != other_init.initial_weights_hash()
    assert first_batch(base) == first_batch(other_init) == first_batch(other_noise)
    assert first_batch(base) != first_batch(other_data)
    a, _, _ = losses_of(dropout_preset(), Seeds(1, 2, 3))
    c, _, _ = losses_of(dropout_preset(), Seeds(1, 2, 9))
    assert not np.array_equal(a, c)  # another dropout mask, same weights and batches


def test_a_setting_that_does_not_touch_the_network_keeps_weights_and_batches():
    base = Trainer(dropout_preset(), seeds=Seeds(1, 2, 3))
    changed = Trainer(dropout_preset(lr=0.3, optimizer="momentum", l2=0.01, epochs=5), seeds=Seeds(1, 2, 3))
    assert base.initial_weights_hash() == changed.initial_weights_hash()
    assert first_batch(base) == first_batch(changed)


def test_loss_events_carry_rate_momentum_and_the_penalty_apart():
    _, _, events = losses_of(dropout_preset(optimizer="momentum", momentum=0.8, schedule="inverse_time",
                                            decay=0.1, l2=0.01))
    loss_events = [e for e in events if isinstance(e, LossEvent)]
    steps = np.concatenate([e.steps for e in loss_events])
    lrs = np.concatenate([e.lrs for e in loss_events])
    assert lrs == pytest.approx(0.05 / (1 + 0.1 * steps))
    assert np.all(np.concatenate([e.momenta for e in loss_events]) == 0.8)
    penalties = np.concatenate([e.penalties for e in loss_events])
    total = np.concatenate([e.losses for e in loss_events])
    assert np.all(penalties > 0) and np.all(penalties < total)


def test_loss_events_without_penalties_say_none():
    _, _, events = losses_of(dropout_preset(optimizer="adam", beta1=0.85))
    loss_events = [e for e in events if isinstance(e, LossEvent)]
    assert all(e.penalties is None for e in loss_events)
    assert all(np.all(e.momenta == 0.85) for e in loss_events)
    joined = LossEvent.join(loss_events)
    assert len(joined.steps) == len(joined.lrs) == len(joined.momenta) == sum(len(e.steps) for e in loss_events)


def test_fit_problems_name_and_mark_the_node():
    preset = dropout_preset()
    assert fit_problems(preset) == []
    preset.model.nodes[-1].params["out_features"] = 5
    (problem,) = fit_problems(preset)
    assert isinstance(problem, FitProblem) and problem.node_id == "linear2"
    assert "linear2" in problem.message and problem.path == "model.nodes[4]"
    preset.model.nodes[0].params["shape"] = [3]
    assert {p.node_id for p in fit_problems(preset)} == {preset.model.nodes[0].id, "linear2"}


def test_fit_problems_report_graph_errors_by_node():
    preset = dropout_preset()
    preset.model.nodes[1].params["out_features"] = 0
    problems = fit_problems(preset)
    assert problems and problems[0].node_id == preset.model.nodes[1].id


def test_fit_problems_catch_a_loss_that_does_not_fit_the_targets():
    preset = Preset("r", "", ModelSpec.chain(("Input", {"shape": [1]}), ("Linear", {"out_features": 1})),
                    DataSpec("sine", {}), TrainSpec(loss="cross_entropy"))
    (problem,) = fit_problems(preset)
    assert problem.path == "training.loss" and problem.node_id == ""
    preset.training.loss = "mse"
    assert fit_problems(preset) == []


def test_epoch_figures_unchanged_by_the_tally():
    _, _, events = losses_of(dropout_preset())
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert len(epochs) == 2 and all(0 <= e.train_accuracy <= 1 for e in epochs)
