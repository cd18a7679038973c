"""A long run's per-epoch record stays small, and reads back exactly what was sent."""
from __future__ import annotations

import math
import tracemalloc

import pytest

from playground.babysit.diagnoses import Diagnostician
from playground.core.seeds import Seeds
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.epoch_history import EpochHistory
from playground.training.events import EpochEvent
from playground.training.trainer import Trainer


def _preset(classes: bool) -> Preset:
    if classes:
        model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                                ("Linear", {"out_features": 2}))
        return Preset("t", "", model, DataSpec("xor", {"n_samples": 120}),
                      TrainSpec(epochs=4, batch_size=16, lr=0.05, probe_every=1000))
    model = ModelSpec.chain(("Input", {"shape": [1]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                            ("Linear", {"out_features": 1}))
    return Preset("t", "", model, DataSpec("sine", {"n_samples": 120}),
                  TrainSpec(epochs=4, batch_size=16, lr=0.05, probe_every=1000, loss="mse"))


@pytest.mark.parametrize("classes", [True, False])
def test_the_history_reads_back_every_epoch_event_the_trainer_sent(classes):
    sent: list = []
    trainer = Trainer(_preset(classes), on_event=sent.append, seeds=Seeds(1, 2, 3), device="cpu")
    trainer.run()
    epochs = [e for e in sent if isinstance(e, EpochEvent)]
    assert len(epochs) == 4 == len(trainer.history)
    assert list(trainer.history) == epochs   # every field, None accuracies of a regressor included
    assert trainer.history[-1] == epochs[-1] and trainer.history[1:3] == epochs[1:3]
    assert (epochs[0].train_accuracy is None) is not classes


def test_ten_thousand_epochs_take_a_third_of_the_memory_of_their_events():
    events = [EpochEvent(k + 1, 34 * (k + 1), 1.0 / (k + 1), 2.0 / (k + 1), 0.5 + k * 1e-6, None, 0.002, k * 0.017)
              for k in range(10_000)]
    tracemalloc.start()
    try:
        history = EpochHistory()
        for e in events:
            history.append(e)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # ~336 bytes an event (the object and its floats): a list of them would hold 3.4 MB.
    assert kept < 10_000 * 336 / 3   # 75 bytes an epoch, in blocks of CHUNK epochs
    # growing never holds two copies at once (doubling columns peaked at 1.5x what they kept)
    assert peak - kept < 50_000
    assert history[9_999] == events[9_999] and history[-10_000] == events[0]
    with pytest.raises(IndexError):
        history[10_000]
    assert math.isnan(history.column("val_accuracy")[0]) and history.column("step")[-1] == 340_000


def _epoch(k: int, train: float, val: float) -> EpochEvent:
    return EpochEvent(k, 10 * k, train, val, None, None, 0.01, float(k))


def test_the_doctor_still_compares_with_the_first_and_best_epochs_of_a_long_run():
    doctor = Diagnostician()
    first = _epoch(1, 0.5, 0.50)
    doctor.observe(first)
    doctor.observe(_epoch(2, 0.4, 0.20))   # the best validation loss, long before the rise
    for k in range(3, 3000):
        doctor.observe(_epoch(k, 0.3, 0.30))
    # the training loss falls to its lowest while the validation loss rises three epochs running
    found = [f for k, (tr, va) in enumerate([(0.29, 0.31), (0.2, 0.4), (0.1, 0.5), (0.05, 0.6)], start=3000)
             for f in doctor.observe(_epoch(k, tr, va))]
    overfit = [f for f in found if f.name == "overfitting"]
    assert overfit and "its best 0.2" in overfit[0].evidence
    assert len(doctor._epochs) <= 4   # the rule's window, not 3,000 epochs


def test_a_finished_run_hands_over_its_epochs_once():
    """The end of a run is judged on the Trainer's own epochs, handed over in its FinishedEvent
    (nobody keeps a second copy of a long run's history): every EpochEvent it sent, in order,
    and after a weight reset only the epochs since."""
    from playground.network.preset import resolve_preset
    from playground.training.events import EpochEvent, FinishedEvent
    from playground.training.trainer import Trainer

    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 6
    sent: list[object] = []
    trainer = Trainer(preset, on_event=sent.append, views=())
    trainer.run()
    assert trainer.state == "finished"
    trainer.reset_weights()   # train again from fresh weights: the first run's epochs are not this one's
    sent.clear()
    trainer.run()
    finished = [e for e in sent if isinstance(e, FinishedEvent)]
    epochs = [e for e in sent if isinstance(e, EpochEvent)]
    assert len(finished) == 1 and len(epochs) == 6
    assert [(e.epoch, e.step, e.train_loss, e.val_loss) for e in finished[0].history] == \
           [(e.epoch, e.step, e.train_loss, e.val_loss) for e in epochs]
