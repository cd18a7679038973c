"""Train one preset on one data set to the end and read the numbers a curve needs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.data.base import Dataset
from playground.network.spec import Preset
from playground.training.trainer import Trainer


@dataclass(frozen=True)
class Final:
    """The end of one training: task loss on the training and validation splits, and accuracy for
    a classifier (None otherwise)."""

    train_loss: float
    val_loss: float
    train_accuracy: float | None
    val_accuracy: float | None


def train_to_end(preset: Preset, dataset: Dataset | None = None) -> Trainer:
    """A Trainer for `preset` (on `dataset` when given) after its full run, on the CPU with one
    thread's worth of determinism: measurements are repeated over seeds, not over devices."""
    trainer = Trainer(preset, device="cpu", dataset=dataset)
    trainer.run()
    return trainer


def final_metrics(trainer: Trainer) -> Final:
    train, val = trainer.evaluate("train"), trainer.evaluate("val")
    return Final(float(train["loss"]), float(val["loss"]), _accuracy(train), _accuracy(val))


def _accuracy(metrics: dict[str, float]) -> float | None:
    value = metrics.get("accuracy")
    return None if value is None else float(value)


def predict_raw(trainer: Trainer, x_raw: np.ndarray) -> np.ndarray:
    """The trained network's outputs for inputs in the data set's own units: standardized with the
    training split's statistics first, as the Trainer's own splits were."""
    x = trainer.dataset.standardize(x_raw)
    with torch.no_grad():
        out = trainer.predict(torch.as_tensor(x, device=trainer.device))
    return out.detach().cpu().double().numpy()
