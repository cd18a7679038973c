"""Experiments over run records: twins, seed repeats, and whether a difference beats seed noise.

A twin changes one or more settings of a recorded run and keeps all three of its seeds, so any
difference comes from the change. A repeat trains one preset over many seeds; its spread is the
noise a single run hides. A verdict compares two repeat groups' final validation metric with
Welch's t-test (unequal variances): "outside noise" when p < 0.05, with the numbers behind it;
"identical results" when both groups gave the very same numbers (nothing to test).
`compare` gives the verdict on a lesson pair's metric first, then on validation loss and accuracy.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from playground.training.events import Event
from playground.core.files import FileProblem
from playground.run_records.lesson_claims import claim_between, claim_holds
from playground.network.overrides import apply_overrides, describe_changes, differences, setting_paths
from playground.network.preset import load_preset, preset_from_json, preset_to_dict, preset_to_json
from playground.run_records.store import (
    RunInfo, RunNotFound, find_run, group_runs, list_runs, load_run, new_id,
    read_json, require_intact, stop_unfinished)
from playground.run_records.run_to_end import Recorded, record_run  # noqa: F401  (Recorded re-exported)
from playground.core.seeds import Seeds
from playground.network.spec import Preset
from playground.run_records.verdicts import (  # noqa: F401  (re-exported: callers import them from here)
    ALPHA, IDENTICAL, Spread, Verdict, default_jobs, spread, welch_verdict)
from playground.core.workers import StopSignal, run_task, who_stopped, worker_pool

VERDICT_METRICS = ("val_loss", "val_accuracy")
"""Two groups always get a verdict on these (where their runs have them), after the chosen metric."""


def run_preset(run: RunInfo) -> Preset:
    """The preset a recorded run trained, read back from its record."""
    return load_preset(Path(run.path) / "preset.json")


def run_seeds(run: RunInfo) -> Seeds:
    try:
        return Seeds.from_dict(run.seeds)
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
    """Train a twin of a recorded run: same three seeds, the given settings changed, and as many
    steps where the parent had a step budget (a search trial's: its twin once trained all of its
    preset's epochs, eight times the trial's steps, as if the setting changed had done it)."""
    run = require_intact(find_run(ref, runs_folder))
    preset, changed = twin_preset(run, assignments)
    return record_run(preset, runs_folder, seeds=run_seeds(run), parent=run.id, changed=changed,
                      source=source, device=device, on_event=on_event, max_steps=run.step_budget)


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


def _repeat_one(preset_json: str, seed: int, runs_folder: str, group: str, changed: dict[str, Any],
                device: str | None, max_steps: int | None = None) -> str:
    """One repeat in a worker process (one torch thread: the processes share the cores)."""
    import torch
    torch.set_num_threads(1)
    preset = preset_from_json(preset_json)
    preset.training.seed = seed
    return record_run(preset, runs_folder, seeds=Seeds.from_seed(seed), group=group,
                      changed=changed, device=device, max_steps=max_steps).id


def repeat(preset: Preset, seeds: Sequence[int], runs_folder: str | os.PathLike | None = None, *,
           changed: dict[str, Any] | None = None, jobs: int | None = None, device: str | None = None,
           on_done: Callable[[int, str], None] | None = None, max_steps: int | None = None) -> tuple[str, list[str]]:
    """Train the preset once per seed (each run's three seeds derived from it) as one group;
    `max_steps` (a search trial's budget) ends each run there where its epochs go on longer.
    Ctrl-C or SIGTERM stops every run of the group (each keeps its weights and says `stopped`)
    and raises StopSignal; with jobs > 1 the workers also die with this process (workers.py).

    Returns the group id and the run ids in seed order."""
    from playground.run_records.store import ensure_runs_dir
    folder = str(ensure_runs_dir(runs_folder))
    group = new_id(preset.name, prefix="g-")
    text = preset_to_json(preset)
    jobs = default_jobs(len(seeds)) if jobs is None else max(1, jobs)
    ids: dict[int, str] = {}
    try:
        _train_group(text, seeds, folder, group, changed or {}, jobs, device, ids, on_done, max_steps)
    except StopSignal as e:
        raise StopSignal(e.signum, f"repeat group {group} stopped by {who_stopped(e.signum)} after "
                                   f"{len(ids)} of {len(seeds)} runs; the runs it was training kept their "
                                   f"weights and say stopped") from None
    return group, [ids[s] for s in seeds]


def _train_group(text: str, seeds: Sequence[int], folder: str, group: str, changed: dict[str, Any], jobs: int,
                 device: str | None, ids: dict[int, str], on_done: Callable[[int, str], None] | None,
                 max_steps: int | None = None) -> None:
    """Train the group's runs, in this process or in `jobs` workers, filling `ids` as they end."""
    if jobs == 1:
        for s in seeds:
            ids[s] = _repeat_one(text, s, folder, group, changed, device, max_steps)
            if on_done:
                on_done(s, ids[s])
    else:
        def mark_stopped(pids: list[int]) -> None:
            stop_unfinished(group, pids, f"stopped with its repeat group {group}", folder)

        with worker_pool(jobs, on_stopped=mark_stopped) as pool:
            futures = {s: pool.submit(run_task, _repeat_one, text, s, folder, group, changed, device, max_steps)
                       for s in seeds}
            for s, f in futures.items():
                ids[s] = f.result()
                if on_done:
                    on_done(s, ids[s])


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
        return Item(ref, "run", [require_intact(find_run(ref, runs_folder))])
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


def group_verdicts(a: Sequence[RunInfo], b: Sequence[RunInfo], first: str) -> list[Verdict]:
    """B against A on `first`, then on validation loss and accuracy: each metric both groups
    recorded in at least two runs (a verdict on one run per group would measure no noise)."""
    out = []
    for metric in dict.fromkeys((first,) + VERDICT_METRICS):
        va = [r.metrics[metric] for r in a if isinstance(r.metrics.get(metric), (int, float))]
        vb = [r.metrics[metric] for r in b if isinstance(r.metrics.get(metric), (int, float))]
        try:
            out.append(welch_verdict(va, vb, metric))
        except ValueError:
            continue
    return out


def lesson_claim_json(a_preset: str, b_preset: str, verdict: Verdict | None) -> dict[str, Any] | None:
    """The lesson claim between two groups' presets (B's direction against A) and, given the
    verdict on its metric, whether it holds."""
    found = claim_between(b_preset, a_preset)
    if found is None:
        return None
    pair, claimed = found
    out: dict[str, Any] = {"lesson": pair.lesson, "other": pair.claim.other, "metric": pair.claim.metric,
                           "claimed": claimed, "line": pair.claim.text()}
    if verdict is not None and verdict.metric == pair.claim.metric:
        out["holds"] = claim_holds(claimed, verdict)
    return out


def pair_metric(a_preset: str, b_preset: str) -> str | None:
    """The metric a lesson claims about these two presets, if they are a lesson pair."""
    found = claim_between(b_preset, a_preset)
    return found[0].claim.metric if found else None


def groups_verdicts(a: Sequence[RunInfo], b: Sequence[RunInfo],
                    metric: str | None = None) -> tuple[list[Verdict], dict[str, Any] | None]:
    """Group B against group A: the verdicts (the given metric, else the lesson pair's, else the
    final metric, first; then validation loss and accuracy) and the lesson claim, if any."""
    first = metric or pair_metric(a[0].preset, b[0].preset) or final_metric(list(a) + list(b))
    verdicts = group_verdicts(a, b, first)
    return verdicts, lesson_claim_json(a[0].preset, b[0].preset, verdicts[0] if verdicts else None)


def compare(refs: Sequence[str], runs_folder: str | os.PathLike | None = None,
            metric: str | None = None) -> dict[str, Any]:
    """Differences as preset paths, final metrics side by side, and for two groups the verdicts:
    on the given metric, else on the lesson's metric when the groups are a lesson pair, else on
    the final metric; then on validation loss and accuracy."""
    if len(refs) < 2:
        raise ValueError("compare needs at least two runs or repeat groups")
    all_runs = list_runs(runs_folder)
    items = [resolve_item(r, runs_folder, all_runs) for r in refs]
    docs = [item_settings(i) for i in items]
    diff = differences(docs)
    flats = [setting_paths(d) for d in docs]
    lesson_metric = pair_metric(items[0].preset, items[1].preset) if len(items) == 2 else None
    metric = metric or lesson_metric or final_metric([r for i in items for r in i.runs])
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
        verdicts, claim = groups_verdicts(items[0].runs, items[1].runs, metric)
        out["verdicts"] = [v.to_json() for v in verdicts]
        if claim is not None:
            out["lesson_claim"] = claim
    return out


def settings_table(runs: Sequence[RunInfo]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Every setting path of the runs' presets (layer and data defaults filled in), each run's
    values, and the paths that differ between them. Used by the app's settings table."""
    from playground.network.overrides import filled_settings
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
    from playground.network.overrides import filled_settings
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
