"""The learning-rate range test (Smith 2017; fast.ai's lr_find).

Train a few dozen steps while the learning rate grows exponentially from 1e-7 to 10, smooth
the loss, stop once it passes 4x the best, and read good learning rates off the curve: where
it falls fastest, a tenth of where it bottoms out, and fast.ai's "valley". They are read from the
middle of the sweep only, and withheld, with a note that says why, when the curve shows no clear
descent. The model, the
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

from playground.babysit.diagnoses import THRESHOLDS
from playground.training.trainer import Trainer

START_LR, END_LR = 1e-7, 10.0
MAX_STEPS = 100
# The sweep stops where the Diagnostician calls a run diverging: one owner for both numbers.
BETA = THRESHOLDS["divergence_ema"].value
STOP_FACTOR = THRESHOLDS["divergence_factor"].value


# Which points of the sweep a suggestion may come from. fast.ai v1 (fastai/basic_train.py,
# `Recorder.plot(skip_start=10, skip_end=5)`) leaves out the same points when it plots the sweep and
# reads its steepest slope, for the reasons that hold here too: over the first steps the
# bias-corrected average has seen fewer than ten batches, so its ups and downs are batch noise
# (overfit_moons' steepest "descent" was its first step, 1e-7); the last steps are where the loss
# takes off and the sweep stops, and the average lags behind the raw loss there.
EDGE_START = 10
EDGE_END = 5
MIN_WINDOW = 3  # np.gradient and fast.ai's valley need at least three points

# A clear descent: the smoothed loss falls below its starting level by more than the spread of one
# batch's loss at the start (a flat curve's average wanders by less: the bias-corrected mean of 10+
# batches has under a third of that spread) and by at least 5% of the starting loss (a full-batch
# sweep has no spread at all, and a fall of a few percent before the loss takes off is not one to
# read a learning rate from).
MIN_FALL_FRACTION = 0.05

# The steepest descent is read from the slope over SLOPE_SPAN steps either side (about 0.65 of a
# decade) rather than from one step to the next: one step is 0.08 of a decade, so a step-to-step
# slope is the batch noise magnified twelve-fold (this project, measured on regression_sine, seeds
# 0-2: step-to-step the "steepest descent" fell on the flat part, 1e-6..2e-6, for 3 seeds of 3; over
# the span, for 1 of 3; the curve's own descent there is gentle, 0.03 per decade).
SLOPE_SPAN = 4

SUGGESTION_NAMES = {"valley": "valley", "min_over_10": "minimum / 10", "steepest": "steepest descent"}
"""The three suggestions, the recommended one first."""
RECOMMENDED = "valley"
"""The suggestion offered first: fast.ai's default since v2.5 (fastai PR #3377 made `lr_find`'s
`suggest_funcs` default to the valley). Steepest descent can sit close to where the loss takes
off: on xor_mlp (Adam, seed 0) it read 0.89 where the valley read 0.031, and `playground train`
at those rates ended at test accuracy 0.925 and 1.0."""


def short_number(x: float) -> str:
    """A number as the texts write it: `:g`'s, with no padded exponent (1e-7, not 1e-07), and a
    small power of ten as one too (1e-4, not 0.0001); 0.001, 0.5 and 10 stay as they are."""
    if 0 < x <= 1e-4 and math.log10(x) == round(math.log10(x)):
        return f"1e{round(math.log10(x))}"
    mantissa, e, exponent = f"{x:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if e else mantissa


def sweep_text() -> str:
    """The sweep's range and length in words: "from 1e-7 to 10 over at most 100 steps"."""
    return f"from {short_number(START_LR)} to {short_number(END_LR)} over at most {MAX_STEPS} steps"


@dataclass
class RangeTest:
    """The sweep and what it suggests.

    `suggestions` holds only the learning rates the sweep can stand behind; `note` says, in a
    sentence, why any were withheld ("" when none was)."""

    lrs: list[float]
    losses: list[float]          # smoothed (bias-corrected EMA)
    raw_losses: list[float]
    suggestions: dict[str, float] = field(default_factory=dict)  # steepest, min_over_10, valley
    lr_at_min: float = math.nan  # where the smoothed loss is lowest, among the points suggestions come from
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"suggestions": dict(self.suggestions), "lr_at_min": self.lr_at_min,
                "note": self.note or None, "lrs": list(self.lrs), "losses": list(self.losses)}


@dataclass
class Suggestions:
    """What `suggest` reads off a sweep: the learning rates it stands behind, the learning rate
    where the smoothed loss is lowest, and why any suggestion was withheld."""

    lrs: dict[str, float]
    lr_at_min: float
    note: str = ""


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


def _steepest(log_lr: np.ndarray, loss: np.ndarray, lo: int, k_min: int) -> int:
    """The point in [lo, k_min) where the loss falls fastest per decade, over SLOPE_SPAN steps
    either side that stay within [lo, k_min] (the full span wherever the stretch is long enough)."""
    i = np.arange(lo + SLOPE_SPAN, k_min - SLOPE_SPAN + 1) if k_min - lo >= 2 * SLOPE_SPAN else np.arange(lo, k_min)
    a, b = np.maximum(i - SLOPE_SPAN, lo), np.minimum(i + SLOPE_SPAN, k_min)
    slope = (loss[b] - loss[a]) / (log_lr[b] - log_lr[a])
    return int(i[np.argmin(slope)])


def suggest(lrs: list[float], losses: list[float], raw_losses: list[float]) -> Suggestions:
    """Suggestions from a smoothed sweep, each read from its middle (never its first EDGE_START
    or last EDGE_END points) and below the learning rate of its lowest loss; none at all when the
    curve shows no clear descent. The starting level and its batch-to-batch spread come from the
    first EDGE_START raw losses, taken at learning rates too small to move the weights."""
    lr = np.asarray(lrs, dtype=np.float64)
    loss = np.asarray(losses, dtype=np.float64)
    raw = np.asarray(raw_losses, dtype=np.float64)
    n = len(loss)
    lo, hi = EDGE_START, n - EDGE_END  # the window [lo, hi) suggestions may come from
    if hi - lo < MIN_WINDOW:
        return Suggestions({}, math.nan, f"The sweep has {n} steps, too few to read a learning rate from (its first "
                           f"{EDGE_START} and last {EDGE_END} are never used): no learning rate to suggest. Sweep "
                           "with more steps; if the loss takes off within the first few, check the data and the "
                           "network first.")
    start = raw[:EDGE_START]
    level, spread = float(np.mean(start)), float(np.std(start, ddof=1))
    k_min = lo + int(np.argmin(loss[lo:hi]))
    lr_at_min = float(lr[k_min])
    fall = level - float(loss[k_min])
    if k_min - lo + 1 < MIN_WINDOW:
        return Suggestions({}, lr_at_min, "No clear descent: the smoothed loss is lowest at the start of the part "
                           f"of the sweep that can be read (lr {lr[lo]:.2g}) and only rises after it: "
                           "no learning rate to suggest.")
    if fall <= max(spread, MIN_FALL_FRACTION * abs(level)):
        short_of = (f"less than one batch's spread of the loss ({spread:.2g})" if spread >= MIN_FALL_FRACTION * abs(level)
                    else f"less than {MIN_FALL_FRACTION:.0%} of it")
        return Suggestions({}, lr_at_min, f"No clear descent: the smoothed loss falls at most {max(fall, 0.0):.2g} below "
                           f"its starting level of {level:.3g}, {short_of}: no learning rate to suggest. "
                           "A tiny data set, a network that barely learns at any rate, or a loss that takes off "
                           "before it falls all look like this; train at the preset's rate and watch the loss.")
    steepest = _steepest(np.log10(lr), loss, lo, k_min)
    valley = lo + min(_valley(loss[lo:k_min + 1]), k_min - lo - 1)
    found = {"valley": float(lr[valley]), "min_over_10": float(lr[k_min]) / 10, "steepest": float(lr[steepest])}
    kept = {name: value for name, value in found.items() if value >= lr[lo]}
    dropped = [f"{SUGGESTION_NAMES[name]} ({found[name]:.2g})" for name in found if name not in kept]
    note = ""
    if dropped:
        note = (f"Withheld: {', '.join(dropped)}, below the learning rates the sweep can read "
                f"(its first {EDGE_START} steps, up to {lr[lo]:.2g}, are batch noise).")
    return Suggestions(kept, lr_at_min, note)


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
    found = suggest(lrs, smooth, raw)
    return RangeTest(lrs, smooth, raw, found.lrs, found.lr_at_min, found.note)
