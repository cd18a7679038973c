"""The labs' numbers: the values the course notes and the issue promise a student will see."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground.labs import activations, backprop, init_explorer, optimizers


# ---------------------------------------------------------------- activation gallery
def test_gallery_covers_every_catalogue_activation_with_a_formula():
    names = activations.names()
    assert {"Sigmoid", "Tanh", "ReLU", "GELU", "Softmax", "Maxout"} <= set(names)
    from playground.layers import CATALOGUE
    assert set(names) == {n for n, t in CATALOGUE.items() if t.group == "Activation"}
    assert all(activations.curve(n, 5).formula.startswith(("f(x)", "σ(x)", "tanh(x)", "p₁")) for n in names)


def test_derivatives_and_saturation_match_the_formulas():
    xs = np.linspace(-4, 4, 81)
    ys, grads = activations.evaluate("Sigmoid", xs)
    s = 1 / (1 + np.exp(-xs))
    np.testing.assert_allclose(ys, s, atol=1e-12)
    np.testing.assert_allclose(grads, s * (1 - s), atol=1e-12)
    _, tanh_grads = activations.evaluate("Tanh", xs)
    np.testing.assert_allclose(tanh_grads, 1 - np.tanh(xs) ** 2, atol=1e-12)
    sig = activations.curve("Sigmoid")
    # σ' < 0.025 beyond |x| ≈ 3.64: both tails saturate, the middle does not
    assert len(sig.saturated) == 2
    assert sig.saturated[0][1] == pytest.approx(-3.63, abs=0.05)
    assert sig.saturated[1][0] == pytest.approx(3.63, abs=0.05)
    relu = activations.curve("ReLU")
    assert relu.saturated[0][0] == -6.0 and relu.saturated[0][1] == pytest.approx(0.0, abs=0.05)
    assert activations.curve("Identity").saturated == []
    assert activations.gradient_at("Tanh", 2.0) == pytest.approx(1 - math.tanh(2.0) ** 2)
    assert activations.gradient_at("ReLU", -1.0) == 0.0


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="unknown activation"):
        activations.evaluate("Linear", [0.0])


# ---------------------------------------------------------------- optimizer race
@pytest.mark.parametrize("method", optimizers.METHODS)
@pytest.mark.parametrize("surface", ["rosenbrock", "quadratic"])
def test_torch_optim_paths_equal_the_hand_written_updates(method, surface):
    s = optimizers.surface(surface, condition=20.0)
    path = optimizers.run_torch(s.f, s.start, method, s.lrs[method], 60)
    ref = optimizers.run_reference(s.f, s.start, method, s.lrs[method], 60)
    assert path.points.shape == ref.shape == (61, 2)
    assert np.max(np.abs(path.points - ref)) < 1e-6
    assert path.points[-1].tolist() != list(s.start)   # it moved


def test_race_reaches_the_rosenbrock_valley_and_step_mode_reads_the_state():
    s, paths = optimizers.race("rosenbrock", steps=300)
    assert set(paths) == set(optimizers.METHODS)
    adam = paths["adam"]
    assert adam.values[-1] < adam.values[0] / 5
    assert np.all(adam.scale > 0) and np.any(adam.velocity != 0)
    assert np.all(paths["gd"].scale == 1) and np.all(paths["gd"].velocity == 0)
    np.testing.assert_allclose(paths["momentum"].velocity[0], paths["momentum"].grads[0])


def test_condition_100_gd_needs_about_ten_times_the_steps_of_momentum():
    gd = optimizers.best_settings("gd", 100.0)
    momentum = optimizers.best_settings("momentum", 100.0)
    assert gd.steps == pytest.approx(691, rel=0.15)
    assert momentum.steps == pytest.approx(69, rel=0.15)
    assert gd.lr == pytest.approx(2 / 101, rel=0.05)   # GD's best step is 2/(λ_min + λ_max)


def test_bad_surface_and_condition_are_refused():
    with pytest.raises(ValueError, match="unknown surface"):
        optimizers.surface("himmelblau")
    with pytest.raises(ValueError, match="condition number"):
        optimizers.surface("quadratic", condition=0.5)


# ---------------------------------------------------------------- initialization explorer
@pytest.mark.parametrize("activation,init,std,first,last", [
    ("tanh", "normal", 0.01, 0.21, 3.0e-7),
    ("tanh", "xavier", None, 0.63, 0.23),
    ("relu", "xavier", None, 0.58, 0.027),
    ("relu", "normal", 0.01, 0.13, 8.6e-9),
])
def test_activation_std_layer_1_to_10(activation, init, std, first, last):
    r = init_explorer.explore(activation, init, std or 0.01, seeds=3, batch=200)
    assert len(r.act_std) == len(r.grad_std) == 10
    assert r.act_std[0] == pytest.approx(first, rel=0.10)
    if last > 1e-3:
        assert r.act_std[-1] == pytest.approx(last, rel=0.10)
    else:   # the tiny ones: the right order of magnitude
        assert abs(math.log10(r.act_std[-1]) - math.log10(last)) < 0.5


def test_relu_kaiming_stays_of_order_one():
    r = init_explorer.explore("relu", "kaiming", seeds=3, batch=200)
    assert r.act_std[0] == pytest.approx(0.83, rel=0.10)
    assert 0.7 <= r.act_std[-1] <= 1.2
    assert init_explorer.first_dying_layer(r) is None


def test_scheme_stds_and_which_layer_dies_first():
    assert init_explorer.init_std("xavier", 500, 500, "tanh") == pytest.approx(0.0447, abs=1e-4)
    assert init_explorer.init_std("kaiming", 500, 500, "relu") == pytest.approx(0.0632, abs=1e-4)
    small = init_explorer.explore("tanh", "normal", 0.01, seeds=1, batch=50)
    assert init_explorer.first_dying_layer(small) == 5   # 0.21·0.22^k falls under 1e-3 at layer 5
    with pytest.raises(ValueError, match="unknown init"):
        init_explorer.explore("tanh", "orthogonal")


# ---------------------------------------------------------------- backprop step by step
def test_backprop_by_hand_equals_autograd_and_the_step_lowers_the_loss():
    r = backprop.step()
    assert r.max_abs_diff_vs_autograd < 1e-12
    assert r.loss_after < r.loss
    # δ of an output unit: (y − t)·y(1 − y); the edge gradient is δ times the unit feeding it
    assert r.delta2[0] == pytest.approx((r.y[0] - r.target[0]) * r.y[0] * (1 - r.y[0]))
    assert r.grad_w2[1, 2] == pytest.approx(r.delta2[1] * r.h[2])
    np.testing.assert_allclose(r.new_w1, r.w1 - r.lr * r.grad_w1)
    w = {k: torch.tensor(v) for k, v in backprop.initial_weights(0).items()}
    assert torch.allclose(w["w1"], torch.tensor(r.w1))


def test_model_units_read_each_activation_at_its_typical_input():
    from playground.network.preset import resolve_preset
    nodes = resolve_preset("xor_mlp").model.nodes
    tanh = next(n for n in nodes if n.type == "Tanh")
    units = activations.model_units(nodes, {tanh.inputs[0]: 2.0})
    assert [(u.node_id, u.activation) for u in units] == [(tanh.id, "Tanh")]
    assert units[0].gradient == pytest.approx(1 - math.tanh(2.0) ** 2)
