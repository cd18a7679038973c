"""Dead units on the probe inputs (issue 27): a unit is dead when its gradient |f'(x)| is below
DEAD_SLOPE = 1e-3 on every probe input. Each activation's figure is checked against f' written out
by hand (scipy's normal CDF and pdf for GELU) on hand-made tensors; ReLU's against the old rule,
"the unit's largest output is ≤ 0"."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import expit
from scipy.stats import norm
from torch import nn

from playground.layers import CATALOGUE
from playground.layers.activations import ACTIVATIONS, DEAD_SLOPE
from playground.layers.modules import Swish
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.events import ProbeEvent
from playground.training.probes import dead_fraction, quiet_by_autograd
from playground.training.trainer import Trainer

SELU_LAMBDA, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772   # the SELU paper's constants


def hand_share(slope: np.ndarray, out: np.ndarray) -> float:
    """Share of columns whose |f'| is below 1e-3 in every row (a NaN output keeps a unit alive)."""
    quiet = (np.abs(slope) < 1e-3) & ~np.isnan(out)
    return float(quiet.all(axis=0).mean())


def inputs(seed: int = 0) -> np.ndarray:
    """64 probe inputs × 40 units: each unit's inputs spread ±0.3 around its own offset, the
    offsets from far below zero (dead for every activation here) to above it (alive)."""
    rng = np.random.default_rng(seed)
    offsets = np.linspace(-20.0, 2.0, 40)
    return offsets + 0.3 * rng.standard_normal((64, 40))


def test_the_catalogue_declares_which_activations_can_die_in_one_place():
    assert DEAD_SLOPE == 1e-3
    dying = {n for n, a in ACTIVATIONS.items() if a.can_die}
    assert dying == {"ReLU", "ELU", "SELU", "GELU", "Swish", "Softplus"}
    for name in ACTIVATIONS:   # the probes read the layer type's role, set from the same flag
        assert (CATALOGUE[name].probe_role == "can_die") == (name in dying), name


def test_relu_counts_exactly_the_units_whose_output_is_never_positive():
    x = inputs()
    x[:, 3] = 0.0                   # exactly 0 everywhere: ReLU's output is 0, its gradient 0: dead
    x[:, 5] = -1.0
    x[7, 5] = 1e-6                  # one input just above 0: alive
    x[:, 1] = -2.0
    x[10, 1] = np.nan               # a NaN output: not counted dead
    t = torch.tensor(x, dtype=torch.float32)
    old_rule = float(np.mean(torch.relu(t).numpy().max(axis=0) <= 0))   # the probes' rule before issue 27
    assert 0.3 < old_rule < 0.95
    assert dead_fraction(nn.ReLU(), t) == old_rule
    assert dead_fraction(nn.ReLU(), torch.tensor(x, dtype=torch.float64)) == old_rule
    assert dead_fraction(nn.ReLU(), t.clone().requires_grad_(True)) == old_rule   # an output with a graph


def test_relus_shortcut_marks_the_same_values_quiet_as_its_autograd_derivative():
    """The probes skip autograd for ReLU (x ≤ 0 is where its gradient is 0): on exact zeros,
    negative zeros, NaN and values either side of 0 the shortcut and torch's derivative agree."""
    x = inputs()
    x[:, 3] = 0.0
    x[:, 4] = -0.0
    x[2, 6] = np.nan
    x[:, 8] = 1e-30
    x[:, 9] = -1e-30
    t = torch.tensor(x, dtype=torch.float32)
    by_autograd = quiet_by_autograd(nn.ReLU(), t)
    assert torch.equal(by_autograd, t <= 0)
    assert 0 < int(by_autograd.sum()) < by_autograd.numel()
    old_rule = float(np.mean(torch.relu(t).numpy().max(axis=0) <= 0))
    quiet_units = by_autograd.all(dim=0).double().mean().item()
    assert dead_fraction(nn.ReLU(), t) == pytest.approx(quiet_units) == pytest.approx(old_rule)


@pytest.mark.parametrize("name, module, slope", [
    ("GELU", nn.GELU(), lambda x: norm.cdf(x) + x * norm.pdf(x)),
    ("Swish", Swish(1.0), lambda x: expit(x) + x * expit(x) * (1 - expit(x))),
    ("Swish β=2", Swish(2.0), lambda x: expit(2 * x) + 2 * x * expit(2 * x) * (1 - expit(2 * x))),
    ("ELU", nn.ELU(1.0), lambda x: np.where(x > 0, 1.0, np.exp(x))),
    ("ELU α=3", nn.ELU(3.0), lambda x: np.where(x > 0, 1.0, 3.0 * np.exp(x))),
    ("SELU", nn.SELU(), lambda x: SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(x))),
    ("Softplus", nn.Softplus(beta=1.0), lambda x: expit(x)),
    ("Softplus β=0.5", nn.Softplus(beta=0.5), lambda x: expit(0.5 * x)),
])
def test_each_activation_counts_the_units_with_a_vanishing_gradient_on_every_input(name, module, slope):
    x = inputs(seed=len(name))
    with np.errstate(over="ignore"):
        expected = hand_share(slope(x), x)
    assert 0.05 < expected < 0.95, name   # some units dead, some alive: the figure can be wrong
    assert dead_fraction(module, torch.tensor(x)) == pytest.approx(expected, abs=1e-12), name


@pytest.mark.parametrize("module, dead_below, alive_at", [
    (nn.GELU(), -3.9, -3.7),          # |Φ(x) + xφ(x)| = 1e-3 at x ≈ −3.81
    (Swish(1.0), -9.1, -8.9),         # |σ(x)(1 + x(1 − σ(x)))| = 1e-3 at x ≈ −8.99
    (nn.ELU(1.0), -7.0, -6.8),        # eˣ = 1e-3 at x = ln 0.001 ≈ −6.91
    (nn.Softplus(), -7.0, -6.8),      # σ(x) = 1e-3 at x ≈ −6.91
])
def test_a_unit_dies_only_past_the_point_where_its_gradient_falls_below_a_thousandth(module, dead_below, alive_at):
    column = np.full((16, 1), dead_below)
    assert dead_fraction(module, torch.tensor(column)) == 1.0
    column[5] = alive_at   # one input where the gradient still flows keeps the unit alive
    assert dead_fraction(module, torch.tensor(column)) == 0.0


def test_swish_and_gelu_pass_no_gradient_at_their_minimum_either():
    """f'(x) = 0 where the curve turns (GELU near −0.75, Swish near −1.28): a unit whose input
    sits there on every example gets no gradient, as a dead ReLU gets none."""
    gelu_min = float(torch.tensor(-0.7517916))   # root of Φ(x) + xφ(x), by scipy below
    assert abs(norm.cdf(gelu_min) + gelu_min * norm.pdf(gelu_min)) < 1e-6
    assert dead_fraction(nn.GELU(), torch.full((8, 1), gelu_min, dtype=torch.float64)) == 1.0
    assert dead_fraction(nn.GELU(), torch.full((8, 1), -1.5, dtype=torch.float64)) == 0.0


def test_images_count_each_channel_at_each_pixel_as_a_unit():
    x = np.full((4, 2, 3, 3), 1.0)
    x[:, 0, 0, 0] = -5.0   # one (channel, pixel) below zero on every image
    x[:, 1, 2, :] = -9.5   # three more
    assert dead_fraction(nn.ReLU(), torch.tensor(x)) == pytest.approx(4 / 18)
    assert dead_fraction(Swish(), torch.tensor(x)) == pytest.approx(3 / 18)   # −5 still has |f'| ≈ 0.027


def probe_of(activation: str) -> float | None:
    """The probes' dead fraction of a 4-unit activation layer whose first two units get an input
    of −1000 on every example (their bias)."""
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 4}), (activation, {}),
                            ("Linear", {"out_features": 2}))
    events: list = []
    trainer = Trainer(Preset("t", "", model, DataSpec("xor", {"n_samples": 100}),
                             TrainSpec(probe_every=1, lr=1e-9, epochs=1, device="cpu")), on_event=events.append)
    with torch.no_grad():
        trainer.model.linear1.weight[:2] = 0.0
        trainer.model.linear1.bias[:2] = -1000.0
        trainer.model.linear1.weight[2:] = torch.tensor([[1.0, 0.5], [-0.5, 1.0]])
        trainer.model.linear1.bias[2:] = 0.0
    trainer.step()
    layer = next(e for e in events if isinstance(e, ProbeEvent)).layers[1]
    assert layer.layer_type == activation
    return layer.dead_fraction


@pytest.mark.parametrize("activation", ["ReLU", "GELU", "Swish", "ELU", "SELU", "Softplus"])
def test_the_probes_report_the_dead_units_of_every_activation_that_can_die(activation):
    assert probe_of(activation) == 0.5


@pytest.mark.parametrize("activation", ["LeakyReLU", "PReLU", "Tanh", "Sigmoid"])
def test_activations_that_cannot_die_report_no_dead_fraction(activation):
    assert probe_of(activation) is None


def test_a_dead_unit_card_names_the_measure():
    from playground.babysit.diagnoses import Diagnostician
    from playground.training.events import LayerProbe, LossEvent
    doc = Diagnostician()
    doc.observe(LossEvent(np.arange(200), np.full(200, 0.69), 0, 1e-3))   # a loss that has stalled
    edges = np.linspace(0, 1, 11)
    found = []
    for step in (10, 20, 30):
        layer = LayerProbe("swish3", "Swish", 1e-3, 1.0, 1.0, np.ones(10), edges, 0.0, 1.0, 0.75)
        output = LayerProbe("out", "Linear", 1e-3, 1.0, 1.0, np.ones(10), edges, 0.0, 1.0, None)
        found += doc.observe(ProbeEvent(step, 0, [layer, output]))
    card = next(f for f in found if f.name == "dead_relu")
    assert card.message == "Many Swish units in 'swish3' are dead"
    assert "below 0.001 on every probe input" in card.evidence
