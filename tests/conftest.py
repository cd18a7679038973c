"""Shared test set-up: Qt runs offscreen, torch uses one thread (2-core CI machines)."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MPLBACKEND", "Agg")
# Every training run is recorded: tests record theirs in a throw-away folder, not the user's.
os.environ.setdefault("PLAYGROUND_RUNS_DIR", __import__("tempfile").mkdtemp(prefix="playground-test-runs-"))

import torch  # noqa: E402

torch.set_num_threads(1)


def pytest_sessionfinish(session, exitstatus):
    """Empty Qt's clipboard before the interpreter exits: a QMimeData the tests copied would
    otherwise be destroyed after the Python objects it refers to, crashing the process at exit."""
    import sys
    if "PySide6.QtWidgets" not in sys.modules:
        return
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance()
    if app is not None:
        app.clipboard().clear()
        app.processEvents()


import pytest  # noqa: E402


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """This test's own runs folder (every training run is recorded)."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("PLAYGROUND_RUNS_DIR", str(folder))
    return folder


@pytest.fixture
def private_home(tmp_path, monkeypatch):
    """A home, XDG folders and runs folder of this test's own: nothing read from or left in the
    user's, and no autosave-recovery prompt from another session."""
    for var, sub in (("HOME", "home"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                     ("XDG_CACHE_HOME", "cache"), ("PLAYGROUND_RUNS_DIR", "runs")):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(var, str(tmp_path / sub))
    return tmp_path


@pytest.fixture
def bare_controller(qtbot, runs_dir):
    """A TrainingController on an empty main window, shut down and its threads joined after."""
    from PySide6.QtWidgets import QMainWindow

    from widgets.training.controller import TrainingController, running_threads
    window = QMainWindow()
    qtbot.addWidget(window)
    controller = TrainingController(window)
    yield controller
    controller.shutdown()
    for task in running_threads():
        task.join(10)


QT_FIXTURES = {"qapp", "qtbot"}


@pytest.fixture(autouse=True)
def collect_garbage_between_qt_tests(request):
    """Qt tests run with the cyclic garbage collector off and collect after the test, as the app
    does on a timer in its event loop (widgets/app.py): a collection that starts inside a Qt call
    (a disconnect holding Qt's signal lock) and destroys a QObject deadlocks the process. Each
    collection then freezes what survived, so the next one scans only what the next test made."""
    import gc
    if not QT_FIXTURES & set(request.fixturenames):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()


@pytest.fixture(autouse=True)
def no_task_left_running(request):
    """A Qt test ends with every background task it started ended (widgets/tasks.py): a window
    that closes joins its tasks, and a task left running would outlive its window. A task may
    take a moment to end after its owner asked (5 s at most); tasks running before the test (a
    module's shared window training) are not this test's."""
    import time
    if not QT_FIXTURES & set(request.fixturenames):
        yield
        return
    from widgets.tasks import running_tasks
    before = {id(t) for t in running_tasks()}
    yield
    deadline = time.monotonic() + 5.0
    while (left := [t for t in running_tasks() if id(t) not in before]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"background tasks still running after the test: {[t.kind for t in left]}"
