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
