"""Run records: every training run as a folder of plain files a person can read.

    RUNS_DIR/<run id>/preset.json        the preset exactly as trained (--set applied)
                     /run.json           seeds, versions, device, times, status, parent + changes,
                                         the data's class names and input names
                     /metrics.csv        one row per step (`kind=step`) and per epoch (`kind=epoch`)
                     /probes.csv         per layer at each probe step: update/weight ratio, grad
                                         norm, activation mean/std, dead fraction
                     /summary.json       final and test metrics, val_loss_min/final, best_epoch
                     /findings.json      the run's findings in rank order (playground/babysit/findings.py)
                     /model.safetensors  the trained weights (with the preset in its metadata)

run.json and summary.json are replaced atomically; the two CSV files are appended to and flushed
at every epoch, so a run killed with `kill -9` keeps what it had. A record whose run.json still
says `running` while the process that wrote it is gone is listed as `incomplete`.
Comparisons read records, never live objects.
"""
from __future__ import annotations

import csv
import errno
import json
import os
import platform
import secrets
import shutil
import socket
import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Collection, Iterator

import numpy as np

from playground.training.events import EpochEvent, Event, FinishedEvent, LossEvent, ProbeEvent
from playground.core.files import FileProblem, atomic_write, lock_held, process_alive, process_start

if TYPE_CHECKING:
    from playground.babysit.findings import Finding

RUN_FORMAT = "nn-playground-run"
STATUSES = ("running", "finished", "stopped", "failed", "incomplete", "damaged")
"""`incomplete`: the run ended without saying so (killed); `damaged`: its run.json cannot be read
or holds values of the wrong kind, so the record is listed with the reason but never trained from."""
MAX_JSON_BYTES = 4 * 1024 * 1024
"""run.json / summary.json / preset.json larger than this are not parsed (a record is small)."""
PROBE_COLUMNS = ("step", "epoch", "node_id", "layer_type", "update_ratio", "grad_norm", "weight_norm",
                 "act_mean", "act_std", "dead_fraction")
_PER_STEP_NAMES = {"lrs": "lr", "momenta": "momentum", "penalties": "penalty", "data_losses": "data_loss"}
_LOSS_FIELDS = tuple(f.name for f in fields(LossEvent) if f.name not in ("steps", "losses", "epoch"))
_LOSS_EXTRAS = tuple(dict.fromkeys(_PER_STEP_NAMES.get(n, n) for n in _LOSS_FIELDS))
METRIC_COLUMNS = ("kind", "epoch", "step", "loss", "train_loss", "val_loss", "train_acc", "val_acc",
                  "seconds") + _LOSS_EXTRAS
"""`loss` is a step's batch loss; train_/val_ columns are an epoch's. LossEvent's optional extras
(learning rate, momentum, penalty, data loss) become columns of their own; an epoch row fills `lr`
and, where its steps had penalty terms, `data_loss`: its training loss without them (what
`val_loss` measures; `train_loss` includes them)."""


class RunNotFound(FileProblem):
    """A run or repeat-group id that names nothing in the runs folder."""


class DamagedRun(FileProblem):
    """A record whose run.json cannot be trusted: it is listed, but nothing is compared or trained from it."""


# ---------------------------------------------------------------- where records live

def default_runs_dir() -> Path:
    """PLAYGROUND_RUNS_DIR, else the per-user data folder (platformdirs)."""
    env = os.environ.get("PLAYGROUND_RUNS_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs
    return platformdirs.user_data_path("nn-playground", appauthor=False) / "runs"


def runs_dir(given: str | os.PathLike | None = None) -> Path:
    return Path(given).expanduser() if given else default_runs_dir()


def ensure_runs_dir(given: str | os.PathLike | None = None) -> Path:
    path = runs_dir(given)
    if path.exists() and not path.is_dir():
        raise FileProblem(f"the runs folder {path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise FileProblem(f"cannot create the runs folder {path}: {e.strerror or e}") from None
    return path


def new_id(preset_name: str, prefix: str = "") -> str:
    """Sortable by time, readable, unique: `20261128-031522-xor_mlp-3fa9`."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "_-" else "_" for c in preset_name)[:40] or "run"
    return f"{prefix}{stamp}-{safe}-{secrets.token_hex(2)}"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


# ---------------------------------------------------------------- seeds and hashes

def versions() -> dict[str, str]:
    import torch
    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    try:
        from importlib.metadata import version
        out["nn-playground"] = version("nn-playground")
    except Exception:  # not installed as a distribution (running from a checkout)
        pass
    return out


# ---------------------------------------------------------------- writing

def _num(x: Any) -> str:
    """Full precision (repr) so equal runs give byte-equal files; empty for missing values."""
    if x is None:
        return ""
    if isinstance(x, (bool, str)):
        return str(x)
    v = float(x)
    return repr(int(v)) if isinstance(x, int) else repr(v)


def step_rows(event: LossEvent) -> str:
    """metrics.csv's "step" rows of a LossEvent, as the csv module writes them (no field needs
    quoting: numbers and empty fields), built a column at a time: a row per training step, so
    per-row writing cost the app's training thread ~10 µs a step."""
    n = len(event.steps)
    columns: dict[str, list[str]] = {}
    for name in _LOSS_FIELDS:  # a per-step array wins over a scalar of the same column
        value = getattr(event, name, None)
        column = _PER_STEP_NAMES.get(name, name)
        if value is not None and hasattr(value, "__len__") and len(value) == n:
            columns[column] = _floats(value)
        elif column not in columns or value is not None and name not in _PER_STEP_NAMES:
            columns.setdefault(column, [_num(value)] * n)
    head = f"step,{int(event.epoch)},"
    rows = zip(map(str, np.asarray(event.steps, dtype=np.int64).tolist()), _floats(event.losses),
               *(columns[c] for c in _LOSS_EXTRAS))
    return "".join(f"{head}{step},{loss},,,,,,{','.join(extras)}\n" for step, loss, *extras in rows)


def _floats(values: Any) -> list[str]:
    """`_num(float(v))` of each value: repr of the float64 value. A column whose values are
    the same bits throughout (η and ρ without a schedule, at every step) is written from one
    repr: the same text, without a repr a step."""
    a = np.asarray(values, dtype=np.float64)
    if a.size > 1:
        bits = a.reshape(-1).view(np.int64)   # bits, not ==: 0.0 and -0.0 print differently
        if (bits == bits[0]).all():
            return [repr(float(a.reshape(-1)[0]))] * a.size
    return list(map(repr, a.tolist()))


def _status_of(finished: FinishedEvent | None) -> str:
    if finished is None:
        return "failed"
    return {"finished": "finished", "early_stopping": "finished", "stopped": "stopped",
            "problem": "failed"}.get(finished.reason, "stopped")


def save_model(path: Path, trainer: Any, label: str | None = None) -> None:
    """Write the trainer's weights to `path` (safetensors, atomically). Any failure (a full disk
    reported by the OS or by safetensors) is FileProblem "could not write LABEL: REASON"."""
    from safetensors import SafetensorError

    from playground.network.model_file import save_weights
    try:
        save_weights(path, trainer.state_dict_copy(), trainer.preset, trained=True)
    except (OSError, SafetensorError) as e:
        if isinstance(e, FileProblem) and not isinstance(e.__cause__, OSError):
            raise   # already one line naming the file and why (a FIFO in its place)
        raise FileProblem(f"could not write {label or path}: {_write_failure(e)}") from e


def _write_failure(e: BaseException) -> str:
    """The reason a write failed, as the OS words it ("No space left on device")."""
    cause = e.__cause__ if isinstance(e, FileProblem) else e
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    text = str(cause)
    if "StorageFull" in text or "No space left" in text:   # safetensors' words for ENOSPC
        return os.strerror(errno.ENOSPC)
    return text.strip().splitlines()[0] if text.strip() else type(cause).__name__


class RunRecorder:
    """Consumes a Trainer's events and writes its record. Call `start(trainer)` before the first
    step, pass every event to the recorder (it is callable), and `finish(...)` at the end.

    Used by the CLI and by the app's training worker alike; it never holds the GUI thread."""

    def __init__(self, runs_folder: str | os.PathLike | None, *, parent: str | None = None,
                 changed: dict[str, Any] | None = None, group: str | None = None,
                 source: str = "cli", name: str = "", step_budget: int | None = None) -> None:
        self.root = ensure_runs_dir(runs_folder)
        self.parent, self.changed, self.group, self.source, self.name = parent, changed or {}, group, source, name
        self.step_budget = step_budget
        """The steps the run was given where it stops before its preset's epochs end (a search
        trial's budget): a twin of it trains as many, or it would not be a twin."""
        self.id = ""
        self.path: Path | None = None
        self.info: dict[str, Any] = {}
        self._metrics: IO[str] | None = None
        self._probes: IO[str] | None = None
        self._mw: Any = None
        self._pw: Any = None
        self._last_flush = 0.0
        self._started = time.perf_counter()
        self.finished_event: FinishedEvent | None = None
        """The last FinishedEvent the Trainer sent: how the run ended."""
        self.findings: Any = None
        """The run's RunFindings (the app's and the CLI's one voice), written as findings.json."""

    # -- lifecycle
    def start(self, trainer: Any) -> str:
        from playground.network.preset import preset_to_json
        preset = trainer.preset
        self.id = new_id(preset.name)
        self.path = self.root / self.id
        try:
            self.path.mkdir()
        except OSError as e:
            raise FileProblem(f"cannot create the run folder {self.path}: {e.strerror or e}") from None
        atomic_write(self.path / "preset.json", preset_to_json(preset).encode("utf-8"))
        self.info = {
            "format": RUN_FORMAT, "version": 1, "id": self.id, "name": self.name,
            "preset": preset.name, "data": preset.data.name,
            "seeds": trainer.seeds.to_dict(), "initial_weights_hash": trainer.initial_weights_hash(),
            "versions": versions(), "device": str(trainer.device), "source": self.source,
            "started": now_iso(), "ended": None, "status": "running",
            "host": socket.gethostname(), "pid": os.getpid(), "pid_start": process_start(os.getpid()),
            "parent": self.parent, "changed": self.changed, "group": self.group, "step_budget": self.step_budget,
            "classifier": bool(trainer.is_classifier), "steps_per_epoch": trainer.steps_per_epoch,
            "classes": list(trainer.dataset.class_names), "input_names": list(trainer.dataset.input_names),
        }
        self._write_info()
        self._metrics = open(self.path / "metrics.csv", "w", newline="", encoding="utf-8")
        _hold_writer_lock(self._metrics)
        self._mw = csv.writer(self._metrics, lineterminator="\n")
        self._mw.writerow(METRIC_COLUMNS)
        self._probes = open(self.path / "probes.csv", "w", newline="", encoding="utf-8")
        self._pw = csv.writer(self._probes, lineterminator="\n")
        self._pw.writerow(PROBE_COLUMNS)
        self._flush()
        self._started = time.perf_counter()
        from playground.babysit.run_findings import RunFindings
        from playground.course.lessons import lesson_finding_of
        self.findings = RunFindings(preset, lesson_finding_of(preset.name))
        return self.id

    def __call__(self, event: Event) -> None:
        """Judge the event (the run's findings) and write it."""
        if self.findings is not None:
            self.findings.observe(event)
        self.write(event)

    def write(self, event: Event) -> None:
        """Write the event into the record's files (its findings judged elsewhere)."""
        if isinstance(event, FinishedEvent):
            self.finished_event = event
        if self._mw is None:
            return
        if isinstance(event, LossEvent):
            self._metrics.write(step_rows(event))
        elif isinstance(event, EpochEvent):
            epoch_extras = {"lr": event.lr, "data_loss": event.train_data_loss}
            extras = [_num(epoch_extras.get(name)) for name in _LOSS_EXTRAS]
            self._mw.writerow(["epoch", event.epoch, event.step, "", _num(event.train_loss),
                               _num(event.val_loss), _num(event.train_accuracy), _num(event.val_accuracy),
                               _num(round(event.seconds, 4))] + extras)
            self._flush()
        elif isinstance(event, ProbeEvent):
            for p in event.layers:
                self._pw.writerow([event.step, event.epoch, p.node_id, p.layer_type, _num(p.update_ratio),
                                   _num(p.grad_norm), _num(p.weight_norm), _num(p.act_mean),
                                   _num(p.act_std), _num(p.dead_fraction)])
        if time.monotonic() - self._last_flush > 1.0:
            self._flush()

    def finish(self, trainer: Any, finished: FinishedEvent | None = None, seconds: float | None = None,
               error: str = "") -> dict[str, Any]:
        """Write summary.json and the weights, then mark the record finished/stopped/failed.
        Without `finished`, the last FinishedEvent the recorder saw says how the run ended.
        A file that cannot be written (a full disk) marks the record failed with the reason, and
        FileProblem says so: a record never says finished without its model."""
        from playground.run_records.summary import curve_metrics, probe_metrics, summarize
        finished = finished or self.finished_event
        if seconds is None:
            seconds = time.perf_counter() - self._started
        summary: dict[str, Any] = {}
        unwritten = ""
        self._close()
        try:
            if finished is not None:
                summary = summarize(trainer, finished, seconds)
                summary.update(probe_metrics(self.path / "probes.csv"))  # grad_ratio, dead_fraction
                summary.update(curve_metrics(self.path / "metrics.csv"))  # loss_noise, steps_per_second
            if error:
                summary["error"] = error
            atomic_write(self.path / "summary.json", (json.dumps(summary, indent=2, default=_json_default)
                                                      + "\n").encode())
            self._write_findings(trainer, finished)
            if trainer is not None and finished is not None:
                save_model(self.path / "model.safetensors", trainer, label="model.safetensors")
        except OSError as e:   # FileProblem included
            unwritten = str(e)
            raise FileProblem(f"{unwritten}; run {self.id} is marked failed") from e
        finally:
            self.info.update(status="failed" if error or unwritten else _status_of(finished), ended=now_iso())
            if unwritten:
                self.info["message"] = unwritten
            elif finished is not None and finished.message:
                self.info["message"] = finished.message
            self._write_info()
        return summary

    # -- internals
    def _write_findings(self, trainer: Any, finished: FinishedEvent | None) -> None:
        """findings.json: the ranked findings; a run that ran to its end is also judged (the outcome)."""
        if self.findings is None or self.path is None:
            return
        if trainer is not None and finished is not None and finished.reason in ("finished", "early_stopping"):
            n_classes = int(getattr(getattr(trainer, "dataset", None), "n_classes", 0) or 0)
            ranked = self.findings.finish(trainer.history, n_classes)
        else:
            ranked = self.findings.ranked
        atomic_write(self.path / "findings.json",
                     (json.dumps([f.to_json() for f in ranked], indent=2) + "\n").encode())

    def _write_info(self) -> None:
        try:  # a rename made while the run trains is kept
            on_disk = read_json(self.path / "run.json")
            if isinstance(on_disk, dict) and isinstance(on_disk.get("name"), str):
                self.info["name"] = on_disk["name"]
        except FileProblem:
            pass
        atomic_write(self.path / "run.json", (json.dumps(self.info, indent=2) + "\n").encode())

    def _flush(self) -> None:
        for f in (self._metrics, self._probes):
            if f is not None:
                f.flush()
        self._last_flush = time.monotonic()

    def _close(self) -> None:
        for f in (self._metrics, self._probes):
            if f is not None and not f.closed:
                f.flush()
                os.fsync(f.fileno())
                f.close()
        self._mw = self._pw = None


BESIDE_TEST = ("pca_mse", "code_size")
"""Summary figures the app shows beside the test figures: an autoencoder's test MSE is read against
PCA's with as many components as its code (its lessons compare the two)."""


class LiveRecording:
    """The app's training worker records through this: a failing disk turns recording off (and
    says why in `problem`) but never stops or breaks the training itself."""

    def __init__(self, trainer: Any, runs_folder: str | os.PathLike | None = None, source: str = "app",
                 **record: Any) -> None:
        self.problem = ""
        self.recorder: RunRecorder | None = None
        if "changed" not in record:
            from playground.network.overrides import changes_from_builtin
            try:
                record["changed"] = changes_from_builtin(trainer.preset)
            except Exception:  # noqa: BLE001 - a label must never keep a run from being recorded
                record["changed"] = {}
        try:
            self.recorder = RunRecorder(runs_folder, source=source, **record)
            self.recorder.start(trainer)
        except (OSError, ValueError) as e:
            self._give_up(e)
        from playground.babysit.run_findings import RunFindings
        from playground.course.lessons import lesson_finding_of
        self.findings = self.recorder.findings if self.recorder is not None and self.recorder.findings is not None \
            else RunFindings(trainer.preset, lesson_finding_of(trainer.preset.name))
        """The run's findings, judged here once for the record and for whoever shows them; kept
        when the disk fails and the record stops."""

    @property
    def run_id(self) -> str:
        return self.recorder.id if self.recorder is not None else ""

    def __call__(self, event: object) -> list[Finding]:
        """Judge and record the event; returns the findings it newly fired."""
        fired = self.findings.observe(event)
        if self.recorder is not None:
            try:
                self.recorder.write(event)  # type: ignore[arg-type]
            except (OSError, ValueError) as e:
                self._give_up(e)
        return fired

    def finish(self, trainer: Any, reason: str = "stopped", error: str = "") -> dict[str, float]:
        """End the record; `reason` (finished or stopped) stands when the Trainer sent no
        FinishedEvent (a session reset or closed while paused). Returns the run's test figures
        as summary.json has them (measured here when the run is not recorded; none after an
        error), for the app to show where the run ended."""
        from playground.run_records.summary import test_metrics
        summary: dict[str, Any] = {}
        if self.recorder is not None:
            finished = self.recorder.finished_event or FinishedEvent(reason, trainer.step_count, trainer.epoch,
                                                                     f"{reason} in the app")
            try:
                summary = self.recorder.finish(trainer, finished, error=error)
            except Exception as e:  # noqa: BLE001 - a record that cannot be finished stays incomplete
                self._give_up(e)
            self.recorder = None
        elif not error:
            try:
                summary = test_metrics(trainer)
            except Exception:  # noqa: BLE001 - no figures rather than a session that cannot end
                summary = {}
        if error:
            return {}
        return {k: float(v) for k, v in summary.items()
                if (k.startswith("test_") or k in BESIDE_TEST) and isinstance(v, (int, float))}

    def _give_up(self, e: BaseException) -> None:
        self.problem = f"this run is not recorded: {e}"
        if self.recorder is not None:
            try:
                self.recorder._close()
            except OSError:
                pass
        self.recorder = None


def _json_default(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    return str(x)


# ---------------------------------------------------------------- reading

@dataclass
class RunInfo:
    """One record as a listing shows it: what `playground runs --json` prints per run."""

    id: str
    path: str
    preset: str
    status: str
    seeds: dict[str, int] = field(default_factory=dict)
    changed: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    parent: str | None = None
    group: str | None = None
    started: str | None = None
    ended: str | None = None
    device: str = ""
    problem: str = ""
    step_budget: int | None = None
    """The steps it was given where it stopped before its preset's epochs (a search trial's)."""

    @property
    def label(self) -> str:
        return self.name or self.id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def read_json(path: Path) -> Any:
    """A bounded read of a small JSON file; FileProblem for anything unreadable."""
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise FileProblem(f"{path} is too large to be a run file ({size} bytes)")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileProblem(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as e:
        raise FileProblem(f"cannot read {path}: {e}") from None
    from playground.network.preset import MAX_DEPTH, nesting_depth
    if nesting_depth(text) > MAX_DEPTH:   # the parser recurses per level: 10^5 `[` is a RecursionError
        raise FileProblem(f"cannot read {path}: its JSON nests more than {MAX_DEPTH} levels deep "
                          f"(a run file nests a few)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise FileProblem(f"cannot read {path}: {e}") from None
    except RecursionError:
        raise FileProblem(f"cannot read {path}: its JSON nests too deeply") from None


def _hold_writer_lock(f: IO[str]) -> None:
    """Lock metrics.csv for as long as this recorder writes it: the record's own evidence that its
    writer lives (the system drops the lock when the writer dies, however it dies)."""
    try:
        import fcntl
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (ImportError, OSError):
        pass   # no file locks here: the recorded pid and its start time are the evidence


def writer_alive(path: Path, info: dict[str, Any]) -> bool:
    """Is the process that wrote the `running` record in `path` still writing it?

    A live pid alone is no evidence: after a crash or a reboot the pid may belong to another
    process (pid 1, a browser). The record's own evidence decides: the lock its writer holds on
    metrics.csv, else the writer's start time recorded beside its pid. Another machine's
    writer cannot be asked: assume it runs."""
    host = info.get("host")
    if host and host != socket.gethostname():
        return True
    pid = info.get("pid")
    if not process_alive(pid):
        return False
    recorded_start = info.get("pid_start")
    current_start = process_start(pid)
    if isinstance(recorded_start, str) and current_start is not None and current_start != recorded_start:
        return False   # the pid was given to another process
    held = lock_held(path / "metrics.csv")
    if held is not None:
        return held
    # no lock to ask (no metrics.csv yet, or no file locks): only a matching start time says "ours"
    return isinstance(recorded_start, str) and (current_start is None or current_start == recorded_start)


FINAL_METRICS = ("val_accuracy", "val_loss", "test_accuracy", "test_loss", "test_mse", "train_loss",
                 "train_accuracy", "val_loss_min", "best_epoch", "epochs", "steps", "seconds",
                 "val_loss_final", "finite_steps", "grad_ratio", "dead_fraction", "pca_mse", "mistakes")


_RUN_FIELDS: dict[str, tuple[type, ...]] = {
    "id": (str,), "preset": (str,), "name": (str,), "device": (str,), "message": (str,),
    "parent": (str, type(None)), "group": (str, type(None)), "started": (str, type(None)),
    "ended": (str, type(None)), "seeds": (dict,), "changed": (dict,), "step_budget": (int, type(None))}
"""The run.json fields a listing uses and the kinds of value each may hold (absent is fine)."""


def run_json_problem(info: Any) -> str:
    """Why a parsed run.json cannot be listed as it is ("" when it can): not a record, or a field
    of the wrong kind (`"started": 5` would break sorting, `"changed": [1, 2]` every listing)."""
    if not isinstance(info, dict) or info.get("format") != RUN_FORMAT:
        return "run.json is not an NN Playground run record"
    for key, kinds in _RUN_FIELDS.items():
        if key in info and not isinstance(info[key], kinds):
            wanted = " or ".join("null" if k is type(None) else {"str": "text", "dict": "an object"}[k.__name__]
                                 for k in kinds)
            return f"run.json field {key!r} is {_short_json(info[key])}, expected {wanted}"
    if any(not isinstance(k, str) for k in info.get("changed", {})):
        return "run.json field 'changed' has keys that are not setting paths"
    return ""


def _short_json(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _damaged(p: Path, reason: str, info: Any = None) -> RunInfo:
    known = info if isinstance(info, dict) else {}
    text = {k: known[k] for k in ("preset", "name") if isinstance(known.get(k), str)}
    return RunInfo(id=p.name, path=str(p), preset=text.get("preset", "?"), status="damaged",
                   name=text.get("name", ""), problem=f"damaged record: {reason}")


def require_intact(run: RunInfo) -> RunInfo:
    """The run itself, or DamagedRun: compare and twin never read a damaged record's settings."""
    if run.status == "damaged":
        raise DamagedRun(f"run {run.id} cannot be used: {run.problem}")
    return run


def load_run(path: str | os.PathLike) -> RunInfo:
    """The record in folder `path`. Never raises for a damaged record: a record without run.json
    is listed as incomplete, one whose run.json cannot be read or holds wrong values as damaged."""
    p = Path(path)
    if not (p / "run.json").exists():
        return RunInfo(id=p.name, path=str(p), preset="?", status="incomplete",
                       problem=f"{p / 'run.json'} is missing")
    try:
        info = read_json(p / "run.json")
    except FileProblem as e:
        return _damaged(p, str(e))
    reason = run_json_problem(info)
    if reason:
        return _damaged(p, reason, info)
    status = info.get("status")
    if status not in STATUSES or status == "damaged":   # "damaged" is the reader's word, never the writer's
        status = "incomplete"
    if status == "running" and not writer_alive(p, info):
        status = "incomplete"
    metrics: dict[str, Any] = {}
    problem = ""
    if (p / "summary.json").exists():
        try:
            summary = read_json(p / "summary.json")
            metrics = {k: summary[k] for k in FINAL_METRICS if isinstance(summary, dict) and k in summary
                       and isinstance(summary[k], (int, float)) and not isinstance(summary[k], bool)}
        except FileProblem as e:
            problem = str(e)
    elif status in ("incomplete", "running"):
        metrics, problem = _last_epoch(p)
    seeds = info.get("seeds") if isinstance(info.get("seeds"), dict) else {}
    return RunInfo(id=str(info.get("id") or p.name), path=str(p), preset=str(info.get("preset", "?")),
                   status=status, seeds=seeds, changed=info.get("changed") or {}, metrics=metrics,
                   name=str(info.get("name") or ""), parent=info.get("parent"), group=info.get("group"),
                   started=info.get("started"), ended=info.get("ended"), device=str(info.get("device", "")),
                   problem=problem or str(info.get("message", "") if status == "failed" else ""),
                   step_budget=info.get("step_budget"))


def iter_metric_rows(path: Path) -> Iterator[dict[str, str]]:
    """metrics.csv rows; a row cut short by a killed process is skipped, not an error."""
    try:
        with open(path / "metrics.csv", newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            for row in reader:
                if None in row or any(v is None for v in row.values()):
                    continue
                yield row
    except (OSError, csv.Error, UnicodeDecodeError):
        return


def _float(text: str | None) -> float | None:
    if text is None or text == "":
        return None
    try:
        v = float(text)
    except ValueError:
        return None
    return v


def _last_epoch(path: Path) -> tuple[dict[str, Any], str]:
    """What a killed run had: its last epoch row whose epoch is a whole number, as final-metric
    names, and what was wrong with any row that was not (it is skipped, never a crash)."""
    last: dict[str, str] | None = None
    problem = ""
    for row in iter_metric_rows(path):
        if row.get("kind") != "epoch":
            continue
        try:
            int(row.get("epoch") or "")
        except ValueError:
            problem = problem or (f"damaged {path / 'metrics.csv'}: an epoch row has epoch "
                                  f"{(row.get('epoch') or '')[:20]!r}, not a whole number")
            continue
        last = row
    if last is None:
        return {}, problem
    out: dict[str, Any] = {"epochs": int(last["epoch"])}
    for col, key in (("train_loss", "train_loss"), ("val_loss", "val_loss"), ("train_acc", "train_accuracy"),
                     ("val_acc", "val_accuracy")):
        v = _float(last.get(col))
        if v is not None:
            out[key] = v
    return out, problem


def list_runs(folder: str | os.PathLike | None = None) -> list[RunInfo]:
    """Every record in the runs folder, in the order they started. A missing folder has no runs."""
    root = runs_dir(folder)
    if not root.exists():
        return []
    if not root.is_dir():
        raise FileProblem(f"the runs folder {root} is a file, not a folder")
    try:
        entries = sorted((e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")),
                         key=lambda e: e.name)
    except OSError as e:
        raise FileProblem(f"cannot read the runs folder {root}: {e.strerror or e}") from None
    runs = [load_run(e.path) for e in entries]
    runs.sort(key=lambda r: (r.started or "", r.id))   # ids share a second; start times do not
    return runs


def find_run(ref: str, folder: str | os.PathLike | None = None) -> RunInfo:
    """A run by id, by name (if unique), or by the path of its folder; RunNotFound otherwise."""
    p = Path(ref)
    if (p / "run.json").is_file():
        return load_run(p)
    root = runs_dir(folder)
    if ref and "/" not in ref and ref not in (".", "..") and (root / ref / "run.json").is_file():
        return load_run(root / ref)
    named = [r for r in list_runs(folder) if r.name == ref] if ref else []
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise RunNotFound(f"{len(named)} runs are named {ref!r}; use a run id")
    raise RunNotFound(f"no run {ref!r} in {root}")


def group_runs(group: str, folder: str | os.PathLike | None = None) -> list[RunInfo]:
    return [r for r in list_runs(folder) if r.group == group]


def record_inside(run: RunInfo, folder: str | os.PathLike | None = None) -> Path:
    """The record's folder, if it is a real folder directly inside the runs folder (both
    resolved, so `../` and symbolic links cannot lead out of it); FileProblem otherwise."""
    root = runs_dir(folder)
    path = Path(run.path)
    try:
        real_root = root.resolve(strict=True)
        real = path.resolve(strict=True)
        is_link = path.is_symlink()
    except (OSError, RuntimeError) as e:
        raise FileProblem(f"cannot delete {path}: {getattr(e, 'strerror', None) or e}") from None
    if is_link:
        raise FileProblem(f"refusing to delete {path}: it is a link to {real}, not a record folder")
    if real.parent != real_root:
        raise FileProblem(f"refusing to delete {path}: it is not a run record inside the runs "
                          f"folder {root}")
    return real


def delete_run(ref: str, folder: str | os.PathLike | None = None) -> RunInfo:
    """Remove a record's folder: only a record inside the runs folder, and never one whose
    writer is still training (a stale pid, reused by another process, does not count)."""
    run = find_run(ref, folder)
    path = record_inside(run, folder)
    if run.status == "running":
        raise FileProblem(f"run {run.id} is still training; stop it first")
    try:
        shutil.rmtree(path)
    except OSError as e:
        raise FileProblem(f"cannot delete {run.path}: {e.strerror or e}") from None
    return run


def stop_unfinished(group: str, pids: Collection[int], message: str,
                    folder: str | os.PathLike | None = None) -> list[str]:
    """Mark `stopped` (with `message`) the records of a repeat group that its workers `pids`, now
    ended, left `running`: they were stopped with their pool, not lost. Returns their ids."""
    root = runs_dir(folder)
    stopped = []
    try:
        entries = [e for e in os.scandir(root) if e.is_dir() and not e.name.startswith(".")]
    except OSError:
        return []
    for entry in entries:
        path = Path(entry.path) / "run.json"
        try:
            info = read_json(path)
        except FileProblem:
            continue
        if (not isinstance(info, dict) or info.get("group") != group or info.get("status") != "running"
                or info.get("pid") not in pids):
            continue
        info.update(status="stopped", ended=now_iso(), message=message)
        try:
            atomic_write(path, (json.dumps(info, indent=2) + "\n").encode())
        except OSError:
            continue   # listed as incomplete instead: its writer is gone
        stopped.append(entry.name)
    return stopped


def rename_run(ref: str, name: str, folder: str | os.PathLike | None = None) -> RunInfo:
    """Give a run a name people read (its id, which twins and groups refer to, stays)."""
    name = name.strip()
    if len(name) > 200 or any(c in name for c in "\n\r\t"):
        raise FileProblem("a run name is one line of at most 200 characters")
    run = find_run(ref, folder)
    path = Path(run.path)
    info = read_json(path / "run.json")
    info["name"] = name
    atomic_write(path / "run.json", (json.dumps(info, indent=2) + "\n").encode())
    return load_run(path)
