"""The app collects cyclic garbage from its event loop, never in the middle of a Qt call.

The check runs in a fresh interpreter, as the app starts: the test process has run hundreds of
other tests (their windows, timers and frozen objects) before this one, and in a pytest-xdist
worker the collection it watches for never came, though it does in the app and in a fresh
process. What is tested is the app's start-up behaviour, so it is tested from a start."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import gc, sys, time, weakref
from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication
from widgets.app import collect_garbage_on_the_gui_thread

class Node:
    def __init__(self):
        self.me = self   # a cycle: only the cyclic collector frees it

app = QApplication([])
assert gc.isenabled(), "a fresh interpreter collects automatically"
timer = collect_garbage_on_the_gui_thread()
assert not gc.isenabled(), "automatic collection is off once the app's timer runs"
nodes = [Node() for _ in range(2000)]          # past generation 0's threshold
watch = weakref.ref(nodes[0])
del nodes
if watch() is None:
    sys.exit("collected on allocation, inside whatever call was running")
end = time.monotonic() + 10
while watch() is not None and time.monotonic() < end:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    time.sleep(0.01)
timer.stop()
sys.exit(0 if watch() is None else "the event loop's timer did not collect the cycles within 10 s")
"""


def test_cycles_are_collected_by_the_event_loop_and_not_before():
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1:]
