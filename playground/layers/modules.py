"""Torch modules for the layers PyTorch has no class for.

This file imports nothing but torch on purpose: the Python-source export copies these classes
into a user's `model.py`, which must run where the playground is not installed.
"""
from __future__ import annotations

import torch
from torch import nn


class Sign(nn.Module):
    """The perceptron's step: +1 for x >= 0, else -1. Its gradient is zero almost everywhere,
    which is why the perceptron has its own learning rule."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))


class Swish(nn.Module):
    """Swish x·σ(βx); β = 1 is SiLU."""

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        self.beta = beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.beta * x)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class Maxout(nn.Module):
    """Maxout: the maximum over groups of k consecutive features (channels for images)."""

    def __init__(self, pieces: int = 2, channel_dim: int = -1) -> None:
        super().__init__()
        self.pieces = pieces
        self.channel_dim = channel_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = self.channel_dim % x.dim()
        shape = list(x.shape)
        grouped = x.reshape(shape[:d] + [shape[d] // self.pieces, self.pieces] + shape[d + 1:])
        return grouped.amax(dim=d + 1)

    def extra_repr(self) -> str:
        return f"pieces={self.pieces}"


class StableSoftmax(nn.Module):
    """Softmax over the last axis, computed as exp(x - max x) / Σ exp(x - max x) so that large
    logits cannot overflow."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shifted = x - x.amax(dim=-1, keepdim=True)
        e = torch.exp(shifted)
        return e / e.sum(dim=-1, keepdim=True)


class Reshape(nn.Module):
    """Reshape each sample (the batch axis stays)."""

    def __init__(self, *shape: int) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape((x.shape[0],) + self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class Add(nn.Module):
    """Element-wise sum of its inputs: the residual skip connection of a ResNet block."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """Concatenate inputs along the channel axis (images) or the feature axis (vectors, sequences)."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


class Recurrent(nn.Module):
    """An RNN/LSTM/GRU over (batch, time, features), returning the whole sequence of hidden
    states or only the last step's.

    Bidirectional: a second RNN reads the sequence from its end to its start and each step's
    output is [forward h_t, backward h_t] (2 × hidden_size). "Only the last" is then each
    direction's final state: the forward one's at step T, the backward one's at step 1, where it
    has read the whole sequence (torch's h_n of the top layer).
    """

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", last_only: bool = True, recurrent_init: str = "default",
                 bidirectional: bool = False) -> None:
        super().__init__()
        kinds = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}
        kwargs = {"nonlinearity": nonlinearity} if cell == "RNN" else {}
        self.rnn = kinds[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True,
                               bidirectional=bidirectional, **kwargs)
        self.last_only = last_only
        self.bidirectional = bidirectional
        if recurrent_init not in ("default", "identity"):
            raise ValueError(f"unknown recurrent_init {recurrent_init!r}")
        if recurrent_init == "identity" and cell != "RNN":
            raise ValueError("recurrent_init='identity' needs a plain RNN: gated cells stack their gates")
        self.recurrent_init = recurrent_init
        self.set_recurrent_identity()

    def set_recurrent_identity(self) -> None:
        """IRNN (Le et al. 2015): with recurrent_init 'identity', every recurrent matrix U = I and
        its bias 0, so h_t starts as h_{t-1} plus the input's part: nothing vanishes at first."""
        if self.recurrent_init != "identity":
            return
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():
                if name.startswith("weight_hh"):
                    p.copy_(torch.eye(p.shape[0], dtype=p.dtype))
                elif name.startswith("bias_hh"):
                    p.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        if not self.last_only:
            return out
        if not self.bidirectional:
            return out[:, -1, :]
        h = self.rnn.hidden_size
        return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)


class Sampling(nn.Module):
    """The VAE's reparameterization: z = μ + σ·ε with σ = exp(½ log σ²), ε ~ N(0, I).

    While training it samples and keeps the batch's KL(q(z|x) ‖ N(0, I)) in `kl`, which the
    loss adds; in eval mode it returns μ, so an exported model is deterministic.
    """

    def __init__(self) -> None:
        super().__init__()
        self.kl = torch.zeros(())

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return mu
        logvar = logvar.clamp(-30.0, 20.0)
        self.kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).sum(dim=1).mean()
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
