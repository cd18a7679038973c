"""A training session: the engine's Trainer driven on a background task (`widgets.tasks`).

The session owns the model while it lasts; the GUI never touches it. Engine events are buffered
as the Trainer emits them and sent to the GUI thread in coalesced batches through the task's
queued progress signal, at most about 20 times a second and never while the GUI is still drawing
the previous batch, so a fast model cannot flood the event loop. Batches carry numpy arrays,
never tensors.

Pause, single steps, reset, stop and live settings live in the Trainer's `RunControl`, made with
the session (so a request while the Trainer builds is kept) and set from the GUI thread; the
session's loop asks it whether to step, and adds only what the app needs around the steps: slow
motion, notes on what changed, and the weights (numpy copies, with the preset they were trained
with) at each pause and at the end, for the document to own.
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

from playground.training.events import (
    BoundaryEvent, ConfusionEvent, CurveEvent, FeatureMapEvent, LossEvent, ProblemEvent,
    ReconstructionEvent)
from playground.babysit.run_findings import FindingsEvent
from playground.params import ProblemList
from playground.run_records.store import LiveRecording
from playground.network.spec import Preset
from playground.training.control import RunControl
from playground.training.inside import INSIDE_VIEWS
from playground.training.trainer import INSIDE_SHARE, Trainer
from playground.training.views import VIEWS
from widgets.tasks import BackgroundTask

EMIT_INTERVAL = 1 / 20
"""Seconds between batches sent to the GUI (about 20 Hz, whatever the step rate): each batch
costs the window ~1 ms of work holding the GIL whatever it carries (every panel takes in its
events, the frame scheduler looks), and the panels draw within their time share anyway."""
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


class TrainingSession:
    """One training session, run as a `BackgroundTask` (`run`): builds a Trainer for the preset
    and drives its steps until it finishes or is stopped, sending what happens as `Batch`es
    through `task.report`. Made on the GUI thread; its control methods are thread-safe."""

    def __init__(self, session: int, preset: Preset, control: RunControl, *, device: str = "",
                 weights: Any = None, views: frozenset[str] = frozenset(VIEWS), speed: float = 0.0,
                 probe_image: int | None = None, initial_weights: Any = None) -> None:
        self.session = session
        self.preset, self.device, self.weights = preset.copy(), device, weights
        self.initial_weights = initial_weights
        """A fine-tuning's warm-start weights, or the function that fetches them on this thread."""
        self.control = control
        """Pause, single steps, reset, stop and live settings: handed to the Trainer, which owns them."""
        self.views = views & frozenset(VIEWS)
        """The views the window shows: the Trainer computes the look-inside probes only for these."""
        self._cond = threading.Condition()
        self._buffer: list[object] = []
        self._in_flight = 0
        self._last_emit = 0.0
        self._task: BackgroundTask | None = None
        self._trainer: Trainer | None = None
        self._probe_image = probe_image
        self._speed = max(0.0, float(speed))
        """Steps per second to run at (slow motion, to watch each update); 0: as fast as it goes."""
        self._next_step_at = 0.0
        self._rate = 0.0
        self._rate_mark: tuple[float, int] | None = None
        self.threads = training_threads()
        self._recording: LiveRecording | None = None
        """The run record of the session's Trainer (the task's thread only)."""

    # ------------------------------------------------------------------ control (GUI thread)
    def set_speed(self, steps_per_s: float) -> None:
        """Run at most this many steps per second (0: full speed); every step is still taken and
        shown, so the panels' history stays complete."""
        with self._cond:
            self._speed = max(0.0, float(steps_per_s))
            self._next_step_at = 0.0
        self.control.notify()

    def set_setting(self, name: str, value: Any) -> None:
        """Ask for a live setting: the Trainer validates it (ValueError, in words for a person)
        and applies it before its next step, announcing the step in a SettingAppliedEvent. While
        the Trainer is still being built the control keeps it for that first step."""
        Trainer.check_setting(name, value)
        self.control.queue_setting(name, value)

    def set_probe_image(self, index: int) -> None:
        with self._cond:
            self._probe_image = int(index)

    def set_views(self, views: frozenset[str]) -> None:
        """The views the window shows now: the Trainer computes the look-inside probes only for
        these, from its next probe step, or at once while paused (a hidden group of panels costs
        training nothing)."""
        with self._cond:
            self.views = views & frozenset(VIEWS)
            if self._trainer is not None:
                self._trainer.wanted_views = self.views
        self.control.notify()   # a paused session shows a newly shown look-inside panel at once

    def batch_done(self) -> None:
        """The GUI has drawn a batch: the next one may go."""
        with self._cond:
            self._in_flight = max(0, self._in_flight - 1)
            self._cond.notify_all()

    def step_count(self) -> int:
        """Steps the session has taken (exact, unlike the 20 Hz progress)."""
        with self._cond:
            trainer = self._trainer
        return trainer.step_count if trainer is not None else 0

    # ------------------------------------------------------------------ the session (task thread)
    def _on_event(self, event: object) -> None:
        fired = self._recording(event) if self._recording is not None else []
        with self._cond:
            self._buffer.append(event)
            if fired:   # judged once, here: the Diagnoses panel shows them as they are
                self._buffer.append(FindingsEvent(tuple(fired)))
            if len(self._buffer) > MAX_BUFFER:
                self._buffer = coalesce(self._buffer)

    def _note(self, note: Note) -> None:
        """Send a note now, with everything buffered before it."""
        self._on_event(note)
        self._flush(force=True)

    def _flush(self, force: bool = False, progress: bool = False) -> None:
        """Send the buffered events if it is time (or `force`); with `progress`, send a batch
        even when nothing is buffered, so the step counter moves (single steps)."""
        if not self._buffer and not progress:   # the common case, seen without the lock
            return
        now = time.perf_counter()
        if not force and (self._in_flight > 0 or now - self._last_emit < EMIT_INTERVAL):
            return   # not yet, also seen without the lock (most steps find events waiting for this)
        with self._cond:
            if not self._buffer and not progress:
                return
            if not force and (self._in_flight > 0 or now - self._last_emit < EMIT_INTERVAL):
                return
            events, self._buffer = coalesce(self._buffer), []
            self._in_flight += 1
            self._last_emit = now
            batch = Batch(self.session, events)
            t = self._trainer
            if t is not None:
                batch.step, batch.epoch = t.step_count, t.epoch
                batch.total_steps, batch.steps_per_epoch = t.total_steps, t.steps_per_epoch
                batch.steps_per_s = self._rate
            # Sent under the lock so that batches keep their order; a queued signal only posts.
            if self._task is not None:
                self._task.report(batch)

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

    def _snapshot(self, trainer: Trainer) -> None:
        """Send the weights as they are now (numpy copies), with the preset they were trained
        with (live settings included), for the document to keep."""
        state = {k: v.detach().cpu().numpy() for k, v in trainer.state_dict_copy().items()}
        self._on_event(Note("weights", info={"state": state, "step": trainer.step_count,
                                             "preset": trainer.preset.copy()}))

    def run(self, task: BackgroundTask) -> None:
        """The task's work: build a Trainer for the preset and train it until it finishes or is
        stopped. A problem (non-finite loss, an error) pauses: the model and curves stay until
        Reset or Stop. With weights (name → numpy array, e.g. imported ones) it starts from
        them, not the seed's."""
        self._task = task
        if self.control.stopping.is_set():   # stopped before it began
            self._note(Note("ended", "stopped"))
            return
        try:
            self._run()
        finally:
            with self._cond:
                self._trainer = None

    def _run(self) -> None:
        torch.set_num_threads(self.threads)
        paused = self.control.paused
        try:
            trainer = Trainer(self.preset, device=self.device or None, on_event=self._on_event,
                              views=self.views, control=self.control, initial_weights=self.initial_weights)
        except ProblemList as e:
            self._note(Note("failed", message=str(e)))
            return
        except Exception as e:  # noqa: BLE001 - anything the checks missed is shown, not raised
            self._note(Note("failed", message=f"{type(e).__name__}: {e}\n\n{_short_traceback()}"))
            return
        if self.weights is not None:
            try:
                trainer.load_weights({k: torch.from_numpy(np.array(v)) for k, v in self.weights.items()})
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
            "steps_per_epoch": trainer.steps_per_epoch, "weights": "imported" if self.weights is not None else "seed",
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

    def _loop(self, trainer: Trainer) -> str:
        """Step until over. Returns finished | stopped (a problem pauses instead). Whether to
        step is the Trainer's control's to say; this loop adds the slow motion, the notes and
        the weights at each pause."""
        control = self.control
        state = ""
        while True:
            # Read without the lock (one attribute, set whole by the GUI thread): the loop runs
            # once a step, and a lock, or the control's, taken here each time costs training speed.
            probe = self._probe_image
            if probe is not None and probe != trainer.visual.probe_index:
                trainer.visual.set_probe_image(probe)
            if control.stopping.is_set():
                _send_losses(trainer)
                _look_inside(trainer, ended=True)
                trainer.step()   # emits FinishedEvent("stopped") unless it had already finished
                return "stopped"
            if control.reset_requested and control.take_reset():
                self._reset(trainer)
                state = ""
                continue
            paused = control.paused
            want = "paused" if paused or trainer.finished else "running"
            if want != state:
                state = want
                if want == "paused":
                    _send_losses(trainer)   # the curve ends where the pause is
                    trainer.pause()
                    _look_inside(trainer)   # ... and so do the look-inside panels
                    self._snapshot(trainer)
                else:
                    trainer.resume()
                self._measure(trainer.step_count, False)
                self._note(Note("state", state))
            if state == "running":
                if self._speed and self._wait_for_speed():
                    continue
                more = trainer.step()
                self._measure(trainer.step_count, True)
                if self._speed:
                    trainer.flush()   # slow motion: each step's loss shows as it is taken
                if not more:
                    if trainer.state != "problem":
                        # stopped: Stop reached the Trainer's own flag first; losses still held go too
                        _send_losses(trainer)
                        _look_inside(trainer, ended=True)
                        return "stopped" if trainer.state == "stopped" else "finished"
                    control.pause()   # stays alive, paused, with the model and curves, until Reset or Stop
                self._flush()
                continue
            # paused
            single = control.take_step()
            if trainer.finished and (single or not paused):
                control.pause()
                self._note(Note("notice", message=_after_problem(trainer)))
                continue
            if single:
                more = trainer.step()   # one batch, for looking at each update
                _send_losses(trainer)   # ... and its loss, now
                _look_inside(trainer, ended=not more)
                self._snapshot(trainer)
                if not more and trainer.state != "problem":
                    return "finished"
                self._flush(force=True, progress=True)
                continue
            _look_inside(trainer)   # (a look-inside panel shown while paused: nothing to do otherwise)
            self._flush()
            if not control.go.is_set():
                control.wait(0.05)

    def _wait_for_speed(self) -> bool:
        """In slow motion, wait (for a request at most) until the next step is due; True when
        it woke early for a request, which the loop handles first."""
        control = self.control
        with control.changed:
            if not self._speed:
                return False
            now = time.perf_counter()
            due = max(self._next_step_at, now)
            while now < due:
                if control.stopping.is_set() or control.reset_requested or control.step_requests or control.paused:
                    return True
                control.changed.wait(due - now)
                now = time.perf_counter()
                if not self._speed:
                    break
            self._next_step_at = max(due, now - 1.0) + (1.0 / self._speed if self._speed else 0.0)
            return False

    def _reset(self, trainer: Trainer) -> None:
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


def _look_inside(trainer: Any, ended: bool = False) -> None:
    """Have the look-inside panels show the network as it is now (training paused, ended or
    took a single step), unless it broke: their own probes run only at their share's pace.
    Where the run `ended`, every look-inside view is computed, shown or not (once a run, a few ms
    for a small model): the session ends with it, and a panel first shown afterwards still has
    the trained network to show."""
    if trainer.state != "problem":
        trainer.look_inside(INSIDE_VIEWS if ended else None)


def _after_problem(trainer: Any) -> str:
    problem = trainer.last_problem
    what = problem.message if problem is not None else "Training cannot go on."
    return f"{what} Reset the weights (after changing what caused it) to train again, or Stop."


def _short_traceback(limit: int = 4) -> str:
    return "".join(traceback.format_exc(limit=-limit)).strip()
