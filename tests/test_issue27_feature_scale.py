"""Badly scaled inputs (data `feature_scale`) and the standardization that undoes them, and the
squared error on a sigmoid whose gradient vanishes where the cross-entropy's does not (issue 27).

Every figure is computed by hand here (numpy, or the formulas of the two gradients), never read
back from the function under test."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from playground.data import make_dataset
from playground.export.standardize import Standardize, input_standardization
from playground.network.preset import resolve_preset
from playground.run_records.run_to_end import train_run
from playground.training.losses import task_loss
from playground.training.trainer import Trainer


def raw(name: str = "linear", **params: object):
    return make_dataset(name, {"n_samples": 200, "standardize": False, **params})


@pytest.mark.parametrize("name", ["linear", "circle", "moons"])
def test_feature_scale_multiplies_each_column_exactly(name):
    # powers of two: the product is exact in float32, so the comparison can be exact too
    plain, scaled = raw(name), raw(name, feature_scale=[2.0, 1024.0])
    for a, b in ((plain.x_train, scaled.x_train), (plain.x_val, scaled.x_val), (plain.x_test, scaled.x_test)):
        assert np.array_equal(b[:, 0], a[:, 0] * 2.0)
        assert np.array_equal(b[:, 1], a[:, 1] * 1024.0)
    assert np.array_equal(plain.y_train, scaled.y_train)   # the same points, the same split
    first = plain.x_train[0]
    assert scaled.x_train[0].tolist() == [float(first[0]) * 2.0, float(first[1]) * 1024.0]


def test_no_scale_and_an_empty_scale_leave_the_inputs_as_generated():
    assert np.array_equal(raw().x_train, raw(feature_scale=[]).x_train)
    assert np.array_equal(raw().x_train, raw(feature_scale=[1, 1]).x_train)


def test_standardizing_undoes_the_scale_with_statistics_of_the_scaled_inputs():
    plain = raw()
    scaled = make_dataset("linear", {"n_samples": 200, "feature_scale": [1.0, 100.0]})
    by_hand = plain.x_train.astype(np.float64) * [1.0, 100.0]
    assert np.allclose(scaled.mean, by_hand.mean(axis=0), rtol=1e-5, atol=1e-5)
    assert np.allclose(scaled.std, by_hand.std(axis=0), rtol=1e-5)
    assert np.allclose(scaled.x_train, (by_hand - by_hand.mean(axis=0)) / by_hand.std(axis=0), atol=1e-4)
    assert scaled.std[1] / scaled.std[0] > 50   # the second feature really is about 100 times wider


@pytest.mark.parametrize("scale, words", [
    ([1.0], "has 1 factor but the inputs have 2 features"),
    ([1.0, 2.0, 3.0], "has 3 factors but the inputs have 2 features"),
    ([1.0, 0.0], "must be >= 1e-06"),
    ([1.0, -5.0], "must be >= 1e-06"),
    ([1.0, float("nan")], "finite numbers"),
    ([1.0, float("inf")], "finite numbers"),
    ([1.0, True], "finite numbers"),
    ("1, 1000", "must be a list of numbers"),
])
def test_a_bad_feature_scale_is_refused_and_named(scale, words):
    with pytest.raises(ValueError, match="feature_scale") as e:
        make_dataset("linear", {"feature_scale": scale})
    assert words in str(e.value)


def test_the_export_takes_the_scaled_raw_inputs():
    preset = resolve_preset("logistic_scaled_standardized")
    s = input_standardization(preset)
    ds = make_dataset(preset.data.name, preset.data.params)
    raw_train = raw(**{k: v for k, v in preset.data.params.items() if k != "standardize"},
                    **({"n_samples": 400} if "n_samples" not in preset.data.params else {})).x_train
    by_hand = raw_train.astype(np.float64)
    assert np.allclose(s.std.ravel(), by_hand.std(axis=0), rtol=1e-5)
    assert np.allclose(s.mean.ravel(), by_hand.mean(axis=0), rtol=1e-5, atol=1e-5)
    standardize = Standardize(torch.from_numpy(s.mean), torch.from_numpy(s.std))
    assert np.allclose(standardize(torch.from_numpy(raw_train)).numpy(), ds.x_train, atol=1e-5)


def test_unstandardized_badly_scaled_inputs_train_far_worse_at_the_same_rate():
    on = train_run(resolve_preset("logistic_scaled_standardized"), device="cpu").summary
    off = train_run(resolve_preset("logistic_scaled_raw"), device="cpu").summary
    assert on["val_accuracy"] >= 0.97 and on["train_loss"] < 0.2
    assert off["train_loss"] > 10 * on["train_loss"]


# ---- the squared error on a sigmoid ---------------------------------------------------------

def test_mse_on_a_sigmoid_has_the_gradient_with_the_vanishing_factor_and_bce_has_not():
    z = torch.tensor([[-12.0], [-3.0], [0.5], [9.0]], requires_grad=True)
    y = torch.tensor([1, 1, 0, 0])
    s = 1 / (1 + np.exp(-z.detach().numpy().ravel().astype(np.float64)))
    t = y.numpy().astype(np.float64)
    mse_by_hand = 2 * (s - t) * s * (1 - s) / len(t)   # d/dz of mean (σ(z) − y)²
    bce_by_hand = (s - t) / len(t)                      # d/dz of mean cross-entropy
    for name, by_hand in (("mse", mse_by_hand), ("bce", bce_by_hand)):
        z.grad = None
        task_loss(name, torch.sigmoid(z), y, kind="prob").backward()
        assert np.allclose(z.grad.numpy().ravel(), by_hand, rtol=1e-4, atol=1e-9), name
    # at z = −12 with y = 1 (confidently wrong) the squared error's gradient is 2σ(1 − σ) ≈ 1.2e-5
    # times the cross-entropy's
    assert abs(mse_by_hand[0]) < 2e-5 * abs(bce_by_hand[0])


@pytest.mark.parametrize("loss, recovers", [("bce", True), ("mse", False)])
def test_from_a_confidently_wrong_start_only_the_cross_entropy_turns_the_line_round(loss, recovers):
    """Both start from the same weights: w = −10 times a line that separates the data, so every
    point sits on the wrong side, most of them far into the sigmoid's flat tail."""
    preset = resolve_preset("logistic_large_init_bce")
    preset.training.loss = loss
    preset.training.epochs = 10
    trainer = Trainer(preset, device="cpu")
    x, y = trainer.dataset.x_train, trainer.dataset.y_train
    w = np.linalg.lstsq(np.c_[x, np.ones(len(x))], 2.0 * y - 1, rcond=None)[0]
    with torch.no_grad():
        trainer.model.linear1.weight.copy_(torch.tensor(-10 * w[None, :2], dtype=torch.float32))
        trainer.model.linear1.bias.fill_(float(-10 * w[2]))
    start = trainer.evaluate("train")
    assert start["accuracy"] < 0.05
    trainer.run()
    end = trainer.evaluate("train")
    if recovers:
        assert end["accuracy"] > 0.95
    else:
        assert end["accuracy"] < 0.2
