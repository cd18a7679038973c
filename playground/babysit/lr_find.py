"""The learning-rate range test (Smith 2017; fast.ai's lr_find).

Train a few dozen steps while the learning rate grows exponentially from 1e-7 to 10, smooth
the loss, stop once it passes 4x the best, and read good learning rates off the curve: where
it falls fastest, a tenth of where it bottoms out, and fast.ai's "valley". The model, the
optimizer and the random generators are put back exactly as they were, so the test can run
before (or in the middle of) a training without changing it.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from playground.trainer import Trainer

START_LR, END_LR = 1e-7, 10.0
MAX_STEPS = 100
BETA = 0.98
STOP_FACTOR = 4.0


@dataclass
class RangeTest:
    """The sweep and what it suggests."""

    lrs: list[float]
    losses: list[float]          # smoothed (bias-corrected EMA)
    raw_losses: list[float]
    suggestions: dict[str, float] = field(default_factory=dict)  # steepest, min_over_10, valley
    lr_at_min: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {"suggestions": dict(self.suggestions), "lr_at_min": self.lr_at_min,
                "lrs": list(self.lrs), "losses": list(self.losses)}


def _valley(losses: np.ndarray) -> int:
    """fast.ai's valley: the longest stretch of falling loss; two thirds of the way down it."""
    n = len(losses)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
        if lds[max_end] < lds[i]:
            max_end = i
            max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return int(max_start + int(sections) + int(sections / 2))


def suggest(lrs: list[float], losses: list[float]) -> tuple[dict[str, float], float]:
    """Suggestions from a smoothed sweep, each below the learning rate of the minimum loss."""
    lr = np.asarray(lrs, dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    k_min = int(np.argmin(loss))
    lr_min = float(lr[k_min])
    head = loss[: k_min + 1]
    if len(head) >= 3:
        slope = np.gradient(head, np.log10(lr[: k_min + 1]))
        steepest = float(lr[int(np.argmin(slope[:-1]))])
        valley = float(lr[min(_valley(head), k_min - 1)])
    else:
        steepest = valley = float(lr[0])
    return {"steepest": steepest, "min_over_10": lr_min / 10, "valley": valley}, lr_min


def lr_range_test(trainer: Trainer, *, start: float = START_LR, end: float = END_LR, steps: int = MAX_STEPS,
                  beta: float = BETA, stop_factor: float = STOP_FACTOR,
                  should_stop: Callable[[], bool] | None = None,
                  on_step: Callable[[int, float, float], None] | None = None) -> RangeTest:
    """Sweep the learning rate on `trainer`'s model and optimizer, then restore both bit for bit.

    Call it between steps, from the thread that owns the trainer. Batches are drawn with their
    own generator, so the training's data order is untouched as well."""
    if trainer.ts.mode == "perceptron":
        raise ValueError("the perceptron rule has no learning rate to find")
    steps = max(3, min(int(steps), MAX_STEPS))
    if not (0 < start < end):
        raise ValueError(f"the sweep needs 0 < start < end, got {start:g}..{end:g}")
    model, opt = trainer.model, trainer.optimizer
    saved_model = {k: v.detach().clone() for k, v in model.state_dict().items()}
    saved_opt = copy.deepcopy(opt.state_dict())
    saved_lrs = [g["lr"] for g in opt.param_groups]
    was_training = model.training
    gen = torch.Generator().manual_seed(trainer.ts.seed + 12345)
    bs = min(trainer.ts.batch_size, trainer.n_train)
    lrs, smooth, raw = [], [], []
    avg, best = 0.0, math.inf
    factor = (end / start) ** (1 / (steps - 1))
    try:
        with torch.random.fork_rng(devices=[trainer.device] if trainer.device.type == "cuda" else []):
            model.train()
            for k in range(steps):
                if should_stop is not None and should_stop():
                    break
                lr = start * factor ** k
                for g in opt.param_groups:
                    g["lr"] = lr
                idx = torch.randint(0, trainer.n_train, (bs,), generator=gen).to(trainer.device)
                xb, yb = trainer.x_train[idx], trainer.y_train[idx]
                target = xb if trainer.ts.target == "input" else yb
                loss = trainer._loss(xb, target)[0]  # data loss plus every penalty term
                value = float(loss.detach())
                if not math.isfinite(value):
                    break
                avg = beta * avg + (1 - beta) * value
                smoothed = avg / (1 - beta ** (k + 1))
                lrs.append(lr)
                raw.append(value)
                smooth.append(smoothed)
                if on_step is not None:
                    on_step(k, lr, smoothed)
                if smoothed > stop_factor * best:
                    break
                best = min(best, smoothed)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    finally:
        model.load_state_dict(saved_model)
        opt.load_state_dict(saved_opt)
        for g, lr0 in zip(opt.param_groups, saved_lrs):
            g["lr"] = lr0
        opt.zero_grad(set_to_none=True)
        model.train(was_training)
    result = RangeTest(lrs, smooth, raw)
    if len(lrs) >= 2:
        result.suggestions, result.lr_at_min = suggest(lrs, smooth)
    return result
