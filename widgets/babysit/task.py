"""One background job for a dialog: the engine's work off the GUI thread, its results back on it.

The dialog owns the job's life: `start`, `cancel` (a flag the work polls) and `join`, called
when the dialog closes, so no thread outlives the window that started it.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog


class BackgroundTask(QObject):
    """Runs `work(task)` on a Python thread; `progress`, `done` and `failed` arrive queued on
    the GUI thread (this object lives there, so the signals cross threads safely)."""

    progress = Signal(object)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[["BackgroundTask"], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._work = work
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, name="babysit-task", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            result = self._work(self)
        except Exception as e:  # shown in the dialog, never a traceback in a slot
            self.failed.emit(str(e).splitlines()[0] if str(e) else type(e).__name__)
        else:
            self.done.emit(result)

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout_s: float = 30.0) -> None:
        """Cancel and wait for the thread (the dialog is closing)."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(timeout_s)


class TaskDialog(QDialog):
    """A dialog that runs its engine work as a BackgroundTask (`self.task`) and, however it
    closes (a button, Escape, the window's close box), cancels and joins it first."""

    task: BackgroundTask | None = None
    join_timeout_s = 30.0
    """How long closing waits for the work to notice the cancel flag."""

    def done(self, code: int) -> None:  # noqa: D401 (QDialog.done)
        self._join()
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._join()
        super().closeEvent(event)

    def _join(self) -> None:
        if self.task is not None:
            self.task.join(self.join_timeout_s)
