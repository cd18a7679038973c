"""Classical baselines beside every network (issue 26): the figures equal scikit-learn run
directly on the same split, a hand-made case is scored by hand, and run summaries carry them."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC

from playground.data.baselines import baselines_for, fit_baselines
from playground.data.base import make_dataset
from playground.network.preset import resolve_preset
from playground.run_records.run_to_end import train_run


def test_the_classifier_baselines_equal_scikit_learn_on_the_same_split():
    ds = make_dataset("moons", {"seed": 4, "noise": 0.3})
    found = {b.name: b for b in fit_baselines(ds)}
    direct = {"logistic_regression": LogisticRegression(max_iter=2000), "knn_15": KNeighborsClassifier(15),
              "rbf_svm": SVC(kernel="rbf", gamma="scale")}
    assert set(found) == set(direct)
    for name, model in direct.items():
        model.fit(ds.x_train, ds.y_train)
        assert found[name].val == pytest.approx(model.score(ds.x_val, ds.y_val))
        assert found[name].test == pytest.approx(model.score(ds.x_test, ds.y_test))


def test_a_regression_baseline_is_the_least_squares_line():
    ds = make_dataset("sine", {"seed": 1})
    line = next(b for b in fit_baselines(ds) if b.name == "linear_regression")
    # the normal equations by hand, with an intercept
    a = np.c_[ds.x_train.astype(np.float64), np.ones(len(ds.x_train))]
    w = np.linalg.solve(a.T @ a, a.T @ ds.y_train.astype(np.float64))
    b = np.c_[ds.x_test.astype(np.float64), np.ones(len(ds.x_test))]
    assert line.metric == "mse" and line.test == pytest.approx(float(np.mean((b @ w - ds.y_test) ** 2)), rel=1e-6)


def test_a_three_neighbour_vote_by_hand():
    ds = make_dataset("moons", {"seed": 0})
    x = np.array([[0.0, 0], [0.1, 0], [0.2, 0], [1.0, 0], [1.1, 0], [1.2, 0]], dtype=np.float32)
    y = np.array([0, 0, 0, 1, 1, 1])
    tiny = replace(ds, x_train=x, y_train=y, x_val=np.array([[0.05, 0], [1.05, 0], [0.7, 0]], dtype=np.float32),
                   y_val=np.array([0, 1, 0]), x_test=x[:0], y_test=y[:0])
    import playground.data.baselines as b
    old = b.NEIGHBOURS
    b.NEIGHBOURS = 3
    try:
        vote = next(v for v in fit_baselines(tiny) if v.name == "knn_3")
    finally:
        b.NEIGHBOURS = old
    # 0.05 -> 0,0,0; 1.05 -> 1,1,1; 0.7 -> 1.0, 1.1 and 0.2: class 1, labelled 0
    assert vote.val == pytest.approx(2 / 3) and vote.test is None


def test_a_runs_summary_carries_the_baselines_of_its_split():
    result = train_run(resolve_preset("xor_mlp"), epochs=1)
    preset = resolve_preset("xor_mlp")
    expected = {b.name: b.val for b in baselines_for(preset.data.name, preset.data.params)}
    assert {k: v["val"] for k, v in result.summary["baselines"].items()} == expected
    assert set(expected) == {"logistic_regression", "knn_15", "rbf_svm"}


def test_which_baseline_figure_a_run_is_read_against():
    from playground.training.views import baseline_metric
    assert baseline_metric(resolve_preset("xor_mlp")) == "accuracy"          # a classifier: its accuracy plot
    assert baseline_metric(resolve_preset("regression_sine")) == "mse"       # MSE loss: the same units
    l1 = resolve_preset("regression_sine")
    l1.training.loss = "l1"
    assert baseline_metric(l1) is None                                       # an L1 curve is not an MSE
    assert baseline_metric(resolve_preset("digits_autoencoder")) is None     # its baseline would be PCA
