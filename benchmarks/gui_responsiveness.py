"""Does the GUI stay responsive while training, and what does the live GUI cost the training?

For each preset (digits_mlp and digits_cnn by default), in one run and one process:
  - the engine alone: a Trainer stepping on a plain thread with the same torch thread count the
    GUI's training thread uses (cores - 1, at least 1), while the GUI sleeps;
  - the GUI: the TrainingController training the same preset with every panel visible
    (offscreen, 1600x1000), the event loop running, and a 10 ms QTimer measuring how late the
    loop runs it.
The two alternate in short segments (engine, GUI, engine, GUI, ..., engine) so that a change in
the machine's load (other processes) hits both alike; each GUI segment is compared with the
mean of the engine segments either side, and the median of those ratios is reported.

Prints one line per preset and, last, `p99_lateness_ms=L steps_ratio=R`: the worst of the
presets (largest p99 lateness, smallest ratio of GUI to engine-alone steps per second).

    python benchmarks/gui_responsiveness.py [--rounds 4] [--segment 2.5] [--presets digits_mlp digits_cnn]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, Qt, QTimer, Slot  # noqa: E402
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from playground.network.preset import resolve_preset  # noqa: E402
from playground.network.spec import Preset  # noqa: E402
from playground.training.trainer import Trainer  # noqa: E402
from widgets.training.controller import TrainingController  # noqa: E402
from widgets.training.worker import training_threads  # noqa: E402

PROBE_MS = 10


def long_run(name: str) -> Preset:
    preset = resolve_preset(name)
    preset.training.epochs = 100_000   # never finishes during a measurement
    preset.training.device = "cpu"
    return preset


class Engine:
    """A bare Trainer on its own thread, stepping only while `go` is set."""

    def __init__(self, preset: Preset, threads: int) -> None:
        self.preset, self.threads = preset, threads
        self.go, self.idle, self.quit = threading.Event(), threading.Event(), False
        self.steps = 0
        self.thread = threading.Thread(target=self._run, name="engine-alone", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        torch.set_num_threads(self.threads)
        trainer = Trainer(self.preset, on_event=lambda e: None)
        while not self.quit:
            self.idle.set()
            if not self.go.wait(0.1):
                continue
            self.idle.clear()
            while self.go.is_set():
                trainer.step()
                self.steps = trainer.step_count

    def segment(self, seconds: float) -> tuple[int, float]:
        self.idle.wait()
        s0, t0 = self.steps, time.perf_counter()
        self.go.set()
        time.sleep(seconds)
        self.go.clear()
        self.idle.wait()
        return self.steps - s0, time.perf_counter() - t0

    def close(self) -> None:
        self.quit = True
        self.go.clear()
        self.thread.join()


class Probe(QObject):
    """A 10 ms timer on the GUI thread; lateness = how much later than 10 ms each tick came."""

    def __init__(self) -> None:
        super().__init__()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(PROBE_MS)
        self.timer.timeout.connect(self.tick)
        self.clock = QElapsedTimer()
        self.lateness_ms: list[float] = []
        self.recording = False
        self._last = 0

    def start(self) -> None:
        self.clock.start()
        self._last = self.clock.nsecsElapsed()
        self.timer.start()

    def record(self, on: bool) -> None:
        self._last = self.clock.nsecsElapsed()
        self.recording = on

    @Slot()
    def tick(self) -> None:
        now = self.clock.nsecsElapsed()
        if self.recording:
            self.lateness_ms.append(max(0.0, (now - self._last) / 1e6 - PROBE_MS))
        self._last = now


def run_loop(seconds: float) -> None:
    """The real event loop for a while (a local one: app.exec() ends in aboutToQuit, a shutdown)."""
    loop = QEventLoop()
    QTimer.singleShot(max(1, int(seconds * 1000)), loop.quit)
    loop.exec()


def wait_for(condition, limit: float = 120.0) -> None:
    end = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("training did not get there in time")
        run_loop(0.02)


def measure(preset: Preset, threads: int, rounds: int, segment: float, warmup: float,
            shown: str = "all") -> tuple[float, float, list[float], float, float, float]:
    """(p99 lateness ms, median steps ratio, the ratios, engine and GUI steps/s, the GUI
    thread's CPU share) for one preset."""
    window = QWidget()
    window.resize(1600, 1000)
    grid = QGridLayout(window)
    controller = TrainingController(window)
    panels = controller.panels()
    if shown == "group":   # what the window shows at first: the Training group's panels
        from widgets.panel_groups import TRAINING, titles_in
        panels = [(title, panel) for title, panel in panels if title in titles_in(TRAINING)]
        controller.show_only([title for title, _ in panels])
    for k, (_title, panel) in enumerate(panels):
        grid.addWidget(panel, k // 3, k % 3)
    window.show()
    probe = Probe()
    probe.start()
    engine = Engine(preset, threads)
    controller.start(preset)
    wait_for(lambda: controller.state == "running")
    run_loop(warmup)                  # the panels' first, costly layout and paints
    controller.pause()
    wait_for(lambda: controller.state == "paused")
    engine.segment(warmup / 2)        # the engine's warm-up

    bare, gui, gui_cpu = [], [], []
    for _ in range(rounds):
        steps, secs = engine.segment(segment)
        bare.append(steps / secs)
        controller.resume()
        wait_for(lambda: controller.state == "running")
        run_loop(0.2)                 # settle: the worker's first batch after a pause
        s0, t0, c0 = controller.current_step(), time.perf_counter(), time.thread_time()
        probe.record(True)
        run_loop(segment)
        probe.record(False)
        wall = time.perf_counter() - t0
        gui.append((controller.current_step() - s0) / wall)
        gui_cpu.append((time.thread_time() - c0) / wall)
        controller.pause()
        wait_for(lambda: controller.state == "paused")
    steps, secs = engine.segment(segment)
    bare.append(steps / secs)
    engine.close()
    controller.shutdown()
    probe.timer.stop()
    window.close()
    ratios = [g / ((a + b) / 2) for g, a, b in zip(gui, bare, bare[1:])]
    p99 = float(np.percentile(probe.lateness_ms, 99)) if probe.lateness_ms else float("nan")
    return p99, float(np.median(ratios)), ratios, float(np.mean(bare)), float(np.mean(gui)), float(np.mean(gui_cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4, help="GUI segments (engine segments: one more)")
    parser.add_argument("--segment", type=float, default=2.5, help="seconds per segment")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--presets", nargs="+", default=["digits_mlp", "digits_cnn"])
    parser.add_argument("--shown", choices=("all", "group"), default="all",
                        help="all: every panel on screen at once (the worst case); group: the Training "
                             "group only, as the window opens (the Inside panels' probes are not asked for)")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    threads = training_threads()
    worst_late, worst_ratio = 0.0, float("inf")
    for name in args.presets:
        p99, ratio, ratios, bare, gui, cpu = measure(long_run(name), threads, args.rounds, args.segment, args.warmup,
                                                    args.shown)
        print(f"{name}: {threads} torch thread(s); engine alone {bare:.0f} steps/s, with GUI {gui:.0f} steps/s; "
              f"ratio per round {' '.join(f'{r:.2f}' for r in ratios)} (median {ratio:.2f}); "
              f"event-loop lateness p99 {p99:.1f} ms; GUI thread CPU {cpu:.0%}", flush=True)
        worst_late, worst_ratio = max(worst_late, p99), min(worst_ratio, ratio)
    print(f"p99_lateness_ms={worst_late:.1f} steps_ratio={worst_ratio:.2f}")


if __name__ == "__main__":
    main()
