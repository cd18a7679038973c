"""The learning-rate range test: sensible suggestions, and nothing of the training disturbed."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.babysit.lr_find import END_LR, MAX_STEPS, START_LR, lr_range_test, suggest
from playground.preset import resolve_preset
from playground.trainer import Trainer


def _state(trainer: Trainer):
    model = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    opt = trainer.optimizer.state_dict()
    opt_state = {k: {n: (t.detach().clone() if torch.is_tensor(t) else t) for n, t in s.items()}
                 for k, s in opt["state"].items()}
    return model, opt_state, [dict((k, v) for k, v in g.items() if k != "params") for g in opt["param_groups"]]


def _same(a, b) -> bool:
    ma, sa, ga = a
    mb, sb, gb = b
    if ma.keys() != mb.keys() or not all(torch.equal(ma[k], mb[k]) for k in ma):
        return False
    if sa.keys() != sb.keys():
        return False
    for k in sa:
        for n in sa[k]:
            x, y = sa[k][n], sb[k][n]
            if (torch.equal(x, y) if torch.is_tensor(x) else x != y) is False:
                return False
    return ga == gb


@pytest.fixture(scope="module")
def digits_sweep():
    trainer = Trainer(resolve_preset("digits_mlp"), device="cpu")
    for _ in range(5):  # mid-training: the optimizer has state (Adam's moments) to keep
        trainer.step()
    before = _state(trainer)
    result = lr_range_test(trainer)
    return trainer, before, result


def test_model_and_optimizer_are_bit_identical_afterwards(digits_sweep):
    trainer, before, _ = digits_sweep
    assert _same(before, _state(trainer))
    assert trainer.optimizer.param_groups[0]["lr"] == trainer.ts.lr


def test_training_goes_on_as_if_no_sweep_had_run(digits_sweep):
    trainer, _, _ = digits_sweep
    twin = Trainer(resolve_preset("digits_mlp"), device="cpu")
    for _ in range(5):
        twin.step()
    trainer.step()
    twin.step()
    assert all(torch.equal(a, b) for a, b in zip(trainer.model.state_dict().values(), twin.model.state_dict().values()))


def test_sweep_is_exponential_and_stops_when_the_loss_blows_up(digits_sweep):
    _, _, result = digits_sweep
    lrs = np.array(result.lrs)
    assert len(lrs) <= MAX_STEPS and lrs[0] == pytest.approx(START_LR)
    ratios = lrs[1:] / lrs[:-1]
    assert np.allclose(ratios, (END_LR / START_LR) ** (1 / (MAX_STEPS - 1)))
    assert len(lrs) < MAX_STEPS  # digits_mlp's loss passes 4x its best before lr 10
    assert result.losses[-1] > 4 * min(result.losses[:-1])


def test_digits_mlp_suggestions_lie_in_a_sensible_range(digits_sweep):
    _, _, result = digits_sweep
    assert set(result.suggestions) == {"steepest", "min_over_10", "valley"}
    for name, lr in result.suggestions.items():
        assert 1e-4 <= lr <= 1e-1, (name, lr)
        assert lr < result.lr_at_min, (name, lr)
    d = result.to_dict()
    assert set(d) == {"suggestions", "lr_at_min", "lrs", "losses"}


def test_suggestions_on_a_textbook_curve():
    lrs = list(np.logspace(-6, 0, 61))
    x = np.log10(lrs)
    losses = list(2.3 - 1.5 / (1 + np.exp(-(x + 3) * 3)) + np.where(x > -1, (x + 1) ** 2 * 3, 0))
    s, lr_min = suggest(lrs, losses)
    assert 10 ** -3.3 < s["steepest"] < 10 ** -2.7  # the steepest fall is at 1e-3
    assert s["min_over_10"] == pytest.approx(lr_min / 10)
    assert s["valley"] < lr_min
