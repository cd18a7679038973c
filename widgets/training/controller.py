"""The TrainingController: the one object that owns the training thread's life.

The window calls its slots (Start/Pause, Step, Stop, Reset weights, hot settings) and shows
its signals (state, status text, progress, problems); it creates the live panels and feeds
them the worker's batches on the GUI thread. The thread is started once, reused by every
session, and stopped and joined by `shutdown()` (window close, application quit): never
terminated.
"""
from __future__ import annotations

import time
import weakref
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from playground.events import FinishedEvent, ProblemEvent
from playground.spec import HOT_SETTINGS, Preset
from widgets.panels.activations import ActivationsPanel, GradientsPanel
from widgets.panels.base import Panel
from widgets.panels.confusion import ConfusionPanel
from widgets.panels.decision_boundary import DecisionBoundaryPanel
from widgets.panels.feature_maps import FeatureMapsPanel
from widgets.panels.loss import LossPanel
from widgets.panels.perceptron import PerceptronPanel
from widgets.panels.reconstructions import ReconstructionsPanel
from widgets.panels.update_ratio import UpdateRatioPanel
from widgets.training.worker import Batch, Note, TrainingWorker

ACTIVE_STATES = frozenset({"starting", "running", "paused", "stopping"})
STATES = ("idle", "starting", "running", "paused", "stopping", "finished", "stopped", "problem")
"""idle: never trained; starting: building data and model; running; paused (also after a
problem, with the model and curves kept); stopping; finished / stopped: the session ended (the
weights are in `trained_state()`); problem: a session could not start (bad preset)."""


DRAW_SHARE = 0.03
"""While training runs, the share of wall time all visible panels together may spend drawing
and painting, counted in the GUI thread's CPU time (`busy_time`): painting holds the GIL,
which the training thread needs for every step (on two cores, panels redrawn at 30 Hz took
three quarters of the training's speed), while time spent waiting for the GIL costs it nothing."""
MIN_INTERVAL = 1 / 30
HIDDEN_POLL = 0.25
"""Seconds between looks at panels with new data that nobody can see (a dock tab behind another)."""
WEIGHTS = {LossPanel.title: 3.0}
"""A panel's weight in that share (the loss curve is the one people watch move)."""

_THREADS: "weakref.WeakSet[QThread]" = weakref.WeakSet()


def running_threads() -> list[QThread]:
    """Training threads started by any controller and not yet joined (tests fail on these)."""
    return [t for t in list(_THREADS) if t.isRunning()]


def relevant_panels(preset: Preset) -> dict[str, bool]:
    """Which panels have something to show for this preset (the window may hide the others)."""
    from playground.data import DATASETS

    entry = DATASETS.get(preset.data.name)
    kind = entry.kind if entry is not None else ""
    types = {n.type for n in preset.model.nodes}
    autoencoder = preset.training.target == "input"
    perceptron = preset.training.mode == "perceptron"
    classifier = not autoencoder and (perceptron or preset.training.loss in ("cross_entropy", "bce", "hinge"))
    return {
        LossPanel.title: True,
        UpdateRatioPanel.title: not perceptron,
        ActivationsPanel.title: True,
        GradientsPanel.title: not perceptron,
        FeatureMapsPanel.title: kind == "image" and "Conv2d" in types,
        ReconstructionsPanel.title: autoencoder,
        DecisionBoundaryPanel.title: kind in ("points", "regression") and not autoencoder,
        ConfusionPanel.title: classifier,
        PerceptronPanel.title: perceptron,
    }


class FrameScheduler(QObject):
    """Draws the panels' new data, each as often as its measured cost allows within the share
    of time given to drawing; a panel nobody can see waits until it is shown."""

    def __init__(self, panels: list[Panel], parent: QObject) -> None:
        super().__init__(parent)
        self.panels = panels
        self.share = DRAW_SHARE
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.tick)

    @Slot()
    def tick(self) -> None:
        now = time.perf_counter()
        visible = {p: p.is_shown() for p in self.panels if p.received}
        dirty = [p for p in self.panels if p.dirty]
        shown = [p for p in dirty if visible.get(p) or (p not in visible and p.is_shown())]
        # A panel behind another dock tab is not hidden, only covered: look again now and then.
        due = now + HIDDEN_POLL if len(shown) < len(dirty) else float("inf")
        weight = sum(WEIGHTS.get(p.title, 1.0) for p, seen in visible.items() if seen)
        for p in shown:
            if now >= p.next_render:
                p.draw_now()
                w = WEIGHTS.get(p.title, 1.0)
                p.next_render = now + max(MIN_INTERVAL, p.cost * weight / (w * self.share))
            if p.dirty:
                due = min(due, p.next_render)
        if due < float("inf"):
            self.timer.start(max(1, int((due - time.perf_counter()) * 1000) + 1))

    def flush(self) -> None:
        """Draw everything new now (training paused or ended: no step to slow down)."""
        self.timer.stop()
        for p in self.panels:
            if p.dirty and p.is_shown():
                p.draw_now()
            p.next_render = 0.0
        if any(p.dirty for p in self.panels):
            self.timer.start(int(HIDDEN_POLL * 1000))


class TrainingController(QObject):
    """Start/pause/step/stop/reset training on a background thread and show it in live panels."""

    state_changed = Signal(str)
    status_message = Signal(str)
    progress = Signal(int, int, int, float, float)
    """epoch, step, total_steps, steps per second, seconds left (-1 while unknown)."""
    problem = Signal(str, str)
    """title, message: training hit a problem and paused (the window shows a dialog)."""
    _run_requested = Signal(int, object, str)

    hot_settings = HOT_SETTINGS

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._session = 0
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._pending: tuple[Preset, bool, int] | None = None
        self._final_state: dict | None = None
        self._imported: dict | None = None
        """Weights sessions start from instead of the seed's (File ▸ Import weights), until forgotten."""
        self._closed = False
        self.device: str | None = None
        """None: the preset's own device setting (auto: CUDA, then MPS, then CPU)."""
        self.last_problem: ProblemEvent | None = None
        self.last_finished: FinishedEvent | None = None
        self.session_info: dict[str, Any] = {}
        self._panels: list[Panel] = [
            LossPanel(), UpdateRatioPanel(), ActivationsPanel(), GradientsPanel(), FeatureMapsPanel(),
            ReconstructionsPanel(), DecisionBoundaryPanel(), ConfusionPanel(), PerceptronPanel()]
        self.feature_maps.probe_image_changed.connect(self.set_probe_image)
        self.frames = FrameScheduler(self._panels, self)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ what the window reads
    def panels(self) -> list[tuple[str, QWidget]]:
        return [(p.title, p) for p in self._panels]

    def panel(self, title: str) -> Panel:
        return next(p for p in self._panels if p.title == title)

    @property
    def feature_maps(self) -> FeatureMapsPanel:
        return self.panel(FeatureMapsPanel.title)  # type: ignore[return-value]

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_running(self) -> bool:
        """Training steps are being taken (Start/Pause shows Pause)."""
        return self._state == "running" or (self._state == "starting" and not self._start_paused)

    @property
    def is_active(self) -> bool:
        """A session holds a model (running, paused, starting or stopping): structural edits wait."""
        return self._state in ACTIVE_STATES

    def current_step(self) -> int:
        """Steps the session has taken so far (0 without one)."""
        return self._worker.step_count() if self._worker is not None else 0

    @property
    def has_imported_weights(self) -> bool:
        """Sessions start from imported weights, not from the seed's initialization."""
        return self._imported is not None

    def trained_state(self) -> dict | None:
        """The weights at the last pause or the end of the last session (CPU tensor copies)."""
        if self._thread is None:
            return self._final_state
        return self._worker.latest_state() if self._worker is not None else None

    # ------------------------------------------------------------------ slots the window calls
    @Slot(object)
    def start(self, preset: Preset) -> None:
        """Train `preset` from fresh weights; resumes instead when a session is paused."""
        self._begin(preset, paused=False)

    @Slot()
    def pause(self) -> None:
        if self._worker is not None and self._state in ("running", "starting"):
            self._worker.request_pause()
            if self._state == "starting":
                self._start_paused = True

    @Slot()
    def resume(self) -> None:
        if self._worker is not None and self._state in ("paused", "starting"):
            self._worker.request_resume()
            if self._state == "starting":
                self._start_paused = False

    @Slot(object)
    def step(self, preset: Preset) -> None:
        """One batch, for looking at each update: pauses a running session, steps a paused one,
        and starts a paused session when there is none."""
        if self._state == "running":
            self.pause()
        elif self._state in ("paused", "starting") and self._worker is not None:
            self._worker.request_step()
            self._start_paused = True
        elif not self.is_active or self._state == "stopping":
            self._begin(preset, paused=True, steps=1)

    @Slot()
    def stop(self) -> None:
        self._pending = None
        if self._worker is not None and self._state in ("starting", "running", "paused"):
            self._worker.request_stop()
            self._set_state("stopping")

    @Slot(object)
    def load_weights(self, state_dict: dict) -> None:
        """Start the next sessions (Start or Step) from these weights (CPU tensors, e.g. File ▸
        Import weights) instead of the seed's initialization, until Reset Weights or
        `forget_weights` (another network). A session already running keeps its own weights."""
        self._imported = dict(state_dict)

    def forget_weights(self) -> bool:
        """Drop imported weights (the network they were made for changed); True if there were any."""
        had, self._imported = self._imported is not None, None
        return had

    @Slot()
    def reset_weights(self) -> None:
        """Fresh weights from the seed (imported weights are forgotten). In a session it pauses
        there and clears the curves; without one, the next Start trains from scratch."""
        self._imported = None
        if self._worker is not None and self._state in ("running", "paused"):
            self._worker.request_reset()
        elif not self.is_active:
            if self._worker is not None:
                self._worker.forget_state()
            self._clear_panels()
            self.status_message.emit("Weights reset: the next Start trains from a fresh initialization.")

    @Slot(str, object)
    def set_setting(self, name: str, value: Any) -> None:
        """Change a hot setting of the running session (applied at its next step).
        Raises ValueError for a setting that needs a rebuild or a value out of range."""
        if name not in HOT_SETTINGS:
            raise ValueError(f"'{name}' changes the network or data; stop training to change it")
        if self._worker is not None and self.is_active and self._worker.set_setting(name, value):
            self.status_message.emit(f"{name} = {value} from the next step")

    @Slot(int)
    def set_probe_image(self, index: int) -> None:
        """Which validation image the feature maps show (from the next probe step)."""
        if self._worker is not None:
            self._worker.set_probe_image(index)

    @Slot()
    def shutdown(self) -> None:
        """Stop training and join the thread (window close, application quit). Idempotent."""
        self._closed = True
        self._pending = None
        if self._thread is None:
            return
        self._worker.request_stop()
        self._thread.quit()
        self._thread.wait()
        self._final_state = self._worker.latest_state()
        self._thread, self._worker = None, None
        if self.is_active:
            self._set_state("stopped")

    # ------------------------------------------------------------------ sessions
    _start_paused = False

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        thread = QThread()
        thread.setObjectName("training")
        worker = TrainingWorker()
        worker.moveToThread(thread)
        self._run_requested.connect(worker.run_session, Qt.ConnectionType.QueuedConnection)
        worker.batch_ready.connect(self._on_batch, Qt.ConnectionType.QueuedConnection)
        thread.finished.connect(worker.deleteLater)
        self._thread, self._worker = thread, worker
        _THREADS.add(thread)
        thread.start()

    def _begin(self, preset: Preset, paused: bool, steps: int = 0) -> None:
        if self._closed:
            return
        if self._state == "paused":
            if not paused:
                self.resume()
            return
        if self._state in ("starting", "running"):
            return
        if self._state == "stopping":
            self._pending = (preset.copy(), paused, steps)
            return
        self._ensure_thread()
        self._session += 1
        self.last_problem = self.last_finished = None
        self.session_info = {}
        self._start_paused = paused
        self._clear_panels()
        self._set_state("starting")
        origin = " from the imported weights" if self._imported is not None else ""
        self.status_message.emit(f"Preparing {preset.name or 'the network'}{origin}: data, model and optimizer…")
        self._worker.prepare(self._session, paused, steps, self._imported)
        self._run_requested.emit(self._session, preset.copy(), self.device or "")

    def _clear_panels(self) -> None:
        for p in self._panels:
            p.clear()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    @Slot(object)
    def _on_batch(self, batch: Batch) -> None:
        if self._worker is None:
            return   # shut down: nothing left to draw into
        try:
            if batch.session != self._session:
                return   # a late batch of an earlier session
            events = self._handle_notes(batch.events)
            if events:
                for p in self._panels:
                    if p.ingest(events):
                        p.dirty = True
            if self._state == "running":
                self.frames.tick()
            else:
                self.frames.flush()
            if batch.total_steps > 0:
                rate = batch.steps_per_s
                left = (batch.total_steps - batch.step) / rate if rate > 0 else -1.0
                self.progress.emit(batch.epoch, batch.step, batch.total_steps, rate, max(left, -1.0))
        finally:
            if self._worker is not None:
                self._worker.batch_done()

    def _handle_notes(self, events: list[object]) -> list[object]:
        """Act on the worker's notes and the engine's control events; returns the events to
        draw (a reset clears the panels, so only what follows it is drawn)."""
        draw: list[object] = []
        for e in events:
            if isinstance(e, Note):
                draw = self._note(e, draw)
            elif isinstance(e, ProblemEvent):
                self.last_problem = e
                self._report_problem(e)
                draw.append(e)
            elif isinstance(e, FinishedEvent):
                if e.reason != "problem":
                    self.last_finished = e
                    self.status_message.emit(_finished_text(e))
                draw.append(e)
            else:
                draw.append(e)
        return draw

    def _note(self, note: Note, draw: list[object]) -> list[object]:
        if note.kind == "started":
            self.session_info = dict(note.info)
            if self._state != "stopping":
                self._set_state(note.state)
            threads = f", {note.info['threads']} thread(s)" if note.info.get("device") == "cpu" else ""
            origin = ", starting from the imported weights" if note.info.get("weights") == "imported" else ""
            self.status_message.emit(f"Training on {note.info.get('device', '?')}{threads}: "
                                     f"{note.info.get('total_steps', 0)} steps{origin}")
        elif note.kind == "state":
            was = self._state
            if self._state != "stopping":
                self._set_state(note.state)
            if note.state == "paused" and was != "paused" and self.last_problem is None:
                self.status_message.emit("Paused")   # (a session started paused keeps its start message)
        elif note.kind == "reset":
            self._clear_panels()
            self.last_problem = None
            self.status_message.emit(note.message)
            return []
        elif note.kind == "notice":
            self.status_message.emit(note.message)
        elif note.kind == "failed":
            self._set_state("problem")
            self.status_message.emit("Training could not start")
            self.problem.emit("Cannot start from the imported weights" if note.info.get("weights")
                              else "Cannot start training", note.message)
            self._start_pending()
        elif note.kind == "ended":
            self._set_state({"stopped": "stopped", "error": "problem"}.get(note.state, "finished"))
            if note.state == "stopped":
                self.status_message.emit("Training stopped")
            # draw what came before the end first, then maybe start the session waiting for it
            for p in self._panels:
                if p.ingest(draw):
                    p.dirty = True
            self.frames.flush()
            self._start_pending()
            return []
        return draw

    def _start_pending(self) -> None:
        if self._pending is not None:
            preset, paused, steps = self._pending
            self._pending = None
            self._begin(preset, paused, steps)

    def _report_problem(self, e: ProblemEvent) -> None:
        if e.kind == "non_finite":
            title = "Training paused: the loss is no longer a number"
        else:
            title = "Training paused: an error occurred"
        where = f"\nFirst layer affected: {e.node_id}." if e.node_id and e.node_id not in e.message else ""
        text = f"{e.message}{where}"
        if e.advice:
            text += f"\n\nWhat to try: {e.advice}"
        text += "\n\nThe model and the curves so far are kept. Reset the weights to train again, or Stop."
        self.status_message.emit(f"Paused at step {e.step}: {e.message}")
        self.problem.emit(title, text)


def _finished_text(e: FinishedEvent) -> str:
    if e.reason == "stopped":
        return f"Training stopped at step {e.step} (epoch {e.epoch})"
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in e.metrics.items())
    return f"Training finished: {e.message}" + (f" ({metrics})" if metrics else "")
