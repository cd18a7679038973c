"""A lesson's promises as claims over seeds, checked: `playground presets --verify`.

Each `## Compare` line of a lesson says that its preset's METRIC is lower, higher or similar to
another preset's, the two differing only in named settings. Verifying trains every preset of the
claims once per seed (the same seeds on both sides; a preset shared by several pairs is trained
once) and asks Welch's test whether the gap is outside seed noise. A claim holds when the gap has
the claimed sign and is outside noise ("similar": when it is within noise, or there is none).

A run whose loss turned non-finite has no finite loss to average: it is counted as diverged, and
a side with fewer than two finite values gets no verdict (so its claim does not hold).
"""
from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from playground.run_records.verdicts import IDENTICAL, Verdict, default_jobs, welch_verdict
from playground.course.lessons import Claim, has_lesson, load_lesson
from playground.params import ProblemList
from playground.network.preset import builtin_names, preset_from_json, preset_to_json, resolve_preset
from playground.network.spec import Preset
from playground.core.workers import run_task, worker_pool

"""Preset fields that say nothing about what a run does: never a difference between a pair."""
OPPOSITE = {"lower": "higher", "higher": "lower", "similar": "similar"}


@dataclass(frozen=True)
class LessonClaim:
    """A claim with the lesson (the preset) that makes it."""

    lesson: str
    claim: Claim


def lesson_claims(names: Sequence[str] | None = None) -> list[LessonClaim]:
    """The claims of the named lessons (every lesson without names), in lesson then line order."""
    if names:
        unknown = [n for n in names if n not in builtin_names()]
        if unknown:
            raise ValueError(f"no built-in preset named {unknown[0]!r} (see `playground presets`)")
        missing = [n for n in names if not has_lesson(n)]
        if missing:
            raise ValueError(f"{missing[0]!r} has no lesson to verify")
    chosen = list(names) if names else [n for n in builtin_names() if has_lesson(n)]
    return [LessonClaim(n, c) for n in chosen for c in load_lesson(n).claims]


def claim_between(preset: str, other: str) -> tuple[LessonClaim, str] | None:
    """The lesson claim about `preset` against `other` and its direction seen from `preset`:
    `preset`'s own lesson first, else `other`'s lesson about `preset` (direction reversed)."""
    for lesson, against, flip in ((preset, other, False), (other, preset, True)):
        if lesson in builtin_names() and has_lesson(lesson):
            try:
                claims = load_lesson(lesson).claims
            except (ProblemList, OSError):   # a broken lesson makes no claim; `presets --lesson` says why
                continue
            for c in claims:
                if c.other == against:
                    return LessonClaim(lesson, c), OPPOSITE[c.direction] if flip else c.direction
    return None


# ---------------------------------------------------------------- one pair, one difference

# ---------------------------------------------------------------- checking over seeds

@dataclass
class ClaimCheck:
    """One claim measured over seeds: the lesson's preset against the other one."""

    lesson: str
    other: str
    metric: str
    claimed: str
    mean: float
    sd: float
    other_mean: float
    other_sd: float
    verdict: str
    holds: bool
    p_value: float
    seeds: list[int]
    diverged: int
    other_diverged: int

    def to_json(self) -> dict[str, Any]:
        def num(x: float) -> float | None:   # JSON has no NaN
            return x if math.isfinite(x) else None
        return {"lesson": self.lesson, "other": self.other, "metric": self.metric, "claimed": self.claimed,
                "mean": num(self.mean), "sd": num(self.sd), "other_mean": num(self.other_mean),
                "other_sd": num(self.other_sd), "verdict": self.verdict, "holds": self.holds,
                "p_value": num(self.p_value), "seeds": self.seeds, "diverged": self.diverged,
                "other_diverged": self.other_diverged}

    def line(self) -> str:
        mark = "holds" if self.holds else "DOES NOT HOLD"
        p = f", p = {self.p_value:.2g}" if math.isfinite(self.p_value) and self.verdict != IDENTICAL else ""
        div = "".join(f" ({n} of {len(self.seeds)} {who} diverged)" for n, who in
                      ((self.diverged, self.lesson), (self.other_diverged, self.other)) if n)
        return (f"{self.lesson} vs {self.other}: {self.claimed} {self.metric}: "
                f"{_pm(self.mean, self.sd)} against {_pm(self.other_mean, self.other_sd)} over "
                f"{len(self.seeds)} seeds; {self.verdict}{p}{div}: {mark}")


def _pm(mean: float, sd: float) -> str:
    return f"{mean:.4g} ± {sd:.2g}" if math.isfinite(mean) else "no finite value"


def claim_holds(claimed: str, verdict: Verdict) -> bool:
    """Outside noise with the claimed sign (B = the claiming preset, A = the other), or for
    "similar", within noise or identical."""
    if claimed == "similar":
        return verdict.verdict in ("within noise", IDENTICAL)
    if verdict.verdict != "outside noise":
        return False
    return verdict.difference < 0 if claimed == "lower" else verdict.difference > 0


def _values(summaries: Sequence[dict[str, Any]], metric: str) -> tuple[list[float], int]:
    """A metric's finite values over runs, and how many runs diverged (no finite value)."""
    values, diverged = [], 0
    for s in summaries:
        v = s.get(metric)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            values.append(float(v))
        else:
            diverged += 1
    return values, diverged


def check(claim: LessonClaim, mine: Sequence[dict[str, Any]], theirs: Sequence[dict[str, Any]],
          seeds: Sequence[int]) -> ClaimCheck:
    """Judge one claim from the two presets' run summaries (one per seed each)."""
    metric = claim.claim.metric
    a, a_div = _values(theirs, metric)
    b, b_div = _values(mine, metric)
    nan = math.nan
    try:
        v = welch_verdict(a, b, metric)
    except ValueError:
        return ClaimCheck(claim.lesson, claim.claim.other, metric, claim.claim.direction, nan, nan, nan,
                          nan, f"not measured: fewer than 2 finite values of {metric} on a side", False,
                          nan, list(seeds), b_div, a_div)
    return ClaimCheck(claim.lesson, claim.claim.other, metric, claim.claim.direction, v.b.mean, v.b.std,
                      v.a.mean, v.a.std, v.verdict, claim_holds(claim.claim.direction, v), v.p_value,
                      list(seeds), b_div, a_div)


def _train_one(preset_json: str, seed: int, folder: str) -> dict[str, Any]:
    """One run in a worker process (one torch thread: the processes share the cores)."""
    import torch

    from playground.core.seeds import Seeds
    from playground.run_records.run_to_end import record_run
    torch.set_num_threads(1)
    preset = preset_from_json(preset_json)
    preset.training.seed = seed
    return record_run(preset, folder, seeds=Seeds.from_seed(seed), source="verify").summary


def train_summaries(presets: dict[str, Preset], seeds: Sequence[int], jobs: int | None = None,
                    on_done: Callable[[str, int], None] | None = None) -> dict[tuple[str, int], dict[str, Any]]:
    """Every preset trained once per seed (records in a throwaway folder): {(name, seed): summary}."""
    work = [(name, seed) for name in presets for seed in seeds]
    texts = {name: preset_to_json(p) for name, p in presets.items()}
    jobs = default_jobs(len(work)) if jobs is None else max(1, jobs)
    out: dict[tuple[str, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="playground-verify-") as folder:
        if jobs == 1:
            for name, seed in work:
                out[name, seed] = _train_one(texts[name], seed, folder)
                if on_done:
                    on_done(name, seed)
        else:
            with worker_pool(jobs) as pool:   # its workers die with this process
                futures = {key: pool.submit(run_task, _train_one, texts[key[0]], key[1], folder) for key in work}
                for key, f in futures.items():
                    out[key] = f.result()
                    if on_done:
                        on_done(*key)
    return out


def lesson_preset(name: str) -> Preset:
    """The preset a claim names: the built-in one (tests stand in smaller ones here)."""
    return resolve_preset(name)


def verify(claims: Sequence[LessonClaim], seeds: Sequence[int], *,
           preset_for: Callable[[str], Preset] | None = None, jobs: int | None = None,
           on_done: Callable[[str, int], None] | None = None) -> list[ClaimCheck]:
    """Every claim checked over the seeds; each preset is trained once per seed for all claims."""
    names = list(dict.fromkeys(n for c in claims for n in (c.lesson, c.claim.other)))
    preset_for = preset_for or lesson_preset
    summaries = train_summaries({n: preset_for(n) for n in names}, seeds, jobs, on_done)
    return [check(c, [summaries[c.lesson, s] for s in seeds], [summaries[c.claim.other, s] for s in seeds], seeds)
            for c in claims]
