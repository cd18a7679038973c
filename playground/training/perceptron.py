"""The perceptron learning rule, with its convergence theorem shown as it holds.

A single Linear layer with a Sign output has no useful gradient, so it learns by Rosenblatt's
rule instead: on each mistake, θ ← θ + y·x (with the bias as a weight on a constant input 1).
If some θ* separates the data with margin γ and every input has norm at most R, the rule makes
at most (R/γ)² mistakes in total, whatever the order of the examples.
"""
from __future__ import annotations

import math
import numpy as np
import torch

from playground.training.context import TrainingContext
from playground.training.events import PerceptronEvent
from playground.training.step import perceptron_update


def augmented(x: np.ndarray) -> np.ndarray:
    """Inputs with a constant 1 appended, so the bias is just another weight."""
    flat = x.reshape(len(x), -1).astype(np.float64)
    return np.concatenate([flat, np.ones((len(flat), 1))], axis=1)


def best_margin(x_aug: np.ndarray, signs: np.ndarray, seed: int = 0) -> float:
    """The largest γ = min_i y_i θ·x_i over unit θ, found numerically (γ ≤ 0: not separable).

    Low dimensions (2-D points + bias) are searched on a dense sphere grid and refined; higher
    dimensions by subgradient ascent from random starts. Any separator's margin gives a valid
    bound, so a slightly smaller γ than the true optimum only loosens it.
    """
    rng = np.random.default_rng(seed)
    z = x_aug * signs[:, None]
    d = z.shape[1]

    def margin(thetas: np.ndarray) -> np.ndarray:
        return (thetas @ z.T).min(axis=1)

    if d <= 3:
        cands = _sphere(20000, d)
    else:
        cands = rng.normal(size=(2000, d))
        cands /= np.linalg.norm(cands, axis=1, keepdims=True)
    m = margin(cands)
    best = cands[np.argsort(m)[-8:]]
    step = 0.05
    for _ in range(300):  # refine: keep the better of random perturbations and a subgradient step
        worst = z[np.argmin(best @ z.T, axis=1)]
        trial = np.concatenate([best + step * worst, best + step * rng.normal(size=best.shape)])
        trial /= np.linalg.norm(trial, axis=1, keepdims=True)
        pool = np.concatenate([best, trial])
        best = pool[np.argsort(margin(pool))[-8:]]
        step *= 0.985
    return float(margin(best).max())


def _sphere(n: int, d: int) -> np.ndarray:
    if d == 1:
        return np.array([[1.0], [-1.0]])
    if d == 2:
        a = np.linspace(0, 2 * np.pi, n, endpoint=False)
        return np.stack([np.cos(a), np.sin(a)], axis=1)
    k = np.arange(n) + 0.5  # Fibonacci sphere
    phi = np.arccos(1 - 2 * k / n)
    theta = np.pi * (1 + 5 ** 0.5) * k
    return np.stack([np.cos(theta) * np.sin(phi), np.sin(theta) * np.sin(phi), np.cos(phi)], axis=1)


class PerceptronRule:
    """The update and bookkeeping of perceptron mode, for a Trainer (read through its context)."""

    def __init__(self, trainer: TrainingContext) -> None:
        self.t = trainer
        self.linear = getattr(trainer.model, trainer.model.plan[0][0])
        x = augmented(trainer.dataset.x_train)
        signs = np.where(trainer.dataset.y_train > 0, 1.0, -1.0)
        self.radius = float(np.linalg.norm(x, axis=1).max())
        gamma = best_margin(x, signs, trainer.ts.seed)
        self.separable = gamma > 1e-9
        self.margin = gamma if self.separable else None
        self.bound = (self.radius / gamma) ** 2 if self.separable else None
        self.reset()

    def reset(self) -> None:
        """The theorem starts from θ = 0."""
        with torch.no_grad():
            self.linear.weight.zero_()
            if self.linear.bias is not None:
                self.linear.bias.zero_()
        self.total_mistakes = 0
        self.epoch_mistakes = 0
        self.converged = False

    @torch.no_grad()
    def update(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        """Visit the batch's examples in order; on each mistake θ ← θ + y·x. Returns the batch's
        mistake rate as its 'loss'."""
        mistakes = perceptron_update(self.linear, xb, yb)
        self.epoch_mistakes += mistakes
        self.total_mistakes += mistakes
        return torch.tensor(mistakes / max(1, len(xb)), dtype=torch.float64)

    def end_epoch(self) -> tuple[float, PerceptronEvent]:
        """The epoch's training accuracy, and its PerceptronEvent for the Trainer to emit."""
        t = self.t
        acc = self.evaluate(t.x_train, t.y_train)["accuracy"] if t.n_train else math.nan
        self.converged = self.epoch_mistakes == 0
        event = PerceptronEvent(t.epoch, self.epoch_mistakes, self.total_mistakes, self.radius, self.margin,
                                self.bound, self.separable, self.status())
        self.epoch_mistakes = 0
        return acc, event

    def status(self) -> str:
        if not self.separable:
            return (f"{self.total_mistakes} mistakes so far. No line separates these classes, so the "
                    "perceptron rule will not converge: it keeps making mistakes every epoch.")
        return (f"{self.total_mistakes} mistakes so far; the data are separable with margin γ = {self.margin:.4g} "
                f"and R = {self.radius:.4g}, so the theorem allows at most (R/γ)² = {self.bound:.1f} mistakes.")

    def converged_message(self) -> str:
        return f"converged: an epoch without mistakes. {self.status()}"

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        out = self.t.model(x).reshape(-1)
        err = float(((out >= 0).long() != y).float().mean())
        return {"loss": err, "accuracy": 1.0 - err}
