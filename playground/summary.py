"""A finished run's summary: final, best and test metrics in one JSON-shaped dict.

For an autoencoder it puts the network's test reconstruction error beside PCA's with the same
number of components, fitted on the same training split, so a person sees whether the network
beat the linear baseline. `val_loss_min`, `val_loss_final` and `best_epoch` say whether the run
was still improving or had begun to overfit; `val_loss_final` is the loss of the weights the run
ends with (the restored best epoch's after early stopping), `val_loss` the last epoch's.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from playground.events import FinishedEvent


def pca_mse(x_train: np.ndarray, x_test: np.ndarray, k: int) -> float:
    """Test reconstruction MSE of PCA with k components fitted on the training split."""
    a = x_train.reshape(len(x_train), -1).astype(np.float64)
    b = x_test.reshape(len(x_test), -1).astype(np.float64)
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    basis = vt[:k]
    recon = (b - mean) @ basis.T @ basis + mean
    return float(np.mean((recon - b) ** 2))


def code_size(trainer: Any) -> int:
    """The autoencoder's bottleneck width: the code node's size, or the VAE's latent size."""
    ts, model = trainer.ts, trainer.model
    node = ts.code_node or trainer.visual.sampling
    return math.prod(model.shapes[node]) if node else 0


def test_metrics(trainer: Any) -> dict[str, float]:
    """The held-out test figures of the weights as they are now (test_loss, and test_accuracy
    or test_mse where the task has them): what summary.json and the app's loss panel report."""
    test = trainer.evaluate("test")
    figures = {"test_loss": test["loss"]}
    if "accuracy" in test:
        figures["test_accuracy"] = test["accuracy"]
    if "mse" in test:
        figures["test_mse"] = test["mse"]
    return figures


def summarize(trainer: Any, finished: FinishedEvent, seconds: float) -> dict[str, Any]:
    t = trainer
    summary: dict[str, Any] = {
        "preset": t.preset.name, "data": t.dataset.name, "device": str(t.device),
        "epochs": t.epoch, "steps": t.step_count, "seconds": round(seconds, 3),
        "finish_reason": finished.reason, "message": finished.message,
    }
    if t.history:
        last = t.history[-1]
        summary.update(train_loss=last.train_loss, val_loss=last.val_loss)
        best = min(t.history, key=lambda e: e.val_loss if math.isfinite(e.val_loss) else math.inf)
        # The final loss is that of the weights the run ends with: early stopping restores its best
        # epoch's weights, so the last epoch's loss would describe weights that were thrown away.
        final = t.evaluate("val")["loss"] if finished.reason == "early_stopping" and len(t.x_val) else last.val_loss
        summary.update(val_loss_final=final, val_loss_min=best.val_loss, best_epoch=best.epoch)
        if last.val_accuracy is not None:
            summary.update(train_accuracy=last.train_accuracy, val_accuracy=last.val_accuracy)
    summary.update(test_metrics(t))
    if t.ts.target == "input":
        k = code_size(t)
        if k:
            summary["code_size"] = k
            summary["pca_mse"] = pca_mse(t.dataset.x_train, t.dataset.x_test, k)
    if t.perceptron is not None:
        p = t.perceptron
        summary.update(mistakes=p.total_mistakes, separable=p.separable, margin=p.margin,
                       radius=p.radius, mistake_bound=p.bound)
    if t.last_problem is not None:
        summary["problem"] = {"step": t.last_problem.step, "node": t.last_problem.node_id,
                              "message": t.last_problem.message, "advice": t.last_problem.advice}
    return summary
