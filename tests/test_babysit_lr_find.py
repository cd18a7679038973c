"""The learning-rate range test: sensible suggestions, and nothing of the training disturbed."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from playground.babysit.lr_find import EDGE_END, EDGE_START, END_LR, MAX_STEPS, START_LR, lr_range_test, suggest
from playground.network.overrides import apply_overrides
from playground.network.preset import resolve_preset
from playground.training.trainer import Trainer

SWEEP = np.logspace(-7, 1, 100)  # the default sweep's learning rates, written out here


def _ema(raw: np.ndarray, beta: float = 0.98) -> np.ndarray:
    """The bias-corrected exponential average, by hand (Smith 2017; fast.ai)."""
    out, avg = [], 0.0
    for k, v in enumerate(raw):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta ** (k + 1)))
    return np.array(out)


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
    assert set(d) == {"suggestions", "lr_at_min", "note", "lrs", "losses"}
    assert d["note"] is None


def test_suggestions_on_a_textbook_curve():
    lrs = list(np.logspace(-6, 0, 61))
    x = np.log10(lrs)
    losses = list(2.3 - 1.5 / (1 + np.exp(-(x + 3) * 3)) + np.where(x > -1, (x + 1) ** 2 * 3, 0))
    found = suggest(lrs, losses, losses)
    s, lr_min = found.lrs, found.lr_at_min
    assert 10 ** -3.3 < s["steepest"] < 10 ** -2.7  # the steepest fall is at 1e-3
    assert s["min_over_10"] == pytest.approx(lr_min / 10)
    assert s["valley"] < lr_min
    assert found.note == ""


def test_no_suggestion_comes_from_a_steep_first_step():
    """overfit_moons' bug: the average of the first batch or two falls steeply, and the
    "steepest descent" was the sweep's first learning rate, 1e-7."""
    x = np.log10(SWEEP)
    losses = 0.7 - 0.15 / (1 + np.exp(-(x + 2.5) * 3)) + np.where(x > -0.5, (x + 0.5) ** 2, 0.0)
    losses[:4] += np.array([0.6, 0.3, 0.1, 0.03])  # steeper than anything after it
    assert np.argmin(np.diff(losses) / np.diff(x)) == 0
    found = suggest(list(SWEEP), list(losses), list(losses))
    assert set(found.lrs) == {"steepest", "min_over_10", "valley"}
    for name, lr in found.lrs.items():
        assert SWEEP[EDGE_START] <= lr <= SWEEP[-EDGE_END - 1], (name, lr)
    assert 10 ** -2.8 < found.lrs["steepest"] < 10 ** -2.2  # the real descent, centred at 10^-2.5


def test_no_suggestion_comes_from_a_steep_last_step():
    x = np.log10(SWEEP[:80])
    losses = 0.7 - 0.2 / (1 + np.exp(-(x + 3) * 3))
    losses[-3:] -= np.array([0.1, 0.3, 0.6])  # a plunge in the last steps, steeper than the descent
    found = suggest(list(SWEEP[:80]), list(losses), list(losses))
    assert found.lrs
    for name, lr in found.lrs.items():
        assert lr <= SWEEP[80 - EDGE_END - 1], (name, lr)
    assert 10 ** -3.3 < found.lrs["steepest"] < 10 ** -2.7


@pytest.mark.parametrize("seed", range(5))
def test_a_flat_noisy_curve_gets_a_note_and_no_suggestion(seed):
    raw = 0.69 + np.random.default_rng(seed).normal(0.0, 0.05, len(SWEEP))  # batch noise, no learning
    found = suggest(list(SWEEP), list(_ema(raw)), list(raw))
    assert found.lrs == {}
    assert found.note.startswith("No clear descent")


def test_a_noiseless_curve_that_barely_falls_gets_a_note():
    losses = np.linspace(0.69, 0.67, len(SWEEP))  # 3% lower at the end: a full-batch sweep that barely learns
    found = suggest(list(SWEEP), list(losses), list(losses))
    assert found.lrs == {} and "No clear descent" in found.note


def test_a_sweep_too_short_to_read_says_so():
    found = suggest(list(SWEEP[:EDGE_START + EDGE_END + 2]), [0.7] * (EDGE_START + EDGE_END + 2),
                    [0.7] * (EDGE_START + EDGE_END + 2))
    assert found.lrs == {} and "too few" in found.note


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_overfit_moons_suggestions_lie_inside_the_sweep_away_from_its_ends(seed):
    preset = apply_overrides(resolve_preset("overfit_moons"), [f"training.seed={seed}"])
    result = lr_range_test(Trainer(preset, device="cpu"))
    assert set(result.suggestions) == {"steepest", "min_over_10", "valley"}, result.note
    for name, lr in result.suggestions.items():
        # measured over seeds 0-2: 1.3e-3 .. 3.1e-2; the sweep starts at 1e-7 and stops past 0.5
        assert 1e-4 <= lr <= 0.1, (name, lr)
        assert lr < result.lr_at_min


def test_lr_find_json_gives_a_note_instead_of_a_suggestion_it_cannot_stand_behind(capsys):
    from playground.command_line.main import main
    assert main(["lr-find", "overfit_moons", "--json", "--steps", str(EDGE_START + EDGE_END + 2)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["suggestions"] == {}
    assert "too few" in doc["note"]
    assert main(["lr-find", "overfit_moons", "--steps", str(EDGE_START + EDGE_END + 2)]) == 0
    assert "note: The sweep has" in capsys.readouterr().out


def test_the_command_lines_steps_are_the_sweeps_own_bounds(capsys):
    """`lr-find --steps` is parsed without torch, so it cannot import MAX_STEPS: this holds the two
    equal (the default, the largest accepted and the first refused)."""
    from playground.command_line.main import build_parser
    parser = build_parser(["lr-find"])
    assert parser.parse_args(["lr-find", "xor_mlp"]).steps == MAX_STEPS
    assert parser.parse_args(["lr-find", "xor_mlp", "--steps", str(MAX_STEPS)]).steps == MAX_STEPS
    with pytest.raises(SystemExit):
        parser.parse_args(["lr-find", "xor_mlp", "--steps", str(MAX_STEPS + 1)])
    assert f"to {MAX_STEPS}" in capsys.readouterr().err
