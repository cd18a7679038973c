"""The app collects cyclic garbage from its event loop, never in the middle of a Qt call."""
from __future__ import annotations

import gc
import os
import weakref

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from widgets.app import collect_garbage_on_the_gui_thread  # noqa: E402


class Node:
    def __init__(self) -> None:
        self.me = self   # a cycle: only the cyclic collector frees it


def test_cycles_are_collected_by_the_event_loop_and_not_before(qtbot):
    thresholds = gc.get_threshold()
    gc.set_threshold(700, 10, 10)                       # Python's defaults, whatever ran before in this process
    gc.collect()                                        # nothing older waits in the young generations
    gc.enable()                                         # as a fresh interpreter has it
    timer = collect_garbage_on_the_gui_thread()
    try:
        assert not gc.isenabled()
        nodes = [Node() for _ in range(2000)]          # past generation 0's threshold
        watch = weakref.ref(nodes[0])
        del nodes
        assert watch() is not None                      # no collection happened on allocation
        qtbot.waitUntil(lambda: watch() is None, timeout=20_000)   # the timer's collection (1 s) freed it
    finally:
        timer.stop()
        gc.set_threshold(*thresholds)
        gc.enable()
