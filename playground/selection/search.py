"""Random search in log space, coarse then fine, as the notes teach it — on Optuna.

A search is an Optuna study. Its default storage is a SQLite file in the runs folder, so a
search that was stopped resumes where it was, and several processes (or machines sharing a
database server, through Optuna's RDB storages) can add trials to one study. The sampler is
Optuna's RandomSampler (the lectures' random search), TPE, or a grid (GridSampler) to set
beside it: with one setting that matters and one that does not, 9 random trials try 9 values of
the one that matters where a 3 x 3 grid tries 3.

Each trial trains the preset with the sampled settings for a short budget of steps and is
scored by its validation loss; each trial is also a run record tagged with the study (group).
The coarse stage samples the given ranges; the optional fine stage narrows each range to the
span of the best quarter of the coarse trials and runs longer trials there.
"""
from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from playground.params import Problem, ProblemList
from playground.network.spec import TRAINING_PARAMS, Preset

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
        from playground.network.overrides import apply_overrides
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


SAMPLERS: dict[str, str] = {
    "random": "Random (the lectures' random search)",
    "tpe": "TPE (Bayesian)",
    "grid": "Grid (an even grid of at most as many cells as trials, log-spaced on log ranges)",
}
"""Each sampler `make_sampler` builds, and what it is in a few words (the app lists these)."""

DEFAULT_TRIALS = 20
"""Coarse trials when none are asked for: with 20 random draws, one lands in the best tenth of a
setting's range with probability 1 - 0.9^20, about 88% (Bergstra & Bengio 2012's argument for
random search), and the fine stage narrows the ranges around the best quarter of them (5)."""
DEFAULT_TRIAL_STEPS = 200
"""Training steps per coarse trial when none are asked for: a short run that ranks settings by
their validation loss, not one that finishes training (the fine stage gives each trial twice as
many). The command line and the app's search dialog both start from these two."""


def grid_points(n_params: int, trials: int) -> int:
    """Values per setting of a grid of at most `trials` cells (at least 2): 9 trials over two
    settings is a 3 x 3 grid, which tries only 3 values of each (Bergstra & Bengio 2012)."""
    return max(2, int(math.floor(trials ** (1.0 / max(1, n_params)) + 1e-9)))


def grid_values(rng: ParamRange, points: int) -> list[float]:
    """`points` values spread over the range: evenly in log space for a log range; whole numbers
    (without repeats) for an integer setting."""
    values = np.geomspace(rng.low, rng.high, points) if rng.log else np.linspace(rng.low, rng.high, points)
    if rng.integer:
        return sorted({int(round(v)) for v in values})
    return [float(v) for v in values]


def grid_trials(ranges: Sequence[ParamRange], trials: int) -> int:
    """The grid's number of cells: a grid search stops there (further trials would repeat it)."""
    return math.prod(len(grid_values(r, grid_points(len(ranges), trials))) for r in ranges)


def stage_trials(sampler: str, ranges: Sequence[ParamRange], trials: int) -> int:
    """How many trials a stage of `trials` asks for: all of them, but a grid stops at its number
    of cells (`grid_trials`)."""
    return min(trials, grid_trials(ranges, trials)) if sampler == "grid" else trials


def make_sampler(name: str, seed: int | None = None, ranges: Sequence[ParamRange] = (), trials: int = 0) -> Any:
    import optuna
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "grid":
        points = grid_points(len(ranges), trials)

        class AskAndTellGrid(optuna.samplers.GridSampler):
            """Optuna's grid, asked and told one trial at a time: its `after_trial` stops
            `study.optimize` once every cell is done, which means nothing (and raises) outside
            `optimize`; the search asks exactly as many trials as the grid has cells."""

            def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
                pass

        return AskAndTellGrid({r.key: grid_values(r, points) for r in ranges}, seed=seed)
    raise SearchError([Problem("--sampler", f"unknown sampler {name!r} ({', '.join(SAMPLERS)})")], "bad search")


def default_storage(runs_folder: str | Path | None = None) -> str:
    """A SQLite file in the runs folder: resumable, and shareable between processes. SearchError
    when the runs folder is read-only: every trial is a run record there, beside the study."""
    from playground.run_records.store import ensure_runs_dir
    folder = ensure_runs_dir(runs_folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SearchError([Problem("", f"the runs folder {folder} is read-only: a search keeps its study "
                                       "and a run record of every trial there; give --runs-dir a folder "
                                       "you can write")], "cannot search")
    return f"sqlite:///{folder / 'searches.sqlite3'}"


def shown_storage(storage: str) -> str:
    """The storage URL as it may be printed: a database password written as ***."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        url = make_url(storage)
    except (ArgumentError, ValueError):
        return storage
    return url.render_as_string(hide_password=True) if url.password else storage


def _storage_error(storage: str, reason: str) -> SearchError:
    return SearchError([Problem("", f"{shown_storage(storage)}: {reason}")], "cannot use the search storage")


def _sqlite_file(storage: str) -> Path | None:
    """The database file a `sqlite:///PATH` URL names; None for any other storage (a server, an
    in-memory database, an SQLite `file:` URI), whose checks are the driver's."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    try:
        url = make_url(storage)
    except (ArgumentError, ValueError):
        return None   # (said by storage_errors, when Optuna parses it)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(url.database)


def check_sqlite_storage(storage: str) -> None:
    """Before SQLite opens a `sqlite:///PATH` storage: the file, if there, is a regular file (a FIFO
    would block, a device never ends), and its folder exists and takes writes (a search writes
    every trial; SQLite also writes a journal beside the file). SearchError naming it, if not."""
    from playground.core.files import FileProblem, check_regular
    path = _sqlite_file(storage)
    if path is None:
        return
    folder = path.parent
    if not folder.is_dir():
        raise _storage_error(storage, f"the folder {folder} does not exist" if not folder.exists()
                             else f"{folder} is not a folder")
    if path.exists() or path.is_symlink():
        try:
            check_regular(path, "search database")
        except FileProblem as e:
            raise _storage_error(storage, str(e)) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _storage_error(storage, f"the folder {folder} is read-only: a search writes its trials "
                             "there; give --storage sqlite:///PATH in a folder you can write")


@contextmanager
def storage_errors(storage: str) -> Iterator[None]:
    """Turn what the database layer raises (a URL nobody can open, a missing driver, a file that
    is no database, a read-only or locked database) into one SearchError naming the storage."""
    import optuna
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
    try:
        yield
    except NoSuchModuleError:
        kind = storage.partition(":")[0]
        raise _storage_error(storage, f"no database kind {kind!r} is known; give sqlite:///PATH, or a "
                             "postgresql:// or mysql:// URL") from None
    except ArgumentError:
        raise _storage_error(storage, "not a database URL; give sqlite:///PATH, or a postgresql:// or "
                             "mysql:// URL") from None
    except ImportError as e:   # Optuna's "install the DB access module", chained to the missing module
        missing = e.__cause__ if e.__cause__ is not None else e
        raise _storage_error(storage, f"its database driver is not installed ({_first_line(missing)})") from None
    except (SQLAlchemyError, optuna.exceptions.StorageInternalError) as e:
        cause = e.__cause__ if isinstance(e, optuna.exceptions.StorageInternalError) and e.__cause__ else e
        reason = _first_line(getattr(cause, "orig", None) or cause)
        if reason == "file is not a database":
            reason = "the file is not an SQLite database (nor an Optuna storage); give another path"
        raise _storage_error(storage, reason) from None
    except optuna.exceptions.OptunaError as e:   # e.g. a database of another Optuna schema version
        raise _storage_error(storage, _first_line(e)) from None


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0][:300] if lines else type(e).__name__


def open_study(storage: str, name: str, sampler: Any) -> Any:
    """Study `name` in `storage` (created if absent, resumed if there); SearchError if the
    storage cannot be opened or written."""
    import optuna
    check_sqlite_storage(storage)
    with storage_errors(storage):
        return optuna.create_study(study_name=name, storage=storage, direction="minimize", sampler=sampler,
                                   load_if_exists=True)


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
    from playground.network.overrides import apply_overrides
    from playground.run_records.run_to_end import budget_spent
    from playground.training.trainer import Trainer
    changed = {k: v for k, v in values.items()}
    trial_preset = apply_overrides(preset, [f"{k}={v!r}" for k, v in values.items()])
    recorder = None
    if record:
        from playground.run_records.store import RunRecorder
        recorder = RunRecorder(runs_folder, changed=changed, group=study, source="search", step_budget=budget_steps)
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
    finished = trainer._finished_event or budget_spent(trainer, budget_steps, {"val_loss": value})
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


def run_search(preset: Preset, ranges: list[ParamRange], trials: int, *, budget_steps: int = DEFAULT_TRIAL_STEPS,
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
        n = stage_trials(sampler, stage_ranges, n)
        study = open_study(storage, study_id, make_sampler(sampler, seed, stage_ranges, n))
        with storage_errors(storage):
            study.set_user_attr("preset", preset.name)
            study.set_user_attr("stage", stage)
        for _ in range(n):
            if should_stop is not None and should_stop():
                break
            with storage_errors(storage):
                trial = study.ask()
                values = {r.key: suggest(trial, r) for r in stage_ranges}
            value, run = train_trial(preset, values, steps, runs_folder=runs_folder, study=study_id,
                                     record=record, should_stop=should_stop)
            with storage_errors(storage):
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
