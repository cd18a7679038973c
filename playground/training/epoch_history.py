"""A run's per-epoch metrics kept as columns of numbers, not as one object per epoch.

A run keeps every epoch's figures (the record's metrics.csv, the summary, the outcome judged at
the end). As EpochEvent objects that costs ~340 bytes an epoch; a small model trains dozens of
epochs a second, so a long run grew by ~1 MB a minute. Here an epoch costs 66 bytes (eight
numbers and two "has an accuracy" flags), and the history still reads as a sequence of
EpochEvent, built on demand, so its readers see the same values they always did.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from playground.training.events import EpochEvent

_INTS = ("epoch", "step")
_FLOATS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr", "seconds")
_OPTIONAL = ("train_accuracy", "val_accuracy")
"""Fields that are None for a model that is not a classifier."""


class EpochHistory(Sequence[EpochEvent]):
    """EpochEvents appended one by one and read back by index, slice or iteration. Appending
    costs amortized O(1) (the columns double when full)."""

    def __init__(self, capacity: int = 64) -> None:
        self._n = 0
        self._ints = np.zeros((capacity, len(_INTS)), dtype=np.int64)
        self._floats = np.zeros((capacity, len(_FLOATS)), dtype=np.float64)
        self._has = np.zeros((capacity, len(_OPTIONAL)), dtype=np.bool_)

    def append(self, event: EpochEvent) -> None:
        if self._n == len(self._ints):
            self._ints, self._floats, self._has = (np.concatenate([a, np.zeros_like(a)])
                                                   for a in (self._ints, self._floats, self._has))
        k = self._n
        self._ints[k] = (event.epoch, event.step)
        self._has[k] = (event.train_accuracy is not None, event.val_accuracy is not None)
        self._floats[k] = (event.train_loss, event.val_loss,
                           0.0 if event.train_accuracy is None else event.train_accuracy,
                           0.0 if event.val_accuracy is None else event.val_accuracy, event.lr, event.seconds)
        self._n = k + 1

    def clear(self) -> None:
        self._n = 0

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
            return self._ints[:self._n, _INTS.index(name)].copy()
        values = self._floats[:self._n, _FLOATS.index(name)].copy()
        if name in _OPTIONAL:
            values[~self._has[:self._n, _OPTIONAL.index(name)]] = np.nan
        return values

    def _event(self, k: int) -> EpochEvent:
        epoch, step = self._ints[k].tolist()
        train_loss, val_loss, train_acc, val_acc, lr, seconds = self._floats[k].tolist()
        has_train, has_val = self._has[k].tolist()
        return EpochEvent(epoch, step, train_loss, val_loss, train_acc if has_train else None,
                          val_acc if has_val else None, lr, seconds)
