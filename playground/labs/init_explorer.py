"""The initialization explorer: a deep, wide stack of Linear + tanh/ReLU layers fed
standard-normal inputs, and how the spread of activations and of gradients changes from layer
to layer under each initialization (the course notes' experiment).

With σ too small the signal shrinks by √n·σ per layer (tanh N(0, 0.01): 0.21 at layer 1,
~3e-7 at layer 10); Xavier keeps Var(w)·n = 1 for tanh; ReLU zeroes half of its inputs, so
Kaiming doubles that: Var(w) = 2/n. The notes' Kaiming code, randn(Din, Dout)/np.sqrt(2/Din),
divides where it should multiply (σ = √(n/2) ≈ 15.8 for n = 500: a ReLU layer's activations
reach a std of ~206 at layer 1); the explorer draws W = randn·√(2/n).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

ACTIVATIONS = ("tanh", "relu")
INITS = ("normal", "xavier", "kaiming", "lecun", "default")
LAYERS = 10
WIDTH = 500
BINS = 60


def init_std(init: str, fan_in: int, fan_out: int, activation: str, std: float = 0.01) -> float:
    """The weight standard deviation each scheme draws with (500→500: Xavier 0.0447, Kaiming 0.0632)."""
    if init == "normal":
        return std
    if init == "xavier":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if init == "kaiming":
        return math.sqrt(2.0 / fan_in)
    if init == "lecun":
        return math.sqrt(1.0 / fan_in)
    if init == "default":   # PyTorch: kaiming_uniform_(a=√5) = U(−1/√n, 1/√n), std 1/√(3n)
        return 1.0 / math.sqrt(3.0 * fan_in)
    raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")


FORMULAS = {
    "normal": "W ~ N(0, σ²): a fixed σ, blind to the layer's width",
    "xavier": "Glorot's Xavier, W ~ N(0, 2/(n_in + n_out)): keeps Var(s) = Var(x) for tanh; on these "
              "square 500→500 layers it equals the notes' Xavier, randn/√n_in (σ = 0.0447)",
    "kaiming": "W ~ N(0, 2/n_in), W = randn·√(2/n_in): ReLU zeroes half the inputs, so twice Xavier's "
               "variance (500→500: σ = 0.0632). The notes' code randn/np.sqrt(2/Din) is a typo: it divides "
               "by √(2/n_in), σ = 15.8, and a ReLU layer's activations reach a std of ~206",
    "lecun": "W ~ N(0, 1/n_in), the notes' Xavier randn/√n_in: Var(s) = n_in·Var(w)·Var(x) = Var(x)",
    "default": "PyTorch's nn.Linear: W, b ~ U(−1/√n_in, 1/√n_in), σ = 1/√(3 n_in) (500: 0.0258)",
}


@dataclass
class InitReport:
    activation: str
    init: str
    std: float                 # σ of N(0, σ) (used by "normal" only)
    weight_std: float          # what the scheme draws with for a WIDTH→WIDTH layer
    act_std: list[float]       # per layer 1..LAYERS, mean over seeds
    grad_std: list[float]      # std of ∂L/∂h_l per layer, mean over seeds
    act_hist: list[tuple[np.ndarray, np.ndarray]]    # per layer (counts, edges), first seed
    grad_hist: list[tuple[np.ndarray, np.ndarray]]

    def as_json(self) -> dict:
        return {"activation": self.activation, "init": self.init, "std": self.std,
                "weight_std": self.weight_std, "act_std": self.act_std, "grad_std": self.grad_std}


def _histograms(values: list[torch.Tensor]) -> list[tuple[np.ndarray, np.ndarray]]:
    """One histogram per layer over one range for all (the widest layer's), as the notes draw
    them: a layer whose signal has collapsed shows as a spike at 0."""
    xs = [v.detach().reshape(-1).numpy() for v in values]
    hi = max(float(np.max(np.abs(x))) for x in xs) or 1.0
    return [np.histogram(x, bins=BINS, range=(-hi, hi)) for x in xs]


def explore(activation: str, init: str, std: float = 0.01, seeds: int = 3, batch: int = 500,
            layers: int = LAYERS, width: int = WIDTH) -> InitReport:
    """Activation and gradient std per layer, each the mean over `seeds` seeds (0, 1, …).

    The gradient is that of L = Σ g ⊙ h_L for a fixed standard-normal g: what a loss sends back
    through the stack, measured at every layer's output."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; known: {', '.join(INITS)}")
    if seeds < 1 or batch < 2 or layers < 1:
        raise ValueError("seeds must be ≥ 1, batch ≥ 2 and layers ≥ 1")
    if init == "normal" and not (std > 0 and math.isfinite(std)):
        raise ValueError(f"--std must be a positive number, got {std}")
    act = np.zeros((seeds, layers))
    grad = np.zeros((seeds, layers))
    act_hist, grad_hist = [], []
    for s in range(seeds):
        gen = torch.Generator().manual_seed(s)
        x = torch.randn(batch, width, generator=gen)
        f = torch.tanh if activation == "tanh" else torch.relu
        hs = []
        h = x
        for _ in range(layers):
            if init == "default":
                bound = 1.0 / math.sqrt(width)
                w = (torch.rand(width, width, generator=gen) * 2 - 1) * bound
                b = (torch.rand(width, generator=gen) * 2 - 1) * bound
            else:
                w = torch.randn(width, width, generator=gen) * init_std(init, width, width, activation, std)
                b = torch.zeros(width)
            w.requires_grad_(True)
            h = f(h @ w.T + b)
            h.retain_grad()
            hs.append(h)
        g = torch.randn(batch, width, generator=gen)
        (hs[-1] * g).sum().backward()
        act[s] = [float(v.detach().std()) for v in hs]
        grad[s] = [float(v.grad.std()) for v in hs]
        if s == 0:
            act_hist = _histograms(hs)
            grad_hist = _histograms([v.grad for v in hs])
    return InitReport(activation, init, std, init_std(init, width, width, activation, std),
                      [float(v) for v in act.mean(axis=0)], [float(v) for v in grad.mean(axis=0)],
                      act_hist, grad_hist)


def first_dying_layer(report: InitReport, threshold: float = 1e-3) -> int | None:
    """The first layer (1-based) whose activations' std falls under `threshold`: the answer to the
    "predict, then reveal" question (None: no layer dies)."""
    for k, s in enumerate(report.act_std, start=1):
        if s < threshold:
            return k
    return None
