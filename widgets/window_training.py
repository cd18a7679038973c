"""The main window's side of training: the controller and its panels made once the engine is
loaded, Start/Pause/Step/Stop/Reset and what they ask about the weights, the state shown in the
actions and the status bar, a finished run's outcome and ticks, and the compare window.
A mixin of `MainWindow`; the training itself runs in `widgets.training`."""
from __future__ import annotations


from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QMessageBox, QStyle

from widgets.document import problem_text
from widgets.panel_groups import DIAGNOSES


class WindowTraining:
    def _make_controller(self) -> None:
        try:
            from widgets.training.controller import TrainingController
        except ImportError as e:
            self.controller_error = f"the training engine could not be loaded ({e})"
            placeholder = QLabel("The training panels appear here once the training engine is installed.")
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._panel_dock("Training", placeholder)
            self._panel_docks_added()
            return
        self.controller = TrainingController(self)
        self.controller.state_changed.connect(lambda _: self._on_training_state())
        self.controller.state_changed.connect(self._on_run_ended)
        self.controller.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.controller.progress.connect(self._on_progress)
        self.controller.problem.connect(self._on_problem)
        self.controller.weights_ready.connect(self._on_weights_ready)
        self.controller.outcome.connect(self._on_outcome)
        self.controller.set_speed(self.speed_combo.currentData())
        for title, widget in self.controller.panels():
            self._panel_dock(title, widget)
        self._panel_docks_added()
        from widgets.babysit.actions import connect_diagnoses
        connect_diagnoses(self)
        self._show_relevant_panels()

    def train_block_reason(self) -> str:
        """Why Train is disabled ('' when it is not): the first real problem, naming its node."""
        if not self.ready:
            return "the app is still loading"
        problems = self.doc.problems
        if problems:
            return problem_text(problems[0])
        if self.controller is None:
            return self.controller_error
        return ""

    def update_actions(self) -> None:
        a = self.actions_by_name
        ready = self.ready
        for key in ("save", "save_as", "export", "import_weights", "new", "open", "cut", "copy", "paste",
                    "delete", "select_all", "auto_layout"):
            a[key].setEnabled(ready)
        c = self.controller
        reason = self.train_block_reason()
        running = bool(c and c.is_running)
        active = bool(c and c.is_active)
        paused = bool(c and c.state == "paused")
        start = a["train_start"]
        if running:
            start.setText("&Pause")
            start.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
            start.setEnabled(True)
        else:
            start.setText("&Resume" if paused else "&Start")
            start.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
            start.setEnabled(c is not None and (paused or (ready and not reason)))
        a["train_step"].setEnabled(c is not None and ready and (active or not reason))
        a["train_stop"].setEnabled(active)
        a["train_reset"].setEnabled(c is not None and ready and not running)
        if not ready:
            self.graph_status.setText("")
        elif reason:
            self.graph_status.setText(f"⚠ Cannot train: {reason}")
            self.graph_status.setToolTip("\n".join(problem_text(p) for p in self.doc.problems) or reason)
            self.graph_status.setProperty("error", True)
        else:
            from playground.layers import fmt_shape
            r = self.doc.report
            shape = r.shapes.get(r.output_id)
            self.graph_status.setText(f"✓ {len(self.doc.model.nodes)} layers · output {fmt_shape(shape)}"
                                      if shape else "✓ ready")
            self.graph_status.setToolTip("The network is complete: Train ▸ Start (F5)")
            self.graph_status.setProperty("error", False)
        self.graph_status.style().unpolish(self.graph_status)
        self.graph_status.style().polish(self.graph_status)
        tip = f"Cannot train: {reason}" if reason and not running and not paused else "Start training (F5 again pauses)"
        start.setToolTip(tip)
        start.setStatusTip(tip)

    def _on_weights_changed(self, why: str) -> None:
        if why == "edited":
            self.statusBar().showMessage("The network changed: its weights were made for the old network, so "
                                         "training starts from a fresh initialization", 8000)

    def _on_weights_ready(self, state: dict, preset, step: int) -> None:
        """A training reached these weights: the document keeps them if its network is still the one
        they were trained on."""
        from widgets.document import network_structure
        if step == 0:   # no update yet: the weights it started from (fresh, or the document's own), not trained ones
            return
        self.doc.set_trained(state, network_structure(preset.model), step)

    def _on_outcome(self, text: str) -> None:
        """A run ended far from a good result: its outcome is a card in the Diagnoses panel, ranked
        with the run's findings; the status bar points there. No box: a box would interrupt a
        lesson (and hide the curves) every time a lesson shows a run that fails on purpose."""
        dock = self.panel_docks.get(DIAGNOSES)
        where = "; its outcome is in Diagnoses" if dock is not None else ""
        headline = text.split(" What to try")[0].split(" This is what")[0].rstrip(". ")
        note = getattr(self, "_lesson_note", "")   # said as the run ended, and not to be lost under this
        self.statusBar().showMessage(headline + where + (f" · {note}" if note else ""), 15000)

    def _on_problem(self, title: str, text: str) -> None:
        """Training paused on a problem (a non-finite loss): say so without blocking, and bring up
        the Diagnoses card that explains it with its one action; a modal box would hide the card
        and the curves until answered. A session that could not start has nothing to show in the
        panels, so that stays a plain warning."""
        if self.controller is None or self.controller.last_problem is None:
            QMessageBox.warning(self, title, text)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("problemBox")
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        dock = self.panel_docks.get(DIAGNOSES)
        if dock is not None:
            dock.show()
            dock.raise_()

    def _on_training_setting(self, name: str) -> None:
        self.update_actions()   # the loss decides whether the network fits the data
        c = self.controller
        if c is None or not c.is_active:
            return
        value = getattr(self.doc.preset.training, name)
        try:   # the Trainer judges it, applies it and says at which step (the loss curve's mark)
            c.set_setting(name, value)
        except ValueError as e:
            self.statusBar().showMessage(str(e), 6000)
            return
        if c.state == "paused":   # no step to apply it at yet: say so (not the last refusal's words)
            self.statusBar().showMessage(f"{name} = {value:g}: applies at the next step (training is paused)"
                                         if isinstance(value, float) else
                                         f"{name} = {value}: applies at the next step (training is paused)", 6000)

    def _on_progress(self, epoch: int, step: int, total: int, rate: float, left: float) -> None:
        where = f"epoch {epoch} · step {step}/{total}"
        if step != total and self.controller is not None and self.controller.state == "finished":
            where = f"epoch {epoch} · step {step}"   # (the plan was an estimate: self-training's set grows)
        if self.controller is not None:
            self.progress_label.setToolTip(f"Device: {self.controller.device_reason}"
                                           if self.controller.device_reason else "")
        if self.controller is not None and self.controller.is_running:
            eta = f" · {left:.0f} s left" if left >= 0 else ""
            self.progress_label.setText(f"{where} · {rate:.0f} steps/s{eta}")
        else:   # paused or ended: no rate, no time left
            state = self.controller.state if self.controller is not None else ""
            self.progress_label.setText(f"{where} · {state}" if state in ("paused", "stopped", "finished")
                                        else where)

    def _on_training_state(self) -> None:
        self.update_actions()
        c = self.controller
        text = self.progress_label.text()
        if c is not None and not c.is_running and " steps/s" in text:
            where = text.split(" · ")[:2]
            done, _, planned = where[-1].removeprefix("step ").partition("/")
            if c.state == "finished" and planned and done != planned:
                # a run that finished took the steps it took: "step 1140/1200 · finished" read as
                # stopped early (self-training's training set grows, so its plan was an estimate)
                where[-1] = f"step {done}"
            self.progress_label.setText(" · ".join(where + ([c.state] if c.state != "idle" else [])))

    def _on_speed(self, _index: int) -> None:
        if self.controller is not None:
            self.controller.set_speed(float(self.speed_combo.currentData()))

    def train_start_pause(self) -> None:
        c = self.controller
        if c is None:
            return
        if c.is_running:
            c.pause()
        elif c.state == "paused":
            c.resume()
        elif not self.train_block_reason():
            c.start(self.doc.preset.copy(), self._start_weights())
        else:
            self.statusBar().showMessage(f"Cannot train: {self.train_block_reason()}", 8000)

    def train_step(self) -> None:
        c = self.controller
        if c is not None and (c.is_active or not self.train_block_reason()):
            c.step(self.doc.preset.copy(), self._start_weights())

    def _start_weights(self) -> dict | None:
        """What a new training starts from: imported weights, else a fresh initialization."""
        return dict(self.doc.imported.state) if self.doc.imported is not None else None

    def train_stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

    def weights_record(self) -> str:
        """The run record that keeps the document's trained weights (every run in the app is
        recorded with its model.safetensors at its end, a session that is reset or closed
        included); '' when the record could not be written, or there are no trained weights."""
        c = self.controller
        return c.last_record if c is not None and self.doc.trained is not None else ""

    def weights_would_be_lost(self) -> bool:
        """Trained weights that neither an export nor a run record keeps."""
        return self.doc.unsaved_weights() and not self.weights_record()

    def train_reset(self) -> None:
        """Reset Weights: asks first when there are weights to lose, ends a paused run (kept as a
        stopped record), clears the run status, and is one step on the undo stack: Edit ▸ Undo
        gives the weights and the status back."""
        c = self.controller
        if self.doc.weights is not None and not self._reset_confirmed():
            return
        if c is not None and c.is_active:
            c.stop_now()   # a paused run ends here: its weights come to the document, then the reset
        if self.doc.weights is None:   # nothing to give back: a plain reset of the panels and status
            self._after_reset(undoable=False)
            return
        from widgets.document import ResetWeights
        record = self.weights_record()
        self.doc.push(ResetWeights(self.doc, self.progress_label.text(), lambda: self._after_reset(record),
                                   self._after_reset_undone))

    def _reset_confirmed(self) -> bool:
        w = self.doc.weights
        what = "imported" if w.origin == "imported" else "trained"
        if self.weights_would_be_lost():
            kept = "They are not exported, and their run could not be recorded; Edit ▸ Undo brings them back."
        else:
            record = self.weights_record()
            kept = (f"They stay in run {record}, and Edit ▸ Undo brings them back." if record
                    else "Edit ▸ Undo brings them back.")
        answer = QMessageBox.question(
            self, "Reset the trained weights?",
            f"Reset the {what} weights of “{self.doc.preset.name}” to a fresh initialization? {kept}",
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Reset

    def _after_reset(self, record: str = "", undoable: bool = True) -> None:
        c = self.controller
        if c is not None:
            c.reset_weights()
        self.progress_label.setText("")   # the old run's "finished" is not these weights' state
        kept = f"; the trained ones stay in run {record}" if record else ""
        undo = "; Edit ▸ Undo brings them back" if undoable else ""
        self.statusBar().showMessage(f"Weights reset: the next Start trains from a fresh initialization{kept}{undo}",
                                     8000)

    def _after_reset_undone(self, status: str, restored: bool) -> None:
        if not restored:
            self.statusBar().showMessage("Nothing to give back: newer weights (a training or an import, or a "
                                         "later reset) replaced the ones that reset forgot", 8000)
            return
        if self.controller is None or not self.controller.is_active:
            self.progress_label.setText(status)
        if self.doc.trained is not None:
            text = "Trained weights restored: File ▸ Export writes them"
        else:
            text = "Imported weights restored: the next Start trains from them"
        self.statusBar().showMessage(text, 8000)

    def open_compare(self) -> None:
        from widgets.compare.window import open_compare
        open_compare(self)

    def compare_lesson_twins(self, member: str) -> None:
        """The Lesson dock's "Compare with …": the open network and `member` trained as twins."""
        from widgets.lesson_twins import compare_family
        compare_family(self, member)

    def _on_run_ended(self, state: str) -> None:
        """A run of a lesson's preset that ran to its end, on the lesson's own data and settings,
        ticks the lesson on the course map (one on a person's own data, or with 150 epochs where the
        lesson trains 600, is not the lesson's run); a lab that is open reads the network it ended with."""
        self._lesson_note = ""
        if state not in ("finished", "stopped"):
            return
        if getattr(self, "_labs", None) is not None and self._labs.isVisible():
            # after the panels have taken in the batch that ended the run (its last probes)
            QTimer.singleShot(0, self, self._refresh_labs)
        from playground.course.chapters import chapter_of
        name = self.doc.preset.name
        if state == "finished" and chapter_of(name) is not None:
            from playground.network.preset_text import written_for
            from playground.course.chapters import lesson_run_changes
            from playground.network.overrides import changes_text
            changes = lesson_run_changes(self.doc.preset)
            if written_for(name, self.doc.preset.data) is not None:   # the lesson is about its own data
                self._lesson_note = f"Lesson {name} is not ticked: this run trained on other data than the lesson's"
            elif changes:
                self._lesson_note = (f"Lesson {name} is not ticked: this run changed its settings "
                                     f"({changes_text(changes)})")
            if self._lesson_note:   # (a run's outcome, announced next, repeats it)
                self.statusBar().showMessage(self._lesson_note, 10000)
                return
            from widgets.course_page import CourseProgress
            if CourseProgress(self.settings).mark(name):
                self.statusBar().showMessage(f"Lesson {name} ticked on the course map (Help ▸ Course)", 8000)
            if getattr(self, "course_page", None) is not None:
                self.course_page.refresh()

    def _refresh_labs(self) -> None:
        if getattr(self, "_labs", None) is not None:
            self._labs.set_model_units(self._model_units())
