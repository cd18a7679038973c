"""The TrainingController: the one object that owns the training thread's life.

The window calls its slots (Start/Pause, Step, Stop, Reset weights, speed, hot settings) and
shows its signals (state, status text, progress, problems, weights); it creates the live panels
and feeds them the session's batches on the GUI thread. Each session runs as a `BackgroundTask`
(`widgets.tasks`), stopped and joined by `shutdown()` (window close, application quit).

Pause, steps, reset, stop and live settings go to the session's `RunControl`, which its Trainer
owns; the Trainer alone validates a live setting and says at which step it applied it (the loss
curve's mark). `state` is what the session last reported (plus "starting" and "stopping" between
a request and its answer), and the weights a session reaches go out through `weights_ready`, with
the preset the Trainer trained, for the document to own: the controller keeps no weights and no
copy of the preset.
"""
from __future__ import annotations

import time
from typing import Any, Collection

import numpy as np

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from playground.training.control import RunControl
from playground.training.events import FinishedEvent, ProblemEvent, SettingAppliedEvent
from playground.network.spec import Preset
from playground.training.views import views_for
from widgets.panels.base import Panel
from widgets.panel_groups import PANELS, panel_views
from widgets.panels.feature_maps import FeatureMapsPanel
from widgets.panels.loss import LossPanel
from widgets.babysit.diagnoses_panel import DiagnosesPanel
from widgets.tasks import BackgroundTask, running_tasks
from widgets.training.worker import Batch, Note, TrainingSession

ACTIVE_STATES = frozenset({"starting", "running", "paused", "stopping"})
STATES = ("idle", "starting", "running", "paused", "stopping", "finished", "stopped", "problem")
"""idle: never trained; starting: building data and model; running; paused (also after a
problem, with the model and curves kept); stopping; finished / stopped: the session ended (the
weights are in `trained_state()`); problem: a session could not start (bad preset)."""


DRAW_SHARE = 0.02
"""While training runs, the share of wall time all visible panels together may spend drawing
and painting, counted in the GUI thread's CPU time (`busy_time`): painting holds the GIL,
which the training thread needs for every step (on two cores, panels redrawn at 30 Hz took
three quarters of the training's speed, and at a 3% share every panel shown still cost
digits_mlp 5%), while time spent waiting for the GIL costs it nothing."""
MIN_INTERVAL = 1 / 30
HIDDEN_POLL = 0.25
"""Seconds between looks at panels with new data that nobody can see (a dock tab behind another)."""
WEIGHTS = {LossPanel.title: 3.0}
"""A panel's weight in that share (the loss curve is the one people watch move)."""

SHUTDOWN_S = 30.0
"""How long closing waits for a stopped session to end (it stops at its next step)."""


def running_threads() -> list[BackgroundTask]:
    """Training sessions started by any controller whose threads still run (tests fail on these)."""
    return running_tasks("training")


def relevant_panels(preset: Preset) -> dict[str, bool]:
    """Panel title → whether it has something to show for this preset (the engine decides)."""
    views = views_for(preset)
    return {title: views.get(view, True) for title, view in panel_views().items()}


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
        self._visible: dict[Panel, bool] = {}
        self._visible_until = 0.0

    def _visibility(self, now: float) -> dict[Panel, bool]:
        """Which panels with data are on screen, looked at again every HIDDEN_POLL seconds: a
        look costs ~15 µs a panel in Qt's region arithmetic, and ticks come 20 times a second.
        A panel shown in between draws from its own showEvent; one hidden in between is drawn
        at most that long for nobody."""
        if now >= self._visible_until:
            self._visible = {p: p.is_shown() for p in self.panels if p.received}
            self._visible_until = now + HIDDEN_POLL
        return self._visible

    def look_again(self) -> None:
        """The panels shown may have changed (another group, a reset): look at the next tick."""
        self._visible_until = 0.0

    @Slot()
    def tick(self) -> None:
        now = time.perf_counter()
        visible = self._visibility(now)
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
        self.look_again()
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
    weights_ready = Signal(object, object, int)
    """state (name → numpy array), the Preset the session trains, step: the weights at a pause
    or the end of a session, for the document to keep."""
    outcome = Signal(str)
    """A finished run that ended far from a good result: what happened and what to try (the
    Diagnoses panel shows it as a card, ranked with the run's other findings)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = "idle"
        self._session = 0
        self._outcome_due = False
        self._task: BackgroundTask | None = None
        self._warm_up: BackgroundTask | None = None
        self._run: TrainingSession | None = None
        self._shown: frozenset[str] | None = None
        """The panel titles the window shows (None: all of them, as in tests without a window)."""
        """The latest session (its task may still be ending) and what it is asked through."""
        self._probe_image: int | None = None
        self._pending: tuple[Preset, bool, int, Any] | None = None
        self._n_classes = 0
        """Classes of the running session's data set, as its session read them (never re-read here)."""
        self._closed = False
        self._speed = 0.0
        self.device: str | None = None
        self.device_reason = ""
        """Why the session trains where it does (auto's timed choice, or as chosen)."""
        """None: the preset's own device setting (auto: CUDA, then MPS, then CPU)."""
        self.last_problem: ProblemEvent | None = None
        self.last_finished: FinishedEvent | None = None
        self.last_record = ""
        """The run record of the latest session, which holds its weights once it ends (a reset or a
        close ends it too); '' when the run cannot be recorded."""
        self._panels: list[Panel] = [kind.make() for kind in PANELS]   # widgets/panel_groups.py declares them
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
        return self._state == "running" or (
            self._state == "starting" and self._run is not None and not self._run.control.paused)

    @property
    def is_active(self) -> bool:
        """A session holds a model (running, paused, starting or stopping): structural edits wait."""
        return self._state in ACTIVE_STATES

    def current_step(self) -> int:
        """Steps the session has taken so far (0 without one)."""
        return self._run.step_count() if self._run is not None else 0

    @property
    def speed(self) -> float:
        """Steps per second the training runs at (0: full speed)."""
        return self._speed

    # ------------------------------------------------------------------ slots the window calls
    def start(self, preset: Preset, weights: dict[str, np.ndarray] | None = None) -> None:
        """Train `preset` from `weights` (name → numpy array, e.g. imported) or from fresh
        ones; resumes instead when a session is paused."""
        self._begin(preset, paused=False, weights=weights)

    @Slot()
    def pause(self) -> None:
        if self._run is not None and self._state in ("running", "starting"):
            self._run.control.pause()

    @Slot()
    def resume(self) -> None:
        if self._run is not None and self._state in ("paused", "starting"):
            self._run.control.resume()

    def step(self, preset: Preset, weights: dict[str, np.ndarray] | None = None) -> None:
        """One batch, for looking at each update: pauses a running session, steps a paused one,
        and starts a paused session (from `weights`, if given) when there is none."""
        if self._state == "running":
            self.pause()
        elif self._state in ("paused", "starting") and self._run is not None:
            self._run.control.request_step()
        elif not self.is_active or self._state == "stopping":
            self._begin(preset, paused=True, steps=1, weights=weights)

    @Slot(float)
    def set_speed(self, steps_per_s: float) -> None:
        """Steps per second from now on (0: full speed), also for sessions started later."""
        self._speed = max(0.0, float(steps_per_s))
        if self._run is not None:
            self._run.set_speed(self._speed)

    @Slot()
    def stop(self) -> None:
        self._pending = None
        if self._run is not None and self._state in ("starting", "running", "paused"):
            self._run.control.stop()
            self._set_state("stopping")

    @Slot()
    def reset_weights(self) -> None:
        """Fresh weights from the seed. In a session it pauses there and clears the curves;
        without one, the panels start clean and the next Start trains from scratch (the window
        has the document forget its weights). A session still "starting" (its first batches not
        drawn yet) takes the reset too, or a Reset pressed right after Start would be lost."""
        if self._run is not None and self._state in ("starting", "running", "paused"):
            self._run.control.request_reset()
        elif not self.is_active:
            self.reset_panels()
            self._set_state("idle")   # the old run's "finished" no longer describes these weights
            self.status_message.emit("Weights reset: the next Start trains from a fresh initialization.")

    def stop_now(self, timeout_s: float = 10.0) -> None:
        """Stop the session and wait (bounded) until it has ended; what it sent up to its end,
        its final weights included, is handled before this returns."""
        self._pending = None
        if self._run is None or not self.is_active:
            return
        self._run.control.stop()
        self._set_state("stopping")
        if self._task is not None:
            self._task.wait(timeout_s)
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall.value)   # its last batches

    def discard(self, timeout_s: float = 10.0) -> None:
        """End the session now, whatever it is doing, and forget it: its late events and its
        weights are dropped and every panel starts clean (another preset is being opened).
        Waits, bounded, for the training thread to let go of its model."""
        self._pending = None
        self._session += 1   # anything the old session still sends is from an earlier session
        if self._run is not None and self.is_active:
            self._run.control.stop()
            if self._task is not None:
                self._task.wait(timeout_s)
        self.last_problem = self.last_finished = None
        self.reset_panels()
        self._set_state("idle")

    def set_setting(self, name: str, value: Any) -> None:
        """Ask the running session's Trainer to change a setting before its next step; the step
        it applies it at comes back as a SettingAppliedEvent (the status bar says it and the loss
        curve marks it). Raises ValueError, in the Trainer's words, for a setting that needs a
        rebuild or a value out of range; without a session nothing is asked."""
        if self._run is not None and self.is_active and self._state != "stopping":
            self._run.set_setting(name, value)

    @Slot(int)
    def show_only(self, titles: Collection[str]) -> None:
        """The panels the window shows now (the chosen group): only their views are computed, so
        the look-inside probes cost a run nothing while the Inside group is hidden. A panel
        shown later fills from the next probe step (at once while training is paused; after a
        run, with the network as it ended, which the session computes for every such view)."""
        self._shown = frozenset(titles)
        self.frames.look_again()
        if self._run is not None:
            self._run.set_views(self._wanted_views())

    def _wanted_views(self) -> frozenset[str]:
        views = panel_views()
        return frozenset(views[p.title] for p in self._panels if p.title in views
                         and (self._shown is None or p.title in self._shown))

    def set_probe_image(self, index: int) -> None:
        """Which validation image the feature maps show (from the next probe step)."""
        self._probe_image = int(index)
        if self._run is not None:
            self._run.set_probe_image(index)

    def warm_up(self) -> BackgroundTask:
        """Let torch and scikit-learn load what a first training needs (playground.core.heavy_imports) on a
        thread of its own now, not after the person presses Start: the window's first Start
        waited 3-4 s for its first step on a small MLP. A training started meanwhile waits for
        what is left of the load."""
        from playground.core import heavy_imports
        from playground.data import baselines

        def load(_task: BackgroundTask) -> None:
            heavy_imports.load_torch_machinery()
            baselines.load_models()   # (fitted at a run's start, on its thread and the panel's)
        task = self._warm_up = BackgroundTask(load, self, kind="warm-up")
        task.start()
        return task

    @Slot()
    def shutdown(self) -> None:
        """Stop training and join the thread (window close, application quit). Idempotent."""
        self._closed = True
        self._pending = None
        if self._warm_up is not None:   # an import cannot be cancelled: it ends within seconds
            self._warm_up.wait(SHUTDOWN_S)
            self._warm_up = None
        from widgets.panels.baselines import shutdown_baselines
        shutdown_baselines(next((p for p in self._panels if p.title == LossPanel.title), None))
        if self._task is None:
            return
        self._run.control.stop()
        self._task.join(SHUTDOWN_S)
        self._task, self._run = None, None
        if self.is_active:
            self._set_state("stopped")

    # ------------------------------------------------------------------ sessions
    def _begin(self, preset: Preset, paused: bool, steps: int = 0, weights: Any = None) -> None:
        if self._closed:
            return
        if self._state == "paused":
            if not paused:
                self.resume()
            return
        if self._state in ("starting", "running"):
            return
        if self._state == "stopping":
            self._pending = (preset.copy(), paused, steps, weights)
            return
        if self._task is not None:   # the previous session has sent its end: its thread is ending
            self._task.wait(SHUTDOWN_S)
            self._task.deleteLater()
        self._session += 1
        self.last_problem = self.last_finished = None
        self.reset_panels()
        from widgets.panels.loss_marks import mark_expected_initial_loss
        mark_expected_initial_loss(self.panel(LossPanel.title), preset)
        from widgets.panels.baselines import show_baselines
        show_baselines(self.panel(LossPanel.title), preset)   # fitted off the GUI thread
        from widgets.babysit.diagnoses_panel import start_diagnoses
        start_diagnoses(self._panels, preset)
        self._set_state("starting")
        origin = " from the imported weights" if weights is not None else ""
        self.status_message.emit(f"Preparing {preset.name or 'the network'}{origin}: data, model and optimizer…")
        views = self._wanted_views()
        from playground.run_records.warm_start import warm_start_fetcher   # fetched on the training thread
        self._run = TrainingSession(self._session, preset, RunControl(paused, steps), device=self.device or "",
                                    weights=weights, views=views, speed=self._speed, probe_image=self._probe_image,
                                    initial_weights=warm_start_fetcher(preset, device=self.device or None))
        self._task = BackgroundTask(self._run.run, self, kind="training")
        self._task.progress.connect(self._on_batch)
        self._task.failed.connect(self._on_session_failed)
        self._task.start()

    def reset_panels(self) -> None:
        """Every panel back to empty, axes and captions too (a new run, another preset, a reset)."""
        for p in self._panels:
            p.reset()   # the panel's own clean start: no curves, captions or axes of an earlier run
            p.dirty = False
        self.frames.timer.stop()
        self.frames.look_again()

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.state_changed.emit(state)

    @Slot(str)
    def _on_session_failed(self, message: str) -> None:
        """The session's own code failed outside the Trainer (a bug): say so, never a traceback."""
        if self._state in ACTIVE_STATES:
            self._set_state("problem")
            self.status_message.emit("Training ended with an error")
            self.problem.emit("Training ended with an error", message)

    @Slot(object)
    def _on_batch(self, batch: Batch) -> None:
        if self._run is None:
            return   # shut down: nothing left to draw into
        try:
            if batch.session != self._session:
                return   # a late batch of an earlier session
            events = self._handle_notes(batch.events)
            if events:
                for p in self._panels:
                    if p.ingest(events):
                        p.dirty = True
            if self._outcome_due:   # judged after the panels took in the run's last events
                self._outcome_due = False
                self._judge_outcome()
            if self._state == "running":
                self.frames.tick()
            else:
                self.frames.flush()
            if batch.total_steps > 0:
                rate = batch.steps_per_s
                left = (batch.total_steps - batch.step) / rate if rate > 0 else -1.0
                self.progress.emit(batch.epoch, batch.step, batch.total_steps, rate, max(left, -1.0))
        finally:
            if self._run is not None and batch.session == self._run.session:
                self._run.batch_done()

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
                    self._outcome_due = e.reason != "stopped"
                draw.append(e)
            elif isinstance(e, SettingAppliedEvent):   # the step the Trainer applied it at
                self.status_message.emit(f"{e.describe()} from step {e.step}")
                self.panel(LossPanel.title).mark_setting_change(e.step, e.describe())
            else:
                draw.append(e)
        return draw

    def _judge_outcome(self) -> None:
        """The run ran to its end: the Diagnoses panel judges it with the run's other findings (one
        voice), and a run far from a good result is announced."""
        panel = next((p for p in self._panels if isinstance(p, DiagnosesPanel)), None)
        if panel is None:
            return
        history = self.last_finished.history if self.last_finished is not None else ()
        outcome = panel.finish(history, self._n_classes)   # the Trainer's epochs: not kept twice
        if outcome is not None:
            self.outcome.emit(outcome.message)

    def _note(self, note: Note, draw: list[object]) -> list[object]:
        if note.kind == "started":
            if self._state != "stopping":
                self._set_state(note.state)
            threads = f", {note.info['threads']} thread(s)" if note.info.get("device") == "cpu" else ""
            origin = ", starting from the imported weights" if note.info.get("weights") == "imported" else ""
            self.status_message.emit(f"Training on {note.info.get('device', '?')}{threads}: "
                                     f"{note.info.get('total_steps', 0)} steps{origin}")
            self.device_reason = str(note.info.get("device_reason", ""))
            self.last_record = "" if note.info.get("record_problem") else str(note.info.get("run_id", ""))
            self._n_classes = int(note.info.get("n_classes", 0))
            from widgets.babysit.diagnoses_panel import DiagnosesPanel
            for panel in self._panels:
                if isinstance(panel, DiagnosesPanel):
                    panel.know_accuracy_bar(note.info.get("accuracy_bar"))
        elif note.kind == "state":
            was = self._state
            if self._state != "stopping":
                self._set_state(note.state)
            if note.state == "paused" and was != "paused" and self.last_problem is None:
                self.status_message.emit("Paused")   # (a session started paused keeps its start message)
        elif note.kind == "weights":
            self.weights_ready.emit(note.info["state"], note.info["preset"], int(note.info.get("step", 0)))
        elif note.kind == "reset":
            self.reset_panels()
            self.last_problem = None
            self.status_message.emit(note.message)
            return []
        elif note.kind == "notice":
            self.status_message.emit(note.message)
        elif note.kind == "failed":
            self.reset_panels()   # nothing of an earlier run stays on screen
            self._set_state("problem")
            self.status_message.emit("Training could not start")
            self.problem.emit("Cannot start from the imported weights" if note.info.get("weights")
                              else "Cannot start training", note.message)
            self._start_pending()
        elif note.kind == "ended":
            self.last_record = str(note.info.get("recorded", ""))
            self._set_state({"stopped": "stopped", "error": "problem"}.get(note.state, "finished"))
            if note.state == "stopped":
                self.status_message.emit("Training stopped")
            # draw what came before the end first, then maybe start the session waiting for it
            for p in self._panels:
                if p.ingest(draw):
                    p.dirty = True
            self.frames.flush()
            if note.info.get("test"):   # the held-out test figures summary.json has, where the run ended
                self.panel(LossPanel.title).show_test_results(note.info["test"])
            self._start_pending()
            return []
        return draw

    def _start_pending(self) -> None:
        if self._pending is not None:
            preset, paused, steps, weights = self._pending
            self._pending = None
            self._begin(preset, paused, steps, weights)

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
    m = dict(e.metrics)
    parts = []
    if "train_data_loss" in m:   # what the Loss panel's training curves draw, and val_loss measures
        parts.append(f"train loss {m.pop('train_data_loss'):.4g} ({m.pop('train_loss'):.4g} with its penalty)")
    elif "train_loss" in m:
        parts.append(f"train loss {m.pop('train_loss'):.4g}")
    if "val_loss" in m:
        parts.append(f"val loss {m.pop('val_loss'):.4g}")
    parts += [f"{k} {v:.4g}" for k, v in m.items()]
    metrics = ", ".join(parts)
    return f"Training finished: {e.message}" + (f" ({metrics})" if metrics else "")
