"""The frame the model-selection dialogs share (learning curves, cross-validation, bias and
variance): settings, a start button beside Stop and a progress bar, a message line, the result
and Close; the engine's work on a `BackgroundTask` that stops between trainings.

Each dialog says only what is its own: the request its fields describe (`make_request`), the
engine call (`compute`), the text while it starts, each progress report and the result. Start,
Stop, a refused field, a failure and a stop read the same in all three, because they are written
once, here.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from widgets.tasks import BackgroundTask, TaskDialog

STOPPED = "stopped"
"""The message a computation raises `Cancelled` with when Stop is pressed between trainings."""


class Cancelled(Exception):
    """Stop pressed (or the dialog closed) between two trainings."""


class SelectionDialog(TaskDialog):
    """A model-selection dialog: subclasses lay out their fields with `lay_out`, and implement
    `make_request`, `compute`, `progress_total`, `starting_text`, `_on_progress` and `_on_done`."""

    task_kind = "task"
    stopped_text = "Stopped."
    """What the message line says after Stop (what was kept, what was not)."""
    failed_text = "Failed: {message}"

    request: Any = None

    def lay_out(self, form: QFormLayout, start_label: str, body: QWidget, message: str = "") -> QPushButton:
        """The shared layout: `form`, then the start button, Stop and the progress bar, the message
        line, the result (`body`) and Close. Returns the start button (also `self.start_button`)."""
        self.start_button = QPushButton(start_label)
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = QLabel(message)
        self.message.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.start_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.progress, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(row)
        lay.addWidget(self.message)
        lay.addWidget(body, 1)
        lay.addWidget(close)
        return self.start_button

    # what each dialog says
    def make_request(self) -> Any:
        """The request the fields describe; ValueError or ProblemList (one line) for a bad field."""
        raise NotImplementedError

    def compute(self, request: Any, task: BackgroundTask) -> Any:
        """The engine's work on the task's thread; raises Cancelled(STOPPED) when the task is cancelled."""
        raise NotImplementedError

    def progress_total(self, request: Any) -> int:
        raise NotImplementedError

    def starting_text(self, request: Any) -> str:
        raise NotImplementedError

    def _on_progress(self, info: Any) -> None:
        raise NotImplementedError

    def _on_done(self, result: Any) -> None:
        raise NotImplementedError

    # the same in every dialog
    def start(self) -> None:
        if self.task is not None and self.task.running:
            return
        from playground.params import ProblemList
        try:
            request = self.make_request()
        except (ValueError, ProblemList) as e:   # a bad number, or a path the preset does not have
            self._say(str(e).strip().splitlines()[0].removeprefix("bad --set: "), error=True)
            return
        self.request = request
        self.task = BackgroundTask(lambda task: self.compute(request, task), kind=self.task_kind)
        self.task.progress.connect(self._on_progress)
        self.task.done.connect(self._on_done)
        self.task.failed.connect(self._on_failed)
        self.progress.setRange(0, self.progress_total(request))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self._say(self.starting_text(request))
        self.task.start()

    def stop(self) -> None:
        if self.task is not None and self.task.running:
            self.task.cancel()
            self.stop_button.setEnabled(False)
            self._say("Stopping after the training under way …")

    def _on_failed(self, message: str) -> None:
        self._finish()
        stopped = message == STOPPED
        self._say(self.stopped_text if stopped else self.failed_text.format(message=message), error=not stopped)

    def _finish(self) -> None:
        self.progress.setVisible(False)
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "color: #333;")
        self.message.setText(text)
