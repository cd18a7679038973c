"""The loss bookkeeping: when step losses are sent, and that losses held on the device (as on a
GPU) come out as the per-step readings of the CPU do."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.training import tally as tally_module
from playground.training.events import EpochEvent, LossEvent
from playground.core.seeds import Seeds
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.tally import EMIT_MAX_STEPS, EMIT_SECONDS, LossTally
from playground.training.trainer import Trainer


def xor_preset(**training) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                            ("Linear", {"out_features": 2}))
    base = dict(epochs=3, batch_size=16, lr=0.05, probe_every=1000)
    base.update(training)
    return Preset("t", "", model, DataSpec("xor", {"n_samples": 120}), TrainSpec(**base))


def run(preset: Preset, held: bool) -> list:
    events: list = []
    trainer = Trainer(preset, on_event=events.append, seeds=Seeds(1, 2, 3), device="cpu")
    if held:  # what a GPU run does: losses stay tensors until the emit interval
        trainer._read_each_loss = False
    trainer.run()
    return events


@pytest.mark.parametrize("training", [{}, {"l2": 0.01, "optimizer": "momentum", "schedule": "inverse_time"}])
def test_losses_held_on_the_device_read_back_as_the_per_step_ones(training):
    each, held = run(xor_preset(**training), False), run(xor_preset(**training), True)
    a = LossEvent.join([e for e in each if isinstance(e, LossEvent)])
    b = LossEvent.join([e for e in held if isinstance(e, LossEvent)])
    assert np.array_equal(a.steps, np.arange(len(a.steps))) and np.array_equal(a.steps, b.steps)
    assert np.allclose(a.losses, b.losses, rtol=1e-6)
    assert np.array_equal(a.lrs, b.lrs) and np.array_equal(a.momenta, b.momenta)
    assert (a.penalties is None) == (b.penalties is None) == ("l2" not in training)
    if a.penalties is not None:
        assert np.allclose(a.penalties, b.penalties, rtol=1e-6) and np.all(a.penalties > 0)
    epochs_a = [e for e in each if isinstance(e, EpochEvent)]
    epochs_b = [e for e in held if isinstance(e, EpochEvent)]
    assert [e.train_accuracy for e in epochs_a] == [e.train_accuracy for e in epochs_b]
    assert [e.train_loss for e in epochs_a] == pytest.approx([e.train_loss for e in epochs_b], rel=1e-6)


def test_an_epoch_loss_is_the_mean_over_examples_of_its_step_losses():
    events = run(xor_preset(batch_size=50), False)  # 72 training examples: batches of 50 and 22
    losses = LossEvent.join([e for e in events if isinstance(e, LossEvent)])
    first = [e for e in events if isinstance(e, EpochEvent)][0]
    assert first.train_loss == pytest.approx((50 * losses.losses[0] + 22 * losses.losses[1]) / 72)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_steps_are_sent_once_the_emit_interval_has_passed(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(tally_module.time, "perf_counter", clock)
    t = LossTally(torch.device("cpu"), "logits", False)
    y = torch.zeros(4, dtype=torch.int64)
    assert not t.add(0, 0.5, 4, 0.1, 0.0, None, None, y)
    clock.now += EMIT_SECONDS * 0.6
    assert not t.add(1, 0.4, 4, 0.1, 0.0, None, None, y)
    clock.now += EMIT_SECONDS * 0.6
    assert t.add(2, 0.3, 4, 0.1, 0.0, None, None, y)
    event = t.flush(0, 0.1, False).event
    assert event.steps.tolist() == [0, 1, 2] and event.losses.tolist() == [0.5, 0.4, 0.3]
    assert not t.add(3, 0.2, 4, 0.1, 0.0, None, None, y)  # the interval starts again at the flush


def test_a_fast_model_sends_at_most_emit_max_steps_at_once(monkeypatch):
    monkeypatch.setattr(tally_module.time, "perf_counter", Clock())  # no time passes at all
    t = LossTally(torch.device("cpu"), "logits", False)
    y = torch.zeros(1, dtype=torch.int64)
    due = [t.add(k, 1.0, 1, 0.1, 0.0, None, None, y) for k in range(EMIT_MAX_STEPS)]
    assert not any(due[:-1]) and due[-1]


def test_a_held_non_finite_loss_names_its_step_and_sends_the_ones_before():
    t = LossTally(torch.device("cpu"), "logits", False)
    y = torch.zeros(2, dtype=torch.int64)
    for k, v in enumerate([0.5, 0.4, math.nan, 0.3]):
        t.add(10 + k, torch.tensor(v), 2, 0.1, 0.9, torch.tensor(0.01), None, y)
    flushed = t.flush(0, 0.1, False)
    assert flushed.bad_step == 12
    assert flushed.event.steps.tolist() == [10, 11] and flushed.event.losses.tolist() == pytest.approx([0.5, 0.4])
    assert flushed.event.penalties.tolist() == pytest.approx([0.01, 0.01])


def test_the_running_training_accuracy_counts_the_kept_outputs():
    t = LossTally(torch.device("cpu"), "logits", True)
    outs = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    t.add(0, 0.5, 2, 0.1, 0.0, None, outs[:2], torch.tensor([0, 0]))  # right, wrong
    t.add(1, 0.5, 1, 0.1, 0.0, None, outs[2:], torch.tensor([0]))     # right
    t.flush(0, 0.1, True)
    assert t.epoch_accuracy() == pytest.approx(2 / 3)


def test_the_running_accuracy_reads_the_epochs_labels_in_order_across_partial_tallies():
    """Given the epoch's labels in step order (a CPU classifier's), the tally keeps no labels a
    step; outputs compared in several goes (every ACCURACY_EVERY steps, then the epoch's end)
    must each meet their own slice of them."""
    from playground.training.tally import ACCURACY_EVERY
    rng = np.random.default_rng(1)
    steps = ACCURACY_EVERY + 37
    labels = rng.integers(0, 3, size=2 * steps)
    outs = torch.tensor(rng.normal(size=(2 * steps, 3)), dtype=torch.float32)
    by_hand = int((outs.argmax(1).numpy() == labels).sum())
    t = LossTally(torch.device("cpu"), "logits", True)
    t.reset_epoch(0, labels)
    for k in range(steps):
        rows = slice(2 * k, 2 * k + 2)
        t.add(k, 0.5, 2, 0.1, 0.0, None, outs[rows], torch.full((2,), -1))   # the batch labels go unread
        if k % 50 == 49:
            t.flush(0, 0.1, False)
    t.flush(0, 0.1, True)
    assert not t._ys
    assert t.epoch_accuracy() == pytest.approx(by_hand / (2 * steps))


def test_host_classes_read_outputs_with_or_without_a_graph():
    """The epoch's kept outputs carry no graph and skip the detach; an output that requires grad
    is detached first. Classes by hand: the first maximum, a NaN counting as the maximum; one
    output unit is a threshold (0.5 for a sigmoid's probability)."""
    rows = [[0.1, 2.0, -1.0], [3.0, 0.0, 3.0], [float("nan"), 1.0, 2.0]]
    for out in (torch.tensor(rows, requires_grad=True), torch.tensor(rows), torch.tensor(rows, dtype=torch.float64,
                                                                                         requires_grad=True)):
        assert tally_module.host_classes(out, "raw").tolist() == [1, 0, 0]
    probs = torch.tensor([[0.2], [0.7], [0.5]], requires_grad=True)
    assert tally_module.host_classes(probs, "prob").tolist() == [0, 1, 0]
