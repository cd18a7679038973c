"""The activation gallery: every activation of the layer catalogue, its derivative (by autograd
on the very module the builder makes), where it saturates, and its formula.

A unit saturates where its derivative is under a tenth of its largest value: gradients that
pass through it there are cut tenfold or more, which is why deep sigmoid stacks learn slowly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.layers import CATALOGUE
from playground.layers.activations import ACTIVATIONS

SATURATION = 0.1
"""Saturated: |f'(x)| < SATURATION · max |f'| over the plotted range."""
X_RANGE = (-6.0, 6.0)

@dataclass
class ActivationCurve:
    name: str
    formula: str
    help: str
    xs: np.ndarray            # (n,)
    ys: np.ndarray            # f(x)
    grads: np.ndarray         # f'(x), by autograd
    saturated: list[tuple[float, float]]
    """Intervals of x where |f'| < SATURATION · max |f'| (empty: it never saturates)."""


def names() -> list[str]:
    """Every declared activation (`playground.layers.activations.ACTIVATIONS`), in its order."""
    return list(ACTIVATIONS)


def _module(name: str) -> torch.nn.Module:
    entry = CATALOGUE[name]
    params = {p.name: p.default for p in entry.params}
    width = ACTIVATIONS[name].lab_input(torch.zeros(1, dtype=torch.float64)).shape[1]
    return entry.make([(width,)], params).double().eval()


def _apply(name: str, module: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """f(x) for a column of scalars, through the slice the activation declares."""
    return module(ACTIVATIONS[name].lab_input(x))[:, 0]


def evaluate(name: str, xs: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) of the catalogue's activation `name` at the points xs."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; known: {', '.join(names())}")
    x = torch.as_tensor(np.asarray(xs, dtype=np.float64)).clone().requires_grad_(True)
    y = _apply(name, _module(name), x)
    if not y.requires_grad:   # a step function (Sign): its derivative is 0 wherever it exists
        return y.detach().numpy(), np.zeros(len(x))
    (g,) = torch.autograd.grad(y.sum(), x)
    return y.detach().numpy(), g.numpy()


def gradient_at(name: str, x: float) -> float:
    """f'(x): how much of the gradient a unit passes back at its typical input x."""
    return float(evaluate(name, np.array([x]))[1][0])


def saturated_intervals(xs: np.ndarray, grads: np.ndarray) -> list[tuple[float, float]]:
    peak = float(np.max(np.abs(grads)))
    if peak == 0.0:
        return [(float(xs[0]), float(xs[-1]))]
    flat = np.abs(grads) < SATURATION * peak
    out: list[tuple[float, float]] = []
    start = None
    for x, s in zip(xs, flat):
        if s and start is None:
            start = float(x)
        elif not s and start is not None:
            out.append((start, float(x)))
            start = None
    if start is not None:
        out.append((start, float(xs[-1])))
    return out


def curve(name: str, n: int = 601, x_range: tuple[float, float] = X_RANGE) -> ActivationCurve:
    xs = np.linspace(*x_range, n)
    ys, grads = evaluate(name, xs)
    return ActivationCurve(name, ACTIVATIONS[name].formula, CATALOGUE[name].help, xs, ys, grads,
                           saturated_intervals(xs, grads))


def gallery(n: int = 601) -> list[ActivationCurve]:
    return [curve(name, n) for name in names()]


def gallery_json(typical_input: float = 1.0) -> dict:
    """What `playground lab activations --json` prints."""
    return {"activations": [
        {"name": c.name, "formula": c.formula, "saturated": [list(s) for s in c.saturated],
         "max_grad": float(np.max(np.abs(c.grads))),
         "grad_at_typical_input": gradient_at(c.name, typical_input)}
        for c in gallery()], "typical_input": typical_input}


@dataclass
class ModelUnit:
    """An activation layer of the running model and the input its units typically see."""

    node_id: str
    activation: str
    typical_input: float   # std of its input node's output at the last probe step
    gradient: float        # f'(typical_input): what a unit there passes back


def model_units(nodes: list, output_std: dict[str, float]) -> list[ModelUnit]:
    """The activation nodes of a spec (`ModelSpec.nodes`) with the std of their input node's
    output (`output_std`: node id -> std, e.g. from the last ProbeEvent) as their typical input."""
    known = set(names())
    out = []
    for n in nodes:
        if n.type in known and n.inputs and n.inputs[0] in output_std:
            x = float(output_std[n.inputs[0]])
            out.append(ModelUnit(n.id, n.type, x, gradient_at(n.type, x)))
    return out
