"""One path for a live setting and one place for pause: the Trainer validates a setting, applies
it before a step and says which (SettingAppliedEvent); its RunControl keeps what was asked before
the Trainer existed; the data loss is the engine's own series."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.control import RunControl
from playground.training.events import LossEvent, SettingAppliedEvent
from playground.training.trainer import Trainer


def mlp(**training) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                            ("Linear", {"out_features": 2}))
    base = dict(epochs=50, batch_size=16, lr=0.01, probe_every=1000, optimizer="sgd")
    base.update(training)
    return Preset("t", "", model, DataSpec("xor", {"n_samples": 200}), TrainSpec(**base))


def test_the_applied_event_names_the_first_step_that_trains_with_the_new_lr():
    events: list[object] = []
    trainer = Trainer(mlp(), on_event=events.append)
    optimizer_lr = []   # the learning rate in the optimizer after each step: the oracle
    for k in range(10):
        if k == 6:
            trainer.set_setting("lr", 0.25)
        trainer.step()
        optimizer_lr.append(trainer.optimizer.param_groups[0]["lr"])
    applied = [e for e in events if isinstance(e, SettingAppliedEvent)]
    assert len(applied) == 1 and (applied[0].name, applied[0].old, applied[0].value) == ("lr", 0.01, 0.25)
    first_new = optimizer_lr.index(0.25)
    assert optimizer_lr[:first_new] == [0.01] * first_new
    assert applied[0].step == first_new == 6
    assert applied[0].describe() == "lr 0.01 → 0.25"


def test_an_unchanged_value_is_not_announced_and_a_refused_one_says_why():
    events: list[object] = []
    trainer = Trainer(mlp(), on_event=events.append)
    trainer.set_setting("lr", 0.01)   # what it already is
    trainer.step()
    assert not any(isinstance(e, SettingAppliedEvent) for e in events)
    with pytest.raises(ValueError, match="optimizer cannot change during a run, running or paused.*Stop, then Start"):
        trainer.set_setting("optimizer", "adam")
    with pytest.raises(ValueError, match="lr"):
        trainer.set_setting("lr", -1.0)


def test_requests_made_before_the_trainer_exists_are_kept():
    control = RunControl(paused=True)
    control.request_step()
    Trainer.check_setting("lr", 0.3)
    control.queue_setting("lr", 0.3)
    events: list[object] = []
    trainer = Trainer(mlp(), on_event=events.append, control=control)
    stepped = threading.Event()
    advance = trainer._advance

    def advance_and_tell() -> bool:
        more = advance()
        stepped.set()
        return more

    trainer._advance = advance_and_tell
    thread = threading.Thread(target=trainer.run)
    thread.start()
    try:
        assert stepped.wait(30)   # the one requested step
        assert trainer.optimizer.param_groups[0]["lr"] == 0.3
        assert [e.step for e in events if isinstance(e, SettingAppliedEvent)] == [0]
        assert control.paused and not control.go.is_set()
    finally:
        trainer.stop()   # a stop from another thread ends the paused run
        thread.join(10)
    assert not thread.is_alive() and trainer.step_count == 1 and trainer.state == "stopped"


def test_the_data_loss_is_the_task_loss_by_hand_and_the_penalty_is_its_own_series():
    events: list[object] = []
    trainer = Trainer(mlp(l2=0.05, batch_size=200), on_event=events.append)
    x, y = trainer.x_train[trainer._perm], trainer.y_train[trainer._perm]   # the first batch: all of it
    with torch.no_grad():
        by_hand = float(F.cross_entropy(trainer.model(x), y))
        penalty = 0.05 * sum(float((p ** 2).sum()) for n, p in trainer.model.named_parameters() if "weight" in n)
    trainer.step()
    trainer.flush()
    loss = next(e for e in events if isinstance(e, LossEvent))
    assert loss.data_losses is not None and loss.penalties is not None
    assert loss.data_losses[0] == pytest.approx(by_hand, rel=1e-5)
    assert loss.penalties[0] == pytest.approx(penalty, rel=1e-4)
    assert loss.losses[0] == pytest.approx(by_hand + penalty, rel=1e-5)
    joined = LossEvent.join([loss, LossEvent(np.array([9]), np.array([0.5]), 0, 0.01)])   # one without a penalty
    assert joined.data_loss().tolist() == pytest.approx([by_hand, 0.5], rel=1e-5)


def test_the_control_is_undisturbed_only_while_it_runs_with_nothing_asked():
    """The Trainer's loop and the app's session take the next step on this one flag without
    asking each request: every request must clear it until it is dealt with."""
    control = RunControl()
    assert control.undisturbed
    control.pause()
    assert not control.undisturbed
    control.resume()
    assert control.undisturbed
    control.queue_setting("lr", 0.1)
    assert not control.undisturbed
    assert control.take_settings() == {"lr": 0.1} and control.undisturbed
    control.request_step()          # pauses too
    control.resume()
    assert not control.undisturbed  # the step request still waits
    assert control.take_step() and control.undisturbed
    control.request_reset()
    control.resume()
    assert not control.undisturbed
    assert control.take_reset() and control.undisturbed
    control.stop()
    assert not control.undisturbed
    assert not RunControl(paused=True).undisturbed


def test_a_setting_queued_while_the_trainer_runs_flat_out_is_applied_at_a_step():
    events: list[object] = []
    trainer = Trainer(mlp(epochs=400), on_event=events.append)
    seen_lr: list[float] = []
    advance = trainer._advance

    def advance_and_ask() -> bool:
        if trainer.step_count == 20:
            trainer.set_setting("lr", 0.2)
        more = advance()
        seen_lr.append(trainer.optimizer.param_groups[0]["lr"])   # what that step trained with
        return more and trainer.step_count < 40

    trainer._advance = advance_and_ask
    trainer.run()
    applied = [e for e in events if isinstance(e, SettingAppliedEvent)]
    assert [(e.step, e.name) for e in applied] == [(21, "lr")]   # the first step trained with it
    assert seen_lr[20] == 0.01 and seen_lr[21] == 0.2   # asked as step 20 began, applied before step 21
