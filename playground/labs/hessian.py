"""The Hessian at a point of the optimizer lab's surfaces: its eigenvalues say what the point is.

H = [[∂²f/∂x², ∂²f/∂x∂y], [∂²f/∂y∂x, ∂²f/∂y²]], symmetric, so it has two real eigenvalues λ₁ ≤ λ₂
with perpendicular eigenvectors: the curvatures of f along its two principal directions. Where the
gradient is 0: both positive, a minimum; both negative, a maximum; one of each, a saddle (downhill
along one eigenvector, uphill along the other; x² − y² has λ = −2 and 2 everywhere). Away from a
stationary point the signs still say whether f curves up in every direction (locally convex) or
not. λ₂/λ₁ (both positive) is the condition number that slows gradient descent in a ravine.

Computed by torch.autograd.functional.hessian on the very functions the race uses, and by hand
(the second derivatives written out per surface) for the check.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.labs import optimizers as opt

FLAT = 1e-9
"""An eigenvalue whose size is under FLAT · (1 + the larger size) counts as 0."""
BEALE_C = (1.5, 2.25, 2.625)


def autograd_hessian(name: str, x: float, y: float, condition: float = 10.0) -> np.ndarray:
    s = opt.surface(name, condition)
    w = torch.tensor([float(x), float(y)], dtype=torch.float64)
    return torch.autograd.functional.hessian(lambda v: s.f(v[0], v[1]), w).numpy()


def gradient(name: str, x: float, y: float, condition: float = 10.0) -> np.ndarray:
    s = opt.surface(name, condition)
    w = torch.tensor([float(x), float(y)], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(s.f(w[0], w[1]), w)
    return g.numpy()


def hand_hessian(name: str, x: float, y: float, condition: float = 10.0) -> np.ndarray:
    """The second derivatives written out for each surface."""
    if name == "saddle":                                # x² − y²
        return np.array([[2.0, 0.0], [0.0, -2.0]])
    if name == "rosenbrock":                            # (1 − x)² + 100 (y − x²)²
        return np.array([[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]])
    if name == "quadratic":                             # ½ wᵀ R diag(1, K) Rᵀ w
        c, s = np.cos(opt.RAVINE_ANGLE), np.sin(opt.RAVINE_ANGLE)
        r = np.array([[c, -s], [s, c]])
        return r @ np.diag([1.0, float(condition)]) @ r.T
    if name == "plateau":                               # 1 − g, g = exp(−(x² + y²)/2)
        g = np.exp(-(x * x + y * y) / 2)
        return g * np.array([[1 - x * x, -x * y], [-x * y, 1 - y * y]])
    if name == "beale":                                 # Σᵢ rᵢ², rᵢ = cᵢ − x + x yⁱ
        h = np.zeros((2, 2))
        for i, c in enumerate(BEALE_C, start=1):
            r = c - x + x * y ** i
            grad = np.array([y ** i - 1, i * x * y ** (i - 1)])
            ryy = i * (i - 1) * x * y ** (i - 2) if i > 1 else 0.0
            second = np.array([[0.0, i * y ** (i - 1)], [i * y ** (i - 1), ryy]])
            h += 2 * (np.outer(grad, grad) + r * second)
        return h
    raise ValueError(f"unknown surface {name!r}; known: {', '.join(opt.SURFACES)}")


def kind(eigenvalues: np.ndarray) -> str:
    lo, hi = (float(v) for v in eigenvalues)
    tol = FLAT * (1 + max(abs(lo), abs(hi)))
    if lo < -tol and hi > tol:
        return "indefinite"
    if lo > tol:
        return "positive definite"
    if hi < -tol:
        return "negative definite"
    return "singular"


KIND_TEXT = {"indefinite": "one negative and one positive eigenvalue: f curves down along one eigenvector and up "
                           "along the other (a saddle shape)",
             "positive definite": "both eigenvalues positive: f curves up in every direction (a bowl)",
             "negative definite": "both eigenvalues negative: f curves down in every direction (a cap)",
             "singular": "an eigenvalue of 0: f is flat to second order along its eigenvector"}
AT_STATIONARY = {"indefinite": "a saddle point", "positive definite": "a minimum", "negative definite": "a maximum",
                 "singular": "undecided by the Hessian"}
ELSEWHERE = {"indefinite": "not convex here", "positive definite": "convex here", "negative definite": "concave here",
             "singular": "flat along one direction"}


@dataclass
class HessianPoint:
    surface: str
    x: float
    y: float
    value: float
    gradient: np.ndarray        # (2,)
    hessian: np.ndarray         # (2, 2), by autograd
    hand: np.ndarray            # (2, 2), by hand
    eigenvalues: np.ndarray     # (2,) ascending
    eigenvectors: np.ndarray    # (2, 2), columns
    kind: str

    @property
    def stationary(self) -> bool:
        return float(np.linalg.norm(self.gradient)) < 1e-8

    @property
    def max_abs_diff(self) -> float:
        return float(np.max(np.abs(self.hessian - self.hand)))

    @property
    def condition(self) -> float | None:
        lo, hi = self.eigenvalues
        return float(hi / lo) if self.kind == "positive definite" else None

    @property
    def label(self) -> str:
        """What the point is: at a stationary point a minimum, maximum or saddle point; elsewhere
        whether f is convex there."""
        return AT_STATIONARY[self.kind] if self.stationary else ELSEWHERE[self.kind]

    def describe(self) -> str:
        where = f"the gradient is 0, so this is {self.label}" if self.stationary else \
            f"the gradient is not 0 (|g| = {np.linalg.norm(self.gradient):.3g}): not a stationary point, {self.label}"
        cond = f"; condition number λ₂/λ₁ = {self.condition:.3g}" if self.condition else ""
        return f"{KIND_TEXT[self.kind]}{cond}; {where}"

    def as_json(self) -> dict:
        return {"surface": self.surface, "x": self.x, "y": self.y, "value": self.value,
                "gradient": self.gradient.tolist(), "hessian": self.hessian.tolist(),
                "hand_hessian": self.hand.tolist(), "max_abs_diff_vs_hand": self.max_abs_diff,
                "eigenvalues": self.eigenvalues.tolist(), "eigenvectors": self.eigenvectors.T.tolist(),
                "kind": self.kind, "label": self.label, "stationary": self.stationary, "condition": self.condition,
                "description": self.describe()}


def at(name: str, x: float, y: float, condition: float = 10.0) -> HessianPoint:
    if not (np.isfinite(x) and np.isfinite(y)):
        raise ValueError("the point must be finite")
    s = opt.surface(name, condition)
    h = autograd_hessian(name, x, y, condition)
    vals, vecs = np.linalg.eigh(h)
    value = float(s.f(torch.tensor(float(x), dtype=torch.float64), torch.tensor(float(y), dtype=torch.float64)))
    return HessianPoint(name, float(x), float(y), value, gradient(name, x, y, condition), h,
                        hand_hessian(name, x, y, condition), vals, vecs, kind(vals))


def default_point(name: str) -> tuple[float, float]:
    """Where the lab opens on each surface: the saddle's centre, else the surface's minimum."""
    s = opt.surface(name)
    return (0.0, 0.0) if s.minimum is None else s.minimum


def negative_curvature_grid(name: str, condition: float = 10.0, n: int = 80) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs (n,), ys (n,) and the smaller eigenvalue of H on the grid (n, n), rows = y: where it is
    negative the surface is not convex."""
    s = opt.surface(name, condition)
    xs, ys = np.linspace(*s.x_range, n), np.linspace(*s.y_range, n)
    lows = np.array([[np.linalg.eigvalsh(hand_hessian(name, x, y, condition))[0] for x in xs] for y in ys])
    return xs, ys, lows
