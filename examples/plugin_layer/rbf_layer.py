"""A layer plugin for NN Playground: a radial-basis-function (RBF) layer, which PyTorch lacks.

Each of its units has a centre c_j and a width σ_j, both learned, and outputs
exp(−‖x − c_j‖² / (2σ_j²)): 1 at its centre, falling towards 0 away from it. A layer of them
followed by a Linear layer is an RBF network, which separates XOR with a handful of bumps
instead of bent planes.

Use it by naming this module in PLAYGROUND_PLUGINS (it must be importable):

    PYTHONPATH=examples/plugin_layer PLAYGROUND_PLUGINS=rbf_layer \\
        playground train examples/plugin_layer/rbf_xor.json

or by installing a package that declares it under the entry-point group `nn_playground.layers`.
The module class below imports only torch: the model.py and train.py exports copy its source.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import nn

from playground.layers import Constructor, LayerType, ShapeError, register
from playground.params import Param


class RBF(nn.Module):
    """out_j = exp(−‖x − c_j‖² / (2σ_j²)) over the last axis; centres and log σ are learned."""

    def __init__(self, in_features: int, out_features: int, sigma: float = 1.0) -> None:
        super().__init__()
        self.centers = nn.Parameter(torch.randn(out_features, in_features))
        self.log_sigma = nn.Parameter(torch.full((out_features,), float(sigma)).log())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d2 = (x.unsqueeze(-2) - self.centers).pow(2).sum(-1)
        return torch.exp(-d2 / (2 * torch.exp(2 * self.log_sigma)))


def _shape(shapes: list[tuple[int, ...]], p: dict[str, Any]) -> tuple[int, ...]:
    (s,) = shapes
    if len(s) != 1:
        raise ShapeError(f"needs a vector (F), got {s}; put a Flatten before it")
    return (p["out_features"],)


register(LayerType(
    name="RBF", group="Plugins",
    help="Radial basis functions: each unit is a learned bump exp(−‖x − c‖²/2σ²) around its centre c",
    params=(Param("out_features", "int", 8, "Number of bumps (centres)", minimum=1, maximum=4096),
            Param("sigma", "float", 1.0, "Initial width σ of every bump", minimum=1e-3, maximum=100.0,
                  log_scale=True)),
    infer=_shape,
    constructor=lambda shapes, p: Constructor(RBF, (shapes[0][0], p["out_features"]), {"sigma": p["sigma"]}),
    mult_adds=lambda shapes, p, out: 2 * shapes[0][0] * p["out_features"],
    key_params=("out_features",),
))
