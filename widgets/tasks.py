"""Background work for the app: one abstraction for every job that must not run on the GUI thread.

Training sessions, data imports and reads, the babysitting checks, the learning-rate finder and
the search, the compare window's runs loader, the baselines and the labs each run their engine
work as a `BackgroundTask`: `work(task)` on a thread of its own, which may `task.report(value)`
and poll `task.cancelled` (and stop by returning or raising). Its progress, its result (`done`)
or its error (`failed`: a message for a person, never a traceback) arrive as queued signals on
the GUI thread, where the task object lives, and `ended` follows either. Whoever starts a
task owns its life: `cancel()` asks the work to stop, `join()` (a window closing, the
application quitting) cancels and waits, bounded. The thread is a daemon, so work that cannot be
interrupted (a read of a slow file) never keeps the application from quitting.

In the style of superqt's thread workers and Orange's `TaskState`; `running_tasks()` lists the
tasks whose threads still run, which the tests fail on.
"""
from __future__ import annotations

import threading
import weakref
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialog

MAX_MESSAGE_LINES = 12
"""An error's message is cut to this many lines (a torch error can run to pages)."""

_TASKS: "weakref.WeakSet[BackgroundTask]" = weakref.WeakSet()


def running_tasks(kind: str | None = None) -> list["BackgroundTask"]:
    """Tasks (of one `kind`, or all) whose threads have started and not ended."""
    return [t for t in list(_TASKS) if t.running and (kind is None or t.kind == kind)]


def error_message(error: BaseException) -> str:
    """What a person reads about a failed task: the error's own words, never a traceback."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    return "\n".join(lines[:MAX_MESSAGE_LINES])


class BackgroundTask(QObject):
    """Runs `work(task)` on a thread of its own; its signals arrive queued on the GUI thread
    (this object lives there, so the signals cross threads safely)."""

    progress = Signal(object)
    """What the work reported with `report` (a share done, a row of results, a batch)."""
    done = Signal(object)
    """The work's result."""
    failed = Signal(str)
    """The work raised: the error's message."""
    ended = Signal()
    """After done or failed: the thread is ending."""

    def __init__(self, work: Callable[["BackgroundTask"], Any], parent: QObject | None = None,
                 kind: str = "task") -> None:
        super().__init__(parent)
        self._work = work
        self.kind = kind
        """What the task does ("training", "import", "runs"…): its thread's name, and what
        `running_tasks` filters on."""
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        _TASKS.add(self)

    @property
    def cancelled(self) -> bool:
        """Cancel was asked for: the work should return (or raise) soon."""
        return self._cancel.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._cancel.clear()
        self._thread = threading.Thread(target=self._run, name=self.kind, daemon=True)
        self._thread.start()

    def report(self, value: Any) -> None:
        """From the work: send `value` to the GUI thread (`progress`)."""
        _emit(self.progress, value)

    def _run(self) -> None:
        try:
            result = self._work(self)
        except Exception as e:  # noqa: BLE001 - a message for the GUI, never a traceback in a slot
            _emit(self.failed, error_message(e))
        else:
            _emit(self.done, result)
        _emit(self.ended)

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout_s: float) -> bool:
        """Wait (bounded) for the thread to end without cancelling; True once it has."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.running

    def join(self, timeout_s: float = 30.0) -> bool:
        """Cancel and wait (bounded) for the thread (its owner is closing); True once it ended."""
        self.cancel()
        return self.wait(timeout_s)


def _emit(signal: Any, *args: Any) -> None:
    """Emit from the task's thread; a task whose owner was deleted meanwhile has no one to tell."""
    try:
        signal.emit(*args)
    except RuntimeError:   # "Internal C++ object already deleted"
        pass


class TaskDialog(QDialog):
    """A dialog that runs its engine work as a BackgroundTask (`self.task`) and, however it
    closes (a button, Escape, the window's close box), cancels and joins it first."""

    task: BackgroundTask | None = None
    join_timeout_s = 30.0
    """How long closing waits for the work to notice the cancel flag."""

    def done(self, code: int) -> None:  # noqa: D401 (QDialog.done)
        self._join()
        super().done(code)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self._join()
        super().closeEvent(event)

    def _join(self) -> None:
        if self.task is not None:
            self.task.join(self.join_timeout_s)
