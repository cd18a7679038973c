"""The loss of a network that has not learned yet, where the loss function alone decides it.

One owner for a number three places show: the pre-flight check compares the first loss with it,
the loss panel marks it on its axis, and the import report prints it for a person's own data.
Cross-entropy over C classes starts at ln C (every class equally likely), binary cross-entropy at
ln 2, the hinge loss at 1 (zero margin). Regression losses depend on the targets and are computed
where the targets are known (`babysit.checks.expected_initial_loss`). No torch here: the import
report uses it on the command line's light path.
"""
from __future__ import annotations

import math


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
