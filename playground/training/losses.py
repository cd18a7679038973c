"""Losses and the extra terms a course adds to them.

The task loss compares the network's output with its target; penalties (L1/L2 on weights,
sparse codes, the contractive term, the VAE's KL, the entropy of predictions on unlabelled
points) are added to it, and the max-norm constraint
is applied after each step. Each function is small so a student can read the formula in it.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from playground.layers import CATALOGUE

EPS = 1e-7


def output_kind(output_type: str) -> str:
    """What the output node's values are: 'probs' (Softmax), 'prob' (Sigmoid), 'sign' (±1), or
    'raw'; the layer type declares it (`LayerType.output_kind`)."""
    layer = CATALOGUE.get(output_type)
    return layer.output_kind if layer is not None else "raw"


def task_loss(name: str, out: torch.Tensor, target: torch.Tensor, kind: str = "raw") -> torch.Tensor:
    """The main loss, averaged over the batch.

    Class targets are indices (int64). A Softmax/Sigmoid output is accepted for cross-entropy /
    BCE (its log is taken, clamped away from 0); otherwise the output is treated as logits.
    """
    if name == "cross_entropy":
        if out.dim() != 2:
            raise ValueError(f"cross-entropy needs (batch, classes) outputs, got {tuple(out.shape)}")
        if kind == "probs":
            return F.nll_loss(torch.log(out.clamp_min(EPS)), target)
        return F.cross_entropy(out, target)
    if name == "bce":
        t = _binary_target(out, target)
        o = out.reshape(t.shape)
        if kind == "prob":
            return F.binary_cross_entropy(o.clamp(EPS, 1 - EPS), t)
        return F.binary_cross_entropy_with_logits(o, t)
    if name in ("mse", "l1"):
        t = _dense_target(out, target)
        o = out.reshape(t.shape)
        return F.mse_loss(o, t) if name == "mse" else F.l1_loss(o, t)
    if name == "hinge":
        if target.dtype == torch.int64 and out.dim() == 2 and out.shape[1] > 1:
            return F.multi_margin_loss(out, target)
        y = _binary_target(out, target) * 2 - 1  # {0, 1} → {−1, +1}
        return torch.clamp(1 - y * out.reshape(y.shape), min=0).mean()
    raise ValueError(f"unknown loss {name!r}")


def task_loss_fn(name: str, kind: str = "raw") -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """`task_loss` for one loss and output kind, as a function of (output, target): torch's own
    where it computes the loss as it is (cross-entropy over logits, most classifiers), so a
    training step does not pass the name checks each time. The output's shape is the fit check's
    to refuse (`network.fit`), before training starts."""
    if name == "cross_entropy" and kind != "probs":
        return F.cross_entropy
    return lambda out, target: task_loss(name, out, target, kind)


def _binary_target(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if target.dtype == torch.int64:
        if out.dim() == 2 and out.shape[1] > 1:
            return F.one_hot(target, out.shape[1]).to(out.dtype)
        return target.to(out.dtype).reshape(-1)
    return target.to(out.dtype)


def _dense_target(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    if target.dtype == torch.int64:  # class labels regressed as one-hot vectors
        return F.one_hot(target, out.shape[-1]).to(out.dtype) if out.shape[-1] > 1 else target.to(out.dtype)
    return target


def predicted_classes(out: torch.Tensor, kind: str) -> torch.Tensor:
    """Class indices from outputs: argmax for several outputs, a threshold for one."""
    if out.dim() == 2 and out.shape[1] > 1:
        return out.argmax(dim=1)
    o = out.reshape(out.shape[0])
    threshold = 0.5 if kind == "prob" else 0.0
    return (o > threshold).long() if kind != "sign" else (o >= 0).long()


def class_scores(out: torch.Tensor, kind: str) -> torch.Tensor:
    """P(class 1) for a binary classifier, for drawing decision regions."""
    if out.dim() == 2 and out.shape[1] > 1:
        p = out if kind == "probs" else torch.softmax(out, dim=1)
        return p[:, 1]
    o = out.reshape(out.shape[0])
    if kind == "prob":
        return o
    if kind == "sign":
        return (o + 1) / 2
    return torch.sigmoid(o)


def weight_tensors(model: nn.Module) -> list[torch.Tensor]:
    """The weight matrices and kernels (dim ≥ 2): what L1/L2 and max-norm act on; biases and
    normalization parameters are left alone, as the lectures do."""
    return [p for p in model.parameters() if p.dim() >= 2]


def l1_penalty(model: nn.Module) -> torch.Tensor:
    """Σ|w| over all weights (L1, lasso: drives weights to exactly zero)."""
    return sum(p.abs().sum() for p in weight_tensors(model))


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """Σw² over all weights (L2, ridge: weight decay)."""
    return sum(p.pow(2).sum() for p in weight_tensors(model))


def sparsity_penalty(code: torch.Tensor, kind: str, rho: float) -> torch.Tensor:
    """Sparse autoencoder penalty on the code h.

    l1: mean over the batch of Σ_j |h_j|. kl: Σ_j KL(ρ ‖ ρ_j) with ρ_j the mean activation of
    unit j over the batch (the code should be in (0, 1), e.g. after a Sigmoid).
    """
    h = code.reshape(code.shape[0], -1)
    if kind == "l1":
        return h.abs().sum(dim=1).mean()
    if kind == "kl":
        rho_hat = h.mean(dim=0).clamp(EPS, 1 - EPS)
        return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
    raise ValueError(f"unknown sparsity penalty {kind!r}")


def contractive_penalty(x: torch.Tensor, code: torch.Tensor, generator: torch.Generator | None = None
                        ) -> torch.Tensor:
    """‖J‖²_F of the code's Jacobian ∂h/∂x, averaged over the batch.

    Uses the unbiased random-projection estimate E_v ‖Jᵀv‖² = ‖J‖²_F with v ~ N(0, I): one extra
    backward pass per step instead of one per code unit. `x` must require grad.
    """
    h = code.reshape(code.shape[0], -1)
    v = torch.randn(h.shape, generator=generator, device=h.device, dtype=h.dtype) if generator is not None \
        else torch.randn_like(h)
    (g,) = torch.autograd.grad((h * v).sum(), x, create_graph=True)
    return g.reshape(g.shape[0], -1).pow(2).sum(dim=1).mean()


def exact_contractive(x: torch.Tensor, code_fn) -> torch.Tensor:
    """The exact ‖J‖²_F (one backward pass per code unit), to check the estimate against."""
    x = x.detach().requires_grad_(True)
    h = code_fn(x).reshape(x.shape[0], -1)
    total = torch.zeros((), dtype=x.dtype)
    for j in range(h.shape[1]):
        (g,) = torch.autograd.grad(h[:, j].sum(), x, retain_graph=True)
        total = total + g.reshape(g.shape[0], -1).pow(2).sum()
    return total / x.shape[0]


def class_probabilities(out: torch.Tensor, kind: str) -> torch.Tensor:
    """(N, C) class probabilities of a classifier's outputs: softmax of logits (a Softmax output as
    it is), and [1 − p, p] for one sigmoid-style output."""
    if out.dim() == 2 and out.shape[1] > 1:
        return out if kind == "probs" else torch.softmax(out, dim=1)
    p = class_scores(out, kind).clamp(0.0, 1.0)
    return torch.stack([1 - p, p], dim=1)


def entropy_penalty(out: torch.Tensor, kind: str) -> torch.Tensor:
    """Mean over the batch of the prediction entropy H(p) = −Σ_c p_c·log p_c (in nats): low when
    the network is sure of every unlabelled point, so minimising it moves the boundary into the
    gaps between clusters (entropy regularization, Grandvalet and Bengio)."""
    p = class_probabilities(out, kind)
    return -(p * torch.log(p.clamp_min(EPS))).sum(dim=1).mean()


def penalty_names(ts, node_types) -> list[str]:
    """The penalty terms the training loss of settings `ts` adds to the task loss, in the order
    `step.penalty_terms` adds them (the entropy term of semi-supervised training last), as the
    Loss panel names them; `node_types` are the network's layer types (a Sampling layer: a VAE's
    β·KL). Empty: the training loss is the task loss."""
    names = []
    if ts.l1 > 0:
        names.append("L1")
    if ts.l2 > 0:
        names.append("L2")
    if ts.sparsity != "none" and ts.sparsity_weight > 0:
        names.append(f"sparsity ({ts.sparsity})")
    if ts.contractive > 0:
        names.append("contractive")
    if "Sampling" in node_types and ts.kl_weight > 0:
        names.append("β·KL")
    if ts.entropy_weight > 0:
        names.append("entropy of unlabelled points")
    return names


@torch.no_grad()
def apply_max_norm(model: nn.Module, c: float) -> None:
    """Max-norm: rescale each unit's incoming weight vector (a row of W, a filter) to norm ≤ c."""
    for p in weight_tensors(model):
        p.copy_(torch.renorm(p, 2, 0, c))
