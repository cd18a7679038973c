"""A training run on disk: DIR/metrics.csv, DIR/summary.json and DIR/model.safetensors.

summary.json holds the final and test metrics; for an autoencoder it puts the network's test
reconstruction error beside PCA's with the same number of components, fitted on the same
training split, so a person sees whether the network beat the linear baseline.
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from playground.events import EpochEvent, Event, FinishedEvent
from playground.files import FileProblem, atomic_write
from playground.spec import Preset
from playground.trainer import Trainer
from playground.weights import save_weights


def pca_mse(x_train: np.ndarray, x_test: np.ndarray, k: int) -> float:
    """Test reconstruction MSE of PCA with k components fitted on the training split."""
    a = x_train.reshape(len(x_train), -1).astype(np.float64)
    b = x_test.reshape(len(x_test), -1).astype(np.float64)
    mean = a.mean(axis=0)
    _, _, vt = np.linalg.svd(a - mean, full_matrices=False)
    basis = vt[:k]
    recon = (b - mean) @ basis.T @ basis + mean
    return float(np.mean((recon - b) ** 2))


def code_size(trainer: Trainer) -> int:
    """The autoencoder's bottleneck width: the code node's size, or the VAE's latent size."""
    ts, model = trainer.ts, trainer.model
    node = ts.code_node or trainer.visual.sampling
    return math.prod(model.shapes[node]) if node else 0


def summarize(trainer: Trainer, finished: FinishedEvent, seconds: float) -> dict[str, Any]:
    t = trainer
    summary: dict[str, Any] = {
        "preset": t.preset.name, "data": t.dataset.name, "device": str(t.device),
        "epochs": t.epoch, "steps": t.step_count, "seconds": round(seconds, 3),
        "finish_reason": finished.reason, "message": finished.message,
    }
    if t.history:
        last = t.history[-1]
        summary.update(train_loss=last.train_loss, val_loss=last.val_loss)
        if last.val_accuracy is not None:
            summary.update(train_accuracy=last.train_accuracy, val_accuracy=last.val_accuracy)
    test = t.evaluate("test")
    summary["test_loss"] = test["loss"]
    if "accuracy" in test:
        summary["test_accuracy"] = test["accuracy"]
    if "mse" in test:
        summary["test_mse"] = test["mse"]
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


def metrics_csv(history: list[EpochEvent], classifier: bool) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = ["epoch", "train_loss", "val_loss"] + (["train_acc", "val_acc"] if classifier else [])
    w.writerow(cols)
    for e in history:
        row = [e.epoch, f"{e.train_loss:.6g}", f"{e.val_loss:.6g}"]
        if classifier:
            row += [f"{e.train_accuracy:.6g}", f"{e.val_accuracy:.6g}"]
        w.writerow(row)
    return buf.getvalue()


@dataclass
class RunResult:
    summary: dict[str, Any]
    trainer: Trainer
    out_dir: Path | None


def train_run(preset: Preset, out_dir: str | Path | None = None, *, epochs: int | None = None,
              seed: int | None = None, device: str | None = None,
              on_event: Callable[[Event], None] | None = None,
              on_start: Callable[[Trainer], None] | None = None) -> RunResult:
    """Train a preset to the end and (with out_dir) write the run's three files."""
    preset = preset.copy()
    if epochs is not None:
        preset.training.epochs = epochs
    if seed is not None:
        preset.training.seed = seed
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise FileProblem(f"cannot create the run folder {out}: {e.strerror or e}") from None
    trainer = Trainer(preset, device=device, on_event=on_event)
    if on_start is not None:
        on_start(trainer)
    start = time.perf_counter()
    finished = trainer.run()
    summary = summarize(trainer, finished, time.perf_counter() - start)
    if out is not None:
        atomic_write(out / "metrics.csv", metrics_csv(trainer.history, trainer.is_classifier).encode())
        atomic_write(out / "summary.json", (json.dumps(summary, indent=2) + "\n").encode())
        save_weights(out / "model.safetensors", trainer.state_dict_copy(), trainer.preset, trained=True)
    return RunResult(summary, trainer, out)

