"""k-fold cross-validation of a preset: one recorded run per fold, grouped like a repeat.

Each fold's run is the preset with `data.params.folds = K` and `data.params.fold = k`, so its
record reproduces it (twin, export, compare all work on it) and the split is part of the spec,
not of the command. The single split's estimate (the preset as it is) is trained beside it, so a
person sees how far one validation split can be from the mean over folds.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Callable

from playground.network.overrides import apply_overrides
from playground.run_records.store import new_id
from playground.core.seeds import Seeds
from playground.run_records.run_to_end import record_run
from playground.network.spec import Preset
from playground.run_records.verdicts import Spread, spread


@dataclass(frozen=True)
class CrossValidation:
    preset: str
    folds: int
    group: str
    metric: str
    """val_accuracy for classifiers, val_loss otherwise."""
    runs: list[str]
    per_fold: list[float]
    spread: Spread
    single_split_run: str
    single_split: float
    single_split_n: int | None = None
    """The single split's validation examples (None where the record does not say)."""

    @property
    def sampling_sd(self) -> float:
        """How far one split's accuracy moves by the luck of its n examples alone: the binomial
        standard error √(p(1−p)/n), and at least one example's worth (1/n), since an accuracy
        moves in whole examples. 0 for a loss, or where n is unknown."""
        n, p = self.single_split_n, self.single_split
        if self.metric != "val_accuracy" or not n or not 0.0 <= p <= 1.0:
            return 0.0
        return max(math.sqrt(p * (1 - p) / n), 1 / n)

    @property
    def single_split_sds(self) -> float:
        """How many sds the single split's estimate lies above (+) or below (−) the folds' mean (0
        when they agree exactly). One split is one draw of a validation set, so its distance is
        read in the folds' own spread, not in the interval of their mean; where the folds agree
        more closely than one split's accuracy can be told apart (folds of ~100 examples that each
        made one mistake differ by 5e-5), in that split's sampling error instead."""
        s = self.spread
        sd = max(s.std, self.sampling_sd)
        return (self.single_split - s.mean) / sd if sd > 0 else 0.0

    @property
    def single_split_reading(self) -> str:
        """The single split's estimate in words, read against the folds' spread: both the command
        line and the app say this sentence."""
        away = self.single_split_sds
        sampling = self.sampling_sd > self.spread.std
        within = "within one split's sampling error" if sampling else "within the folds' spread"
        verdict = "a lucky or unlucky draw of one validation set" if abs(away) > LUCKY_SDS else within
        unit = (f" (sd here: one split's sampling error, {self.sampling_sd:.2g} on its {self.single_split_n:,} "
                f"validation examples, larger than the folds' {self.spread.std:.2g})" if sampling else "")
        return (f"the single split's {self.single_split:.4g} lies {abs(away):.1f} sd "
                f"{'above' if away > 0 else 'below'} the folds' mean{unit}: {verdict}")

    def to_json(self) -> dict[str, Any]:
        return {"preset": self.preset, "folds": self.folds, "group": self.group, "metric": self.metric,
                "runs": self.runs, "per_fold": self.per_fold,
                "mean": self.spread.mean, "std": self.spread.std, "low": self.spread.low, "high": self.spread.high,
                "single_split_run": self.single_split_run, "single_split": self.single_split,
                "single_split_n": self.single_split_n, "sampling_sd": self.sampling_sd}


LUCKY_SDS = 1.0
"""A single split further than this many of the folds' sds from their mean is read as a lucky (or
unlucky) draw of its validation set: about a third of draws land that far from a normal spread's
centre, so the words say it could happen, not that something is wrong."""


def _metric(summary: dict[str, Any]) -> str:
    return "val_accuracy" if summary.get("val_accuracy") is not None else "val_loss"


def cross_validate(preset: Preset, folds: int, runs_folder: str | os.PathLike | None = None, *,
                   device: str | None = None,
                   on_done: Callable[[str, str], None] | None = None,
                   on_event: Callable[[Any], None] | None = None) -> CrossValidation:
    """Train fold 0..K-1 of `preset` (same seeds for all: the folds differ only in their data),
    then the preset's own single split; every run is recorded, the folds as one group.
    `on_done(what, run_id)` follows each training (it may raise to stop before the next one);
    `on_event` sees every training's events (the app's progress)."""
    if not 2 <= folds <= 20:
        raise ValueError(f"--folds must be 2 to 20, got {folds}")
    group = new_id(preset.name, prefix="cv-")
    seeds = Seeds.from_seed(preset.training.seed)
    runs, summaries = [], []
    for k in range(folds):
        changes = [f"data.params.folds={folds}", f"data.params.fold={k}"]
        fold_preset = apply_overrides(preset, changes)
        done = record_run(fold_preset, runs_folder, seeds=seeds, group=group, device=device,
                          changed={"data.params.folds": folds, "data.params.fold": k}, on_event=on_event)
        runs.append(done.id)
        summaries.append(done.summary)
        if on_done is not None:
            on_done(f"fold {k}", done.id)
    single = record_run(preset, runs_folder, seeds=seeds, device=device, on_event=on_event)
    if on_done is not None:
        on_done("single split", single.id)
    metric = _metric(single.summary)
    per_fold = [float(s.get(metric, float("nan"))) for s in summaries]
    return CrossValidation(preset.name, folds, group, metric, runs, per_fold, spread(per_fold, metric),
                           single.id, float(single.summary.get(metric, float("nan"))), single.summary.get("val_samples"))
