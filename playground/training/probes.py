"""Probes: what the panels show about the inside of a network.

They run only at probe steps. Weights are snapshotted just before a probe step's update (for
the update/weight ratio ||ΔW||/||W||), and activations come from one no-grad forward pass over
a fixed probe batch — no hooks fire on ordinary steps, so probes cost nothing in between.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from weakref import WeakKeyDictionary

import numpy as np
import torch
from torch import nn

from playground.layers import CATALOGUE
from playground.layers.activations import DEAD_SLOPE
from playground.network.build import GraphModel
from playground.training.events import LayerProbe

HIST_BINS = 30
HIST_VALUES = 4096
"""A histogram is drawn from at most this many values (an even stride through the layer's outputs)."""


def weights_of(module: nn.Module) -> list[torch.Tensor]:
    """A layer's weight matrices/kernels (dim ≥ 2), the W of ||ΔW||/||W||."""
    return [p for p in module.parameters() if p.dim() >= 2]


_WEIGHTED: WeakKeyDictionary[GraphModel, dict[str, list[torch.Tensor]]] = WeakKeyDictionary()


def weighted_layers(model: GraphModel) -> dict[str, list[torch.Tensor]]:
    """Each weighted node's weight tensors (`weights_of`), in DAG order: looked up once per model
    (a module's parameter walk costs ~8 µs a node at every probe step otherwise). The lists stay
    right for the model's life: loading or resetting weights copies into the same tensors."""
    found = _WEIGHTED.get(model)
    if found is None:
        found = _WEIGHTED[model] = {nid: ws for nid, _ in model.plan if (ws := weights_of(getattr(model, nid)))}
    return found


Snapshot = dict[str, list["np.ndarray | torch.Tensor"]]
"""Copies of the weights before a probe step's update: numpy arrays on the CPU, tensors on a device."""


def snapshot(model: GraphModel) -> Snapshot:
    """Copies of each weighted layer's weights, taken just before a probe step's update. On the
    CPU they are numpy copies, which `layer_stats` compares in numpy: a numpy call costs a
    fraction of a torch op's dispatch, and a probe step runs with cold caches."""
    return {nid: [_host_copy(w) for w in ws] for nid, ws in weighted_layers(model).items()}


def _host_copy(w: torch.Tensor) -> np.ndarray | torch.Tensor:
    return w.detach().numpy().copy() if w.device.type == "cpu" else w.detach().clone()


def mode_switch(model: nn.Module) -> Callable[[bool], object]:
    """`model.train(mode)` for a probe step in the middle of an epoch, as a flag set on each module
    (~2 µs for a small network where `train()`'s walk through the modules takes ~10 µs, twice a
    probe step); the walk itself where a module changes more than its flag (its own `train`)."""
    modules = list(model.modules())
    if any(type(m).train is not nn.Module.train for m in modules):
        return model.train
    flags = [m.__dict__ for m in modules]

    def set_mode(training: bool) -> None:
        for d in flags:
            d["training"] = training
    return set_mode


@torch.no_grad()
def layer_stats(model: GraphModel, before: Snapshot) -> dict[str, tuple[float, float, float]]:
    """Per weighted layer: (update_ratio, grad_norm, weight_norm) for the step just taken.

    Three norms a layer (||W||, ||ΔW|| as the distance to the snapshot, ||∇W||; a layer with
    several weight tensors, an LSTM's say, squares and sums them). On the CPU they are numpy dot
    products on views of the tensors (a probe step runs with cold caches, where each torch op
    costs ~15 µs and a numpy call a few); on a device they are computed there and read back
    together in one transfer. The ratio is divided on the host."""
    layers = weighted_layers(model)
    if not before:
        return {}
    if isinstance(next(iter(before.values()))[0], np.ndarray):
        return {nid: _host_norms(layers[nid], old) for nid, old in before.items()}
    ids, norms = [], []
    for nid, old in before.items():
        ws = layers[nid]
        grads = [w.grad for w in ws if w.grad is not None]
        ids.append(nid)
        if len(ws) == 1:
            norms += [torch.linalg.vector_norm(ws[0]), torch.dist(ws[0], old[0]),
                      torch.linalg.vector_norm(grads[0]) if grads else ws[0].new_zeros(())]
        else:
            norms += [_joint_norm(ws), _joint_norm([w - o for w, o in zip(ws, old)]),
                      _joint_norm(grads) if grads else ws[0].new_zeros(())]
    values = torch.stack(norms).double().cpu().tolist()
    out = {}
    for k, nid in enumerate(ids):
        w_norm, d_norm, g_norm = values[3 * k:3 * k + 3]
        out[nid] = (d_norm / max(w_norm, 1e-12), g_norm, w_norm)
    return out


def _host_norms(ws: list[torch.Tensor], old: list[np.ndarray]) -> tuple[float, float, float]:
    """(update_ratio, grad_norm, weight_norm) of one layer's CPU tensors, in numpy: each tensor's
    dot product with itself in its own precision (as torch's norm sums), summed over the
    layer's tensors in float64."""
    w2 = d2 = g2 = 0.0
    for w, o in zip(ws, old):
        now = w.detach().numpy().reshape(-1)
        delta = now - o.reshape(-1)
        w2 += float(now @ now)
        d2 += float(delta @ delta)
        if w.grad is not None:
            g = w.grad.numpy().reshape(-1)
            g2 += float(g @ g)
    w_norm = math.sqrt(w2)
    return math.sqrt(d2) / max(w_norm, 1e-12), math.sqrt(g2), w_norm


def _joint_norm(ts: list[torch.Tensor]) -> torch.Tensor:
    """The norm of several tensors taken as one vector."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in ts]))


_EDGE_STEPS = np.arange(HIST_BINS + 1, dtype=np.float64)


def histogram(values: torch.Tensor, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Counts and edges of a tensor's values, plus their mean and std (non-finite values left out).

    Counted in numpy on the (at most HIST_VALUES) sampled values: ~28 µs per layer on one CPU
    core where the torch ops (aminmax, histc, sums) took ~70 µs, at every probe step.
    Bin k holds lo + k·w <= v < lo + (k+1)·w (w = (hi − lo) / bins), the last bin also hi, as
    torch.histc counts them (a value within rounding of an inner edge may land in the bin
    next to histc's choice)."""
    v = values.detach() if values.requires_grad else values   # a probe's no-grad values need no detach op
    stride = max(1, v.numel() // HIST_VALUES)
    if v.device.type == "cpu" and v.dtype == torch.float32:  # numpy views it as it is: no torch ops
        d = v.numpy().reshape(-1)[::stride].astype(np.float64)
    else:  # sample on the device, move only the sample
        d = v.reshape(-1)[::stride].float().cpu().numpy().astype(np.float64)
    if d.size:
        lo, hi = float(d.min()), float(d.max())
        if not (math.isfinite(lo) and math.isfinite(hi)):
            d = d[np.isfinite(d)]
            if d.size:
                lo, hi = float(d.min()), float(d.max())
    if d.size == 0:
        return np.zeros(bins), np.linspace(0, 1, bins + 1), float("nan"), float("nan")
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    at = ((d - lo) * (bins / (hi - lo))).astype(np.intp)
    np.minimum(at, bins - 1, out=at)  # the maximum itself falls in the last bin
    counts = np.bincount(at, minlength=bins).astype(np.float32)
    n = d.size
    s1, s2 = float(d.sum()), float(d @ d)  # mean and std from two sums
    mean = s1 / n
    std = math.sqrt(max(0.0, (s2 - n * mean * mean) / (n - 1))) if n > 1 else 0.0
    if bins == HIST_BINS:  # np.linspace(lo, hi, bins + 1) bit for bit, without its overhead
        edges = _EDGE_STEPS * ((hi - lo) / bins) + lo
        edges[-1] = hi
    else:
        edges = np.linspace(lo, hi, bins + 1)
    return counts, edges, mean, std


def dead_fraction(module: nn.Module, x: torch.Tensor) -> float:
    """Fraction of units that are dead on the probe inputs x (a batch, one row per input): those
    whose gradient |f'(x)| is below DEAD_SLOPE on every input, so that no example moves the
    weights feeding them. f' is the module's own derivative, by autograd (for an activation that
    acts on each value alone, the gradient of Σ f(x) is f'(x)); for ReLU, f'(x) = 0 exactly for
    x ≤ 0, so these are the units whose output is 0 on every input. A unit with a NaN output on
    some input is not counted dead.

    ReLU, the common case, skips autograd: its f'(x) is 0 exactly where x ≤ 0 (NaN compares
    false), so the comparison gives the same units without a forward and backward pass (~250 µs
    a probe step on a small network, a per cent of its training speed)."""
    if type(module) is nn.ReLU and x.device.type == "cpu" and x.dtype == torch.float32:
        quiet_np = (x.detach() if x.requires_grad else x).numpy().reshape(x.shape[0], -1) <= 0  # in numpy: no torch ops
        dead_np = quiet_np.all(axis=0)
        return np.count_nonzero(dead_np) / max(1, dead_np.size)
    quiet = (x <= 0) if type(module) is nn.ReLU else quiet_by_autograd(module, x)
    if quiet is None:
        return float("nan")
    dead = quiet.reshape(quiet.shape[0], -1).all(dim=0)
    return float(dead.sum()) / max(1, dead.numel())


def quiet_by_autograd(module: nn.Module, x: torch.Tensor) -> torch.Tensor | None:
    """Where |f'(x)| < DEAD_SLOPE and f(x) is not NaN, f' by autograd; None where the module has
    no derivative at all (a step function)."""
    with torch.enable_grad():
        xg = x.detach().requires_grad_(True)
        y = module(xg)
        if not y.requires_grad:
            return None
        (g,) = torch.autograd.grad(y.sum(), xg)
    return (g.abs() < DEAD_SLOPE) & ~torch.isnan(y.detach())


def layer_probes(model: GraphModel, node_types: dict[str, str], values: dict[str, torch.Tensor],
                 stats: dict[str, tuple[float, float, float]]) -> list[LayerProbe]:
    """One LayerProbe per node (in DAG order), from a forward_all over the probe batch."""
    probes = []
    for nid, inputs in model.plan:
        role = CATALOGUE[node_types[nid]].probe_role  # pass_through: its input's values again
        if role == "pass_through":
            continue
        out = values[nid]
        counts, edges, mean, std = histogram(out)
        ratio, grad, weight = stats.get(nid, (None, None, None))
        probes.append(LayerProbe(
            node_id=nid, layer_type=node_types[nid], update_ratio=ratio, grad_norm=grad,
            weight_norm=weight, hist_counts=counts, hist_edges=edges, act_mean=mean, act_std=std,
            dead_fraction=dead_fraction(getattr(model, nid), values[inputs[0]]) if role == "can_die" else None))
    return probes


def first_non_finite(model: GraphModel, values: dict[str, torch.Tensor] | None = None) -> str:
    """The first node, in DAG order, whose weights, gradients or outputs are not finite."""
    for nid, _ in model.plan:
        module = getattr(model, nid)
        for p in module.parameters():
            if not torch.isfinite(p).all() or (p.grad is not None and not torch.isfinite(p.grad).all()):
                return nid
        if values is not None and nid in values and not torch.isfinite(values[nid]).all():
            return nid
    return ""


EXPLODED = 1e8


def first_exploded(model: GraphModel, values: dict[str, torch.Tensor]) -> str:
    """The first node whose outputs are finite but huge (> 1e8): the loss overflowed downstream."""
    for nid, _ in model.plan:
        v = values.get(nid)
        if v is not None and v.numel() and float(v.detach().abs().max()) > EXPLODED:
            return nid
    return ""


def decision_grid(points: np.ndarray, size: int = 60, pad: float = 0.15) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid axes over a square around the points (their box padded by `pad` of its longer side,
    the shorter side widened to it about its centre), and the (size², 2) grid points. Square,
    because the panel draws the plane with x and y in the same units: a grid the shape of the
    data's box would leave unpainted bands beside it."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    half = float(np.max(np.maximum(hi - lo, 1e-3))) * (0.5 + pad)
    centre = (lo + hi) / 2
    lo, hi = centre - half, centre + half
    xs = np.linspace(lo[0], hi[0], size, dtype=np.float32)
    ys = np.linspace(lo[1], hi[1], size, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def pca_project(codes: np.ndarray, k: int = 2) -> np.ndarray:
    """The first k principal-component coordinates of codes (for a latent scatter of D > 2)."""
    c = codes - codes.mean(axis=0, keepdims=True)
    if c.shape[1] <= k:
        return c
    _, _, vt = np.linalg.svd(c, full_matrices=False)
    return c @ vt[:k].T
