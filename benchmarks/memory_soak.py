"""Does the app's memory hold steady over a long training run with every panel visible?

Trains digits_mlp (epochs raised so it never finishes) through the TrainingController, with
every training panel visible in one offscreen window (1600x1000) and the event loop running,
for `--minutes` (10 by default). The process's resident memory is sampled every few seconds;
after a warm-up (the panels' first layouts, the allocator's pools, torch's caches), the growth
is the slope of a least-squares line through the samples, in MB per minute. A panel that keeps
every step (the loss curve once grew by 40 bytes a step) shows as a steady slope; a bounded
history shows as a flat line.

Prints a line per sample and a summary, and last `rss_growth_mb_per_min=G`.

    python benchmarks/memory_soak.py [--minutes 10] [--preset digits_mlp] [--warmup 120] [--every 10]
                                     [--panels "Loss & accuracy" Activations ...]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QGridLayout, QWidget  # noqa: E402

from playground.network.preset import resolve_preset  # noqa: E402
from playground.network.spec import Preset  # noqa: E402
from widgets.training.controller import TrainingController  # noqa: E402


def rss_mb() -> float:
    """Resident memory of this process now (MB), from /proc; elsewhere the peak (getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_loop(seconds: float) -> None:
    loop = QEventLoop()
    QTimer.singleShot(max(1, int(seconds * 1000)), loop.quit)
    loop.exec()


def long_run(name: str) -> Preset:
    preset = resolve_preset(name)
    preset.training.epochs = 100_000   # never finishes during the measurement
    preset.training.device = "cpu"
    return preset


def slope_per_minute(times_s: list[float], values: list[float]) -> float:
    """The least-squares slope of values over time, per minute."""
    t = np.asarray(times_s) / 60.0
    if len(t) < 2 or np.ptp(t) == 0:
        return float("nan")
    return float(np.polyfit(t, np.asarray(values), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to train while measuring")
    parser.add_argument("--preset", default="digits_mlp")
    parser.add_argument("--warmup", type=float, default=120.0,
                        help="seconds of training before measuring (the panels fill their bounded histories)")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--panels", nargs="+", metavar="TITLE",
                        help="show only these panels (by title; default: every panel), to find which one grows")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    window = QWidget()
    window.resize(1600, 1000)
    grid = QGridLayout(window)
    controller = TrainingController(window)
    panels = [(t, p) for t, p in controller.panels() if not args.panels or t in args.panels]
    for k, (_title, panel) in enumerate(panels):
        grid.addWidget(panel, k // 4, k % 4)
    window.show()
    controller.start(long_run(args.preset))
    start = time.perf_counter()
    limit = start + 300
    while controller.current_step() == 0 and time.perf_counter() < limit:   # the data is being built
        run_loop(0.2)
    run_loop(args.warmup)
    base_step = controller.current_step()
    times, values = [], []
    t0 = time.perf_counter()
    end = t0 + args.minutes * 60
    while True:
        now = time.perf_counter()
        times.append(now - t0)
        values.append(rss_mb())
        print(f"t={now - start:7.1f}s step={controller.current_step():>9} rss={values[-1]:8.1f} MB", flush=True)
        if now >= end:
            break
        run_loop(min(args.every, max(0.05, end - now)))
    steps = controller.current_step() - base_step
    state = controller.state
    controller.shutdown()
    window.close()
    growth = slope_per_minute(times, values)
    half = len(times) // 2
    print(f"{args.preset}: {len(panels)} panels visible, {steps} steps in {times[-1] / 60:.1f} min measured "
          f"(after {args.warmup:.0f} s warm-up; state {state}); RSS {values[0]:.1f} -> {values[-1]:.1f} MB; "
          f"slope first half {slope_per_minute(times[:half + 1], values[:half + 1]):.2f}, "
          f"second half {slope_per_minute(times[half:], values[half:]):.2f} MB/min")
    print(f"rss_growth_mb_per_min={growth:.3f}")


if __name__ == "__main__":
    main()
