"""The Trainer: optimizers, schedules, loss terms, probes, seeding, control and failures."""
import math
import threading

import numpy as np
import pytest
import torch

from playground.training import losses
from playground.training.events import EpochEvent, FinishedEvent, LossEvent, ProbeEvent, ProblemEvent
from playground.training.optim import scheduled_lr
from playground.params import ProblemList
from playground.network.spec import OPTIMIZERS, SCHEDULES, DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.trainer import Trainer


def mlp_preset(**training) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                            ("Linear", {"out_features": 2}))
    base = dict(epochs=5, batch_size=32, lr=0.01, probe_every=5)
    base.update(training)
    return Preset("t", "", model, DataSpec("xor", {"n_samples": 200}), TrainSpec(**base))


def collect(preset: Preset, **kw):
    events = []
    trainer = Trainer(preset, on_event=events.append, **kw)
    return trainer, events


LR = {"sgd": 0.3, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02, "adamw": 0.02}


@pytest.mark.figure  # seed 0: the last epoch's loss is 0.04-0.53 × the first's, on every CPU capability
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(optimizer):
    trainer, events = collect(mlp_preset(optimizer=optimizer, lr=LR[optimizer], epochs=15, weight_decay=0.01))
    trainer.run()
    epochs = [e for e in events if isinstance(e, EpochEvent)]
    assert len(epochs) == 15
    assert epochs[-1].train_loss < 0.7 * epochs[0].train_loss, optimizer


def test_schedules_by_hand():
    ts = TrainSpec(lr=0.1, gamma=0.5, step_size=2, decay=0.1, warmup_steps=10, min_lr=0.0)
    spe, total = 10, 100
    at = lambda s, step: scheduled_lr(TrainSpec(**{**ts.to_dict(), "schedule": s}), step, spe, total)
    assert at("constant", 55) == 0.1
    assert at("step", 19) == pytest.approx(0.1) and at("step", 20) == pytest.approx(0.05)
    assert at("step", 45) == pytest.approx(0.025)
    assert at("exponential", 10) == pytest.approx(0.05) and at("exponential", 30) == pytest.approx(0.0125)
    assert at("inverse_time", 10) == pytest.approx(0.1 / 2)
    assert at("inverse_sqrt", 0) == pytest.approx(0.1) and at("inverse_sqrt", 15) == pytest.approx(0.1 / 4)
    assert at("cosine", 0) == pytest.approx(0.1) and at("cosine", 50) == pytest.approx(0.05)
    assert at("cosine", 100) == pytest.approx(0.0, abs=1e-12)
    assert at("warmup", 0) == pytest.approx(0.01) and at("warmup", 4) == pytest.approx(0.05)
    assert at("warmup", 50) == pytest.approx(0.1)
    assert set(SCHEDULES) == {"constant", "step", "exponential", "inverse_sqrt", "inverse_time", "cosine",
                             "warmup"}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_trainer_follows_the_schedule(schedule):
    trainer, events = collect(mlp_preset(schedule=schedule, lr=0.05, epochs=4, step_size=1, gamma=0.5,
                                         warmup_steps=6, decay=0.2))
    trainer.run()
    for e in (e for e in events if isinstance(e, LossEvent)):
        last = int(e.steps[-1])
        assert e.lr == pytest.approx(scheduled_lr(trainer.ts, last, trainer.steps_per_epoch, trainer.total_steps))


def test_task_losses_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1])
    expected_ce = -(math.log(math.exp(2) / (math.exp(2) + 1)) + math.log(math.e / (1 + math.e))) / 2
    assert float(losses.task_loss("cross_entropy", logits, y)) == pytest.approx(expected_ce, rel=1e-6)
    probs = torch.softmax(logits, dim=1)
    assert float(losses.task_loss("cross_entropy", probs, y, "probs")) == pytest.approx(expected_ce, rel=1e-5)
    one = torch.tensor([[0.0], [2.0]])
    expected_bce = -(math.log(0.5) + math.log(1 / (1 + math.exp(-2)))) / 2
    assert float(losses.task_loss("bce", one, torch.tensor([0, 1]))) == pytest.approx(expected_bce, rel=1e-6)
    pred, target = torch.tensor([[1.0], [3.0]]), torch.tensor([[0.0], [1.0]])
    assert float(losses.task_loss("mse", pred, target)) == pytest.approx((1 + 4) / 2)
    assert float(losses.task_loss("l1", pred, target)) == pytest.approx((1 + 2) / 2)
    margins = torch.tensor([[0.5], [-2.0]])  # y = +1 with score .5 → 0.5; y = −1 with score −2 → 0
    assert float(losses.task_loss("hinge", margins, torch.tensor([1, 0]))) == pytest.approx(0.25)


def test_penalties_by_hand():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.0, 3.0]]))
        net[1].weight.copy_(torch.tensor([[-1.0, 1.0]]))
    assert float(losses.l1_penalty(net).detach()) == pytest.approx(1 + 2 + 3 + 1 + 1)  # biases are left out
    assert float(losses.l2_penalty(net).detach()) == pytest.approx(1 + 4 + 9 + 1 + 1)
    code = torch.tensor([[0.2, -0.4], [0.0, 0.6]])
    assert float(losses.sparsity_penalty(code, "l1", 0.1)) == pytest.approx((0.6 + 0.6) / 2)
    h = torch.tensor([[0.2, 0.5], [0.4, 0.3]])  # mean activations ρ̂ = (0.3, 0.4)
    kl = sum(0.1 * math.log(0.1 / r) + 0.9 * math.log(0.9 / (1 - r)) for r in (0.3, 0.4))
    assert float(losses.sparsity_penalty(h, "kl", 0.1)) == pytest.approx(kl, rel=1e-5)
    losses.apply_max_norm(net, 1.5)
    assert float(net[0].weight.norm(dim=1).max()) <= 1.5 + 1e-6
    assert float(net[1].weight.norm()) == pytest.approx(math.sqrt(2))  # already below c: untouched


def test_contractive_estimate_matches_the_exact_jacobian_norm():
    torch.manual_seed(0)
    enc = torch.nn.Sequential(torch.nn.Linear(5, 3), torch.nn.Sigmoid())
    x = torch.randn(4, 5)
    exact = float(losses.exact_contractive(x, enc))
    g = torch.Generator().manual_seed(0)
    estimates = []
    for _ in range(3000):
        xx = x.clone().requires_grad_(True)
        estimates.append(float(losses.contractive_penalty(xx, enc(xx), g)))
    assert np.mean(estimates) == pytest.approx(exact, rel=0.05)


def test_update_ratio_and_grad_norm_by_hand():
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 2}))
    p = Preset("t", "", model, DataSpec("xor", {"n_samples": 100}),
               TrainSpec(optimizer="sgd", lr=0.5, batch_size=100, probe_every=1, epochs=1))
    trainer, events = collect(p)
    w0 = trainer.model.linear1.weight.detach().clone()
    trainer.step()
    w1 = trainer.model.linear1.weight.detach()
    probe = next(e for e in events if isinstance(e, ProbeEvent)).layers[0]
    assert probe.node_id == "linear1"
    assert probe.update_ratio == pytest.approx(float((w1 - w0).norm() / w1.norm()), rel=1e-5)
    assert probe.grad_norm == pytest.approx(float((w1 - w0).norm() / 0.5), rel=1e-4)  # SGD: ΔW = −η∇W
    assert probe.hist_counts.sum() == 2 * min(256, len(trainer.x_probe))


def test_update_ratio_of_a_layer_with_several_weight_tensors_by_hand():
    """An LSTM's W is its input and recurrent matrices taken as one vector: ||ΔW||/||W|| and
    ||∇W|| over both, computed here in float64 from copies taken around the step."""
    model = ModelSpec.chain(("Input", {"shape": [5, 2]}), ("LSTM", {"hidden_size": 3, "output": "last"}),
                            ("Linear", {"out_features": 1}))
    p = Preset("t", "", model, DataSpec("adding", {"n_samples": 64, "seq_len": 5}),
               TrainSpec(optimizer="sgd", lr=0.5, batch_size=64, probe_every=1, epochs=1, loss="mse"))
    trainer, events = collect(p)
    lstm = trainer.model.lstm1
    mats = [w for w in lstm.parameters() if w.dim() >= 2]
    assert len(mats) == 2
    before = [w.detach().double().clone() for w in mats]
    trainer.step()
    after = [w.detach().double() for w in mats]
    grads = [(b - a) / 0.5 for a, b in zip(after, before)]  # SGD: ΔW = −η∇W
    norm = lambda ts: math.sqrt(sum(float((t ** 2).sum()) for t in ts))  # noqa: E731
    probe = next(e for e in events if isinstance(e, ProbeEvent))
    layer = next(lp for lp in probe.layers if lp.node_id == "lstm1")
    assert layer.weight_norm == pytest.approx(norm(after), rel=1e-5)
    assert layer.update_ratio == pytest.approx(norm([a - b for a, b in zip(after, before)]) / norm(after), rel=1e-4)
    assert layer.grad_norm == pytest.approx(norm(grads), rel=1e-3)


def test_dead_relu_fraction():
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 4}), ("ReLU", {}),
                            ("Linear", {"out_features": 2}))
    trainer, events = collect(Preset("t", "", model, DataSpec("xor", {"n_samples": 100}),
                                     TrainSpec(probe_every=1, lr=1e-9, epochs=1)))
    with torch.no_grad():
        trainer.model.linear1.bias[:2] = -1000.0  # two of four units can never fire
    trainer.step()
    relu = next(e for e in events if isinstance(e, ProbeEvent)).layers[1]
    assert relu.layer_type == "ReLU" and relu.dead_fraction == pytest.approx(0.5)


def test_same_seed_same_numbers_different_seed_different():
    def losses_of(seed):
        t, ev = collect(mlp_preset(seed=seed, epochs=2))
        t.run()
        return np.concatenate([e.losses for e in ev if isinstance(e, LossEvent)])
    a, b, c = losses_of(1), losses_of(1), losses_of(2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


class _Watched:
    """Waits on the training thread's own progress, never on a clock: every step and every pass
    of the paused loop (its wait on the run flag) notifies a condition the test waits on."""

    HANG_GUARD_S = 120.0  # only a hung thread ever gets this far

    def __init__(self, trainer: Trainer) -> None:
        self.changed = threading.Condition()
        self.parked = 0  # passes of the loop that found training paused
        advance, watched = trainer._advance, self

        def advance_and_notify() -> bool:
            ok = advance()
            with watched.changed:
                watched.changed.notify_all()
            return ok

        class RunFlag(threading.Event):
            def wait(self, timeout: float | None = None) -> bool:
                with watched.changed:
                    watched.parked += 1
                    watched.changed.notify_all()
                return super().wait(timeout)

        flag = RunFlag()
        if trainer.control.go.is_set():
            flag.set()
        trainer._advance, trainer.control.go = advance_and_notify, flag

    def until(self, condition) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, self.HANG_GUARD_S)

    def parks(self, n: int = 1) -> None:
        """Wait until the paused loop has come round n more times."""
        with self.changed:
            target = self.parked + n
        self.until(lambda: self.parked >= target)


def test_pause_single_step_resume_and_stop_from_another_thread():
    trainer, events = collect(mlp_preset(epochs=100000, batch_size=8))
    watch = _Watched(trainer)
    thread = threading.Thread(target=trainer.run)
    thread.start()
    try:
        watch.until(lambda: trainer.step_count >= 20)
        trainer.pause()
        watch.parks()  # the loop has seen the pause: any step in flight has finished
        assert trainer.state == "paused"
        held = trainer.step_count
        watch.parks(3)  # three more passes of the paused loop, and no step among them
        assert trainer.step_count == held
        trainer.request_step()
        watch.until(lambda: trainer.step_count > held)
        watch.parks(2)  # paused again after the single step, and it stays there
        assert trainer.step_count == held + 1 and trainer.state == "paused"
        trainer.resume()
        watch.until(lambda: trainer.step_count > held + 1)
        trainer.stop()
        thread.join(_Watched.HANG_GUARD_S)
        assert not thread.is_alive()
    finally:
        trainer.stop()
        thread.join(5)
    finished = [e for e in events if isinstance(e, FinishedEvent)]
    assert len(finished) == 1 and finished[0].reason == "stopped" and trainer.state == "stopped"


def test_clipping_and_max_norm_turned_on_while_training_apply_at_the_next_step():
    trainer, _ = collect(mlp_preset(epochs=3, lr=0.5, batch_size=20))
    trainer.step()  # a plain step: no clipping, no max-norm
    trainer.set_setting("grad_clip", 1e-4)
    trainer.set_setting("max_norm", 0.05)
    trainer.step()
    grads = [p.grad for p in trainer.model.parameters() if p.grad is not None]
    assert float(torch.linalg.vector_norm(torch.stack([g.norm() for g in grads]))) <= 1e-4 * (1 + 1e-4)
    weight = next(p for p in trainer.model.parameters() if p.dim() == 2)
    assert float(weight.detach().norm(dim=1).max()) <= 0.05 + 1e-6


def test_the_initial_weights_hash_names_the_weights_before_training_whichever_way_it_runs():
    untrained, _ = collect(mlp_preset(epochs=2))
    expected = untrained.initial_weights_hash()
    by_run, _ = collect(mlp_preset(epochs=2))
    by_run.run()
    by_steps, _ = collect(mlp_preset(epochs=2))
    while by_steps.step():
        pass
    assert by_run.step_count > 0 and by_run.initial_weights_hash() == expected
    assert by_steps.initial_weights_hash() == expected


def test_hot_settings_apply_at_the_next_step():
    trainer, events = collect(mlp_preset(epochs=3, lr=0.01, batch_size=20))
    trainer.step()
    trainer.set_setting("lr", 0.002)
    trainer.set_setting("batch_size", 50)
    trainer.step()
    assert trainer.optimizer.param_groups[0]["lr"] == pytest.approx(0.002)
    assert trainer._cursor == 20 + 50
    with pytest.raises(ValueError, match="rebuild"):
        trainer.set_setting("optimizer", "sgd")
    with pytest.raises(ValueError, match="must be >= 1"):
        trainer.set_setting("batch_size", 0)


def test_non_finite_loss_stops_with_an_event_naming_step_and_layer():
    model = ModelSpec.chain(("Input", {"shape": [1]}), ("Linear", {"out_features": 16}), ("ReLU", {}),
                            ("Linear", {"out_features": 1}))
    p = Preset("boom", "", model, DataSpec("sine", {}), TrainSpec(loss="mse", optimizer="sgd", lr=1e4, epochs=50))
    trainer, events = collect(p)
    finished = trainer.run()
    problem = next(e for e in events if isinstance(e, ProblemEvent))
    assert problem.kind == "non_finite" and problem.node_id == "linear1"
    assert f"step {problem.step}" in problem.message and "learning rate" in problem.advice
    assert finished.reason == "problem" and trainer.state == "problem"
    assert not trainer.step()  # stays stopped; nothing raises


def test_early_stopping_restores_the_best_weights(monkeypatch):
    trainer, events = collect(mlp_preset(epochs=20, early_stopping=2))
    scripted = iter([1.0, 0.5, 0.7, 0.8, 0.9])
    monkeypatch.setattr(trainer, "_evaluate", lambda split="val": ({"loss": next(scripted), "accuracy": 0.5}, None))
    snapshots = {}
    trainer.on_event = lambda e: snapshots.setdefault(e.epoch, trainer.state_dict_copy()) \
        if isinstance(e, EpochEvent) else events.append(e)
    finished = trainer.run()
    assert finished.reason == "early_stopping" and trainer.epoch == 4 and "epoch 2" in finished.message
    for k, v in trainer.state_dict_copy().items():
        assert torch.equal(v, snapshots[2][k])


def test_misfits_are_reported_with_paths():
    p = mlp_preset()
    p.model.nodes[0].params["shape"] = [3]
    p.model.nodes[-1].params["out_features"] = 5
    with pytest.raises(ProblemList) as e:
        Trainer(p)
    text = str(e.value)
    assert "model.nodes[0].params.shape: Input shape (3,) does not match data set 'xor'" in text
    assert "model.nodes[3]: cross-entropy over 2 classes needs an output of shape (2,), got (5,)" in text
    with pytest.raises(ProblemList, match="not a device name"):
        Trainer(mlp_preset(), device="warp9")


def test_reset_weights_starts_over():
    trainer, _ = collect(mlp_preset(epochs=2))
    before = trainer.state_dict_copy()
    trainer.run()
    trainer.reset_weights()
    assert trainer.step_count == 0 and trainer.epoch == 0 and trainer.state == "ready"
    for k, v in trainer.state_dict_copy().items():
        assert torch.equal(v, before[k])
    assert trainer.step()


def test_gradient_clipping_bounds_the_update():
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 2}))
    p = Preset("t", "", model, DataSpec("xor", {"n_samples": 100}),
               TrainSpec(optimizer="sgd", lr=1.0, grad_clip=0.01, batch_size=100, epochs=1))
    trainer, _ = collect(p)
    before = [q.detach().clone() for q in trainer.model.parameters()]
    trainer.step()
    change = math.sqrt(sum(float((q.detach() - b).pow(2).sum()) for q, b in zip(trainer.model.parameters(), before)))
    assert change == pytest.approx(0.01, rel=1e-4)  # SGD with lr 1: the update is the clipped gradient


def test_trainer_adds_every_penalty_to_the_loss():
    """The step loss a Trainer reports is the task loss plus each active term, by hand."""
    from playground.network.preset import resolve_preset
    p = resolve_preset("sparse_autoencoder")
    p.training.l1, p.training.l2, p.training.sparsity, p.training.sparsity_weight = 1e-3, 1e-2, "l1", 0.5
    p.training.batch_size, p.training.optimizer, p.training.lr = 4000, "sgd", 1e-9
    trainer, events = collect(p)
    x = trainer.x_train
    model = trainer.model
    with torch.no_grad():
        values = model.forward_all(x)
        expected = (losses.task_loss("mse", values[model.output_id], x)
                    + 1e-3 * losses.l1_penalty(model) + 1e-2 * losses.l2_penalty(model)
                    + 0.5 * values["code"].abs().sum(1).mean())
    trainer.step()
    reported = next(e for e in events if isinstance(e, LossEvent)).losses[0]
    assert reported == pytest.approx(float(expected), rel=1e-5)


def test_vae_loss_includes_the_kl_per_input_value():
    from playground.network.preset import resolve_preset
    p = resolve_preset("vae_digits")
    p.training.batch_size, p.training.optimizer, p.training.lr, p.training.kl_weight = 4000, "sgd", 1e-9, 2.0
    trainer, events = collect(p)
    x = trainer.x_train[trainer._perm]  # the one batch, in the order the Trainer takes it
    torch.manual_seed(5)
    out = trainer.model(x)  # a training-mode forward leaves the batch's KL in the Sampling node
    recon = float(losses.task_loss("mse", out, x))
    kl = float(trainer.model.kl_divergence())
    torch.manual_seed(5)
    trainer.step()
    reported = next(e for e in events if isinstance(e, LossEvent)).losses[0]
    assert reported == pytest.approx(recon + 2.0 * kl / 64, rel=1e-4)


def test_flush_sends_pending_losses_and_weights_load_or_are_refused():
    trainer, events = collect(mlp_preset(epochs=2))
    trainer.step()
    assert not any(isinstance(e, LossEvent) for e in events)  # waiting for the next read-back
    trainer.flush()
    sent = [e for e in events if isinstance(e, LossEvent)]
    assert len(sent) == 1 and list(sent[0].steps) == [0]
    other, _ = collect(mlp_preset(epochs=2, seed=7))
    trainer.load_weights(other.state_dict_copy())
    for k, v in trainer.state_dict_copy().items():
        assert torch.equal(v, other.state_dict_copy()[k])
    wrong = {k: v[..., :1] for k, v in other.state_dict_copy().items()}
    with pytest.raises(ProblemList, match="do not fit this network"):
        trainer.load_weights(wrong)


def test_probe_histogram_counts_as_histc_does_with_or_without_a_graph():
    """A layer's probe histogram over its values (fewer than HIST_VALUES: every one is counted):
    the counts torch.histc gives over the same range, the mean and std numpy gives; an output
    that carries a graph reads the same as one that does not."""
    from playground.training.probes import HIST_BINS, histogram
    values = torch.from_numpy(np.random.default_rng(3).normal(0.5, 2.0, size=(40, 25)).astype(np.float32))
    lo, hi = float(values.min()), float(values.max())
    expected = torch.histc(values, bins=HIST_BINS, min=lo, max=hi).numpy()
    for v in (values, values.clone().requires_grad_(True)):
        counts, edges, mean, std = histogram(v)
        assert counts.tolist() == expected.tolist()
        assert (edges[0], edges[-1]) == (lo, hi)
        assert mean == pytest.approx(float(np.mean(values.numpy(), dtype=np.float64)), rel=1e-9)
        assert std == pytest.approx(float(np.std(values.numpy(), dtype=np.float64, ddof=1)), rel=1e-9)


def _steps_and_records(preset: Preset, general_only: bool, monkeypatch) -> tuple[Trainer, list, bool]:
    with monkeypatch.context() as m:
        if general_only:
            m.setattr(Trainer, "_step_for_settings", lambda self: self._train_step)
        trainer, events = collect(preset)
        for k in range(3 * trainer.steps_per_epoch):
            if k == 9:
                trainer.set_setting("lr", 0.03)   # a live change: the general step applies it
            trainer.step()
            if k == 2:
                fast = trainer._step == trainer._fast_step
        return trainer, events, fast


@pytest.mark.parametrize("output", ["logits", "softmax"])
def test_the_fast_step_trains_bit_for_bit_as_the_general_step(output, monkeypatch):
    """The plain CPU step's shortcut (`Trainer._fast_step`) gives the same weights, losses, probes
    and epochs as `_train_step`, through a live learning-rate change."""
    extra = (("Softmax", {}),) if output == "softmax" else ()
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("Tanh", {}),
                            ("Linear", {"out_features": 2}), *extra)
    preset = Preset("t", "", model, DataSpec("xor", {"n_samples": 200}),
                    TrainSpec(epochs=3, batch_size=32, lr=0.01, probe_every=5, optimizer="adam"))
    fast, fast_events, took_fast = _steps_and_records(preset, False, monkeypatch)
    general, general_events, took_general = _steps_and_records(preset, True, monkeypatch)
    assert took_fast and not took_general
    assert fast.optimizer.param_groups[0]["lr"] == general.optimizer.param_groups[0]["lr"] == 0.03
    for name, value in general.model.state_dict().items():
        assert torch.equal(fast.model.state_dict()[name], value), name
    losses_of = lambda events: np.concatenate([np.stack([e.losses, e.lrs]) for e in events if isinstance(e, LossEvent)], axis=1)
    assert losses_of(fast_events).shape == (2, 3 * fast.steps_per_epoch)
    np.testing.assert_array_equal(losses_of(fast_events), losses_of(general_events))
    ratios = lambda events: [(e.step, [p.update_ratio for p in e.layers]) for e in events if isinstance(e, ProbeEvent)]
    assert len(ratios(fast_events)) == 3 and ratios(fast_events) == ratios(general_events)
    epochs = lambda events: [(e.train_loss, e.val_loss, e.train_accuracy, e.val_accuracy, e.lr) for e in events
                             if isinstance(e, EpochEvent)]
    assert len(epochs(fast_events)) == 3 and epochs(fast_events) == epochs(general_events)
