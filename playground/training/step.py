"""The pieces of one training step, shared by the Trainer and the exported train.py.

Augmentation, corruption, the loss and its penalty terms (with the VAE's KL), evaluation, the
perceptron update, the choice of device and early stopping live here once. The Trainer
imports them; the script export copies their source into train.py verbatim (with the loss
functions of `losses.py` they call), so the two cannot drift apart. Hence the rules of this
module: it imports only math and torch (and, by name, `losses.py`'s torch-only functions),
and its functions take the settings object (`TrainSpec` here, the script's `Settings` there,
which has the same fields) and plain tensors, never a Trainer.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from playground.training.losses import (
    contractive_penalty, l1_penalty, l2_penalty, predicted_classes, sparsity_penalty, task_loss)

EVAL_CHUNK = 128
"""Evaluation runs in chunks of this many samples (measured: conv nets evaluate ~2x faster in
chunks of 128 than of 1024 on a CPU); the script uses the same, so its figures are the same."""

STEP_FUNCTIONS = ("_rand", "_randn_like", "_randint", "shift_images", "augment", "corrupt", "kl_divergence",
                  "penalty_terms", "evaluate_outputs", "perceptron_update", "choose_device", "EarlyStopping")
"""What the script export copies, in this order."""


# ---------------------------------------------------------------- augmentation and corruption
def _rand(shape: tuple[int, ...], x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Uniform [0, 1) numbers on x's device, drawn from `generator` wherever that lives."""
    device = generator.device if generator is not None else x.device
    return torch.rand(shape, generator=generator, device=device).to(x.device)


def _randn_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


def _randint(high: int, n: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    device = generator.device if generator is not None else x.device
    return torch.randint(0, high, (n,), generator=generator, device=device).to(x.device)


def shift_images(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
    """Move each image (N, C, H, W) by its own random (dy, dx) in [-max_shift, max_shift]; the
    uncovered border is zero. Gathers on the device: no per-image loop, no read-back."""
    n, _, h, w = x.shape
    s = max_shift
    dy = _randint(2 * s + 1, n, x, generator) - s
    dx = _randint(2 * s + 1, n, x, generator) - s
    padded = torch.nn.functional.pad(x, (s, s, s, s))
    # out[i, :, r, c] = padded[i, :, r + s - dy_i, c + s - dx_i]: gather rows, then columns.
    rows = (torch.arange(h, device=x.device)[None, :] + s - dy[:, None])  # (N, H)
    cols = (torch.arange(w, device=x.device)[None, :] + s - dx[:, None])  # (N, W)
    c = x.shape[1]
    rows = rows[:, None, :, None].expand(n, c, h, w + 2 * s)
    picked = torch.gather(padded, 2, rows)  # (N, C, H, W + 2s)
    cols = cols[:, None, None, :].expand(n, c, h, w)
    return torch.gather(picked, 3, cols)


def augment(x: torch.Tensor, params: dict, generator: torch.Generator | None = None) -> torch.Tensor:
    """Randomly shift, flip and add noise to a training batch of images (N, C, H, W).

    Anything that is not an image batch (points, sequences) is returned unchanged, as is the
    batch when every augmentation is off. `params` are the data set's parameters.
    """
    shift = int(params.get("augment_shift", 0))
    flip = bool(params.get("augment_flip", False))
    noise = float(params.get("augment_noise", 0.0))
    if x.dim() != 4 or (shift <= 0 and not flip and noise <= 0):
        return x
    if shift > 0:
        x = shift_images(x, shift, generator)
    if flip:
        mirror = _rand((x.shape[0],), x, generator) < 0.5
        x = torch.where(mirror[:, None, None, None], x.flip(-1), x)
    if noise > 0:
        x = x + noise * _randn_like(x, generator)
    return x


def corrupt(x: torch.Tensor, params: dict, generator: torch.Generator | None = None) -> torch.Tensor:
    """Damage inputs for a denoising autoencoder: add Gaussian noise, or zero a random share
    of the values ("mask"). The clean x stays the reconstruction target."""
    how = params.get("corruption", "none")
    amount = float(params.get("corruption_amount", 0.3))  # the data sets' declared default
    if how == "none" or amount <= 0:
        return x
    if how == "gaussian":
        return x + amount * _randn_like(x, generator)
    if how == "mask":
        keep = _rand(tuple(x.shape), x, generator) >= amount
        return x * keep.to(x.dtype)
    raise ValueError(f"unknown corruption {how!r} (known: none, gaussian, mask)")


# ---------------------------------------------------------------- the loss
def kl_divergence(net: nn.Module) -> torch.Tensor | None:
    """The VAE's KL term, kept by each Sampling node during its training forward pass."""
    terms = [m.kl for m in net.modules() if type(m).__name__ == "Sampling"]
    return sum(terms[1:], terms[0]) if terms else None


def penalty_terms(s, net: nn.Module, x: torch.Tensor, code: torch.Tensor | None,
                  input_values: int) -> torch.Tensor:
    """Every active penalty of the settings `s`, summed: λ1·L1 and λ2·L2 of the weights, the
    sparse-code and contractive terms on the code node's output, and β·KL of a VAE (per input
    value, like the reconstruction loss: β = 1 is the ELBO per value). Zero when none is on."""
    penalty = torch.zeros((), device=x.device)
    if s.l1 > 0:
        penalty = penalty + s.l1 * l1_penalty(net)
    if s.l2 > 0:
        penalty = penalty + s.l2 * l2_penalty(net)
    if s.sparsity != "none" and s.sparsity_weight > 0:
        penalty = penalty + s.sparsity_weight * sparsity_penalty(code, s.sparsity, s.sparsity_target)
    if s.contractive > 0:
        penalty = penalty + s.contractive * contractive_penalty(x, code)
    kl = kl_divergence(net) if net.training else None
    if kl is not None and s.kl_weight > 0:
        penalty = penalty + s.kl_weight * kl / input_values
    return penalty


@torch.no_grad()
def evaluate_outputs(s, out: torch.Tensor, x: torch.Tensor, y: torch.Tensor, kind: str,
                     classifier: bool, n_classes: int, correct: int | None = None) -> dict[str, float]:
    """Metrics of eval-mode outputs on a split: the task loss (no penalties), a classifier's
    accuracy, and the mean squared error of a reconstruction or a regression. `correct`: the
    classifier's number of correct predictions where the caller has counted them already."""
    if s.mode == "perceptron":
        err = float(((out.reshape(-1) >= 0).long() != y).float().mean())
        return {"loss": err, "accuracy": 1.0 - err}
    target = x if s.target == "input" else y
    result = {"loss": float(task_loss(s.loss, out, target, kind))}
    if classifier:
        if correct is None:
            correct = int((predicted_classes(out, kind) == y).sum())
        result["accuracy"] = correct / len(y)
    if s.target == "input":
        result["mse"] = float(torch.mean((out.reshape(x.shape) - x) ** 2))
    elif n_classes == 0:
        result["mse"] = float(torch.mean((out.reshape(y.shape) - y) ** 2))
    return result


# ---------------------------------------------------------------- the perceptron rule
@torch.no_grad()
def perceptron_update(linear: nn.Linear, x: torch.Tensor, y: torch.Tensor) -> int:
    """Rosenblatt's rule on each example in turn: on a mistake, w ← w + y·x and b ← b + y
    (y in ±1 from labels 0/1). Returns the number of mistakes."""
    w, b = linear.weight, linear.bias
    x = x.reshape(len(x), -1)
    signs = y.to(x.dtype) * 2 - 1
    mistakes = 0
    for i in range(len(x)):
        score = w[0] @ x[i] + (b[0] if b is not None else 0.0)
        if float(signs[i] * score) <= 0:
            w[0] += signs[i] * x[i]
            if b is not None:
                b[0] += signs[i]
            mistakes += 1
    return mistakes


# ---------------------------------------------------------------- devices and early stopping
def choose_device(name: str, world: int = 1, local_rank: int = 0) -> torch.device:
    """The device a name means: "auto" (or "") is CUDA (this process's GPU under torchrun), then
    MPS (one process only), then the CPU; "cuda" without an index is the local GPU. A CUDA
    device is also made current, with its index (set_device refuses a bare "cuda")."""
    if name in ("", "auto"):
        if torch.cuda.is_available():
            device = torch.device("cuda", local_rank if world > 1 else torch.cuda.current_device())
        elif world == 1 and getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = torch.device("mps")
        else:
            device = torch.device("cpu")
    else:
        device = torch.device(name)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", local_rank if world > 1 else torch.cuda.current_device())
    if device.type == "cuda":
        torch.cuda.set_device(device.index)
    return device


class EarlyStopping:
    """Stop after `patience` epochs without a better validation loss, and give back the best
    epoch's weights (copied on the device they live on: no read-back)."""

    def __init__(self, patience: int) -> None:
        self.patience = patience
        self.best_loss = math.inf
        self.best_epoch = 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.since_best = 0

    def update(self, val_loss: float, net: nn.Module, epoch: int) -> bool:
        """Note this epoch's validation loss; True when training should stop (then the best
        weights are already restored into `net`)."""
        if self.best_state is None or val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.since_best = val_loss, epoch, 0
            self.best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            return False
        self.since_best += 1
        if self.since_best < self.patience:
            return False
        net.load_state_dict(self.best_state)
        return True

