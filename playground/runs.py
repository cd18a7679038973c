"""Training a preset to the end: `--out DIR` gets DIR/metrics.csv (per epoch), DIR/summary.json
and DIR/model.safetensors; with a RunRecorder the run is also recorded in the runs folder
(playground/records.py). summary.json's contents are playground/summary.py's.
"""
from __future__ import annotations

import csv
import inspect
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from playground.events import EpochEvent, Event
from playground.files import FileProblem, atomic_write
from playground.records import RunRecorder, RunSeeds
from playground.summary import code_size, pca_mse, summarize  # noqa: F401  (imported from here by others)
from playground.spec import Preset
from playground.trainer import Trainer
from playground.weights import save_weights


def metrics_csv(history: list[EpochEvent], classifier: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ["epoch", "train_loss", "val_loss"] + (["train_acc", "val_acc"] if classifier else [])
    w.writerow(cols)
    for e in history:
        row = [e.epoch, f"{e.train_loss:.6g}", f"{e.val_loss:.6g}"]
        if classifier:
            row += [f"{e.train_accuracy:.6g}", f"{e.val_accuracy:.6g}"]
        w.writerow(row)
    return buf.getvalue()


@dataclass
class RunResult:
    summary: dict[str, Any]
    trainer: Trainer
    out_dir: Path | None


def make_trainer(preset: Preset, seeds: RunSeeds | None = None, *, device: str | None = None,
                 on_event: Callable[[Event], None] | None = None) -> Trainer:
    """A Trainer started from three given seeds (a twin keeps its parent's), or the preset's seed."""
    if seeds is None or seeds == RunSeeds.from_seed(preset.training.seed):
        return Trainer(preset, device=device, on_event=on_event)
    if "seeds" in inspect.signature(Trainer).parameters:
        from playground.seeds import Seeds  # type: ignore[import-not-found]
        return Trainer(preset, device=device, on_event=on_event,  # type: ignore[call-arg]
                       seeds=Seeds(seeds.init, seeds.data, seeds.noise))
    if seeds == RunSeeds.from_seed(seeds.init):
        preset = preset.copy()
        preset.training.seed = seeds.init
        return Trainer(preset, device=device, on_event=on_event)
    raise ValueError(f"this Trainer cannot start from separate seeds {seeds}")


def train_run(preset: Preset, out_dir: str | Path | None = None, *, epochs: int | None = None,
              seed: int | None = None, device: str | None = None,
              on_event: Callable[[Event], None] | None = None,
              on_start: Callable[[Trainer], None] | None = None,
              recorder: RunRecorder | None = None, seeds: RunSeeds | None = None) -> RunResult:
    """Train a preset to the end and (with out_dir) write the run's three files; with a
    recorder, also its run record (which says `failed` if training raises)."""
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
    trainer = make_trainer(preset, seeds, device=device, on_event=on_event)
    if recorder is not None:
        recorder.start(trainer)
    if on_start is not None:
        on_start(trainer)
    start = time.perf_counter()
    try:
        finished = trainer.run()
    except BaseException as e:
        if recorder is not None:
            recorder.finish(trainer, None, time.perf_counter() - start,
                            error=f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
        raise
    if recorder is not None:
        summary = recorder.finish(trainer, finished, time.perf_counter() - start)
    else:
        summary = summarize(trainer, finished, time.perf_counter() - start)
    if out is not None:
        atomic_write(out / "metrics.csv", metrics_csv(trainer.history, trainer.is_classifier).encode())
        atomic_write(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
        save_weights(out / "model.safetensors", trainer.state_dict_copy(), trainer.preset, trained=True)
    return RunResult(summary, trainer, out)


@dataclass
class Recorded:
    """A finished training that has a record: its id and its summary."""

    id: str
    summary: dict[str, Any]


def record_run(preset: Preset, runs_folder: str | Path | None, *, seeds: RunSeeds | None = None,
               parent: str | None = None, changed: dict[str, Any] | None = None, group: str | None = None,
               source: str = "cli", device: str | None = None,
               on_event: Callable[[Event], None] | None = None) -> Recorded:
    """Train `preset` with a run record in `runs_folder`: twins, repeats and verification all do."""
    recorder = RunRecorder(runs_folder, parent=parent, changed=changed, group=group, source=source)
    result = train_run(preset, None, device=device, on_event=on_event, recorder=recorder, seeds=seeds)
    return Recorded(recorder.id, result.summary)
