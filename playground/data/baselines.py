"""Classical models beside every network: what scikit-learn reaches on the same split.

A student should see when a network is worth it: if logistic regression already scores 97% on a
data set, a network at 96% has learned less than a straight line. Every run's summary carries
`baselines` (validation and test figures of each model, fitted on the run's training split, on the
inputs as the network sees them), the accuracy panel draws them as lines, and the outcome judge
reads the nearest-neighbour vote as "what this data allows". Fitted once per data set (the same
name and parameters give the same split) and cached.

Classifiers: logistic regression, a 15-nearest-neighbour vote, and, for points in the plane, an
RBF support vector machine. Real-valued targets: least-squares linear regression and a
15-nearest-neighbour average, scored by mean squared error. scikit-learn is imported on first use.
"""
from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from playground.core.heavy_imports import load_once
from playground.data.base import Dataset

NEIGHBOURS = 15
"""k of the nearest-neighbour baselines: fifteen neighbours vote away most label noise (one
neighbour's error can reach twice the Bayes error, Cover & Hart 1967)."""
MAX_VALUES = 20_000_000
"""Training inputs (samples x features) beyond which the baselines are skipped: a kernel SVM or a
logistic regression on that many values would take longer than the network's own run."""


@dataclass(frozen=True)
class Baseline:
    """One classical model's figures: accuracy for classifiers, mean squared error otherwise."""

    name: str
    title: str
    metric: str        # "accuracy" | "mse"
    val: float | None
    test: float | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _import_models() -> None:
    import sklearn.linear_model  # noqa: F401
    import sklearn.neighbors  # noqa: F401
    import sklearn.svm  # noqa: F401


def load_models() -> None:
    """Import scikit-learn's models (~1.8 s on a first call) once, never beside another thread's
    import of them (playground.core.heavy_imports.load_once): the app's panel and its training
    thread both ask for a run's baselines as it starts, and the app loads them ahead at start-up."""
    load_once("baseline models", _import_models)


def _models(dataset: Dataset) -> list[tuple[str, str, Any]]:
    load_models()
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
    from sklearn.svm import SVC
    k = max(1, min(NEIGHBOURS, len(dataset.x_train)))
    if dataset.n_classes > 0:
        models = [("logistic_regression", "logistic regression", LogisticRegression(max_iter=2000)),
                  (f"knn_{k}", f"{k}-nearest neighbours", KNeighborsClassifier(n_neighbors=k))]
        if dataset.kind == "points" and dataset.input_shape == (2,):
            models.append(("rbf_svm", "RBF support vector machine", SVC(kernel="rbf", C=1.0, gamma="scale")))
        return models
    return [("linear_regression", "linear regression", LinearRegression()),
            (f"knn_{k}", f"{k}-nearest neighbours", KNeighborsRegressor(n_neighbors=k))]


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1).astype(np.float64)


def _score(model: Any, x: np.ndarray, y: np.ndarray, classifier: bool) -> float | None:
    if not len(x):
        return None
    predicted = model.predict(_flat(x))
    if classifier:
        return float(np.mean(predicted == y))
    return float(np.mean((predicted.reshape(len(y), -1) - y.reshape(len(y), -1)) ** 2))


def fit_baselines(dataset: Dataset) -> list[Baseline]:
    """Each classical model fitted on the training split and scored on validation and test; []
    where they do not apply (one class in training, or data too large to fit quickly)."""
    x, y = dataset.x_train, dataset.y_train
    classifier = dataset.n_classes > 0
    if not len(x) or x[0].size * len(x) > MAX_VALUES or (classifier and len(np.unique(y)) < 2):
        return []
    target = y if classifier else y.reshape(len(y), -1)
    out = []
    for name, title, model in _models(dataset):
        model.fit(_flat(x), target if classifier or target.shape[1] > 1 else target[:, 0])
        out.append(Baseline(name, title, "accuracy" if classifier else "mse",
                            _score(model, dataset.x_val, dataset.y_val, classifier),
                            _score(model, dataset.x_test, dataset.y_test, classifier)))
    return out


_fitted: dict[str, tuple[Baseline, ...]] = {}
"""Baselines by data set (name and parameters): the same split always gives the same figures."""
CACHED = 32
_fitting = threading.Lock()


def baselines_for(name: str, params: dict[str, Any], dataset: Dataset | None = None) -> list[Baseline]:
    """The baselines of data set `name` with `params`, fitted once per process; `dataset` is the
    same set already made (a run's), which spares making it again."""
    key = json.dumps({"name": name, "params": params}, sort_keys=True, default=str)
    with _fitting:   # a second caller (the app's panel beside its training thread) takes the first's figures
        return _baselines_for(key, name, params, dataset)


def _baselines_for(key: str, name: str, params: dict[str, Any], dataset: Dataset | None) -> list[Baseline]:
    if key not in _fitted:
        if dataset is None:
            from playground.data import make_dataset
            dataset = make_dataset(name, params)
        if len(_fitted) >= CACHED:
            _fitted.pop(next(iter(_fitted)))
        _fitted[key] = tuple(fit_baselines(dataset))
    return list(_fitted[key])
