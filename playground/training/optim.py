"""Optimizers and learning-rate schedules, both driven by the TrainSpec.

The schedule is a pure function of the step, so a learning rate changed while training runs
(a "hot" setting) simply becomes the new η the schedule scales.
"""
from __future__ import annotations

import math
from typing import Iterable

import torch

from playground.network.spec import OPTIMIZER_HYPERPARAMETERS, TrainSpec


def make_optimizer(params: Iterable[torch.nn.Parameter], ts: TrainSpec) -> torch.optim.Optimizer:
    """The torch optimizer `ts` names, reading only that optimizer's own hyper-parameters (the
    rows of spec.OPTIMIZER_HYPERPARAMETERS); the training script copies this function as it is.

    On the CPU and CUDA the update runs as torch's `foreach` ops (one op for all the parameter
    tensors), where torch's default on the CPU is a Python loop of small ops for each tensor:
    the same numbers bit for bit, in less time wherever a network has many tensors (the 144-node
    degradation_residual's training step took ~20% less on one CPU core). The fused kernels
    (`fused=True`) are faster still, but they round differently in the last bits, and with them
    several presets' lessons missed the figures they were measured at."""
    params = list(params)
    o = ts.optimizer
    on_kernel_device = params and all(p.device.type in ("cpu", "cuda") for p in params)
    foreach = {"foreach": True} if on_kernel_device else {}
    if o == "sgd":
        return torch.optim.SGD(params, lr=ts.lr, **foreach)
    if o == "momentum":
        return torch.optim.SGD(params, lr=ts.lr, momentum=ts.momentum, **foreach)
    if o == "nesterov":
        return torch.optim.SGD(params, lr=ts.lr, momentum=ts.momentum, nesterov=True, **foreach)
    if o == "adagrad":
        return torch.optim.Adagrad(params, lr=ts.lr, **foreach)
    if o == "rmsprop":
        # The notes' RMSProp with decay α: the step is scaled by the running RMS of the gradients;
        # momentum ρ (0 by default, the notes' plain form) accumulates the scaled steps.
        return torch.optim.RMSprop(params, lr=ts.lr, alpha=ts.alpha, momentum=ts.momentum, **foreach)
    if o == "adam":
        return torch.optim.Adam(params, lr=ts.lr, betas=(ts.beta1, ts.beta2), **foreach)
    if o == "adamw":
        return torch.optim.AdamW(params, lr=ts.lr, betas=(ts.beta1, ts.beta2), weight_decay=ts.weight_decay,
                                 **foreach)
    raise ValueError(f"unknown optimizer {o!r}")


def scheduled_momentum(ts: TrainSpec, epoch: int) -> float:
    """ρ in a (0-based) epoch under the momentum schedule.

    constant: ρ; linear_warmup: ρ₀ + (ρ − ρ₀)·epoch / N for the first N = momentum_warmup_epochs
    epochs (ρ₀ = momentum_start in epoch 0), then ρ: the notes' momentum that starts near 0.5
    and is annealed up to 0.99 over a few epochs.
    """
    if ts.momentum_schedule == "constant":
        return ts.momentum
    if ts.momentum_schedule == "linear_warmup":
        n = max(1, ts.momentum_warmup_epochs)
        if epoch >= n:
            return ts.momentum
        return ts.momentum_start + (ts.momentum - ts.momentum_start) * max(0, epoch) / n
    raise ValueError(f"unknown momentum schedule {ts.momentum_schedule!r}")


def apply_hyperparameters(opt: torch.optim.Optimizer, ts: TrainSpec, lr: float, epoch: int = 0) -> None:
    """Push the current settings into the optimizer (its own hyper-parameters only) and set η;
    ρ is the momentum schedule's for the (0-based) epoch."""
    own = OPTIMIZER_HYPERPARAMETERS.get(ts.optimizer, {})
    for g in opt.param_groups:
        g["lr"] = lr
        if "momentum" in g and "momentum" in own:
            g["momentum"] = scheduled_momentum(ts, epoch)
        if "betas" in g:
            g["betas"] = (ts.beta1, ts.beta2)
        if "alpha" in g and "alpha" in own:
            g["alpha"] = ts.alpha
        if "weight_decay" in own:
            g["weight_decay"] = ts.weight_decay


def current_momentum(ts: TrainSpec, epoch: int = 0) -> float:
    """The momentum the optimizer applies in a (0-based) epoch: ρ (as scheduled) for SGD+momentum,
    Nesterov and RMSProp, β1 for Adam(W), 0 for plain SGD and Adagrad."""
    if "momentum" in OPTIMIZER_HYPERPARAMETERS.get(ts.optimizer, {}):
        return float(scheduled_momentum(ts, epoch))
    if ts.optimizer in ("adam", "adamw"):
        return float(ts.beta1)
    return 0.0


def scheduled_lr(ts: TrainSpec, step: int, steps_per_epoch: int, total_steps: int) -> float:
    """η at a (0-based) step under the schedule.

    step: η·γ^⌊epoch/step_size⌋; exponential: η·γ^epoch (fractional epochs, smooth);
    inverse_sqrt: the notes' 1/t decay η/√(t+1); inverse_time: η/(1 + decay·t), t in steps;
    cosine: from η down to min_lr over the whole run;
    warmup: linear from η/warmup_steps up to η, then constant.
    """
    s = ts.schedule
    epoch = step / max(1, steps_per_epoch)
    if s == "constant":
        return ts.lr
    if s == "step":
        return ts.lr * ts.gamma ** (int(epoch) // ts.step_size)
    if s == "exponential":
        return ts.lr * ts.gamma ** epoch
    if s == "inverse_sqrt":
        return ts.lr / math.sqrt(step + 1)
    if s == "inverse_time":
        return ts.lr / (1.0 + ts.decay * step)
    if s == "cosine":
        t = min(1.0, step / max(1, total_steps))
        return ts.min_lr + (ts.lr - ts.min_lr) * 0.5 * (1 + math.cos(math.pi * t))
    if s == "warmup":
        return ts.lr * min(1.0, (step + 1) / max(1, ts.warmup_steps))
    raise ValueError(f"unknown schedule {s!r}")
