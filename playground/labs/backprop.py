"""Backprop step by step: one SGD step of a 2-3-2 network worked out unit by unit with the chain
rule, exactly as the notes derive it, and checked against autograd.

Network: h = σ(W₁x + b₁) (3 sigmoid units), y = σ(W₂h + b₂) (2 sigmoid units),
L = ½ Σₖ (yₖ − tₖ)². Going back: δ₂ = (y − t) ⊙ σ'(z₂), δ₁ = (W₂ᵀ δ₂) ⊙ σ'(z₁),
∂L/∂W₂ = δ₂ hᵀ, ∂L/∂W₁ = δ₁ xᵀ, ∂L/∂b = δ; the update is W ← W − η ∂L/∂W.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SIZES = (2, 3, 2)


@dataclass
class BackpropStep:
    x: np.ndarray            # (2,) input
    target: np.ndarray       # (2,)
    lr: float
    w1: np.ndarray           # (3, 2) weights before the step
    b1: np.ndarray           # (3,)
    w2: np.ndarray           # (2, 3)
    b2: np.ndarray           # (2,)
    z1: np.ndarray           # (3,) pre-activations of the hidden units
    h: np.ndarray            # (3,) their outputs
    z2: np.ndarray           # (2,)
    y: np.ndarray            # (2,) the network's outputs
    loss: float
    delta2: np.ndarray       # (2,) ∂L/∂z₂
    delta1: np.ndarray       # (3,) ∂L/∂z₁
    grad_w1: np.ndarray      # (3, 2) ∂L/∂W₁, edge by edge
    grad_b1: np.ndarray
    grad_w2: np.ndarray      # (2, 3)
    grad_b2: np.ndarray
    new_w1: np.ndarray       # after W ← W − η ∂L/∂W
    new_b1: np.ndarray
    new_w2: np.ndarray
    new_b2: np.ndarray
    loss_after: float        # the same input's loss after the update (smaller: the step helped)
    max_abs_diff_vs_autograd: float
    """Largest difference between the hand-worked gradients and torch.autograd's."""

    def as_json(self) -> dict:
        out: dict = {}
        for name, value in self.__dict__.items():
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def initial_weights(seed: int = 0) -> dict[str, np.ndarray]:
    """Small random weights, the same for a seed (float64)."""
    rng = np.random.default_rng(seed)
    return {"w1": rng.normal(0, 0.5, (3, 2)), "b1": rng.normal(0, 0.1, 3),
            "w2": rng.normal(0, 0.5, (2, 3)), "b2": rng.normal(0, 0.1, 2)}


def step(x: tuple[float, float] = (0.05, 0.10), target: tuple[float, float] = (0.01, 0.99),
         lr: float = 0.5, seed: int = 0, weights: dict[str, np.ndarray] | None = None) -> BackpropStep:
    """One training step by hand, and the same step by autograd for the check."""
    w = weights or initial_weights(seed)
    xv, t = np.asarray(x, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if xv.shape != (2,) or t.shape != (2,):
        raise ValueError("the input and the target each need 2 values")
    w1, b1, w2, b2 = (np.asarray(w[k], dtype=np.float64) for k in ("w1", "b1", "w2", "b2"))
    # forward, unit by unit
    z1 = w1 @ xv + b1
    h = _sigmoid(z1)
    z2 = w2 @ h + b2
    y = _sigmoid(z2)
    loss = 0.5 * float(np.sum((y - t) ** 2))
    # backward: δ of each unit, then ∂L/∂w of each edge
    delta2 = (y - t) * y * (1 - y)
    delta1 = (w2.T @ delta2) * h * (1 - h)
    grad_w2, grad_b2 = np.outer(delta2, h), delta2
    grad_w1, grad_b1 = np.outer(delta1, xv), delta1
    new = {"w1": w1 - lr * grad_w1, "b1": b1 - lr * grad_b1, "w2": w2 - lr * grad_w2, "b2": b2 - lr * grad_b2}
    y_after = _sigmoid(new["w2"] @ _sigmoid(new["w1"] @ xv + new["b1"]) + new["b2"])
    loss_after = 0.5 * float(np.sum((y_after - t) ** 2))

    tw = {k: torch.tensor(v, requires_grad=True) for k, v in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2))}
    tx, tt = torch.tensor(xv), torch.tensor(t)
    ty = torch.sigmoid(tw["w2"] @ torch.sigmoid(tw["w1"] @ tx + tw["b1"]) + tw["b2"])
    (0.5 * ((ty - tt) ** 2).sum()).backward()
    diff = max(float(np.max(np.abs(tw[k].grad.numpy() - g)))
               for k, g in (("w1", grad_w1), ("b1", grad_b1), ("w2", grad_w2), ("b2", grad_b2)))
    return BackpropStep(xv, t, lr, w1, b1, w2, b2, z1, h, z2, y, loss, delta2, delta1, grad_w1, grad_b1,
                        grad_w2, grad_b2, new["w1"], new["b1"], new["w2"], new["b2"], loss_after, diff)
