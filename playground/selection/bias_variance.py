"""Bias and variance, measured: train the same model on many training sets drawn from one
generator and look at its predictions on fixed test points.

For a test point x with clean target h(x) and noisy target y = h(x) + noise, and predictions
f_D(x) of the models trained on sets D, the notes' decomposition of the expected squared error is

    E_D,noise[(y - f_D(x))²] = (E_D f_D(x) - h(x))²  +  Var_D f_D(x)  +  E[(y - h(x))²]
                                      bias²                variance         noise

averaged over the test points. Bias and variance are exact sample statistics of the predictions;
the measured test error equals their sum plus the noise up to the cross term 2(y - h)(h - f),
which averages to zero over independent noise (a test checks the identity within 5%).

Needs a generated data set whose `noise` parameter is the target noise (sine, bowl): the clean
targets h(x) are the same generator at noise 0, which draws the same inputs.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

import numpy as np

from playground.data.base import DATASETS, make_dataset
from playground.network.overrides import apply_overrides
from playground.selection.measure import predict_raw, train_to_end
from playground.network.spec import Preset

TEST_SEED = 987_654
"""The data seed of the fixed test points: far from the training sets' seeds 0, 1, 2, ..."""


@dataclass(frozen=True)
class BiasVariance:
    """One model setting's decomposition, averaged over the test points."""

    setting: str
    value: Any
    bias2: float
    variance: float
    noise: float
    test_error: float
    n_sets: int

    @property
    def decomposed(self) -> float:
        """bias² + variance + noise: the test error the decomposition predicts."""
        return self.bias2 + self.variance + self.noise

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "decomposed": self.decomposed}


def require_noisy_regression(preset: Preset) -> str:
    """The preset's data set name, or ValueError when it is no generated regression set with a
    target noise to decompose (the app refuses such a preset before any training)."""
    name = preset.data.name
    spec = DATASETS.get(name)
    if spec is None or spec.kind != "regression" or not any(p.name == "noise" for p in spec.params):
        raise ValueError(f"bias and variance need a generated regression set with target noise (sine, bowl); "
                         f"{preset.name} uses {name!r}")
    return name


def held_out_points(preset: Preset, n_test: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, h): fixed test inputs in the data's own units, their noisy targets and their clean ones."""
    name = require_noisy_regression(preset)
    base = {**preset.data.params, "seed": TEST_SEED, "n_samples": n_test, "val_fraction": 0.0,
            "test_fraction": 0.0, "standardize": False}
    noisy = make_dataset(name, base)
    clean = make_dataset(name, {**base, "noise": 0.0})
    if not np.array_equal(noisy.x_train, clean.x_train):
        raise ValueError(f"data set {name!r} draws other inputs at noise 0: its clean targets are unknown")
    flat = lambda a: a.reshape(len(a), -1).astype(np.float64)  # noqa: E731
    return noisy.x_train, flat(noisy.y_train), flat(clean.y_train)


def decompose(predictions: np.ndarray, y: np.ndarray, h: np.ndarray, setting: str, value: Any) -> BiasVariance:
    """The decomposition from predictions of shape (sets, points, outputs) on the test points."""
    mean = predictions.mean(axis=0)
    return BiasVariance(
        setting=setting, value=value,
        bias2=float(((mean - h) ** 2).mean()),
        variance=float(predictions.var(axis=0).mean()),
        noise=float(((y - h) ** 2).mean()),
        test_error=float(((predictions - y[None]) ** 2).mean()),
        n_sets=len(predictions))


def bias_variance(preset: Preset, setting: str, values: Sequence[Any], *, n_sets: int = 20, n_test: int = 1000,
                  first_seed: int = 0,
                  on_done: Callable[[Any, int], None] | None = None) -> list[BiasVariance]:
    """For each value of `setting` (a preset path, as `--set` takes it): train on `n_sets`
    training sets (data seeds first_seed, first_seed + 1, ...; the weights' seed likewise) and
    decompose the squared error on `n_test` fixed test points."""
    if n_sets < 2:
        raise ValueError(f"variance needs at least 2 training sets, got {n_sets}")
    x, y, h = held_out_points(preset, n_test)
    results = []
    for value in values:
        changed = apply_overrides(preset, [f"{setting}={value}"])
        predictions = []
        for k in range(n_sets):
            p = changed.copy()
            p.data.params = {**p.data.params, "seed": first_seed + k}
            p.training.seed = first_seed + k
            trainer = train_to_end(p)
            predictions.append(predict_raw(trainer, x).reshape(len(x), -1))
            if on_done is not None:
                on_done(value, k)
        results.append(decompose(np.stack(predictions), y, h, setting, value))
    return results
