"""The generative-against-discriminative lab: Gaussian class-conditionals against logistic regression
on the 2-D two-class sets, their boundaries, and the learning curve of test error against the
training-set size.

The notes' probabilistic generative model fits p(x | class) as a Gaussian per class and turns it
into p(class | x) with Bayes' rule. With one covariance Σ shared by both classes the quadratic
terms cancel and p(class 1 | x) = σ(w·x + b) with w = Σ⁻¹(μ₁ − μ₀): a linear boundary of the same
form as logistic regression (linear discriminant analysis, LDA); with a covariance per class the
boundary is quadratic (QDA). Logistic regression fits w and b directly, assuming nothing about how
x is distributed. Ng & Jordan (2002): the generative model estimates few, well-determined
quantities (two means, one covariance) and so approaches its best error with little data, while
the discriminative one needs more points but, when the Gaussians are the wrong model, ends lower.

Logistic regression is fitted nearly without a penalty (C = 10⁴), as in Ng & Jordan's comparison:
scikit-learn's default L2 penalty (C = 1) is itself a prior that helps with few points. Measured on
moons (the default; per seed 4000 points, half of them the test split, nested training sets),
seeds 0-4: with 4 points per class LDA errs 0.164, logistic regression 0.185 (mean; LDA lower in
3 of 5 seeds); from 128 per class logistic regression is ahead, at 256 0.122 against 0.126 (lower
in 5 of 5). In 2-D the effect is small; Ng & Jordan's gap grows with the number of inputs. On xor
and circle no line beats chance and the comparison says nothing; blobs and linear are learnt
almost perfectly by both. The lab's verdict is computed from the numbers of the set shown.

All fitting is scikit-learn's (LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis,
LogisticRegression); the data are the app's own sets (playground.data.base.make_dataset).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from playground.data.base import make_dataset

SETS = ("moons", "blobs", "xor", "circle", "spiral", "linear")
MODELS = {"lda": "LDA (shared covariance)", "qda": "QDA (a covariance per class)",
          "logistic": "logistic regression"}
"""The three models: their keys in JSON and their names on the page."""
CURVE_MODELS = ("lda", "logistic")
"""The learning curve compares the linear generative model with the linear discriminative one."""
SIZES = (4, 8, 16, 32, 64, 128, 256)
"""Training points per class on the learning curve."""
SEEDS = 5
LOGISTIC_C = 1e4
"""Logistic regression's inverse L2 strength: nearly no penalty, as in Ng & Jordan's comparison."""
TIE = 0.0025
"""Mean test errors closer than this (5 of the curve's 2000 test points) are a tie."""
CHANCE = 0.4
"""Both linear models erring more than this with the most data: no line fits, the curve shows nothing."""
GRID = 120
"""Grid points per axis where the boundaries' probabilities are evaluated."""
CURVE_SAMPLES = 4000
"""Points drawn per seed for the learning curve; half are its test split, the rest the pool the
training sets are drawn from (nested: each size's set contains the smaller ones)."""


def model(name: str) -> Any:
    """A fresh scikit-learn estimator for one of MODELS."""
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
    from sklearn.linear_model import LogisticRegression
    if name == "lda":
        return LinearDiscriminantAnalysis()
    if name == "qda":
        return QuadraticDiscriminantAnalysis()
    if name == "logistic":
        return LogisticRegression(C=LOGISTIC_C, max_iter=10_000)
    raise ValueError(f"unknown model {name!r} (one of {', '.join(MODELS)})")


def fit(name: str, x: np.ndarray, y: np.ndarray) -> Any:
    """`model(name)` fitted to (x, y); logistic regression on separable points stops at its
    iteration limit with a warning a student cannot act on, so it is silenced."""
    from sklearn.exceptions import ConvergenceWarning
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model(name).fit(x, y)


def error_rate(estimator: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(1.0 - estimator.score(x, y))


def dataset_params(data: str, seed: int, **extra: Any) -> dict[str, Any]:
    """The set's parameters: two classes always (blobs default to three)."""
    params: dict[str, Any] = {"seed": seed, **extra}
    if data == "blobs":
        params["n_classes"] = 2
    return params


@dataclass(frozen=True)
class ModelFit:
    """One model fitted to the lab's training split: its test error and p(class 1 | x) on the grid
    (rows along x₂, columns along x₁); `weights` and `bias` for the linear ones (p = σ(w·x + b))."""

    name: str
    test_error: float
    probability: np.ndarray
    weights: np.ndarray | None = None
    bias: float | None = None


@dataclass
class LearningCurve:
    """Test error per training-set size (points per class) and seed, for each of CURVE_MODELS."""

    sizes: tuple[int, ...]
    seeds: int
    errors: dict[str, np.ndarray] = field(default_factory=dict)
    """model -> array (len(sizes), seeds)."""

    def mean(self, name: str) -> np.ndarray:
        return self.errors[name].mean(axis=1)

    def sd(self, name: str) -> np.ndarray:
        e = self.errors[name]
        return e.std(axis=1, ddof=1) if e.shape[1] > 1 else np.zeros(len(self.sizes))

    def gap(self) -> np.ndarray:
        """Logistic regression's mean error minus LDA's, per size: positive where LDA is better."""
        return self.mean("logistic") - self.mean("lda")

    def wins(self, name: str) -> np.ndarray:
        """Per size, in how many seeds `name` erred strictly less than the other model."""
        diff = self.errors["logistic"] - self.errors["lda"]
        return (diff > 0 if name == "lda" else diff < 0).sum(axis=1)

    def ahead(self) -> list[str | None]:
        """Per size, the model ahead: its mean error lower by more than TIE and lower in most seeds;
        None where neither is (a tie at this many seeds)."""
        gap, majority = self.gap(), self.seeds // 2 + 1
        lda, logistic = self.wins("lda"), self.wins("logistic")
        return ["lda" if g > TIE and a >= majority else "logistic" if g < -TIE and b >= majority else None
                for g, a, b in zip(gap, lda, logistic)]

    def crossover(self) -> int | None:
        """Where the discriminative model overtakes: the first size of the final run of sizes where
        logistic regression is ahead, when LDA is ahead at the smallest size; None otherwise."""
        ahead = self.ahead()
        if ahead[0] != "lda" or ahead[-1] != "logistic":
            return None
        i = len(ahead) - 1
        while ahead[i - 1] == "logistic":
            i -= 1
        return self.sizes[i]

    def verdict(self, data: str) -> str:
        """What the curve shows, in the words of the notes, from its own numbers."""
        sizes, n = self.sizes, self.seeds
        lda, logistic = self.mean("lda"), self.mean("logistic")
        wins_lda, wins_logistic = self.wins("lda"), self.wins("logistic")
        numbers = (f"with {sizes[0]} points per class LDA errs {lda[0]:.3f}, logistic regression {logistic[0]:.3f} "
                   f"(LDA lower in {wins_lda[0]} of {n} seeds); with {sizes[-1]}: {lda[-1]:.3f} and "
                   f"{logistic[-1]:.3f} (logistic regression lower in {wins_logistic[-1]} of {n})")
        if min(lda[-1], logistic[-1]) > CHANCE:
            return (f"On {data}, {numbers}: no straight line separates these classes, both models stay near chance "
                    "(0.5), and the comparison says nothing here.")
        ahead = self.ahead()
        at = self.crossover()
        spread = max(self.sd("lda")[0], self.sd("logistic")[0])
        caveat = (f" With {sizes[0]} points per class the seeds spread more (sd up to {spread:.3f}) than the means "
                  "differ: in two dimensions the head start is small." if self.gap()[0] < spread else "")
        if at is not None:
            return (f"On {data}, {numbers}: the generative model wins with little data and the discriminative one "
                    f"overtakes, ahead from {at} points per class.{caveat}")
        if ahead[0] == "lda":
            return (f"On {data}, {numbers}: LDA wins with little data, but logistic regression does not overtake "
                    f"here.{caveat}")
        if ahead[-1] == "logistic":
            return (f"On {data}, {numbers}: logistic regression ends ahead, but LDA's head start with little data "
                    "does not show here.")
        return (f"On {data}, {numbers}: neither model is clearly ahead at either end; the effect of the notes "
                "does not show on this set.")


@dataclass
class GenerativeLab:
    data: str
    seed: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    grid_x: np.ndarray
    grid_y: np.ndarray
    class_names: list[str]
    fits: dict[str, ModelFit] = field(default_factory=dict)
    curve: LearningCurve | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "data": self.data, "seed": self.seed, "class_names": self.class_names,
            "train_points": len(self.y_train), "test_points": len(self.y_test),
            "logistic_C": LOGISTIC_C,
            "test_error": {m: f.test_error for m, f in self.fits.items()},
            "linear_boundary": {m: {"weights": f.weights.tolist(), "bias": f.bias}
                                for m, f in self.fits.items() if f.weights is not None},
        }
        if self.curve is not None:
            c = self.curve
            out["learning_curve"] = {
                "points_per_class": list(c.sizes), "seeds": c.seeds,
                "test_error": {m: {"mean": c.mean(m).tolist(), "sd": c.sd(m).tolist(),
                                   "per_seed": c.errors[m].tolist()} for m in c.errors},
                "crossover": c.crossover(), "verdict": c.verdict(self.data)}
        return out


def grid(x: np.ndarray, n: int = GRID, pad: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """Grid axes over the points' range, widened by `pad` of it on each side."""
    lo, hi = x.min(0), x.max(0)
    span = hi - lo
    return (np.linspace(lo[0] - pad * span[0], hi[0] + pad * span[0], n),
            np.linspace(lo[1] - pad * span[1], hi[1] + pad * span[1], n))


def fit_models(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray,
               gx: np.ndarray, gy: np.ndarray) -> dict[str, ModelFit]:
    """The three models on one training split: test errors and probabilities on the grid."""
    xx, yy = np.meshgrid(gx, gy)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    fits = {}
    for name in MODELS:
        estimator = fit(name, x, y)
        p = estimator.predict_proba(points)[:, 1].reshape(xx.shape)
        linear = name in ("lda", "logistic")
        fits[name] = ModelFit(name, error_rate(estimator, x_test, y_test), p,
                              np.asarray(estimator.coef_[0], dtype=float) if linear else None,
                              float(estimator.intercept_[0]) if linear else None)
    return fits


def learning_curve(data: str, seeds: int = SEEDS, sizes: tuple[int, ...] = SIZES) -> LearningCurve:
    """Test error of LDA and logistic regression trained on `size` points per class, for seeds
    0..seeds-1: each seed draws its own data set (CURVE_SAMPLES points, half kept for testing) and
    one order of its training points per class, so the training sets are nested."""
    curve = LearningCurve(tuple(sizes), seeds, {m: np.zeros((len(sizes), seeds)) for m in CURVE_MODELS})
    for s in range(seeds):
        ds = make_dataset(data, dataset_params(data, s, n_samples=CURVE_SAMPLES, val_fraction=0.0,
                                               test_fraction=0.5))
        rng = np.random.default_rng(s)
        order = [rng.permutation(np.flatnonzero(ds.y_train == c)) for c in (0, 1)]
        if min(len(o) for o in order) < max(sizes):
            raise ValueError(f"{data} has too few training points per class for {max(sizes)} per class")
        for i, size in enumerate(sizes):
            chosen = np.concatenate([o[:size] for o in order])
            for name in CURVE_MODELS:
                estimator = fit(name, ds.x_train[chosen], ds.y_train[chosen])
                curve.errors[name][i, s] = error_rate(estimator, ds.x_test, ds.y_test)
    return curve


def explore(data: str = "moons", seeds: int = SEEDS, seed: int = 0, sizes: tuple[int, ...] = SIZES) -> GenerativeLab:
    """The whole lab on one set: the three boundaries fitted on the set's training split (seed
    `seed`, the app's default split), scored on its test split, and the learning curve."""
    if data not in SETS:
        raise ValueError(f"unknown set {data!r} for the generative lab (one of {', '.join(SETS)})")
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    ds = make_dataset(data, dataset_params(data, seed))
    x, y = ds.x_train.astype(np.float64), ds.y_train
    xt, yt = ds.x_test.astype(np.float64), ds.y_test
    gx, gy = grid(np.concatenate([x, xt]))
    lab = GenerativeLab(data, seed, x, y, xt, yt, gx, gy, list(ds.class_names))
    lab.fits = fit_models(x, y, xt, yt, gx, gy)
    lab.curve = learning_curve(data, seeds, sizes)
    return lab
