"""Training a preset to the end: `--out DIR` gets DIR/metrics.csv (per epoch), DIR/summary.json
and DIR/model.safetensors; with a RunRecorder the run is also recorded in the runs folder
(playground/run_records/store.py). summary.json's contents are playground/run_records/summary.py's.
"""
from __future__ import annotations

import csv
import io
import json
import signal
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from playground.training.events import EpochEvent, Event, FinishedEvent
from playground.core.files import FileProblem, atomic_write
from playground.run_records.store import RunRecorder, save_model
from playground.core.seeds import Seeds
from playground.run_records.summary import code_size, pca_mse, summarize  # noqa: F401  (imported from here by others)
from playground.network.spec import Preset
from playground.training.trainer import Trainer
from playground.run_records.warm_start import warm_start_weights
from playground.core.workers import StopRequest, StopSignal, stop_on_signals, who_stopped


def metrics_csv(history: list[EpochEvent], classifier: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    penalized = any(e.train_data_loss is not None for e in history)
    cols = ["epoch", "train_loss", "val_loss"] + (["train_acc", "val_acc"] if classifier else []) + \
        (["train_data_loss"] if penalized else [])
    w.writerow(cols)
    for e in history:
        row = [e.epoch, f"{e.train_loss:.6g}", f"{e.val_loss:.6g}"]
        if classifier:
            row += [f"{e.train_accuracy:.6g}", f"{e.val_accuracy:.6g}"]
        if penalized:   # the training loss without its penalty terms: what val_loss measures
            row.append(f"{e.data_loss():.6g}")
        w.writerow(row)
    return buf.getvalue()


@dataclass
class RunResult:
    summary: dict[str, Any]
    trainer: Trainer
    out_dir: Path | None


def make_trainer(preset: Preset, seeds: Seeds | None = None, *, device: str | None = None,
                 on_event: Callable[[Event], None] | None = None,
                 runs_folder: str | Path | None = None) -> Trainer:
    """A Trainer started from three given seeds (a twin keeps its parent's), or the preset's seed;
    a fine-tuning's warm-started layers from their source (a run in `runs_folder`, or a built-in
    preset trained first with the same seeds)."""
    initial = warm_start_weights(preset, seeds, runs_folder=runs_folder, device=device)
    return Trainer(preset, device=device, on_event=on_event, seeds=seeds, initial_weights=initial)


def train_run(preset: Preset, out_dir: str | Path | None = None, *, epochs: int | None = None,
              seed: int | None = None, device: str | None = None,
              on_event: Callable[[Event], None] | None = None,
              on_start: Callable[[Trainer], None] | None = None,
              recorder: RunRecorder | None = None, seeds: Seeds | None = None,
              max_steps: int | None = None) -> RunResult:
    """Train a preset to the end (or for `max_steps` steps, where they end first) and (with
    out_dir) write the run's three files; with a recorder, also its run record (which says
    `failed` if training raises).

    Ctrl-C or SIGTERM stops the training at its next step, like the app's Stop: the weights so far
    are written (record and out_dir), the record says `stopped`, and then StopSignal is raised
    (a KeyboardInterrupt whose message says where the weights are)."""
    preset = preset.copy()
    if epochs is not None:
        preset.training.epochs = epochs
    if seed is not None:
        preset.training.seed = seed
    if recorder is not None:
        outer = on_event

        def on_event(event: Event) -> None:
            recorder(event)
            if outer is not None:
                outer(event)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FileProblem(f"cannot create the run folder {out}: {e.strerror or e}") from None
    trainer = make_trainer(preset, seeds, device=device, on_event=on_event,
                           runs_folder=recorder.root if recorder is not None else None)
    with stop_on_signals(trainer.stop) as asked:  # Ctrl-C / SIGTERM: stop at the next step, as Stop does
        finished, interrupted, seconds = _train(trainer, recorder, on_start, asked, max_steps)
        signum = interrupted.signum if isinstance(interrupted, StopSignal) else asked.signum
        if signum is None and interrupted is not None:
            signum = signal.SIGINT
        if signum is not None and finished.reason == "stopped":
            finished = replace(finished, message=f"stopped by {who_stopped(signum)}")
        if recorder is not None and recorder.info:
            summary = recorder.finish(trainer, finished, seconds)
        else:
            summary = summarize(trainer, finished, seconds)
        if out is not None:
            atomic_write(out / "metrics.csv", metrics_csv(trainer.history, trainer.is_classifier).encode())
            atomic_write(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
            save_model(out / "model.safetensors", trainer)
    if signum is not None:
        kept = " and ".join(str(p) for p in (recorder.path if recorder is not None else None, out) if p)
        where = f"weights kept in {kept}" if kept else "no weights written"
        if finished.reason == "stopped":
            raise StopSignal(signum, f"stopped at epoch {finished.epoch} step {finished.step} by "
                                     f"{who_stopped(signum)}; {where}")
        raise StopSignal(signum, f"interrupted by {who_stopped(signum)} as the run ended "
                                 f"({finished.reason}); {where}")
    return RunResult(summary, trainer, out)


def _train(trainer: Trainer, recorder: RunRecorder | None, on_start: Callable[[Trainer], None] | None,
           asked: StopRequest, max_steps: int | None = None) -> tuple[FinishedEvent, KeyboardInterrupt | None, float]:
    """Start the record and run the trainer: how it finished, the interruption that ended it (if
    any: what was trained is still written), and the seconds it trained. A failure is recorded
    as `failed` and raised."""
    start = time.perf_counter()
    try:
        if recorder is not None:
            recorder.start(trainer)
        if on_start is not None:
            on_start(trainer)
        start = time.perf_counter()
        finished = trainer.run(max_steps)
        if max_steps is not None and finished.reason == "paused":   # the step budget ran out first
            finished = budget_spent(trainer, max_steps or 0)
        asked.interruptible = False   # from here on, what was trained is being written
        return finished, None, time.perf_counter() - start
    except KeyboardInterrupt as e:   # asked twice, or interrupted outside the handler: keep what was trained
        asked.interruptible = False
        return FinishedEvent("stopped", trainer.step_count, trainer.epoch), e, time.perf_counter() - start
    except BaseException as e:
        if recorder is not None and recorder.info:
            try:
                recorder.finish(trainer, None, time.perf_counter() - start,
                                error=f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
            except OSError:
                pass   # the training's own error is the one to report
        raise


def budget_spent(trainer: Trainer, budget_steps: int, metrics: dict[str, float] | None = None) -> FinishedEvent:
    """How a run given `budget_steps` steps ends when they run out before its epochs do (a search
    trial, or a twin of one): finished, its pending step losses sent first."""
    trainer.flush()
    return FinishedEvent("finished", trainer.step_count, trainer.epoch, f"step budget of {budget_steps} steps",
                         metrics or {})


@dataclass
class Recorded:
    """A finished training that has a record: its id and its summary."""

    id: str
    summary: dict[str, Any]


def record_run(preset: Preset, runs_folder: str | Path | None, *, seeds: Seeds | None = None,
               parent: str | None = None, changed: dict[str, Any] | None = None, group: str | None = None,
               source: str = "cli", device: str | None = None,
               on_event: Callable[[Event], None] | None = None, max_steps: int | None = None) -> Recorded:
    """Train `preset` with a run record in `runs_folder`: twins, repeats and verification all do.
    `max_steps`: a step budget that ends the run before its epochs (recorded as such)."""
    recorder = RunRecorder(runs_folder, parent=parent, changed=changed, group=group, source=source,
                           step_budget=max_steps)
    result = train_run(preset, None, device=device, on_event=on_event, recorder=recorder, seeds=seeds,
                       max_steps=max_steps)
    return Recorded(recorder.id, result.summary)
