"""Learning curves and complexity curves: the final training and validation metric of a preset
against the size of its training set, or against the value of one setting, over seeds.

The notes read them the same way: a large gap between training and validation means high
variance (regularize, or get more data); both poor and close means high bias (add capacity).
The validation split stays the same at every point of a curve, so the points differ only in
what is varied and in the seed. On a learning curve the seed also draws which training examples
a fraction keeps, so the band over seeds shows how much the result depends on the sample too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np

from playground.data.base import Dataset, make_dataset
from playground.network.overrides import apply_overrides
from playground.selection.measure import Final, final_metrics, train_to_end
from playground.network.spec import Preset
from playground.run_records.verdicts import Spread, spread


@dataclass(frozen=True)
class CurvePoint:
    """One point of a curve: the varied value, and each final metric over the seeds."""

    value: Any
    n_train: int
    metrics: dict[str, Spread] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "n_train": self.n_train,
                "metrics": {k: {"mean": s.mean, "std": s.std, "n": s.n, "values": s.values}
                            for k, s in self.metrics.items()}}


@dataclass(frozen=True)
class Curve:
    """A learning curve (`varied` = "train_fraction") or a complexity curve (a setting's path)."""

    preset: str
    varied: str
    metric: str
    """The metric the curve is read by: accuracy for classifiers, loss otherwise."""
    points: list[CurvePoint]

    @property
    def best(self) -> CurvePoint:
        """The point of the best mean validation metric: the complexity curve's chosen point."""
        key = f"val_{self.metric}"
        sign = -1.0 if self.metric == "accuracy" else 1.0
        return min(self.points, key=lambda p: sign * _mean_or_inf(p.metrics[key], sign))

    def to_json(self) -> dict[str, Any]:
        return {"preset": self.preset, "varied": self.varied, "metric": self.metric,
                "best": self.best.value, "points": [p.to_json() for p in self.points]}


def _mean_or_inf(s: Spread, sign: float) -> float:
    return s.mean if math.isfinite(s.mean) else sign * math.inf


def parse_fractions(text: str) -> list[float]:
    """`0.1,0.25,1` -> [0.1, 0.25, 1.0]: fractions of the training split, each in (0, 1]."""
    try:
        values = [float(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ValueError(f"--train-sizes takes fractions separated by commas, e.g. 0.1,0.5,1; got {text!r}") from None
    if not values or any(not 0 < v <= 1 for v in values):
        raise ValueError(f"--train-sizes: every fraction must be in (0, 1], got {text!r}")
    return sorted(set(values))


def subset(dataset: Dataset, fraction: float, seed: int | None = None) -> Dataset:
    """`fraction` of the training split; validation and test whole. Without a seed its first rows
    (the split is shuffled already); with one, the first of the rows in an order the seed draws, so
    a seed's subsets are nested as the fraction grows and other seeds take other examples (all
    seeds took the same ones: the band over seeds was a few thousandths wide around a curve that
    jumped by a tenth from one fraction to the next, the luck of one draw). The standardization
    statistics stay those of the full training split: the curve varies how many examples the
    network learns from, not how its inputs are scaled."""
    n = max(1, int(round(fraction * len(dataset.x_train))))
    if seed is None:
        return replace(dataset, x_train=dataset.x_train[:n], y_train=dataset.y_train[:n])
    rows = np.random.default_rng(seed).permutation(len(dataset.x_train))[:n]
    return replace(dataset, x_train=dataset.x_train[rows], y_train=dataset.y_train[rows])


def _metrics(finals: Sequence[Final]) -> dict[str, Spread]:
    out = {"train_loss": spread([f.train_loss for f in finals], "train_loss"),
           "val_loss": spread([f.val_loss for f in finals], "val_loss")}
    if finals and finals[0].val_accuracy is not None:
        out["train_accuracy"] = spread([f.train_accuracy for f in finals], "train_accuracy")
        out["val_accuracy"] = spread([f.val_accuracy for f in finals], "val_accuracy")
    return out


def _with_seed(preset: Preset, seed: int) -> Preset:
    p = preset.copy()
    p.training.seed = seed
    return p


def learning_curve(preset: Preset, fractions: Sequence[float], seeds: Sequence[int],
                   on_done: Callable[[Any, int], None] | None = None) -> Curve:
    """Final metrics against the fraction of the training split used, each over `seeds` (the
    weights', the data order's and the subset's seed; the split itself is the preset's)."""
    full = make_dataset(preset.data.name, preset.data.params)
    points = []
    for fraction in fractions:
        finals = []
        for seed in seeds:
            part = subset(full, fraction, seed)
            finals.append(final_metrics(train_to_end(_with_seed(preset, seed), part)))
            if on_done is not None:
                on_done(fraction, seed)
        points.append(CurvePoint(fraction, len(subset(full, fraction).x_train), _metrics(finals)))
    return Curve(preset.name, "train_fraction", _curve_metric(points), points)


def complexity_curve(preset: Preset, setting: str, values: Sequence[Any], seeds: Sequence[int],
                     on_done: Callable[[Any, int], None] | None = None) -> Curve:
    """Final metrics against the value of one setting (a preset path, as `--set` takes it)."""
    points = []
    for value in values:
        changed = apply_overrides(preset, [f"{setting}={value}"])
        finals = []
        n_train = 0
        for seed in seeds:
            trainer = train_to_end(_with_seed(changed, seed))
            n_train = trainer.n_train
            finals.append(final_metrics(trainer))
            if on_done is not None:
                on_done(value, seed)
        points.append(CurvePoint(value, n_train, _metrics(finals)))
    return Curve(preset.name, setting, _curve_metric(points), points)


def _curve_metric(points: Sequence[CurvePoint]) -> str:
    return "accuracy" if points and "val_accuracy" in points[0].metrics else "loss"


def parse_values(text: str) -> list[Any]:
    """`2,4,8` or `0,1e-3,1e-2`: the values a complexity curve tries, as JSON scalars."""
    import json
    out = []
    for t in (t.strip() for t in text.split(",")):
        if not t:
            continue
        try:
            out.append(json.loads(t))
        except ValueError:
            out.append(t)   # a word, such as an activation's name
    if not out:
        raise ValueError(f"no values in {text!r}; give them separated by commas, e.g. 2,4,8")
    return out
