"""Experiments over run records: twins, seed repeats, and whether a difference beats seed noise.

A twin changes one or more settings of a recorded run and keeps all three of its seeds, so any
difference comes from the change. A repeat trains one preset over many seeds; its spread is the
noise a single run hides. A verdict compares two repeat groups' final validation metric with
Welch's t-test (unequal variances): "outside noise" when p < 0.05, with the numbers behind it.
"""
from __future__ import annotations

import math
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable, Sequence

from playground.events import Event
from playground.files import FileProblem
from playground.overrides import apply_overrides, describe_changes, differences, setting_paths
from playground.preset import load_preset, preset_from_json, preset_to_dict, preset_to_json
from playground.records import (
    RunInfo, RunNotFound, RunRecorder, RunSeeds, find_run, group_runs, list_runs, load_run, new_id,
    read_json)
from playground.runs import train_run
from playground.spec import Preset

ALPHA = 0.05
"""A difference is called outside seed noise when Welch's test gives p below this."""


@dataclass
class Recorded:
    """A finished training that has a record: its id and its summary."""

    id: str
    summary: dict[str, Any]


def record_run(preset: Preset, runs_folder: str | os.PathLike | None, *, seeds: RunSeeds | None = None,
               parent: str | None = None, changed: dict[str, Any] | None = None, group: str | None = None,
               source: str = "cli", device: str | None = None,
               on_event: Callable[[Event], None] | None = None) -> Recorded:
    recorder = RunRecorder(runs_folder, parent=parent, changed=changed, group=group, source=source)
    result = train_run(preset, None, device=device, on_event=on_event, recorder=recorder, seeds=seeds)
    return Recorded(recorder.id, result.summary)


def run_preset(run: RunInfo) -> Preset:
    """The preset a recorded run trained, read back from its record."""
    return load_preset(Path(run.path) / "preset.json")


def run_seeds(run: RunInfo) -> RunSeeds:
    try:
        return RunSeeds(int(run.seeds["init"]), int(run.seeds["data"]), int(run.seeds["noise"]))
    except (KeyError, TypeError, ValueError):
        raise FileProblem(f"run {run.id} has no readable seeds in its run.json") from None


# ---------------------------------------------------------------- twins

def twin_preset(run: RunInfo, assignments: Sequence[str]) -> tuple[Preset, dict[str, Any]]:
    """The parent's preset with the changes applied, and the changes by path."""
    if not assignments:
        raise FileProblem("a twin needs at least one --set KEY=VALUE to differ from its parent")
    parent = run_preset(run)
    child = apply_overrides(parent, assignments)
    changed = describe_changes(preset_to_dict(parent), preset_to_dict(child))
    return child, changed


def twin(ref: str, assignments: Sequence[str], runs_folder: str | os.PathLike | None = None, *,
         device: str | None = None, on_event: Callable[[Event], None] | None = None,
         source: str = "cli") -> Recorded:
    """Train a twin of a recorded run: same three seeds, the given settings changed."""
    run = find_run(ref, runs_folder)
    preset, changed = twin_preset(run, assignments)
    return record_run(preset, runs_folder, seeds=run_seeds(run), parent=run.id, changed=changed,
                      source=source, device=device, on_event=on_event)


# ---------------------------------------------------------------- repeats

def parse_seeds(text: str) -> list[int]:
    """`5` -> seeds 0..4; `3-7` -> seeds 3..7 (inclusive)."""
    t = text.strip()
    try:
        if "-" in t[1:]:
            a, b = t.split("-", 1)
            lo, hi = int(a), int(b)
            if lo < 0 or hi < lo:
                raise ValueError
            seeds = list(range(lo, hi + 1))
        else:
            n = int(t)
            if n < 1:
                raise ValueError
            seeds = list(range(n))
    except ValueError:
        raise ValueError(f"--seeds must be a count N (seeds 0..N-1) or a range A-B with 0 <= A <= B, "
                         f"got {text!r}") from None
    if len(seeds) > 1000:
        raise ValueError(f"--seeds asks for {len(seeds)} runs; at most 1000")
    return seeds


def default_jobs(n_runs: int) -> int:
    """Parallel training processes: one per core, leaving a core free, never more than runs."""
    return max(1, min(n_runs, (os.cpu_count() or 1) - 1))


def _repeat_one(preset_json: str, seed: int, runs_folder: str, group: str, changed: dict[str, Any],
                device: str | None) -> str:
    """One repeat in a worker process (one torch thread: the processes share the cores)."""
    import torch
    torch.set_num_threads(1)
    preset = preset_from_json(preset_json)
    preset.training.seed = seed
    return record_run(preset, runs_folder, seeds=RunSeeds.from_seed(seed), group=group,
                      changed=changed, device=device).id


def repeat(preset: Preset, seeds: Sequence[int], runs_folder: str | os.PathLike | None = None, *,
           changed: dict[str, Any] | None = None, jobs: int | None = None, device: str | None = None,
           on_done: Callable[[int, str], None] | None = None) -> tuple[str, list[str]]:
    """Train the preset once per seed (each run's three seeds derived from it) as one group.

    Returns the group id and the run ids in seed order."""
    from playground.records import ensure_runs_dir
    folder = str(ensure_runs_dir(runs_folder))
    group = new_id(preset.name, prefix="g-")
    text = preset_to_json(preset)
    jobs = default_jobs(len(seeds)) if jobs is None else max(1, jobs)
    ids: dict[int, str] = {}
    if jobs == 1:
        for s in seeds:
            ids[s] = _repeat_one(text, s, folder, group, changed or {}, device)
            if on_done:
                on_done(s, ids[s])
    else:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
            futures = {s: pool.submit(_repeat_one, text, s, folder, group, changed or {}, device) for s in seeds}
            for s, f in futures.items():
                ids[s] = f.result()
                if on_done:
                    on_done(s, ids[s])
    return group, [ids[s] for s in seeds]


# ---------------------------------------------------------------- statistics

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


def spread(values: Sequence[float], metric: str) -> Spread:
    from scipy import stats
    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    n = len(v)
    if n == 0:
        nan = float("nan")
        return Spread(metric, 0, nan, nan, nan, nan, [])
    mean = sum(v) / n
    std = math.sqrt(sum((x - mean) ** 2 for x in v) / (n - 1)) if n > 1 else 0.0
    half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n) if n > 1 else float("nan")
    return Spread(metric, n, mean, std, mean - half, mean + half, v)


@dataclass
class Verdict:
    """Is group B's final metric different from group A's by more than seed noise?"""

    metric: str
    verdict: str          # "within noise" | "outside noise"
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


# ---------------------------------------------------------------- comparing records

@dataclass
class Item:
    """What one argument of `compare` names: a single run, or a repeat group of runs."""

    ref: str
    kind: str  # "run" | "group"
    runs: list[RunInfo]

    @property
    def preset(self) -> str:
        return self.runs[0].preset


def resolve_item(ref: str, runs_folder: str | os.PathLike | None = None,
                 all_runs: list[RunInfo] | None = None) -> Item:
    """A run id, a run name, a run folder, or a repeat-group id; RunNotFound otherwise."""
    runs = all_runs if all_runs is not None else list_runs(runs_folder)
    members = [r for r in runs if r.group == ref]
    if members:
        return Item(ref, "group", members)
    try:
        return Item(ref, "run", [find_run(ref, runs_folder)])
    except RunNotFound:
        raise RunNotFound(f"no run or repeat group {ref!r} in "
                          f"{runs_folder if runs_folder else 'the runs folder'}") from None


def item_settings(item: Item) -> dict[str, Any]:
    """The item's preset document; a group's seed is left out (its runs differ in it on purpose)."""
    path = Path(item.runs[0].path) / "preset.json"
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise FileProblem(f"{path} is not a preset")
    if item.kind == "group":
        doc = {**doc, "training": {k: v for k, v in doc.get("training", {}).items() if k != "seed"}}
    return doc


def group_metrics(runs: Sequence[RunInfo]) -> dict[str, Spread]:
    """Each final metric's spread over a group's runs (runs that did not record it are left out)."""
    keys = sorted({k for r in runs for k, v in r.metrics.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool)})
    return {k: spread([r.metrics[k] for r in runs if r.metrics.get(k) is not None], k) for k in keys}


def final_metric(runs: Sequence[RunInfo]) -> str:
    """Validation accuracy where every run has it (classifiers), else validation loss."""
    done = [r for r in runs if r.metrics]
    if done and all(r.metrics.get("val_accuracy") is not None for r in done):
        return "val_accuracy"
    return "val_loss"


def compare(refs: Sequence[str], runs_folder: str | os.PathLike | None = None,
            metric: str | None = None) -> dict[str, Any]:
    """Differences as preset paths, final metrics side by side, and for two groups the verdict."""
    if len(refs) < 2:
        raise ValueError("compare needs at least two runs or repeat groups")
    all_runs = list_runs(runs_folder)
    items = [resolve_item(r, runs_folder, all_runs) for r in refs]
    docs = [item_settings(i) for i in items]
    diff = differences(docs)
    flats = [setting_paths(d) for d in docs]
    metric = metric or final_metric([r for i in items for r in i.runs])
    out: dict[str, Any] = {"metric": metric, "differences": diff, "items": []}
    for item, flat in zip(items, flats):
        entry: dict[str, Any] = {"ref": item.ref, "kind": item.kind, "preset": item.preset,
                                 "runs": [r.id for r in item.runs],
                                 "settings": {p: flat.get(p) for p in diff}}
        if item.kind == "run":
            r = item.runs[0]
            entry.update(status=r.status, seeds=r.seeds, metrics=r.metrics)
        else:
            entry["metrics"] = {k: asdict(v) for k, v in group_metrics(item.runs).items()}
            entry["statuses"] = sorted({r.status for r in item.runs})
        out["items"].append(entry)
    if len(items) == 2 and all(i.kind == "group" for i in items):
        a, b = ([r.metrics.get(metric) for r in i.runs if r.metrics.get(metric) is not None] for i in items)
        out["verdict"] = welch_verdict(a, b, metric).to_json()
    return out


def settings_table(runs: Sequence[RunInfo]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Every setting path of the runs' presets (layer and data defaults filled in), each run's
    values, and the paths that differ between them. Used by the app's settings table."""
    from playground.overrides import filled_settings
    docs = []
    for r in runs:
        try:
            doc = read_json(Path(r.path) / "preset.json")
        except FileProblem:
            doc = {}
        docs.append(doc if isinstance(doc, dict) else {})
    flats = [filled_settings(d) for d in docs]
    keys = list(dict.fromkeys(k for f in flats for k in f))
    return keys, flats, differences(docs) if len(docs) > 1 else []


__all__ = ["Recorded", "record_run", "twin", "repeat", "parse_seeds", "spread", "welch_verdict",
           "compare", "resolve_item", "final_metric", "group_metrics", "settings_table", "load_run",
           "group_runs"]


def varying_numeric_settings(runs: Sequence[RunInfo]) -> dict[str, dict[str, float]]:
    """For a scatter of a metric against a setting: run id -> {path: value} for the numeric
    settings (not seeds) that take more than one value across the runs."""
    from playground.overrides import filled_settings
    flats: dict[str, dict[str, Any]] = {}
    for r in runs:
        try:
            doc = read_json(Path(r.path) / "preset.json")
        except FileProblem:
            continue
        if isinstance(doc, dict):
            flats[r.id] = {p: v for p, v in filled_settings(doc).items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool) and p != "training.seed"}
    values: dict[str, set[float]] = {}
    for f in flats.values():
        for p, v in f.items():
            values.setdefault(p, set()).add(float(v))
    varying = {p for p, vs in values.items() if len(vs) > 1}
    return {rid: {p: float(v) for p, v in f.items() if p in varying} for rid, f in flats.items()}
