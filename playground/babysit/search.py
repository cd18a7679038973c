"""Random search in log space, coarse then fine, as the notes teach it — on Optuna.

A search is an Optuna study. Its default storage is a SQLite file in the runs folder, so a
search that was stopped resumes where it was, and several processes (or machines sharing a
database server, through Optuna's RDB storages) can add trials to one study. The sampler is
Optuna's RandomSampler (the lectures' random search), or TPE on request.

Each trial trains the preset with the sampled settings for a short budget of steps and is
scored by its validation loss; each trial is also a run record tagged with the study (group).
The coarse stage samples the given ranges; the optional fine stage narrows each range to the
span of the best quarter of the coarse trials and runs longer trials there.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from playground.params import Problem, ProblemList
from playground.spec import TRAINING_PARAMS, Preset

EDGE_FRACTION = 0.10
"""The best trial within this fraction of a range's width (in log space for log ranges) of an
edge suggests the best value may lie outside: widen the range."""
FINE_QUANTILE = 0.25


class SearchError(ProblemList):
    """A search that cannot start: a bad --param, an unknown sampler, a bad budget."""


@dataclass(frozen=True)
class ParamRange:
    """One searched setting: a preset path (`training.lr`), its range, and whether to sample it
    uniformly in log space (learning rates and penalty strengths)."""

    key: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def contains_near_edge(self, value: float) -> str:
        """'low' or 'high' when `value` is within EDGE_FRACTION of that edge, else ''."""
        lo, hi, v = (math.log10(self.low), math.log10(self.high), math.log10(value)) if self.log \
            else (self.low, self.high, value)
        width = hi - lo
        if v - lo <= EDGE_FRACTION * width:
            return "low"
        if hi - v <= EDGE_FRACTION * width:
            return "high"
        return ""


def _bad(spec: str, message: str) -> SearchError:
    return SearchError([Problem(f"--param {spec}", message)], "bad --param")


def parse_param(spec: str, preset: Preset | None = None) -> ParamRange:
    """`training.lr=1e-4:1e-1:log` (or `lr=...`) → ParamRange; a bad one raises SearchError naming it."""
    key, sep, rest = spec.partition("=")
    key = key.strip()
    if not sep or not key:
        raise _bad(spec, "expected KEY=LO:HI[:log], e.g. training.lr=1e-4:1e-1:log")
    if "." not in key and "[" not in key:
        key = f"training.{key}"
    parts = rest.split(":")
    log = False
    if len(parts) == 3:
        if parts[2].strip() != "log":
            raise _bad(spec, f"the third part must be 'log', got {parts[2]!r}")
        log = True
    elif len(parts) != 2:
        raise _bad(spec, "expected KEY=LO:HI[:log]")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise _bad(spec, f"LO and HI must be numbers, got {parts[0]!r} and {parts[1]!r}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or low >= high:
        raise _bad(spec, f"needs LO < HI, got {low:g}:{high:g}")
    if log and low <= 0:
        raise _bad(spec, f"a log range needs LO > 0, got {low:g}")
    integer = False
    if key.startswith("training."):
        name = key.split(".", 1)[1]
        param = next((p for p in TRAINING_PARAMS if p.name == name), None)
        if param is None:
            raise _bad(spec, f"there is no training setting '{name}'")
        if param.kind not in ("float", "int"):
            raise _bad(spec, f"'{name}' is a {param.kind} setting; only numbers can be searched")
        integer = param.kind == "int"
        if param.minimum is not None and low < param.minimum or param.maximum is not None and high > param.maximum:
            raise _bad(spec, f"'{name}' must stay within {param.minimum:g}..{param.maximum:g}")
    if preset is not None:  # any other path: the preset validation decides, naming the path
        from playground.overrides import apply_overrides
        try:
            apply_overrides(preset, [f"{key}={int(low) if integer else low!r}"])
        except ProblemList as e:
            raise _bad(spec, str(e).replace("\n", " ")) from None
    return ParamRange(key, low, high, log, integer)


def suggest(trial: Any, rng: ParamRange) -> float:
    """Draw one value for `rng` from an Optuna trial (log-uniform for log ranges)."""
    if rng.integer:
        return trial.suggest_int(rng.key, int(math.ceil(rng.low)), int(math.floor(rng.high)), log=rng.log)
    return trial.suggest_float(rng.key, rng.low, rng.high, log=rng.log)


def make_sampler(name: str, seed: int | None = None) -> Any:
    import optuna
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    raise SearchError([Problem("--sampler", f"unknown sampler {name!r} (random or tpe)")], "bad search")


def default_storage(runs_folder: str | Path | None = None) -> str:
    """A SQLite file in the runs folder: resumable, and shareable between processes."""
    from playground.records import ensure_runs_dir
    return f"sqlite:///{ensure_runs_dir(runs_folder) / 'searches.sqlite3'}"


@dataclass
class Trial:
    params: dict[str, float]
    value: float  # validation loss after the budget (inf when training failed)
    run: str | None
    stage: str = "coarse"
    number: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"params": dict(self.params), "value": self.value, "run": self.run, "stage": self.stage}


@dataclass
class SearchResult:
    study: str
    storage: str
    ranges: list[ParamRange]
    trials: list[Trial] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def best(self) -> Trial | None:
        done = [t for t in self.trials if math.isfinite(t.value)]
        return min(done, key=lambda t: t.value) if done else None

    def to_dict(self) -> dict[str, Any]:
        best = self.best
        return {"study": self.study, "storage": self.storage,
                "ranges": [asdict(r) for r in self.ranges],
                "trials": [t.to_dict() for t in self.trials],
                "best": best.to_dict() if best else {}, "warnings": list(self.warnings)}


def train_trial(preset: Preset, values: dict[str, float], budget_steps: int, *, runs_folder: str | Path | None,
                study: str, record: bool = True, should_stop: Callable[[], bool] | None = None
                ) -> tuple[float, str | None]:
    """Train `preset` with `values` applied for `budget_steps` steps; its validation loss and run id."""
    from playground.events import FinishedEvent
    from playground.overrides import apply_overrides
    from playground.trainer import Trainer
    changed = {k: v for k, v in values.items()}
    trial_preset = apply_overrides(preset, [f"{k}={v!r}" for k, v in values.items()])
    recorder = None
    if record:
        from playground.records import RunRecorder
        recorder = RunRecorder(runs_folder, changed=changed, group=study, source="search")
    trainer = Trainer(trial_preset, device=trial_preset.training.device)
    if recorder is not None:
        trainer.on_event = recorder
        recorder.start(trainer)
    start = time.perf_counter()
    done = 0
    while done < budget_steps and not trainer.finished:
        if should_stop is not None and should_stop():
            break
        if not trainer.step():
            break
        done += 1
    trainer.flush()
    failed = trainer.state == "problem"
    value = math.inf if failed else trainer.evaluate("val")["loss"]
    if not math.isfinite(value):
        value = math.inf
    finished = trainer._finished_event or FinishedEvent(
        "finished", trainer.step_count, trainer.epoch, f"search budget of {budget_steps} steps",
        {"val_loss": value})
    if recorder is not None:
        recorder.finish(trainer, finished, time.perf_counter() - start)
    return value, (recorder.id if recorder is not None else None)


def narrowed(ranges: list[ParamRange], trials: list[Trial], quantile: float = FINE_QUANTILE) -> list[ParamRange]:
    """Each range shrunk to the span of the best `quantile` of the trials (at least 3 of them),
    padded by a tenth of that span on each side, and kept inside the original range."""
    done = sorted((t for t in trials if math.isfinite(t.value)), key=lambda t: t.value)
    top = done[:max(3, int(math.ceil(quantile * len(done))))]
    if len(top) < 2:
        return list(ranges)
    out = []
    for r in ranges:
        vals = [t.params[r.key] for t in top if r.key in t.params]
        f = (lambda v: math.log10(v)) if r.log else (lambda v: v)
        g = (lambda v: 10 ** v) if r.log else (lambda v: v)
        lo, hi = f(min(vals)), f(max(vals))
        pad = 0.1 * (hi - lo) or 0.05 * (f(r.high) - f(r.low))
        new_lo, new_hi = max(g(lo - pad), r.low), min(g(hi + pad), r.high)
        out.append(ParamRange(r.key, new_lo, new_hi, r.log, r.integer) if new_lo < new_hi else r)
    return out


def edge_warnings(ranges: list[ParamRange], best: Trial | None) -> list[str]:
    if best is None:
        return []
    out = []
    for r in ranges:
        side = r.contains_near_edge(best.params[r.key]) if r.key in best.params else ""
        if side:
            out.append(f"the best {r.key} = {best.params[r.key]:.3g} lies within 10% of the {side} edge of "
                       f"{r.low:g}..{r.high:g}: widen the range")
    return out


def run_search(preset: Preset, ranges: list[ParamRange], trials: int, *, budget_steps: int = 200,
               fine_trials: int = 0, fine_steps: int | None = None, sampler: str = "random",
               storage: str | None = None, study_name: str | None = None, runs_folder: str | Path | None = None,
               seed: int | None = None, record: bool = True,
               should_stop: Callable[[], bool] | None = None,
               on_trial: Callable[[Trial, int, int], None] | None = None) -> SearchResult:
    """The coarse stage (and the fine one when `fine_trials` > 0); resumes a stored study."""
    import optuna
    if trials < 1 or budget_steps < 1 or fine_trials < 0:
        raise SearchError([Problem("--trials", "trials and budget steps must be at least 1")], "bad search")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = storage or default_storage(runs_folder)
    name = study_name or f"{preset.name}-search"
    result = SearchResult(name, storage, list(ranges))
    total = trials + fine_trials
    stages = [("coarse", name, list(ranges), trials, budget_steps)]
    for stage, study_id, stage_ranges, n, steps in stages:
        study = optuna.create_study(study_name=study_id, storage=storage, direction="minimize",
                                    sampler=make_sampler(sampler, seed), load_if_exists=True)
        study.set_user_attr("preset", preset.name)
        study.set_user_attr("stage", stage)
        for _ in range(n):
            if should_stop is not None and should_stop():
                break
            trial = study.ask()
            values = {r.key: suggest(trial, r) for r in stage_ranges}
            value, run = train_trial(preset, values, steps, runs_folder=runs_folder, study=study_id,
                                     record=record, should_stop=should_stop)
            if run:
                trial.set_user_attr("run", run)
            study.tell(trial, value if math.isfinite(value) else float("inf"))
            t = Trial(values, value, run, stage, trial.number)
            result.trials.append(t)
            if on_trial is not None:
                on_trial(t, len(result.trials), total)
        if stage == "coarse" and fine_trials > 0 and not (should_stop is not None and should_stop()):
            fine = narrowed(ranges, [t for t in result.trials if t.stage == "coarse"])
            stages.append(("fine", f"{name}-fine", fine, fine_trials, fine_steps or 2 * budget_steps))
            result.ranges = fine
    result.warnings = edge_warnings(list(ranges), result.best)
    return result
