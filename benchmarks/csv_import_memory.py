"""How much memory importing a large CSV needs beyond the array it yields.

    python benchmarks/csv_import_memory.py [--mb 1024] [--columns 8] [--keep]

Writes a CSV of about MB megabytes (numbers, a text column one-hot encoded, a class label),
then imports it in a fresh process with the playground's importer, and, as the bare baseline in
the same run, reads it with a plain `pandas.read_csv` in another fresh process. Each process
records its peak resident memory (ru_maxrss) after loading its libraries and after reading; the
figure that matters is the peak growth minus the bytes of what was yielded (the importer's
float32 array and labels; pandas' DataFrame). The importer streams in chunks into one
preallocated array, so its overhead stays at a few hundred MB whatever the file size. The last
line is exactly `extra_mb=E array_mb=A pandas_extra_mb=P ratio=R` (R = E / P).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
import numpy as np, pandas as pd
from playground.data.importers import load_arrays  # noqa: F401  (libraries loaded before the baseline)
def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
before = rss_mb()
t = time.perf_counter()
if {mode!r} == "importer":
    x, y, report = load_arrays("csv", {{"path": {path!r}, "label": "label"}})
    yielded = x.nbytes + y.nbytes
    shape = list(x.shape)
else:
    frame = pd.read_csv({path!r})
    yielded = int(frame.memory_usage(deep=True).sum())
    shape = list(frame.shape)
seconds = time.perf_counter() - t
print(json.dumps({{"before_mb": before, "peak_mb": rss_mb(), "yielded_mb": yielded / 2**20,
                  "seconds": seconds, "shape": shape}}))
"""


def write_csv(path: Path, megabytes: float, columns: int, seed: int = 0) -> int:
    """Numeric columns, one text column and a 3-class label: a few random blocks of 50,000 rows,
    written in turn until the size (formatting every row anew would take minutes per GB; the
    parser's work and the memory it needs are the same)."""
    rng = np.random.default_rng(seed)
    header = ",".join([f"x{k}" for k in range(columns)] + ["colour", "label"]) + "\n"
    colours = np.array(["red", "green", "blue", "amber"])
    blocks = []
    for _ in range(4):
        text = np.char.mod("%.4f", rng.normal(size=(50_000, columns)))
        labels = rng.integers(0, 3, len(text))
        picks = colours[rng.integers(0, len(colours), len(text))]
        blocks.append("".join(f"{','.join(r)},{c},{lab}\n"
                              for r, c, lab in zip(text.tolist(), picks, labels)).encode("utf-8"))
    target = int(megabytes * 2**20)
    rows = 0
    with open(path, "wb") as f:
        f.write(header.encode("utf-8"))
        written = len(header)
        while written < target:
            block = blocks[rows // 50_000 % len(blocks)]
            f.write(block)
            written += len(block)
            rows += 50_000
    return rows


def measure(mode: str, path: Path) -> dict:
    code = CHILD.format(root=str(ROOT), mode=mode, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1024, help="size of the CSV to write (default 1024)")
    parser.add_argument("--columns", type=int, default=8, help="numeric columns (default 8)")
    parser.add_argument("--keep", action="store_true", help="keep the CSV (its path is printed)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="csv_import_memory."))
    path = folder / "large.csv"
    t = time.perf_counter()
    rows = write_csv(path, args.mb, args.columns)
    size_mb = path.stat().st_size / 2**20
    print(f"wrote {path} ({size_mb:.0f} MB, {rows:,} rows) in {time.perf_counter() - t:.0f} s", flush=True)
    try:
        ours = measure("importer", path)
        bare = measure("pandas", path)
    finally:
        if not args.keep:
            path.unlink(missing_ok=True)
            folder.rmdir()
    extra = ours["peak_mb"] - ours["before_mb"] - ours["yielded_mb"]
    pandas_extra = bare["peak_mb"] - bare["before_mb"] - bare["yielded_mb"]
    print(f"importer: array {ours['shape']} ({ours['yielded_mb']:.0f} MB with labels), peak growth "
          f"{ours['peak_mb'] - ours['before_mb']:.0f} MB, {ours['seconds']:.1f} s")
    print(f"pandas.read_csv: frame {bare['shape']} ({bare['yielded_mb']:.0f} MB), peak growth "
          f"{bare['peak_mb'] - bare['before_mb']:.0f} MB, {bare['seconds']:.1f} s")
    ratio = extra / pandas_extra if pandas_extra > 0 else float("nan")
    print(f"extra_mb={extra:.0f} array_mb={ours['yielded_mb']:.0f} pandas_extra_mb={pandas_extra:.0f} "
          f"ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
