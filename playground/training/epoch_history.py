"""A run's per-epoch metrics kept as columns of numbers, not as one object per epoch.

A run keeps every epoch's figures (the record's metrics.csv, the summary, the outcome judged at
the end). As EpochEvent objects that costs ~340 bytes an epoch; a small model trains dozens of
epochs a second, so a long run grew by ~1 MB a minute. Here an epoch costs 75 bytes (nine
numbers and three "has a value" flags), and the history still reads as a sequence of
EpochEvent, built on demand, so its readers see the same values they always did.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from playground.training.events import EpochEvent

_INTS = ("epoch", "step")
_FLOATS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "seconds", "train_data_loss")
_OPTIONAL = ("train_accuracy", "val_accuracy", "train_data_loss")
"""Fields that may be None: the accuracies for a model that is not a classifier, the data loss for
a run without penalty terms."""


CHUNK = 4096
"""Epochs per block of columns (~300 kB): a long run's history grows a block at a time, by
75 bytes an epoch, and is never copied to grow (doubling columns held the old and the new
copy at once, and a fast model's 16,384th epoch took 2 MB in one step)."""


class EpochHistory(Sequence[EpochEvent]):
    """EpochEvents appended one by one and read back by index, slice or iteration. Appending
    costs O(1): the columns live in blocks of CHUNK epochs, a new block added when the last is full."""

    def __init__(self) -> None:
        self._n = 0
        self._blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def append(self, event: EpochEvent) -> None:
        block, k = divmod(self._n, CHUNK)
        if block == len(self._blocks):
            self._blocks.append((np.zeros((CHUNK, len(_INTS)), dtype=np.int64),
                                 np.zeros((CHUNK, len(_FLOATS)), dtype=np.float64),
                                 np.zeros((CHUNK, len(_OPTIONAL)), dtype=np.bool_)))
        ints, floats, has = self._blocks[block]
        ints[k] = (event.epoch, event.step)
        has[k] = (event.train_accuracy is not None, event.val_accuracy is not None, event.train_data_loss is not None)
        floats[k] = (event.train_loss, event.val_loss,
                     0.0 if event.train_accuracy is None else event.train_accuracy,
                     0.0 if event.val_accuracy is None else event.val_accuracy, event.lr, event.seconds,
                     0.0 if event.train_data_loss is None else event.train_data_loss)
        self._n += 1

    def clear(self) -> None:
        self._n = 0
        self._blocks.clear()

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> EpochEvent: ...

    @overload
    def __getitem__(self, index: slice) -> list[EpochEvent]: ...

    def __getitem__(self, index: int | slice) -> EpochEvent | list[EpochEvent]:
        if isinstance(index, slice):
            return [self._event(k) for k in range(*index.indices(self._n))]
        k = index + self._n if index < 0 else index
        if not 0 <= k < self._n:
            raise IndexError("epoch history index out of range")
        return self._event(k)

    def __iter__(self) -> Iterator[EpochEvent]:
        for k in range(self._n):
            yield self._event(k)

    def column(self, name: str) -> np.ndarray:
        """One field of every epoch as an array (a copy; NaN where an accuracy is None)."""
        if name in _INTS:
            return self._joined(0, _INTS.index(name))
        values = self._joined(1, _FLOATS.index(name))
        if name in _OPTIONAL:
            values[~self._joined(2, _OPTIONAL.index(name))] = np.nan
        return values

    def _joined(self, part: int, column: int) -> np.ndarray:
        """One column of one part (ints, floats, has) over the blocks, as one new array."""
        if not self._blocks:
            return np.empty(0, dtype=(np.int64, np.float64, np.bool_)[part])
        return np.concatenate([b[part][:, column] for b in self._blocks])[:self._n]

    def _event(self, k: int) -> EpochEvent:
        ints, floats, has = self._blocks[k // CHUNK]
        k %= CHUNK
        epoch, step = ints[k].tolist()
        train_loss, val_loss, train_acc, val_acc, lr, seconds, data_loss = floats[k].tolist()
        has_train, has_val, has_data = has[k].tolist()
        return EpochEvent(epoch, step, train_loss, val_loss, train_acc if has_train else None,
                          val_acc if has_val else None, lr, seconds, data_loss if has_data else None)
