"""The loss of a network that has not learned yet, where the loss function alone decides it.

One owner for a number three places show: the pre-flight check compares the first loss with it,
the loss panel marks it on its axis, and the import report prints it for a person's own data.
Cross-entropy over C classes starts at ln C (every class equally likely), binary cross-entropy at
ln 2, the hinge loss at 1 (zero margin). Regression losses depend on the targets: `target_loss`
gives them where the targets are known (the pre-flight check, the import report). No torch here:
the import report uses it on the command line's light path.
"""
from __future__ import annotations

import math

import numpy as np


def chance_loss(loss: str, n_outputs: int) -> tuple[float, str] | None:
    """(value, formula) of `loss` at chance for `n_outputs` output units, or None when the loss
    alone does not decide it. One sigmoid unit under cross-entropy reads as two classes."""
    if loss == "cross_entropy":
        classes = n_outputs if n_outputs > 1 else 2
        return math.log(classes), f"ln {classes}"
    if loss == "bce":
        return math.log(2.0), "ln 2"
    if loss == "hinge":
        return 1.0, "1"
    return None


NEUTRAL_OUTPUT = {"prob": 0.5}
"""Where an untrained output sits, by its kind: 0.5 for a Sigmoid; 0 for raw values (the default)."""


def target_loss(loss: str, targets: np.ndarray, output_kind: str = "raw") -> float | None:
    """MSE or L1 of an untrained output against real-valued `targets`: the output sits at its
    neutral value, so the loss is the targets' spread about it (Var(y) for centred targets).
    None for other losses."""
    if loss not in ("mse", "l1"):
        return None
    t = np.asarray(targets, dtype=np.float64)
    if not t.size:
        return 0.0
    d = t - NEUTRAL_OUTPUT.get(output_kind, 0.0)
    return float(np.mean(d * d)) if loss == "mse" else float(np.mean(np.abs(d)))
