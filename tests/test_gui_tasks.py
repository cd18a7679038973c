"""One background-task abstraction (widgets.tasks): cancel stops the work, closing joins the
thread, an error arrives as a message; training marks a live setting where the Trainer applied it."""
from __future__ import annotations

import csv
import threading

import pytest
from PySide6.QtWidgets import QMainWindow

from playground.network.preset import resolve_preset
from widgets.tasks import BackgroundTask, TaskDialog, running_tasks

TIMEOUT = 30_000


def until_cancelled(task: BackgroundTask) -> str:
    started.set()
    while not task.cancelled:
        task.report("working")
        threading.Event().wait(0.01)
    return "stopped early"


started = threading.Event()


def test_closing_a_dialog_cancels_its_task_and_joins_its_thread(qtbot):
    started.clear()
    dialog = TaskDialog()
    qtbot.addWidget(dialog)
    dialog.task = BackgroundTask(until_cancelled, dialog, kind="test-loop")
    progress: list[object] = []
    dialog.task.progress.connect(progress.append)
    dialog.task.start()
    dialog.show()
    assert started.wait(10)
    thread = dialog.task._thread
    assert thread in threading.enumerate() and running_tasks("test-loop") == [dialog.task]
    qtbot.waitUntil(lambda: bool(progress), timeout=TIMEOUT)   # progress arrives on the GUI thread
    dialog.close()
    assert not thread.is_alive() and thread not in threading.enumerate()
    assert running_tasks("test-loop") == []


def test_an_error_arrives_as_its_message_never_a_traceback(qtbot):
    def broken(_task: BackgroundTask) -> None:
        raise RuntimeError("the file is not a table\nline 3 has 2 fields, the header 3")

    task = BackgroundTask(broken, kind="test-error")
    with qtbot.waitSignal(task.failed, timeout=TIMEOUT) as failed:
        task.start()
    assert failed.args == ["the file is not a table\nline 3 has 2 fields, the header 3"]
    assert task.wait(10) and "Traceback" not in failed.args[0]


def test_closing_the_compare_window_joins_its_runs_loader(qtbot, runs_dir):
    from widgets.compare.window import CompareWindow
    window = CompareWindow(runs_dir)
    qtbot.addWidget(window)
    loads = list(window._loads)
    assert loads and all(t.kind == "runs" for t in loads)
    window.close()
    assert not any(t.running for t in loads) and running_tasks("runs") == []


def lr_changes(metrics_csv) -> list[tuple[int, float]]:
    """(step, new lr) wherever the lr column of the step rows changes: the record on disk."""
    with open(metrics_csv, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["kind"] == "step"]
    changes, last = [], float(rows[0]["lr"])
    for r in rows[1:]:
        if float(r["lr"]) != last:
            last = float(r["lr"])
            changes.append((int(r["step"]), last))
    return changes


def test_the_loss_curve_marks_a_live_setting_at_the_step_the_trainer_applied_it(qtbot, runs_dir):
    from widgets.training.controller import TrainingController, running_threads
    window = QMainWindow()
    qtbot.addWidget(window)
    controller = TrainingController(window)
    try:
        preset = resolve_preset("xor_mlp")
        preset.training.epochs = 100_000
        first_lr = preset.training.lr
        controller.start(preset)
        controller.set_setting("lr", first_lr * 2)   # asked while the Trainer is still being built
        loss = controller.panel("Loss & accuracy")
        qtbot.waitUntil(lambda: len(loss.steps) > 20, timeout=TIMEOUT)
        controller.set_setting("lr", first_lr / 2)   # and while it runs at full speed
        qtbot.waitUntil(lambda: len(loss.marks) == 2, timeout=TIMEOUT)
        with pytest.raises(ValueError, match="cannot change during a run, running or paused"):
            controller.set_setting("optimizer", "adam")
        controller.stop_now()
        assert controller.state == "stopped" and controller.last_record
    finally:
        controller.shutdown()
    assert not running_threads()
    records = list(runs_dir.glob(f"**/{controller.last_record}/metrics.csv"))
    assert len(records) == 1
    changes = lr_changes(records[0])
    step0 = float(next(r for r in csv.DictReader(open(records[0], newline="")) if r["kind"] == "step")["lr"])
    assert step0 == pytest.approx(first_lr * 2)   # the first change applied before step 0
    marks = [(x, text) for x, text, _lines in loss.marks]
    assert [x for x, _ in marks] == [0.0, float(changes[0][0])]
    assert changes[0][1] == pytest.approx(first_lr / 2) and marks[1][1].startswith("lr ")
