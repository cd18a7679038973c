"""The regularizer lessons: L1 leaves most weights (near) zero where L2 only shrinks them, the
elastic net has both effects, and `zero_weights`, the summary figure they are judged by, counts
the weight matrices' near-zero entries against the largest weight, biases left out."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.training.events import FinishedEvent
from playground.run_records.lesson_claims import lesson_claims
from playground.network.preset import resolve_preset
from playground.run_records.run_to_end import RunResult, train_run
from playground.run_records.summary import summarize, zero_weights
from playground.training.trainer import Trainer


def test_zero_weights_counts_entries_at_most_a_thousandth_of_the_largest_by_hand():
    # largest |w| is 2.0, so the bound is 0.002: 0.0, -0.002 (at the bound) and 0.001 count;
    # -0.0021 and 0.5 do not, nor does 2.0 itself: 3 of 6 entries.
    first = np.array([[2.0, 0.0], [-0.002, 0.5]])
    second = np.array([[0.001, -0.0021]])
    assert zero_weights([first, second]) == pytest.approx(3 / 6)
    # the bound comes from all matrices together: alone, `second`'s bound is 2.1e-6 and nothing counts
    assert zero_weights([second]) == 0.0
    assert zero_weights([np.zeros((3, 2))]) == 1.0
    assert math.isnan(zero_weights([]))
    assert math.isnan(zero_weights([np.array([[1.0, np.nan]])]))   # a diverged run's weights


def test_a_runs_summary_counts_the_weight_matrices_not_the_biases():
    """xor_mlp's two weight matrices are 8x2 and 2x8 (32 entries), set by hand: hidden holds one
    1.0 and fifteen 0.0005, out one 0.5 and fifteen 0.0008. Against the largest (1.0) the bound
    is 0.001, so 30 of 32 count (0.9375); each matrix against its own largest would count 15
    (out's bound is 0.0005), and the ten zero biases, if counted, would make it 40 of 42."""
    trainer = Trainer(resolve_preset("xor_mlp"), device="cpu")
    hidden, out = trainer.model.hidden, trainer.model.out
    with torch.no_grad():
        hidden.weight.fill_(0.0005)
        hidden.weight[3, 1] = 1.0
        out.weight.fill_(0.0008)
        out.weight[1, 5] = -0.5
        hidden.bias.zero_()
        out.bias.zero_()
    summary = summarize(trainer, FinishedEvent("finished", 0, 0), 0.0)
    assert summary["zero_weights"] == pytest.approx(30 / 32)


def _run(name: str) -> RunResult:
    """A built-in preset trained at its own seed; its `expect` must hold."""
    preset = resolve_preset(name)
    result = train_run(preset, device="cpu")
    for e in preset.expect:
        assert e.holds(result.summary), f"{name}: expected {e}, got {result.summary}"
    return result


def test_the_lessons_claim_what_they_teach():
    claims = {(c.lesson, c.claim.other): (c.claim.direction, c.claim.metric)
              for c in lesson_claims(["overfit_moons_l1", "overfit_moons_elastic", "overfit_moons_max_norm"])}
    assert claims[("overfit_moons_l1", "overfit_moons_l2")] == ("higher", "zero_weights")
    assert claims[("overfit_moons_elastic", "overfit_moons_l2")] == ("higher", "zero_weights")
    assert claims[("overfit_moons_elastic", "overfit_moons_l1")] == ("lower", "val_loss")
    assert claims[("overfit_moons_max_norm", "overfit_moons")] == ("lower", "val_loss")


@pytest.mark.figure
def test_l1_leaves_most_weights_near_zero_where_l2_shrinks_them_and_elastic_does_both():
    """Seed 0, margins well outside the 5-seed spread (`playground presets --verify`): zero_weights
    L1 0.96 ± 0.05, elastic 0.81 ± 0.03, L2 0.68 ± 0.02; val_loss elastic 0.43 ± 0.02, L1 0.82 ± 0.23."""
    l1, l2, elastic = (_run(n).summary for n in ("overfit_moons_l1", "overfit_moons_l2", "overfit_moons_elastic"))
    assert l1["zero_weights"] > l2["zero_weights"] + 0.15, (l1, l2)
    assert elastic["zero_weights"] > l2["zero_weights"] + 0.05, (elastic, l2)
    assert elastic["val_loss"] < l1["val_loss"] - 0.2, (elastic, l1)
