"""Whether two groups of runs differ by more than seed noise: each group's spread and Welch's
t-test (unequal variances) between them, "outside noise" when p < ALPHA.

Its own module because two callers judge groups of runs: `experiments` (compare, repeats) and
`lesson_claims` (`presets --verify`); neither trains anything here.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Sequence

ALPHA = 0.05
"""A difference is called outside seed noise when Welch's test gives p below this."""
IDENTICAL = "identical results"
"""The verdict when both groups gave the very same numbers (the same runs twice, or no variation
at all): a p-value of 1 would suggest a test found something."""

def default_jobs(n_runs: int) -> int:
    """Parallel training processes: one per core, leaving a core free, never more than runs."""
    return max(1, min(n_runs, (os.cpu_count() or 1) - 1))



@dataclass
class Spread:
    """A metric over a group's runs: mean, sample standard deviation and the 95% interval of the mean."""

    metric: str
    n: int
    mean: float
    std: float
    low: float
    high: float
    values: list[float]


def metric_bounds(metric: str) -> tuple[float, float]:
    """The values a metric can take: an accuracy (`val_accuracy`, `train_acc`) lies in [0, 1], a loss
    or a squared error at or above 0. Intervals and ± sd bands are cut to them: a 5-fold accuracy of
    0.997 ± 0.007 had its t interval end at 1.006, which no accuracy reaches."""
    name = metric.lower()
    if "acc" in name:
        return 0.0, 1.0
    if "loss" in name or "mse" in name:
        return 0.0, math.inf
    return -math.inf, math.inf


def clip_to_metric(values, metric: str):
    """`values` (a number or a numpy array) cut to `metric_bounds(metric)`."""
    import numpy as np
    lo, hi = metric_bounds(metric)
    out = np.clip(values, lo, hi)
    return float(out) if np.ndim(out) == 0 else out


def spread(values: Sequence[float], metric: str) -> Spread:
    """Mean, sample sd and the t interval of the mean (Student's, n - 1 degrees of freedom), the
    interval cut to the values the metric can take (`metric_bounds`)."""
    from scipy import stats
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    n = len(v)
    if n == 0:
        nan = float("nan")
        return Spread(metric, 0, nan, nan, nan, nan, [])
    mean = sum(v) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n) if n > 1 else float("nan")
    lo, hi = metric_bounds(metric)
    return Spread(metric, n, mean, std, max(lo, mean - half), min(hi, mean + half), v)


@dataclass
class Verdict:
    """Is group B's final metric different from group A's by more than seed noise?"""

    metric: str
    verdict: str          # "within noise" | "outside noise" | "identical results"
    difference: float     # mean(B) - mean(A)
    low: float            # 95% interval of the difference (Welch)
    high: float
    t: float
    p_value: float
    dof: float
    alpha: float
    a: Spread
    b: Spread

    def sentence(self) -> str:
        if self.verdict == IDENTICAL:
            return (f"{IDENTICAL}: both groups gave the same {self.metric} on every seed (mean "
                    f"{self.a.mean:.4g}, {self.a.n} and {self.b.n} seeds), so there is nothing to test")
        return (f"{self.verdict}: {self.metric} {self.b.mean:.4g} vs {self.a.mean:.4g}, difference "
                f"{self.difference:+.4g} (95% interval {self.low:+.4g} to {self.high:+.4g}), "
                f"Welch t = {self.t:.3g}, p = {self.p_value:.3g} with {self.a.n} and {self.b.n} seeds")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def welch_verdict(a_values: Sequence[float], b_values: Sequence[float], metric: str,
                  alpha: float = ALPHA) -> Verdict:
    """Welch's t-test on two groups of final metrics (at least two runs each)."""
    from scipy import stats
    a, b = spread(a_values, metric), spread(b_values, metric)
    if a.n < 2 or b.n < 2:
        raise ValueError(f"a verdict needs at least 2 finished runs in each group (have {a.n} and {b.n})")
    diff = b.mean - a.mean
    if sorted(a.values) == sorted(b.values):
        return Verdict(metric, IDENTICAL, 0.0, 0.0, 0.0, 0.0, 1.0, float(a.n + b.n - 2), alpha, a, b)
    va, vb = a.std ** 2 / a.n, b.std ** 2 / b.n
    se = math.sqrt(va + vb)
    if se == 0.0:  # every seed gave the same number in both groups: any gap is no noise at all
        p = 1.0 if diff == 0 else 0.0
        return Verdict(metric, "outside noise" if p < alpha else "within noise", diff, diff, diff,
                       0.0 if diff == 0 else math.copysign(math.inf, diff), p, float(a.n + b.n - 2),
                       alpha, a, b)
    with warnings.catch_warnings():  # nearly equal values: scipy warns, the numbers stand
        warnings.simplefilter("ignore", RuntimeWarning)
        result = stats.ttest_ind(b.values, a.values, equal_var=False)
    dof = (va + vb) ** 2 / ((va ** 2 / (a.n - 1) if va else 0.0) + (vb ** 2 / (b.n - 1) if vb else 0.0))
    half = float(stats.t.ppf(0.975, dof)) * se
    p = float(result.pvalue)
    return Verdict(metric, "outside noise" if p < alpha else "within noise", diff, diff - half,
                   diff + half, float(result.statistic), p, float(dof), alpha, a, b)
