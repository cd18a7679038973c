"""Grid against random search (Bergstra & Bengio 2012), on the same samplers as `playground search`.

When one setting matters and another hardly does, a 3 x 3 grid spends its 9 trials on only 3 values
of the one that matters (each tried three times, with the other setting changed), where 9 random
trials try 9 different values of it. The objective is a synthetic validation loss, so ten repeats
cost milliseconds and the point is not lost in training noise: a U in the learning rate, on a
log scale, around a best rate that each repeat draws afresh (a new problem whose best rate nobody
knows beforehand), plus a ripple from the unimportant setting a fiftieth as deep.

The samplers are `playground.selection.search.make_sampler`'s (Optuna's RandomSampler and the
grid of `search --sampler grid`), asked and told one trial at a time on an in-memory study; the
repeats' best losses are compared with Welch's test (`run_records.verdicts`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.network.spec import USUAL_LR_RANGE
from playground.run_records.verdicts import Spread, Verdict, spread, welch_verdict
from playground.selection.search import ParamRange, make_sampler, suggest

IMPORTANT = ParamRange("lr", *USUAL_LR_RANGE, log=True)
"""The setting that matters: a learning rate, searched in log space as the notes teach."""
UNIMPORTANT = ParamRange("other", 0.0, 1.0)
"""A setting that hardly changes the loss (Bergstra & Bengio's "unimportant parameter")."""
TRIALS = 9
REPEATS = 10
SEED = 0

FLOOR = 0.1
"""The loss at the best learning rate."""
DEPTH = 0.6
"""How far the loss rises away from it: to 0.7, near ln 2 (a two-class network that learned nothing)."""
WIDTH = 0.4
"""The U's width in decades of learning rate (a Gaussian dip's standard deviation)."""
RIPPLE = 0.012
"""The unimportant setting's whole effect: DEPTH / 50."""
BEST_LR_DECADES = (-3.5, -0.5)
"""Where a repeat's best learning rate lies (log10), drawn uniformly: inside the searched range."""
METRIC = "best validation loss"
SAMPLERS = ("grid", "random")


@dataclass(frozen=True)
class Objective:
    """One repeat's problem: the validation loss a run at (lr, other) would end with."""

    best_log_lr: float
    best_other: float

    def loss(self, lr: float, other: float) -> float:
        distance = (math.log10(lr) - self.best_log_lr) / WIDTH
        return FLOOR + DEPTH * (1.0 - math.exp(-0.5 * distance ** 2)) + RIPPLE * (other - self.best_other) ** 2


def objective_of(repeat: int, seed: int = SEED) -> Objective:
    """Repeat `repeat`'s problem, the same for both samplers (so they race on one problem)."""
    rng = np.random.default_rng([seed, repeat])
    lo, hi = BEST_LR_DECADES
    return Objective(float(rng.uniform(lo, hi)), float(rng.uniform(0.0, 1.0)))


@dataclass(frozen=True)
class Trial:
    lr: float
    other: float
    loss: float


@dataclass(frozen=True)
class Search:
    """One sampler's 9 trials on one repeat's problem."""

    sampler: str
    trials: list[Trial]

    @property
    def best(self) -> Trial:
        return min(self.trials, key=lambda t: t.loss)

    def distinct(self, key: str) -> int:
        """How many different values of a setting the search tried."""
        return len({getattr(t, key) for t in self.trials})


def run_search(sampler: str, objective: Objective, seed: int, trials: int = TRIALS) -> Search:
    """Ask the sampler for `trials` settings, one at a time, and tell it each loss."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ranges = (IMPORTANT, UNIMPORTANT)
    study = optuna.create_study(direction="minimize",
                                sampler=make_sampler(sampler, seed=seed, ranges=ranges, trials=trials))
    out: list[Trial] = []
    for _ in range(trials):
        trial = study.ask()
        lr, other = (suggest(trial, r) for r in ranges)
        loss = objective.loss(lr, other)
        study.tell(trial, loss)
        out.append(Trial(lr, other, loss))
    return Search(sampler, out)


@dataclass(frozen=True)
class Repeat:
    objective: Objective
    searches: dict[str, Search]


@dataclass(frozen=True)
class GridRandomLab:
    """Both samplers on `repeats` problems: each repeat's trials and best loss, and the verdict."""

    repeats: list[Repeat]
    seed: int
    trials: int

    def best(self, sampler: str) -> list[float]:
        """The best-found validation loss of each repeat."""
        return [r.searches[sampler].best.loss for r in self.repeats]

    def spread(self, sampler: str) -> Spread:
        return spread(self.best(sampler), METRIC)

    @property
    def verdict(self) -> Verdict:
        """Welch's test of random (B) against grid (A): a negative difference means random found lower."""
        return welch_verdict(self.best("grid"), self.best("random"), METRIC)

    def covered(self, sampler: str, key: str) -> list[int]:
        """Distinct values of a setting each repeat's search tried."""
        return [r.searches[sampler].distinct(key) for r in self.repeats]

    def summary(self) -> str:
        """One sentence: the two means and what Welch's test says about their gap."""
        g, r, v = self.spread("grid"), self.spread("random"), self.verdict
        better = "random" if v.difference < 0 else "the grid"
        said = (f"{better} finds the lower loss, by more than the repeats' noise (Welch p = {v.p_value:.2g})"
                if v.verdict == "outside noise" else
                f"the gap is within the repeats' noise (Welch p = {v.p_value:.2g})")
        return (f"Best validation loss over {len(self.repeats)} repeats of {self.trials} trials: grid "
                f"{g.mean:.3f} ± {g.std:.3f}, random {r.mean:.3f} ± {r.std:.3f}; {said}.")

    def as_json(self) -> dict[str, Any]:
        v = self.verdict
        return {
            "trials": self.trials, "repeats": len(self.repeats), "seed": self.seed,
            "important": {"key": IMPORTANT.key, "low": IMPORTANT.low, "high": IMPORTANT.high, "log": True},
            "unimportant": {"key": UNIMPORTANT.key, "low": UNIMPORTANT.low, "high": UNIMPORTANT.high},
            "best_loss": {s: self.best(s) for s in SAMPLERS},
            "mean": {s: self.spread(s).mean for s in SAMPLERS},
            "sd": {s: self.spread(s).std for s in SAMPLERS},
            "distinct_important": {s: self.covered(s, "lr") for s in SAMPLERS},
            "distinct_unimportant": {s: self.covered(s, "other") for s in SAMPLERS},
            "verdict": {"verdict": v.verdict, "difference": v.difference, "p_value": v.p_value,
                        "sentence": v.sentence()},
            "summary": self.summary(),
            "runs": [{"best_lr": 10 ** r.objective.best_log_lr, "best_other": r.objective.best_other,
                      **{s: [[t.lr, t.other, t.loss] for t in r.searches[s].trials] for s in SAMPLERS}}
                     for r in self.repeats],
        }


def explore(repeats: int = REPEATS, seed: int = SEED, trials: int = TRIALS) -> GridRandomLab:
    """Grid and random search on `repeats` problems (repeat k: problem and random seed seed + k)."""
    if repeats < 2:
        raise ValueError("--repeats must be at least 2 (a verdict needs two repeats a side)")
    runs = []
    for k in range(repeats):
        problem = objective_of(k, seed)
        runs.append(Repeat(problem, {s: run_search(s, problem, seed + k, trials) for s in SAMPLERS}))
    return GridRandomLab(runs, seed, trials)
