"""Imported arrays into a `Dataset`: a seeded, stratified split, a duplicate check across the
splits, and standardization fitted on the training split only.

The built-in sets shuffle and split in `base.finish`; imported labels are often imbalanced, so
here every class is split in the same proportions, and a row copied into both training and test
data (common in hand-made CSVs) is reported, since it makes test scores look better than they are.
"""
from __future__ import annotations

import numpy as np

from playground.data.base import Dataset, split_sizes, standardization_axes
from playground.data.importers.report import ImportReport

HASH_CHUNK = 65536


def stratified_split(y: np.ndarray | None, n: int, val_fraction: float, test_fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Index arrays (train, val, test); with labels, each class split in the same proportions.

    A pure function of (labels, fractions, seed): the same file always gives the same split."""
    rng = np.random.default_rng([seed, 0x1A9047])
    if y is None:
        order = rng.permutation(n)
        n_train, n_val, _ = split_sizes(n, val_fraction, test_fraction)
        return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    split_sizes(n, val_fraction, test_fraction)  # raises when nothing is left to train on
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        k = len(members)
        n_val = int(round(k * val_fraction))
        n_test = int(round(k * test_fraction))
        if k - n_val - n_test < 1:  # a tiny class keeps at least one training sample
            n_test = max(0, k - 1 - n_val)
            n_val = min(n_val, k - 1)
        bounds = [k - n_val - n_test, k - n_test]
        for part, idx in zip(parts, np.split(members, bounds)):
            part.append(idx)
    return tuple(rng.permutation(np.concatenate(p)) if p else np.empty(0, np.int64)  # type: ignore
                 for p in parts)


def row_hashes(x: np.ndarray) -> np.ndarray:
    """A 64-bit hash per sample of its exact float32 values (chunked: bounded extra memory)."""
    flat = x.reshape(len(x), -1)
    mult = np.random.default_rng(7).integers(1, 2**63, size=flat.shape[1], dtype=np.uint64) | np.uint64(1)
    out = np.empty(len(x), dtype=np.uint64)
    for start in range(0, len(x), HASH_CHUNK):
        block = np.ascontiguousarray(flat[start:start + HASH_CHUNK], dtype=np.float32)
        bits = block.view(np.uint32).astype(np.uint64)
        bits ^= bits >> np.uint64(7)
        out[start:start + HASH_CHUNK] = (bits * mult).sum(axis=1, dtype=np.uint64)
    return out


def duplicate_warning(x: np.ndarray, train: np.ndarray, held_out: np.ndarray) -> str | None:
    """How many validation/test samples have an exact copy of their input in the training split."""
    if len(held_out) == 0 or len(train) == 0:
        return None
    hashes = row_hashes(x)
    copies = int(np.isin(hashes[held_out], hashes[train]).sum())
    if not copies:
        return None
    return (f"{copies} of {len(held_out)} validation/test samples have an exact copy of their input in "
            f"the training split: their scores overstate how well the network does on new data "
            f"(remove duplicate rows to get honest figures)")


def make_split_dataset(name: str, kind: str, x: np.ndarray, y: np.ndarray, report: ImportReport,
                       params: dict) -> Dataset:
    """Split, check and standardize imported arrays (x float32 (N, ...), y codes or targets)."""
    classification = report.n_classes > 0
    train, val, test = stratified_split(y if classification else None, len(x), params["val_fraction"],
                                        params["test_fraction"], params["seed"])
    warning = duplicate_warning(x, train, np.concatenate([val, test]))
    if warning and warning not in report.warnings:
        report.warnings.append(warning)
    mean = std = None
    if params.get("standardize", True):
        axes = standardization_axes(kind, x.ndim)
        xt = x[train]
        mean = xt.mean(axis=axes, dtype=np.float64).astype(np.float32)
        std = xt.std(axis=axes, dtype=np.float64).astype(np.float32)
        std = np.where(std < 1e-6, np.float32(1.0), std).astype(np.float32)
        del xt
    shape = [1] * x.ndim
    shape[1 if kind == "image" else -1] = -1

    def part(idx: np.ndarray) -> np.ndarray:
        chunk = np.ascontiguousarray(x[idx], dtype=np.float32)
        if mean is not None:
            chunk -= mean.reshape(shape)
            chunk /= std.reshape(shape)
        return chunk

    if classification:
        y = np.asarray(y, dtype=np.int64)
        target_shape: tuple[int, ...] = ()
    else:
        y = np.asarray(y, dtype=np.float32)
        y = y[:, None] if y.ndim == 1 else y
        target_shape = tuple(y.shape[1:])
    description = f"Imported from {report.source}: {report.n_samples} samples, {report.task}."
    return Dataset(
        name=name, kind=kind, input_shape=tuple(x.shape[1:]), n_classes=report.n_classes,
        class_names=list(report.class_names), target_shape=target_shape,
        x_train=part(train), y_train=y[train], x_val=part(val), y_val=y[val],
        x_test=part(test), y_test=y[test], mean=mean, std=std, description=description)
