"""A finished run's summary: final, best and test metrics in one JSON-shaped dict.

For an autoencoder it puts the network's test reconstruction error beside PCA's with the same
number of components, fitted on the same training split, so a person sees whether the network
beat the linear baseline; every other run carries `baselines`, the scikit-learn models of
`playground.data.baselines` on the same split. `val_loss_min`, `val_loss_final` and `best_epoch` say whether the run
was still improving or had begun to overfit; `val_loss_final` is the loss of the weights the run
ends with (the restored best epoch's after early stopping), `val_loss` the last epoch's.

A run whose loss turned non-finite is `diverged`; `finite_steps` counts the steps it took before
(all its steps when it never did), so an exploding run is measured instead of dropped. From the
record's probes, `grad_ratio` is the first weighted layer's gradient norm over the last one's
(the median over probe steps: how much of the gradient reaches the input end) and
`dead_fraction` the largest share of dead units in any layer at the last probe. `zero_weights` is
the share of the final weight-matrix entries that are (near) zero: what L1 makes sparse.
From the record's metrics.csv, `loss_noise` is how jagged the step-loss curve is late in training
and `steps_per_second` how fast the run stepped (curve_metrics): the two sides of the batch size.
"""
from __future__ import annotations

import csv
import math
import statistics
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from playground.training.events import ZERO_WEIGHT_SCALE, FinishedEvent



MAX_PROBES_BYTES = 64 * 1024 * 1024
"""A record's probes.csv or metrics.csv larger than this is not read for its summary figures."""


def _bounded_rows(path: str | Path) -> list[dict[str, str]]:
    """A record's CSV as rows, or none when it is missing, unreadable, damaged or over
    MAX_PROBES_BYTES: a summary figure is left out, never a reason to fail."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_PROBES_BYTES:
            return []
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    except (OSError, csv.Error, UnicodeDecodeError):
        return []


def _number(text: str | None) -> float:
    try:
        return float(text) if text else math.nan
    except ValueError:
        return math.nan


def probe_metrics(probes_csv: str | Path) -> dict[str, float]:
    """`grad_ratio` and `dead_fraction` from a record's probes.csv ({} when it has no probes)."""
    rows = _bounded_rows(probes_csv)
    by_step: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        if r.get("step") is not None:
            by_step.setdefault(r["step"], []).append(r)
    if not by_step:
        return {}
    out: dict[str, float] = {}
    ratios = []
    for layers in by_step.values():
        norms = [g for g in (_number(r.get("grad_norm")) for r in layers) if math.isfinite(g)]
        if len(norms) >= 2 and norms[-1] > 0:
            ratios.append(norms[0] / norms[-1])
    if ratios:
        out["grad_ratio"] = statistics.median(ratios)
    last = list(by_step.values())[-1]
    dead = [d for d in (_number(r.get("dead_fraction")) for r in last) if math.isfinite(d)]
    if dead:
        out["dead_fraction"] = max(dead)
    return out


NOISE_PART = 0.5
"""`loss_noise` reads the last half of the steps: late in training, where the trend is slow and
what is left of the step-to-step change is the noise of the batch estimate."""


def curve_metrics(metrics_csv: str | Path) -> dict[str, float]:
    """`loss_noise` and `steps_per_second` from a record's metrics.csv ({} without step rows).

    `loss_noise` is the sample standard deviation (ddof 1) of the differences between consecutive
    step losses over the last NOISE_PART of the steps: a smooth curve, even a falling one, has
    steady differences (small spread); a batch-to-batch jagged one has large ones. It needs three
    finite losses there (two differences), and it is left out when any loss there is non-finite.
    `steps_per_second` is the last epoch row's step over its seconds (wall time since training
    started, the per-epoch evaluation included)."""
    rows = _bounded_rows(metrics_csv)
    out: dict[str, float] = {}
    losses = [_number(r.get("loss")) for r in rows if r.get("kind") == "step"]
    late = np.asarray(losses[int(len(losses) * (1 - NOISE_PART)):], dtype=np.float64)
    if len(late) >= 3 and np.isfinite(late).all():
        out["loss_noise"] = float(np.std(np.diff(late), ddof=1))
    epochs = [r for r in rows if r.get("kind") == "epoch"]
    if epochs:
        step, seconds = _number(epochs[-1].get("step")), _number(epochs[-1].get("seconds"))
        if math.isfinite(step) and math.isfinite(seconds) and seconds > 0:
            out["steps_per_second"] = step / seconds
    return out


def zero_weights(weights: Sequence[np.ndarray]) -> float:
    """The share of all entries of the weight matrices and kernels with |w| ≤ ZERO_WEIGHT_SCALE ·
    the largest |w| among them (1.0 when every weight is 0; NaN without any entry, or with a
    non-finite one, as a diverged run's weights: no share of them means anything)."""
    parts = [np.abs(np.asarray(w, dtype=np.float64)).ravel() for w in weights]
    magnitudes = np.concatenate(parts) if parts else np.empty(0)
    if magnitudes.size == 0 or not np.isfinite(magnitudes).all():
        return math.nan
    return float(np.mean(magnitudes <= ZERO_WEIGHT_SCALE * magnitudes.max()))


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


def baseline_figures(trainer: Any) -> dict[str, dict[str, Any]]:
    """The classical models' figures on the run's split, by name ({} for an autoencoder, whose
    baseline is PCA, and where they cannot be fitted)."""
    if trainer.ts.target == "input":
        return {}
    from playground.data.baselines import baselines_for
    data = trainer.preset.data
    try:
        return {b.name: b.to_json() for b in baselines_for(data.name, data.params, trainer.dataset)}
    except ValueError:   # e.g. a class missing from a tiny training split: the run's own figures stand
        return {}


def summarize(trainer: Any, finished: FinishedEvent, seconds: float) -> dict[str, Any]:
    t = trainer
    summary: dict[str, Any] = {
        "preset": t.preset.name, "data": t.dataset.name, "device": str(t.device),
        "epochs": t.epoch, "steps": t.step_count, "seconds": round(seconds, 3),
        "finish_reason": finished.reason, "message": finished.message,
        "val_samples": len(t.x_val),   # what a validation accuracy is a share of (cross-validation reads it)
    }
    if t.history:
        last = t.history[-1]
        summary.update(train_loss=last.train_loss, val_loss=last.val_loss)
        if last.train_data_loss is not None:   # penalty terms: the part of train_loss val_loss measures
            summary.update(train_data_loss=last.train_data_loss)
        best = min(t.history, key=lambda e: e.val_loss if math.isfinite(e.val_loss) else math.inf)
        # The final loss is that of the weights the run ends with: early stopping restores its best
        # epoch's weights, so the last epoch's loss would describe weights that were thrown away.
        final = t.evaluate("val")["loss"] if finished.reason == "early_stopping" and len(t.x_val) else last.val_loss
        summary.update(val_loss_final=final, val_loss_min=best.val_loss, best_epoch=best.epoch)
        if last.val_accuracy is not None:
            summary.update(train_accuracy=last.train_accuracy, val_accuracy=last.val_accuracy)
    summary.update(test_metrics(t))
    from playground.training.losses import weight_tensors   # the weights L1, L2 and max-norm act on
    weights = [w.detach().cpu().numpy() for w in weight_tensors(t.model)]
    if weights:
        summary["zero_weights"] = zero_weights(weights)
    if t.ts.target == "input":
        k = code_size(t)
        if k:
            summary["code_size"] = k
            summary["pca_mse"] = pca_mse(t.dataset.x_train, t.dataset.x_test, k)
    summary["baselines"] = baseline_figures(t)
    if t.perceptron is not None:
        p = t.perceptron
        summary.update(mistakes=p.total_mistakes, separable=p.separable, margin=p.margin,
                       radius=p.radius, mistake_bound=p.bound)
    diverged = t.last_problem is not None and t.last_problem.kind == "non_finite"
    summary["diverged"] = diverged
    summary["finite_steps"] = max(0, t.last_problem.step - 1) if diverged else t.step_count
    if t.last_problem is not None:
        summary["problem"] = {"step": t.last_problem.step, "node": t.last_problem.node_id,
                              "message": t.last_problem.message, "advice": t.last_problem.advice}
    return summary
