"""Model selection (issue 26): bias and variance measured over training sets, learning curves and
complexity curves, and their commands."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from playground.command_line.main import main
from playground.network.preset import resolve_preset
from playground.selection.bias_variance import bias_variance, decompose, held_out_points
from playground.selection.curves import complexity_curve, learning_curve, parse_fractions, subset
from playground.data.base import make_dataset

WIDTH = "model.nodes[fc1].params.out_features"


def test_decompose_matches_a_hand_computation():
    # two training sets, two test points, one output
    predictions = np.array([[[1.0], [2.0]], [[3.0], [2.0]]])
    h = np.array([[1.0], [1.0]])
    y = np.array([[1.5], [0.0]])
    r = decompose(predictions, y, h, "s", 1)
    # mean prediction (2, 2): bias² = ((2-1)² + (2-1)²)/2 = 1; variance = (1 + 0)/2 = 0.5
    assert r.bias2 == pytest.approx(1.0)
    assert r.variance == pytest.approx(0.5)
    # noise = ((0.5)² + (-1)²)/2 = 0.625
    assert r.noise == pytest.approx(0.625)
    # test error: ((1-1.5)² + (2-0)² + (3-1.5)² + (2-0)²)/4 = (0.25 + 4 + 2.25 + 4)/4
    assert r.test_error == pytest.approx(10.5 / 4)


def test_the_test_points_carry_the_generators_noise():
    """The clean targets are sin(x) and the noisy ones differ from them by the preset's noise
    (sigma 0.1): their mean square is sigma² within its sampling error."""
    x, y, h = held_out_points(resolve_preset("regression_sine"), 4000)
    assert np.allclose(h[:, 0], np.sin(x[:, 0]), atol=1e-6)
    sigma = resolve_preset("regression_sine").data.params.get("noise", 0.1)
    assert float(((y - h) ** 2).mean()) == pytest.approx(sigma ** 2, rel=0.1)


@pytest.fixture(scope="module")
def widths():
    return bias_variance(resolve_preset("regression_sine"), WIDTH, [1, 32], n_sets=4, n_test=2000)


def test_bias_squared_plus_variance_plus_noise_is_the_test_error(widths):
    for r in widths:
        assert r.decomposed == pytest.approx(r.test_error, rel=0.05)


@pytest.mark.figure
def test_one_tanh_unit_is_biased_where_thirty_two_are_not(widths):
    """One tanh unit cannot bend into a sine (measured bias² 0.024 against 0.0002 for 32 units,
    10 training sets): the margin asked is 5x."""
    narrow, wide = widths
    assert narrow.bias2 > 5 * wide.bias2


def test_bias_variance_refuses_a_classification_preset():
    with pytest.raises(ValueError, match="regression set with target noise"):
        bias_variance(resolve_preset("xor_mlp"), WIDTH, [2], n_sets=2)


def test_a_learning_curve_varies_only_the_training_set():
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 3
    full = make_dataset(preset.data.name, preset.data.params)
    curve = learning_curve(preset, [0.2, 1.0], seeds=[0, 1])
    assert [p.n_train for p in curve.points] == [round(0.2 * len(full.x_train)), len(full.x_train)]
    assert all(p.metrics["val_accuracy"].n == 2 for p in curve.points)
    part = subset(full, 0.2)
    assert np.array_equal(part.x_val, full.x_val) and np.array_equal(part.x_train, full.x_train[:len(part.x_train)])


def test_the_complexity_curves_best_point_has_the_best_mean_validation_accuracy():
    preset = resolve_preset("xor_mlp")
    preset.training.epochs = 5
    curve = complexity_curve(preset, "training.lr", [0.001, 0.3], seeds=[0, 1])
    means = {p.value: np.mean(p.metrics["val_accuracy"].values) for p in curve.points}
    assert curve.best.value == max(means, key=means.get)


@pytest.mark.parametrize("text", ["0", "1.5", "a,b", ""])
def test_train_sizes_must_be_fractions(text):
    with pytest.raises(ValueError, match="--train-sizes"):
        parse_fractions(text)


def test_curve_command_prints_json_and_refuses_a_bad_setting_in_one_line(capsys):
    rc = main(["curve", "xor_mlp", "--train-sizes", "0.5,1", "--seeds", "1", "--set", "training.epochs=2", "--json"])
    out = capsys.readouterr()
    assert rc == 0
    doc = json.loads(out.out)
    assert doc["varied"] == "train_fraction" and [p["value"] for p in doc["points"]] == [0.5, 1.0]
    rc = main(["curve", "xor_mlp", "--param", "model.nodes[nope].params.out_features=2,4"])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "nope" in err


# ---------------------------------------------------------------- k-fold cross-validation

def _rows(a: np.ndarray) -> set[bytes]:
    return {r.tobytes() for r in np.ascontiguousarray(a)}


@pytest.mark.parametrize("name", ["moons", "blobs"])
def test_folds_are_disjoint_cover_the_pool_keep_the_test_split_and_are_stratified(name):
    params = {"seed": 3, "standardize": False}
    single = make_dataset(name, params)
    pool = _rows(np.concatenate([single.x_train, single.x_val]))
    folds = [make_dataset(name, {**params, "folds": 4, "fold": k}) for k in range(4)]
    vals = [_rows(f.x_val) for f in folds]
    assert sum(len(v) for v in vals) == len(pool) and set().union(*vals) == pool      # disjoint, covering
    for f, v in zip(folds, vals):
        assert _rows(f.x_train) == pool - v                                             # train is the rest
        assert np.array_equal(f.x_test, single.x_test)                                  # the same test split
        # stratified: each class's share of a fold within one sample of its share of the pool
        pool_y = np.concatenate([single.y_train, single.y_val])
        for c in range(single.n_classes):
            expected = np.mean(pool_y == c) * len(f.y_val)
            assert abs(np.sum(f.y_val == c) - expected) <= 1


def test_a_fold_outside_the_folds_and_too_many_folds_are_refused():
    with pytest.raises(ValueError, match="fold 4 is not one of the 3 folds"):
        make_dataset("moons", {"folds": 3, "fold": 4})
    with pytest.raises(ValueError, match="fewer than the 20 folds"):
        make_dataset("moons", {"n_samples": 40, "folds": 20, "fold": 0})


def test_the_single_split_is_read_in_the_folds_own_spread():
    from playground.run_records.verdicts import spread
    from playground.selection.cv import CrossValidation

    def cv(single):
        folds = [0.8, 0.9, 1.0]   # mean 0.9, sd 0.1 (n − 1)
        return CrossValidation("p", 3, "g", "val_accuracy", ["a", "b", "c"], folds, spread(folds, "val_accuracy"),
                               "s", single)
    assert cv(1.05).single_split_sds == pytest.approx(1.5)
    assert cv(1.05).single_split_reading == ("the single split's 1.05 lies 1.5 sd above the folds' mean: "
                                             "a lucky or unlucky draw of one validation set")
    assert cv(0.85).single_split_sds == pytest.approx(-0.5)
    assert cv(0.85).single_split_reading.endswith("0.5 sd below the folds' mean: within the folds' spread")


def test_folds_that_agree_to_the_last_digit_are_read_in_one_splits_sampling_error():
    """Three folds of ~106 examples that each made one mistake agree to 5e-5, and a single split of
    80 with one mistake (0.9875) would lie 61 of their sds away: the verdict once called that 'a
    lucky or unlucky draw'. An accuracy on 80 examples moves by at least 1/80; its binomial
    standard error is √(p(1−p)/80) = 0.0124, and by hand the split lies 0.25 of it below."""
    from playground.run_records.verdicts import spread
    from playground.selection.cv import CrossValidation
    folds = [105 / 106, 106 / 107, 105 / 106]
    cv = CrossValidation("p", 3, "g", "val_accuracy", ["a", "b", "c"], folds, spread(folds, "val_accuracy"),
                         "s", 79 / 80, 80)
    se = max(math.sqrt(79 / 80 * (1 / 80) / 80), 1 / 80)   # 0.0125: one example's worth here
    assert cv.sampling_sd == pytest.approx(se)
    assert cv.single_split_sds == pytest.approx((79 / 80 - np.mean(folds)) / se)
    assert cv.single_split_reading.endswith("within one split's sampling error")
    assert "on its 80 validation examples" in cv.single_split_reading
    loss = CrossValidation("p", 3, "g", "val_loss", ["a", "b", "c"], [0.5, 0.5, 0.5], spread([0.5] * 3, "val_loss"),
                           "s", 0.6, 80)
    assert loss.sampling_sd == 0.0   # a loss does not move in whole examples


def test_cv_records_one_run_per_fold_as_a_group_and_the_single_split(tmp_path, capsys):
    from playground.run_records.store import list_runs
    rc = main(["cv", "xor_mlp", "--folds", "3", "--set", "training.epochs=2", "--runs-dir", str(tmp_path), "--json"])
    out = capsys.readouterr()
    assert rc == 0, out.err
    doc = json.loads(out.out)
    runs = {r.id: r for r in list_runs(tmp_path)}
    assert len(runs) == 4
    folds = [runs[i] for i in doc["runs"]]
    assert {r.group for r in folds} == {doc["group"]} and runs[doc["single_split_run"]].group is None
    assert [r.changed["data.params.fold"] for r in folds] == [0, 1, 2]
    assert doc["mean"] == pytest.approx(np.mean(doc["per_fold"]))


def test_each_seed_of_a_learning_curve_draws_its_own_nested_subsets():
    """All seeds used the same first rows: the band over seeds hid how much a result depends on
    which examples a small training set happens to hold."""
    full = make_dataset("moons", {})
    rows = {tuple(map(tuple, full.x_train.tolist()))[k]: k for k in range(len(full.x_train))}
    picked = {seed: [rows[tuple(r)] for r in subset(full, 0.2, seed).x_train.tolist()] for seed in (0, 1)}
    n = round(0.2 * len(full.x_train))
    assert all(len(p) == len(set(p)) == n for p in picked.values())   # n distinct training rows each
    assert set(picked[0]) != set(picked[1])
    larger = [rows[tuple(r)] for r in subset(full, 0.5, 0).x_train.tolist()]
    assert set(picked[0]) <= set(larger)   # one seed's subsets grow by adding examples
    labels = dict(zip(range(len(full.y_train)), full.y_train.tolist()))
    assert subset(full, 0.2, 0).y_train.tolist() == [labels[k] for k in picked[0]]   # each row keeps its label
