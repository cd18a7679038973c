"""Semi-supervised training: the pool of unlabelled training points, its batches for entropy
regularization, and self-training's rounds of pseudo-labels.

The data set keeps `labels_per_class` labels per class and sets the other training inputs aside
(`Dataset.x_unlabelled`); the Trainer owns them through an `UnlabelledPool`. Both methods rest
on the cluster assumption of the notes: points in one cluster share a class, so the boundary
belongs in the gaps between clusters. Where the classes overlap there is no gap, and neither
method has anything to find.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from playground.data import Dataset
from playground.params import Problem
from playground.training.losses import class_probabilities

POOL_SEED_OFFSET = 0x5E41
"""The pool's batches come from a stream of their own (the data seed plus this), so turning
entropy regularization on never reorders the labelled batches."""


def semi_supervised_problems(ts, dataset: Dataset, is_classifier: bool) -> list[Problem]:
    """Why the settings' semi-supervised methods cannot run on this data (empty when they can)."""
    asked = [name for name in ("entropy_weight", "self_training") if getattr(ts, name) > 0]
    if not asked:
        return []
    if not is_classifier:
        return [Problem(f"training.{name}", "semi-supervised methods need a classifier (a data set with "
                                           "classes and target label)") for name in asked]
    if dataset.x_unlabelled is None or len(dataset.x_unlabelled) == 0:
        return [Problem(f"training.{name}", "needs unlabelled training points: set the data set's "
                                           "labels_per_class (e.g. 3) so that the other labels are set aside")
                for name in asked]
    return []


class UnlabelledPool:
    """The training inputs without labels, on the training device. `batch` hands out the next
    batch of a shuffled pass over them; `take_confident` removes the points a prediction is sure
    of (self-training's pseudo-labels)."""

    def __init__(self, x: torch.Tensor, seed: int) -> None:
        self.x = x
        self._generator = torch.Generator().manual_seed(seed + POOL_SEED_OFFSET)
        self._order = torch.zeros(0, dtype=torch.int64)
        self._cursor = 0

    @classmethod
    def of(cls, dataset: Dataset, device: torch.device, seed: int) -> "UnlabelledPool":
        x = dataset.x_unlabelled
        if x is None:
            x = np.zeros((0, *dataset.input_shape), dtype=np.float32)
        return cls(torch.as_tensor(x, device=device), seed)

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, size: int) -> torch.Tensor:
        """The next `size` unlabelled points (all of them when the pool is smaller)."""
        if len(self.x) <= size:
            return self.x
        if self._cursor + size > len(self._order):
            self._order = torch.randperm(len(self.x), generator=self._generator).to(self.x.device)
            self._cursor = 0
        idx = self._order[self._cursor:self._cursor + size]
        self._cursor += size
        return self.x[idx]

    def take_confident(self, predict: Callable[[torch.Tensor], torch.Tensor], kind: str,
                       threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(inputs, pseudo-labels) of the points whose predicted class has probability at least
        `threshold`; they leave the pool, so each point is labelled once."""
        if len(self.x) == 0:
            return self.x, torch.zeros(0, dtype=torch.int64, device=self.x.device)
        p = class_probabilities(predict(self.x), kind)
        confidence, labels = p.max(dim=1)
        sure = confidence >= threshold
        taken, labels = self.x[sure], labels[sure]
        self.x = self.x[~sure]
        self._order, self._cursor = torch.zeros(0, dtype=torch.int64), 0
        return taken, labels
