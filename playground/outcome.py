"""Was a finished run any good, and if not, what to try next.

A student who presses Train on a network that ends at 60% on the spiral should hear that 60%
is far from what the network can do, and which knob to turn first. The judgement reads only the
per-epoch metrics a run reports, so the app, the CLI and a run record can all ask it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from playground.spec import Preset
from playground.views import is_classifier

ADAPTIVE = ("adam", "adamw", "rmsprop", "adagrad")
SMALL_LR = {"adaptive": 3e-3, "plain": 0.03}
"""Learning rates below these are slow for the small networks and toy data of a first course."""


class EpochMetrics(Protocol):
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float | None


@dataclass
class Verdict:
    """`good` is False when the run ended far from a good result; `text` says so and what to try."""

    good: bool
    text: str


def good_accuracy(n_classes: int) -> float:
    """The validation accuracy below which a classifier is "far from good": three quarters of
    the way from chance to perfect (0.875 on two classes, 0.775 on ten)."""
    chance = 1.0 / max(2, n_classes)
    return chance + 0.75 * (1.0 - chance)


def judge(preset: Preset, history: Sequence[EpochMetrics], n_classes: int = 0) -> Verdict:
    """Judge a run that ran to its end from its per-epoch metrics (oldest first)."""
    if not history:
        return Verdict(True, "")
    last, first = history[-1], history[0]
    if is_classifier(preset) and last.val_accuracy is not None:
        bar = good_accuracy(n_classes or 2)
        if last.val_accuracy >= bar:
            return Verdict(True, "")
        what = (f"The run ended at {last.val_accuracy:.0%} validation accuracy, far from what this "
                f"network can reach (below {bar:.0%}).")
    else:
        if not (last.val_loss < 0.5 * first.val_loss):
            what = (f"The validation loss only went from {first.val_loss:.4g} to {last.val_loss:.4g} "
                    "in this run: far from a good fit.")
        else:
            return Verdict(True, "")
    return Verdict(False, f"{what} What to try: {'; '.join(suggestions(preset, history))}.")


def suggestions(preset: Preset, history: Sequence[EpochMetrics]) -> list[str]:
    """The knobs to turn first, most likely first."""
    ts = preset.training
    out: list[str] = []
    losses = [h.val_loss for h in history]
    back = max(3, len(losses) // 4)   # the last quarter of the run
    still_falling = len(losses) >= 3 and losses[-1] < 0.99 * losses[-back]
    rising = len(losses) >= 3 and losses[-1] > 1.5 * min(losses)
    small = SMALL_LR["adaptive" if ts.optimizer in ADAPTIVE else "plain"]
    if rising:
        out.append(f"a smaller learning rate (lr {ts.lr:g} → {ts.lr / 10:g}): the loss went back up")
    elif ts.lr < small:
        out.append(f"a larger learning rate (lr {ts.lr:g} → {min(ts.lr * 10, small * 10):g})")
    if still_falling or not out:
        out.append(f"more epochs (epochs {ts.epochs} → {ts.epochs * 3}): the loss was still falling"
                   if still_falling else f"more epochs (epochs {ts.epochs} → {ts.epochs * 3})")
    if ts.optimizer == "sgd":
        out.append("Adam or momentum instead of plain SGD")
    out.append("a wider or deeper network, with a non-linearity (ReLU or tanh) between Linear layers")
    return out
