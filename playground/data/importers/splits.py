"""Imported arrays into a `Dataset`: a seeded, stratified split, a duplicate check across the
splits, and standardization fitted on the training split only.

The built-in sets shuffle and split in `base.finish`; imported labels are often imbalanced, so
here every class is split in the same proportions, and a row copied into both training and test
data (common in hand-made CSVs) is reported, since it makes test scores look better than they are.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from playground.data.base import Dataset, fold_split, split_sizes, statistics_shape, training_statistics
from playground.data.importers.report import ImportProblem, ImportReport
from playground.core.words import plural

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
    classes = np.unique(y)
    members = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    held = np.array([_held_out(len(m), val_fraction, test_fraction) for m in members], dtype=np.int64)
    for column, fraction in ((0, val_fraction), (1, test_fraction)):
        if fraction > 0 and held[:, column].sum() == 0:
            _give_one(held, column, [len(m) for m in members])
    parts: list[list[np.ndarray]] = [[], [], []]
    for m, (n_val, n_test) in zip(members, held):
        bounds = [len(m) - n_val - n_test, len(m) - n_test]
        for part, idx in zip(parts, np.split(m, bounds)):
            part.append(idx)
    return tuple(rng.permutation(np.concatenate(p)) if p else np.empty(0, np.int64)  # type: ignore
                 for p in parts)


def _held_out(k: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(validation, test) counts of a class of k samples in the asked proportions; a tiny class
    keeps at least one training sample."""
    n_val = int(round(k * val_fraction))
    n_test = int(round(k * test_fraction))
    if k - n_val - n_test < 1:
        n_test = max(0, k - 1 - n_val)
        n_val = min(n_val, k - 1)
    return n_val, n_test


def _give_one(held: np.ndarray, column: int, sizes: list[int]) -> None:
    """Many tiny classes each round their share to 0, leaving a split empty (its loss would read
    NaN): move one sample there from the class with the most training samples. When every class
    is down to one, that class loses its training sample, and `make_split_dataset` says so."""
    train = np.array(sizes) - held.sum(axis=1)
    held[int(np.argmax(train)), column] += 1


def untrained_classes_warning(y: np.ndarray, train: np.ndarray, class_names: list[str]) -> str | None:
    """Classes with samples but none in the training split: the network can never learn them."""
    absent = sorted(set(np.unique(y).tolist()) - set(np.unique(y[train]).tolist()))
    if not absent:
        return None
    names = ", ".join(repr(class_names[int(c)]) if int(c) < len(class_names) else str(c) for c in absent[:5])
    return (f"{len(absent)} class{'es have' if len(absent) > 1 else ' has'} no training sample ({names}"
            f"{', ...' if len(absent) > 5 else ''}): too few samples to give every class a share of the "
            f"training, validation and test splits; the network cannot learn "
            f"{'them' if len(absent) > 1 else 'it'}")


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


SMALL_SPLIT = 10
"""A validation or test split of fewer samples earns a warning: one sample moves its accuracy by
more than 10%."""


def small_split_warning(n_val: int, n_test: int) -> str | None:
    """Validation and test splits so small that their figures say little (a 5-row CSV trained to
    "val accuracy 0.0%, test accuracy 100%" on one sample each, without a word)."""
    small = [(name, n) for name, n in (("validation", n_val), ("test", n_test)) if 0 < n < SMALL_SPLIT]
    if not small:
        return None
    held = " and ".join(f"the {name} split holds {n} sample{'s' if n != 1 else ''}" for name, n in small)
    step = 1 / min(n for _, n in small)
    return (f"{held[0].upper() + held[1:]}: one sample more or less right moves an accuracy there by "
            f"{step:.0%}, so its figures say little; a file with more rows gives steadier ones")


def make_split_dataset(name: str, kind: str, x: np.ndarray, y: np.ndarray, report: ImportReport,
                       params: dict) -> Dataset:
    """Split, check and standardize imported arrays (x float32 (N, ...), y codes or targets)."""
    classification = report.n_classes > 0
    try:
        train, val, test = stratified_split(y if classification else None, len(x), params["val_fraction"],
                                            params["test_fraction"], params["seed"])
        if params.get("folds", 0) >= 2:   # the same test split; the rest cut into folds
            pool = np.concatenate([train, val])
            train, val = fold_split(pool, y[pool] if classification else None, params["folds"], params["fold"],
                                    params["seed"])
    except ValueError as e:   # too few rows for the fractions or the folds: a fact about the person's file
        raise ImportProblem(f"{report.source and Path(report.source).name}: {e}") from None
    warnings = [duplicate_warning(x, train, np.concatenate([val, test])), small_split_warning(len(val), len(test))]
    if classification:
        warnings.append(untrained_classes_warning(y, train, report.class_names))
    report.warnings += [w for w in warnings if w and w not in report.warnings]
    mean = std = None
    if params.get("standardize", True):
        mean, std = training_statistics(x[train], kind)
    shape = statistics_shape(kind, x.ndim)

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
    return Dataset(
        name=name, kind=kind, input_shape=tuple(x.shape[1:]), n_classes=report.n_classes,
        class_names=list(report.class_names), target_shape=target_shape,
        x_train=part(train), y_train=y[train], x_val=part(val), y_val=y[val],
        x_test=part(test), y_test=y[test], mean=mean, std=std, description=imported_description(report),
        input_names=list(report.feature_names))


def imported_description(report: ImportReport) -> str:
    """What the imported data is, in one or two sentences: file, size, inputs and classes."""
    from pathlib import Path
    shape = "x".join(str(d) for d in report.input_shape)
    text = f"Imported from {Path(report.source).name}: {plural(report.n_samples, 'sample')} of {shape} inputs"
    if report.feature_names:
        names = ", ".join(report.feature_names[:8]) + (", ..." if len(report.feature_names) > 8 else "")
        text += f" ({names})"
    if report.n_classes:
        classes = ", ".join(report.class_names[:10]) + (", ..." if report.n_classes > 10 else "")
        text += f"; {plural(report.n_classes, 'class', 'classes')}: {classes}."
    else:
        text += f"; a real-valued target ({report.label or 'y'})."
    return text
