"""The GUI entry point: `main(argv)` makes the QApplication, shows the window, and only then
loads the engine (torch) and the preset, so the window appears fast.

    python -m widgets.app [PRESET]          # or `playground gui [PRESET]`, or `make run`

PRESET is a preset file or a built-in name (`xor_mlp`); without one the last preset opens.
"""
from __future__ import annotations

import argparse
import gc
import signal
import sys
import traceback
from typing import Callable, Sequence

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

from widgets.main_window import APPLICATION, ORGANIZATION, MainWindow

Hook = Callable[[MainWindow], None]


def make_app(argv: Sequence[str] = ()) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(["nn-playground", *argv])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("NN Playground")
    app.setDesktopFileName("nn-playground")  # the menu entry of `playground install-desktop`
    from PySide6.QtGui import QIcon, QPixmap

    from playground.core.builtin_data import resource_path
    with resource_path("icon.svg") as icon:  # read now: a temporary copy may not outlive the block
        app.setWindowIcon(QIcon(QPixmap(str(icon))))
    app.setStyle("Fusion")
    return app  # type: ignore[return-value]


def collect_garbage_on_the_gui_thread() -> QTimer:
    """Turn Python's automatic cyclic garbage collection off and collect from a timer in the event
    loop instead (as pyqtgraph's GarbageCollector does). A collection may start at any allocation;
    one that starts inside a Qt call holding Qt's signal lock (a disconnect) and destroys a QObject
    of an old cycle deadlocks the window for good. From the event loop it runs between Qt calls,
    on the GUI thread, with the usual generation thresholds."""
    thresholds = gc.get_threshold()
    gc.disable()

    def collect() -> None:
        counts = gc.get_count()
        generation = -1
        for g in range(3):
            if counts[g] <= thresholds[g]:
                break
            generation = g
        if generation >= 0:
            gc.collect(generation)

    timer = QTimer()
    timer.timeout.connect(collect)
    timer.start(1000)
    return timer


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="playground gui", description="Open the NN Playground window.")
    parser.add_argument("preset", nargs="?", help="a preset file or a built-in name such as xor_mlp")
    return parser.parse_args(list(sys.argv[1:] if argv is None else argv))


def _report_exception(kind, value, tb) -> None:
    """Slots that raise are reported, not fatal: the person keeps their work."""
    traceback.print_exception(kind, value, tb)
    app = QApplication.instance()
    window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None) if app else None
    if window is not None:
        window.statusBar().showMessage(f"Internal error: {value} (details on the console)", 10000)


def main(argv: Sequence[str] | None = None, *, on_shown: Hook | None = None, on_ready: Hook | None = None) -> int:
    """Run the app; `argv` are the arguments after the program name (default: sys.argv[1:]).
    `on_shown` runs right after the window is shown, `on_ready` once the preset is open
    (the start-up benchmark uses them)."""
    args = parse_args(argv)
    app = make_app()
    window = MainWindow()
    window.show()
    if on_shown is not None:
        on_shown(window)

    def finish() -> None:
        window.finish_startup(args.preset, course_at_start=True)
        if on_ready is not None:
            on_ready(window)

    # A moment for the window's first paint, then the engine loads (torch takes a second or two).
    QTimer.singleShot(40, finish)
    app.aboutToQuit.connect(window.shutdown)
    app.aboutToQuit.connect(release_clipboard)
    previous_hook, sys.excepthook = sys.excepthook, _report_exception
    # Ctrl+C in the terminal closes the window (asking about unsaved work) instead of being lost
    # inside Qt's event loop: a timer lets Python look at signals now and then.
    previous_sigint = signal.signal(signal.SIGINT, lambda *_: window.close())
    tick = QTimer()
    tick.start(300)
    tick.timeout.connect(lambda: None)
    collector = collect_garbage_on_the_gui_thread()
    try:
        return app.exec()
    finally:
        tick.stop()
        collector.stop()
        # None: the handler before was not Python's (set by C code): the default stands in for it
        signal.signal(signal.SIGINT, signal.SIG_DFL if previous_sigint is None else previous_sigint)
        sys.excepthook = previous_hook
        tear_down(window)


def tear_down(window: MainWindow) -> None:
    """Destroy the window and collect what it leaves while the QApplication still lives, then
    give Python its own garbage collection back. Left to the interpreter's exit, the window (kept
    alive by the Ctrl+C handler) and the cycles the disabled collector never reached were freed
    in whatever order finalization chose, after Qt had begun to go: a crash in the exit's
    garbage collection, about one start in twenty on a loaded machine."""
    window.shutdown()
    window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.enable()
    gc.collect()


def release_clipboard() -> None:
    """Drop layers this app copied: PySide6 crashes at exit while the clipboard still holds a
    QMimeData made in Python (seen with 6.11 and 6.12), and no other program can paste them."""
    from PySide6.QtGui import QGuiApplication

    from widgets.canvas import NODES_MIME
    clipboard = QGuiApplication.clipboard()
    mime = clipboard.mimeData()
    if mime is not None and mime.hasFormat(NODES_MIME):
        clipboard.clear()


if __name__ == "__main__":
    sys.exit(main())
