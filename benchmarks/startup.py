"""How fast the window appears: seconds from process start to the main window shown (offscreen),
beside the seconds `python -c "import torch, PySide6.QtWidgets"` takes on the same machine.

    python benchmarks/startup.py [--runs N] [--preset NAME]

Each measurement is its own fresh process, timed from just before it is spawned; the median of
N runs is reported. The window is shown before torch is imported (the engine loads right
after), so the target is startup_s <= bare_import_s + 0.5. Also printed: when the preset is
open and the app is ready to use. The last line is exactly `startup_s=S bare_import_s=B`.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

APP = """
import sys, time
from widgets.app import main

def shown(window):
    print("SHOWN", flush=True)

def ready(window):
    print("READY", flush=True)
    from PySide6.QtCore import QTimer
    window.doc.undo_stack.setClean()
    QTimer.singleShot(0, window.close)

sys.exit(main([{preset!r}], on_shown=shown, on_ready=ready))
"""


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
               XDG_CACHE_HOME=f"{home}/cache", PYTHONDONTWRITEBYTECODE="1")
    return env


def time_app(preset: str) -> tuple[float, float]:
    """(seconds to window shown, seconds to ready) for one fresh process."""
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", APP.format(preset=preset)], cwd=ROOT, env=_env(home),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        shown = ready = float("nan")
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("SHOWN"):
                shown = time.perf_counter() - t0
            elif line.startswith("READY"):
                ready = time.perf_counter() - t0
        proc.wait(timeout=120)
        if proc.returncode != 0:
            raise SystemExit(f"the app exited with status {proc.returncode}")
        return shown, ready


def time_bare_import() -> float:
    with tempfile.TemporaryDirectory() as home:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch, PySide6.QtWidgets"], cwd=ROOT, env=_env(home),
                       check=True)
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--preset", default="xor_mlp")
    args = parser.parse_args()
    time_bare_import()  # warm the file cache so neither side pays for the first read
    shown, ready, bare = [], [], []
    for _ in range(args.runs):
        bare.append(time_bare_import())
        s, r = time_app(args.preset)
        shown.append(s)
        ready.append(r)
    s, r, b = statistics.median(shown), statistics.median(ready), statistics.median(bare)
    print(f"window shown: {s:.2f} s   ready with {args.preset} open: {r:.2f} s   "
          f"bare 'import torch, PySide6.QtWidgets': {b:.2f} s   (median of {args.runs})")
    print(f"startup_s={s:.3f} bare_import_s={b:.3f}")


if __name__ == "__main__":
    main()
