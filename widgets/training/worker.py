"""The training worker: a QObject moved to a QThread that drives the engine's Trainer.

It owns the model while a session lasts; the GUI never touches it. Engine events are buffered
as the Trainer emits them and sent to the GUI thread in coalesced batches through one queued
signal, at most about 30 times a second and never while the GUI is still drawing the previous
batch, so a fast model cannot flood the event loop. Batches carry numpy arrays, never tensors.

Control (pause, step, stop, reset, speed, hot settings) comes from the GUI thread through
plain thread-safe methods guarded by a condition variable: the worker's own event loop is busy
running the session, so queued slots would only run once it ends. The worker is the one control
loop: the Trainer only steps, and the controller shows what the worker reports. The weights go
to the GUI as numpy copies in a "weights" note (at each pause and at the end), for the document
to own; the worker keeps none between sessions.
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal, Slot

from playground.training.events import (
    BoundaryEvent, ConfusionEvent, CurveEvent, FeatureMapEvent, LossEvent, ProblemEvent,
    ReconstructionEvent)
from playground.params import ProblemList
from playground.run_records.store import LiveRecording
from playground.network.spec import Preset
from playground.training.trainer import INSIDE_SHARE, Trainer
from playground.training.views import VIEWS

EMIT_INTERVAL = 1 / 30
"""Seconds between batches sent to the GUI (about 30 Hz, whatever the step rate)."""
SNAPSHOT_TYPES = (BoundaryEvent, CurveEvent, FeatureMapEvent, ReconstructionEvent, ConfusionEvent)
"""Events that replace the previous one of their type: a batch needs only the newest."""
MAX_BUFFER = 2000


def training_threads() -> int:
    """Torch intra-op threads for training beside a live GUI: the cores this process may use,
    less one for the GUI, at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def data_accuracy_bar(trainer: Any) -> float | None:
    """What the run's data allows a classifier (`outcome.accuracy_bar`), worked out here on the
    training thread: it may fit the classical baselines, seconds the window must not wait."""
    from playground.babysit.outcome import accuracy_bar
    from playground.training.views import is_classifier
    if not is_classifier(trainer.preset):
        return None
    return accuracy_bar(trainer.preset, int(trainer.dataset.n_classes))


@dataclass
class Note:
    """The worker's own messages to the controller, in the same stream as the engine's events
    so that they arrive in order with them.

    kind: started | state | reset | failed | notice | weights | ended."""

    kind: str
    state: str = ""
    message: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Batch:
    """What one queued signal carries: the session's events since the last batch, and progress."""

    session: int
    events: list[object]
    step: int = 0
    epoch: int = 0
    total_steps: int = 0
    steps_per_epoch: int = 0
    steps_per_s: float = 0.0


def coalesce(events: list[object]) -> list[object]:
    """Merge a run of events for drawing: the LossEvents between two worker notes become one
    (where the first was: the loss panel takes their steps in one go), and only the newest
    event of each snapshot type is kept; notes keep their place."""
    out: list[object] = []
    latest: dict[type, int] = {}
    losses: list[LossEvent] = []
    at = 0

    def merge_losses() -> None:
        if len(losses) > 1:
            out[at] = LossEvent.join(losses)   # keeps each step's lr, momentum and penalty
        losses.clear()

    for e in events:
        if isinstance(e, Note):
            merge_losses()
            latest.clear()
            out.append(e)
        elif isinstance(e, LossEvent):
            if not losses:
                at = len(out)
                out.append(e)
            losses.append(e)
        elif isinstance(e, SNAPSHOT_TYPES):
            k = latest.get(type(e))
            if k is not None:
                out[k] = None   # superseded
            latest[type(e)] = len(out)
            out.append(e)
        else:
            out.append(e)
    merge_losses()
    return [e for e in out if e is not None]


class TrainingWorker(QObject):
    """Runs one training session at a time on the thread it was moved to."""

    batch_ready = Signal(object)
    """A `Batch`; connect it with Qt.QueuedConnection to a GUI-thread QObject's method."""

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._buffer: list[object] = []
        self._in_flight = 0
        self._last_emit = 0.0
        self._session = 0
        self._trainer = None
        self._paused = False
        self._stop = False
        self._step_requests = 0
        self._reset_requested = False
        self._probe_image: int | None = None
        self._speed = 0.0
        """Steps per second to run at (slow motion, to watch each update); 0: as fast as it goes."""
        self._next_step_at = 0.0
        self._busy = False
        """A session is being built or trained (its Trainer holds a model)."""
        self._rate = 0.0
        self._rate_mark: tuple[float, int] | None = None
        self.threads = training_threads()
        self.views: frozenset[str] = frozenset(VIEWS)
        """The views the window has panels for (names as in `playground.training.views`; others are
        ignored): the Trainer computes the look-inside probes only for these. The controller
        sets them before the thread starts."""
        self._recording: LiveRecording | None = None
        """The run record of the session's Trainer (worker thread only)."""

    # ------------------------------------------------------------------ control (GUI thread)
    def request_pause(self) -> None:
        with self._cond:
            self._paused = True
            self._cond.notify_all()

    def request_resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def request_step(self) -> None:
        with self._cond:
            self._paused = True
            self._step_requests += 1
            self._cond.notify_all()

    def request_stop(self) -> None:
        with self._cond:
            self._stop = True
            trainer = self._trainer
            self._cond.notify_all()
        if trainer is not None:
            trainer.stop()

    def request_reset(self) -> None:
        with self._cond:
            self._reset_requested = True
            self._paused = True
            self._cond.notify_all()

    def is_paused(self) -> bool:
        """A pause is asked for (a session starting paused, or paused by Step or Pause)."""
        with self._cond:
            return self._paused

    def wait_until_idle(self, timeout_s: float) -> bool:
        """Block (GUI thread, after request_stop) until the session has let go of its model;
        False if it did not within `timeout_s`."""
        deadline = time.perf_counter() + timeout_s
        with self._cond:
            while self._busy:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def set_speed(self, steps_per_s: float) -> None:
        """Run at most this many steps per second (0: full speed); every step is still taken and
        shown, so the panels' history stays complete."""
        with self._cond:
            self._speed = max(0.0, float(steps_per_s))
            self._next_step_at = 0.0
            self._cond.notify_all()

    def set_setting(self, name: str, value: Any) -> bool:
        """Hand a hot setting to the running Trainer (thread-safe there); False when none runs.
        Raises ValueError for a setting that needs a rebuild or a value out of range."""
        with self._cond:
            trainer = self._trainer
        if trainer is None:
            return False
        trainer.set_setting(name, value)
        return True

    def set_probe_image(self, index: int) -> None:
        with self._cond:
            self._probe_image = int(index)

    def batch_done(self) -> None:
        """The GUI has drawn a batch: the next one may go."""
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._cond.notify_all()

    def step_count(self) -> int:
        """Steps the current session has taken (exact, unlike the 30 Hz progress)."""
        with self._cond:
            trainer = self._trainer
        return trainer.step_count if trainer is not None else 0

    # ------------------------------------------------------------------ the session (worker thread)
    def _on_event(self, event: object) -> None:
        if self._recording is not None:
            self._recording(event)
        with self._cond:
            self._buffer.append(event)
            if len(self._buffer) > MAX_BUFFER:
                self._buffer = coalesce(self._buffer)

    def _note(self, note: Note) -> None:
        """Send a note now, with everything buffered before it."""
        self._on_event(note)
        self._flush(force=True)

    def _flush(self, force: bool = False, progress: bool = False) -> None:
        """Send the buffered events if it is time (or `force`); with `progress`, send a batch
        even when nothing is buffered, so the step counter moves (single steps)."""
        now = time.perf_counter()
        with self._cond:
            if not self._buffer and not progress:
                return
            if not force and (self._in_flight > 0 or now - self._last_emit < EMIT_INTERVAL):
                return
            events, self._buffer = coalesce(self._buffer), []
            self._in_flight += 1
            self._last_emit = now
            batch = Batch(self._session, events)
            t = self._trainer
            if t is not None:
                batch.step, batch.epoch = t.step_count, t.epoch
                batch.total_steps, batch.steps_per_epoch = t.total_steps, t.steps_per_epoch
                batch.steps_per_s = self._rate
            # Emitted under the lock so that batches keep their order; a queued emit only posts.
            self.batch_ready.emit(batch)

    def _measure(self, steps: int, running: bool) -> None:
        """Steps per second while running (an average over about a second; pauses excluded)."""
        now = time.perf_counter()
        if not running or self._rate_mark is None:
            self._rate_mark = (now, steps) if running else None
            return
        t0, s0 = self._rate_mark
        if now - t0 >= 0.5:
            rate = (steps - s0) / (now - t0)
            self._rate = rate if self._rate == 0 else 0.5 * self._rate + 0.5 * rate
            self._rate_mark = (now, steps)

    def _snapshot(self, trainer: Any) -> None:
        """Send the weights as they are now (numpy copies) for the document to keep."""
        state = {k: v.detach().cpu().numpy() for k, v in trainer.state_dict_copy().items()}
        self._on_event(Note("weights", info={"state": state, "step": trainer.step_count}))

    def prepare(self, session: int, paused: bool, steps: int = 0) -> None:
        """Set up the controls of the next session (GUI thread, before asking it to run), so
        that a pause or step requested while it builds is not lost."""
        with self._cond:
            self._session = session
            self._buffer = []
            self._in_flight = 0
            self._paused, self._stop, self._step_requests = paused, False, steps
            self._reset_requested = False
            self._rate, self._rate_mark = 0.0, None

    @Slot(int, object, str, object)
    def run_session(self, session: int, preset: Preset, device: str = "", weights: Any = None) -> None:
        """Build a Trainer for `preset` and train it until it finishes or is stopped. A problem
        (non-finite loss, an error) pauses: the model and curves stay until Reset or Stop.
        With `weights` (name → numpy array, e.g. imported ones) it starts from them, not the seed's."""
        with self._cond:
            if session != self._session:
                return   # superseded by a newer session
            stopped = self._stop
            self._busy = not stopped
        if stopped:   # stopped before it began
            self._note(Note("ended", "stopped"))
            return
        try:
            self._run(preset, device, weights)
        finally:
            with self._cond:
                self._busy = False
                self._trainer = None
                self._cond.notify_all()

    def _run(self, preset: Preset, device: str, weights: Any) -> None:
        torch.set_num_threads(self.threads)
        with self._cond:
            paused = self._paused
        try:
            trainer = Trainer(preset, device=device or None, on_event=self._on_event, views=self.views & frozenset(VIEWS))
        except ProblemList as e:
            self._note(Note("failed", message=str(e)))
            return
        except Exception as e:  # noqa: BLE001 - anything the checks missed is shown, not raised
            self._note(Note("failed", message=f"{type(e).__name__}: {e}\n\n{_short_traceback()}"))
            return
        if weights is not None:
            try:
                trainer.load_weights({k: torch.from_numpy(np.array(v)) for k, v in weights.items()})
            except ProblemList as e:
                self._note(Note("failed", message=f"{e}\n\nThe imported weights were made for another "
                                                  "network. Reset Weights to train this one from a fresh "
                                                  "initialization.", info={"weights": "imported"}))
                return
        trainer.inside_share = INSIDE_SHARE   # the look-inside panels stay live without slowing training
        with self._cond:
            self._trainer = trainer
            if self._probe_image is not None:
                trainer.visual.set_probe_image(self._probe_image)
        self._recording = LiveRecording(trainer)
        self._note(Note("started", "paused" if paused else "running", info={
            "run_id": self._recording.run_id, "record_problem": self._recording.problem,
            "device": str(trainer.device), "device_reason": trainer.device_choice.reason,
            "threads": self.threads, "total_steps": trainer.total_steps,
            "steps_per_epoch": trainer.steps_per_epoch, "weights": "imported" if weights is not None else "seed",
            "n_classes": int(trainer.dataset.n_classes),   # the run's own fact: nothing re-reads the data
            "accuracy_bar": data_accuracy_bar(trainer)}))
        try:
            reason = self._loop(trainer)
        except Exception as e:  # noqa: BLE001
            reason = "error"
            self._on_event(ProblemEvent("error", trainer.step_count, trainer.epoch, "",
                                        f"Training failed: {type(e).__name__}: {e}", _short_traceback()))
        try:
            self._snapshot(trainer)
        except Exception:  # noqa: BLE001 - a broken model must not keep the session from ending
            pass
        run_id = self._recording.run_id
        tests = self._recording.finish(trainer, "stopped" if reason == "error" else reason,
                                       error="training failed" if reason == "error" else "")
        recorded = run_id if run_id and not self._recording.problem else ""   # its model.safetensors written
        self._recording = None
        # the test figures, for the loss panel; the record that keeps the weights, for the window
        self._note(Note("ended", reason, info={"test": tests, "recorded": recorded}))
        with self._cond:
            self._trainer = None

    def _loop(self, trainer: Any) -> str:
        """Step until over. Returns finished | stopped (a problem pauses instead)."""
        state = ""
        while True:
            with self._cond:
                stop, reset = self._stop, self._reset_requested
                paused, single = self._paused, self._step_requests > 0
                probe = self._probe_image
                if single:
                    self._step_requests -= 1
                self._reset_requested = False
            if probe is not None and probe != trainer.visual.probe_index:
                trainer.visual.set_probe_image(probe)
            if stop:
                _send_losses(trainer)
                trainer.stop()
                trainer.step()   # emits FinishedEvent("stopped") unless it had already finished
                return "stopped"
            if reset:
                self._reset(trainer)
                state = ""
                continue
            want = "paused" if paused or trainer.finished else "running"
            if want != state:
                state = want
                if want == "paused":
                    _send_losses(trainer)   # the curve ends where the pause is
                    trainer.pause()
                    self._snapshot(trainer)
                else:
                    trainer.resume()
                self._measure(trainer.step_count, False)
                self._note(Note("state", state))
            if state == "running":
                if self._wait_for_speed():
                    continue
                more = trainer.step()
                self._measure(trainer.step_count, True)
                if self._speed:
                    trainer.flush()   # slow motion: each step's loss shows as it is taken
                if not more:
                    if trainer.state != "problem":
                        # stopped: Stop reached the Trainer's own flag first; losses still held go too
                        _send_losses(trainer)
                        return "stopped" if trainer.state == "stopped" else "finished"
                    with self._cond:  # stays alive, paused, with the model and curves, until Reset or Stop
                        self._paused = True
                self._flush()
                continue
            # paused
            if trainer.finished and (single or not paused):
                with self._cond:
                    self._paused = True
                self._note(Note("notice", message=_after_problem(trainer)))
                continue
            if single:
                more = trainer.step()   # one batch, for looking at each update
                _send_losses(trainer)   # ... and its loss, now
                self._snapshot(trainer)
                if not more and trainer.state != "problem":
                    return "finished"
                self._flush(force=True, progress=True)
                continue
            self._flush()
            with self._cond:
                if not (self._stop or self._reset_requested or self._step_requests or not self._paused):
                    self._cond.wait(0.05)

    def _wait_for_speed(self) -> bool:
        """In slow motion, wait (for a control request at most) until the next step is due;
        True when it woke early for a request, which the loop handles first."""
        with self._cond:
            if not self._speed:
                return False
            now = time.perf_counter()
            due = max(self._next_step_at, now)
            while now < due:
                if self._stop or self._reset_requested or self._step_requests or self._paused:
                    return True
                self._cond.wait(due - now)
                now = time.perf_counter()
                if not self._speed:
                    break
            self._next_step_at = max(due, now - 1.0) + (1.0 / self._speed if self._speed else 0.0)
            return False

    def _reset(self, trainer: Any) -> None:
        trainer.pause()
        self._recording.finish(trainer, "stopped")   # the run so far is a record of its own
        trainer.reset_weights()
        self._recording = LiveRecording(trainer)
        with self._cond:
            self._buffer = []   # anything from before the reset is history
        self._note(Note("reset", message="Weights reset to a fresh initialization; training starts again "
                                         "from step 0."))


def _send_losses(trainer: Any) -> None:
    """Have the Trainer send the step losses it still holds for its next read-back (a single
    step, a pause, a stop: the curve shows every step taken). After a problem on a GPU the
    held losses include the bad one, which the Trainer has reported already."""
    if trainer.state != "problem" or trainer.device.type == "cpu":
        trainer.flush()


def _after_problem(trainer: Any) -> str:
    problem = trainer.last_problem
    what = problem.message if problem is not None else "Training cannot go on."
    return f"{what} Reset the weights (after changing what caused it) to train again, or Stop."


def _short_traceback(limit: int = 4) -> str:
    return "".join(traceback.format_exc(limit=-limit)).strip()
