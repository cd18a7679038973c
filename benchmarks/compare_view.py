"""How responsive is the compare view with many recorded runs?

Makes N run records (default 200) in a temporary folder: two real short trainings of xor_mlp,
then copies of them under new ids with a spread of learning rates, seeds, repeat groups and
final metrics (the view reads files, so copies cost it exactly what real runs would). Then,
offscreen, it measures in milliseconds:

  load      reading every record off the GUI thread (list_runs + the settings for the scatter)
  open      the window showing the loaded runs: model reset + first paint of the table
  sort      re-sorting the 200 rows by a metric column, and filtering them by a word
  overlay   redrawing the loss/accuracy overlay for 1, 10 and 40 selected runs (first time,
            reading metrics.csv; then again from the cache)
  scatter   the final metric against the learning rate over all runs

A "visible stall" is roughly 100 ms; the last line sums up the worst GUI-thread figures.
Usage: python benchmarks/compare_view.py [--runs 200] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_records(folder: Path, n: int, seed: int = 0) -> None:
    """n records: real xor_mlp runs copied with varied settings and metrics."""
    from playground.run_records.experiments import record_run
    from playground.network.overrides import apply_overrides
    from playground.network.preset import resolve_preset
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    base = apply_overrides(resolve_preset("xor_mlp"), ["training.epochs=20"])
    real = [record_run(base, folder).id, record_run(apply_overrides(base, ["training.optimizer=sgd"]), folder).id]
    groups = [f"g-bench-{k}" for k in range(8)]
    for k in range(n - len(real)):
        src = folder / real[k % 2]
        rid = f"20260101-{k:06d}-xor_mlp-b{k:04d}"
        dst = folder / rid
        shutil.copytree(src, dst)
        lr = 10 ** rng.uniform(-4, -0.5)
        info = json.loads((dst / "run.json").read_text())
        info.update(id=rid, seeds={"init": k, "data": k, "noise": k}, changed={"training.lr": lr},
                    group=groups[k % len(groups)] if k < 40 else None, started=f"2026-01-01T00:{k % 60:02d}:00+00:00")
        (dst / "run.json").write_text(json.dumps(info))
        preset = json.loads((dst / "preset.json").read_text())
        preset["training"]["lr"] = lr
        preset["training"]["seed"] = k
        (dst / "preset.json").write_text(json.dumps(preset))
        summary = json.loads((dst / "summary.json").read_text())
        q = max(0.0, min(1.0, 1 - abs(math.log10(lr) + 2) / 3 + rng.gauss(0, 0.03)))
        summary.update(val_accuracy=0.5 + 0.5 * q, val_loss=0.7 * (1 - q) + 0.02)
        (dst / "summary.json").write_text(json.dumps(summary))


def ms(f) -> float:
    t = time.perf_counter()
    f()
    return (time.perf_counter() - t) * 1000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication([])
    from playground.run_records.experiments import varying_numeric_settings
    from playground.run_records.store import list_runs
    from widgets.compare.browser import COLUMNS
    from widgets.compare.window import CompareWindow

    tmp = Path(tempfile.mkdtemp(prefix="compare-bench-"))
    try:
        t = time.perf_counter()
        make_records(tmp, args.runs)
        print(f"made {args.runs} records in {time.perf_counter() - t:.1f}s ({tmp})")
        results: dict[str, list[float]] = {}

        def note(name: str, value: float) -> None:
            results.setdefault(name, []).append(value)

        for _ in range(args.repeat):
            runs: list = []
            note("load (loader thread)", ms(lambda: runs.extend(list_runs(tmp))) +
                 ms(lambda: varying_numeric_settings(runs)))
            w = CompareWindow(tmp)
            done = []
            w.reloaded.connect(lambda: done.append(1))
            while not done:
                app.processEvents()
                time.sleep(0.005)
            w.show()

            def first_paint() -> None:
                w.browser.set_runs(runs)
                w.browser.table.viewport().repaint()
                app.processEvents()
            note("open: table filled and painted", ms(first_paint))
            col = COLUMNS.index("Val acc")
            note("sort 200 rows by val acc", ms(lambda: (w.browser.table.sortByColumn(col, Qt.SortOrder.DescendingOrder), app.processEvents())))
            note("filter by a word", ms(lambda: (w.browser.filter_edit.setText("sgd"), app.processEvents())))
            w.browser.filter_edit.setText("")
            app.processEvents()
            ids = [r.id for r in runs]
            for k in (1, 10, 40):
                w.overlay.cache = type(w.overlay.cache)()
                note(f"overlay {k} runs, first draw", ms(lambda: (w.browser.select_ids(ids[:k]), w.overlay.repaint(),
                                                                   app.processEvents())))
                w.browser.select_ids([])
                note(f"overlay {k} runs, cached", ms(lambda: (w.browser.select_ids(ids[:k]), w.overlay.repaint(),
                                                               app.processEvents())))
            w.tabs.setCurrentWidget(w.scatter)
            note("scatter over all runs", ms(lambda: (w.scatter.set_runs(runs, w.settings_by_run), w.scatter.repaint(),
                                                       app.processEvents())))
            w.close()
            w.deleteLater()
            app.processEvents()
        print(f"{'measure':<34} {'median ms':>10} {'max ms':>9}")
        for name, values in results.items():
            print(f"{name:<34} {statistics.median(values):10.1f} {max(values):9.1f}")
        gui = {k: statistics.median(v) for k, v in results.items() if not k.startswith("load")}
        worst = max(gui, key=gui.get)
        print(f"runs={args.runs} load_ms={statistics.median(results['load (loader thread)']):.0f} "
              f"open_ms={gui['open: table filled and painted']:.0f} "
              f"overlay10_ms={gui['overlay 10 runs, first draw']:.0f} worst_gui_ms={gui[worst]:.0f} ({worst})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
