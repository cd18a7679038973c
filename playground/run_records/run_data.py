"""Numbers read back from run records for plotting: curves per epoch, a group's mean ± std,
and each layer's health at the last probe. Qt-free, so the compare view and scripts share it."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from playground.run_records.store import PROBE_COLUMNS

CURVE_KEYS = ("train_loss", "val_loss", "train_acc", "val_acc")
"""The curves of a record. `train_loss` is the training loss as the validation loss measures it: an
epoch's data loss where its steps had penalty terms (L1, L2, β·KL, ...), which the validation loss
never includes; a curve with them would stand above the validation curve by the penalty alone."""
LAYER_METRICS = ("update_ratio", "grad_norm", "act_mean", "act_std", "dead_fraction")
MAX_PROBE_BYTES = 64 * 1024 * 1024


@dataclass
class Curves:
    """One run's per-epoch metrics (NaN where a run has none, e.g. accuracy of a regression)."""

    epochs: np.ndarray
    values: dict[str, np.ndarray] = field(default_factory=dict)
    penalized: bool = False
    """Whether an epoch had penalty terms: its `train_loss` is then the loss without them."""

    def has(self, key: str) -> bool:
        v = self.values.get(key)
        return v is not None and len(v) > 0 and bool(np.isfinite(v).any())


def _f(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def read_curves(run_path: str | Path) -> Curves:
    """The epoch rows of a record's metrics.csv; a torn last line or missing file gives what there is.
    Only the epoch rows are parsed (a long run has thousands of step rows for each of them)."""
    try:
        with open(Path(run_path) / "metrics.csv", encoding="utf-8", newline="") as f:
            header = f.readline()
            lines = [line for line in f if line.startswith("epoch,") and line.endswith("\n")]
    except (OSError, UnicodeDecodeError):
        return Curves(np.zeros(0, dtype=np.int64), {k: np.zeros(0) for k in CURVE_KEYS})
    names = header.strip().split(",")
    width = len(names)
    at = {k: names.index(k) for k in ("epoch", "data_loss") + CURVE_KEYS if k in names}
    epochs: list[int] = []
    cols: dict[str, list[float]] = {k: [] for k in CURVE_KEYS}
    penalized = False
    for line in lines:
        cells = line.rstrip("\n").split(",")
        if len(cells) != width or "epoch" not in at:
            continue
        try:
            epochs.append(int(cells[at["epoch"]]))
        except ValueError:
            continue
        for k in CURVE_KEYS:
            cols[k].append(_f(cells[at[k]]) if k in at else math.nan)
        if "data_loss" in at and cells[at["data_loss"]]:   # the epoch's steps had penalty terms
            cols["train_loss"][-1] = _f(cells[at["data_loss"]])
            penalized = True
    return Curves(np.asarray(epochs, dtype=np.int64), {k: np.asarray(v, dtype=np.float64) for k, v in cols.items()},
                  penalized)


@dataclass
class Band:
    """A group's curve: mean and standard deviation over its runs at each epoch they all reached."""

    epochs: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: int


def band(curves: Sequence[Curves], key: str) -> Band | None:
    """Mean ± std over runs, up to the shortest run (so every point averages the same runs)."""
    usable = [c for c in curves if c.has(key)]
    if not usable:
        return None
    length = min(len(c.epochs) for c in usable)
    if length == 0:
        return None
    stack = np.stack([c.values[key][:length] for c in usable])
    std = stack.std(axis=0, ddof=1) if len(usable) > 1 else np.zeros(length)
    return Band(usable[0].epochs[:length], stack.mean(axis=0), std, len(usable))


def last_layer_stats(run_path: str | Path) -> dict[str, dict[str, float]]:
    """Each layer's numbers at the record's last probe step: {node_id: {metric: value}}."""
    path = Path(run_path) / "probes.csv"
    try:
        if path.stat().st_size > MAX_PROBE_BYTES:
            return {}
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.DictReader(f) if None not in r and all(v is not None for v in r.values())]
    except (OSError, csv.Error, UnicodeDecodeError):
        return {}
    if not rows or set(PROBE_COLUMNS) - set(rows[0]):
        return {}
    last = rows[-1]["step"]
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        if r["step"] == last:
            out[r["node_id"]] = {m: _f(r.get(m)) for m in LAYER_METRICS}
            out[r["node_id"]]["type"] = r.get("layer_type", "")  # type: ignore[assignment]
    return out
