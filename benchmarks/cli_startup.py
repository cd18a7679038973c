"""How fast the light commands answer: wall seconds of `playground --help`, `presets`, `runs`,
`validate` (of a broken file), `data inspect` (of an .npz) and a mistyped command, beside
`python -c pass` and `python -c "import torch"` on the same machine.

    python benchmarks/cli_startup.py [--runs N]

Each measurement is a fresh process (the installed `playground` entry point when there is one
beside this Python, else `python -m widgets.launch`), timed from just before it is spawned; the
best of N runs (default 5) is reported, the figure least disturbed by other work on the
machine. The goal: each light command within 0.3 s of bare Python. A command that imports
torch, pandas, scipy or optuna is flagged. The last line is exactly `slowest_light_command_s=S`.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("torch", "pandas", "scipy", "optuna")
PROBE = ("import sys, runpy; sys.argv = ['playground'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('widgets.launch', run_name='__main__')\n"
         "except SystemExit:\n    pass\n"
         f"print('HEAVY=' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
"""Runs a command as the entry point does, then names the heavy modules it imported."""


def _entry_point() -> list[str]:
    script = Path(sys.executable).with_name("playground")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "widgets.launch"]


def light_commands(folder: Path) -> dict[str, list[str]]:
    """The light commands, with the files they read made in `folder`."""
    import numpy as np
    broken = folder / "broken.json"
    broken.write_text('{"format": "nn-playground-preset", "version": 1', encoding="utf-8")
    arrays = folder / "points.npz"
    rng = np.random.default_rng(0)
    np.savez(arrays, X=rng.random((200, 2), dtype=np.float32), y=(rng.random(200) > 0.5).astype(np.int64))
    return {"--help": ["--help"], "presets": ["presets"], "runs": ["runs"],
            "validate BROKEN.json": ["validate", str(broken)],
            "data inspect POINTS.npz": ["data", "inspect", str(arrays)],
            "chekc (mistyped)": ["chekc", "x"]}


def best_of(command: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return min(times)


def heavy_imports(args: list[str], env: dict[str, str]) -> str:
    err = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True).stderr
    return next((line[6:] for line in err.splitlines() if line.startswith("HEAVY=")), "?")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="processes per command; the best is kept (default 5)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home)
        env = dict(os.environ, XDG_DATA_HOME=str(folder / "data"), XDG_CONFIG_HOME=str(folder / "config"),
                   XDG_CACHE_HOME=str(folder / "cache"), PLAYGROUND_RUNS_DIR=str(folder / "runs"))
        bare = best_of([sys.executable, "-c", "pass"], opts.runs, env)
        torch_s = best_of([sys.executable, "-c", "import torch"], opts.runs, env)
        for name, seconds in (("python -c pass", bare), ('python -c "import torch"', torch_s)):
            print(f"{name:<26} {seconds:6.3f} s")
        slowest = 0.0
        for name, args in light_commands(folder).items():
            seconds = best_of(_entry_point() + args, opts.runs, env)
            heavy = heavy_imports(args, env)
            slowest = max(slowest, seconds)
            flag = f"  IMPORTS {heavy}" if heavy else ""
            print(f"{'playground ' + name:<26} {seconds:6.3f} s  (+{seconds - bare:.3f} s over python, "
                  f"{seconds / torch_s:4.0%} of import torch){flag}")
    print(f"slowest_light_command_s={slowest:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
