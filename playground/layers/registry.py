"""The layer catalogue's machinery: what a layer type declares, and the one registry.

Each layer type declares its parameters, its shape rule, how it makes its torch module and
how the Python-source export writes it. The palette, the inspector, validation, building and
export all read `CATALOGUE`; adding a layer type is adding one `register(...)` call.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from playground.params import Param

Shape = tuple[int, ...]
"""A per-sample shape (no batch axis): (F,), (C, H, W) or (T, F)."""


class ShapeError(ValueError):
    """A layer cannot take the shapes it is given; the message says why in plain words."""


GROUPS = ("Core", "Convolution", "Recurrent", "Activation", "Normalization & Regularization",
          "Merge", "Autoencoder")


@dataclass(frozen=True)
class LayerType:
    """One entry of the catalogue."""

    name: str
    group: str
    help: str
    params: tuple[Param, ...]
    infer: Callable[[list[Shape], dict[str, Any]], Shape]
    make: Callable[[list[Shape], dict[str, Any]], nn.Module]
    code: Callable[[list[Shape], dict[str, Any]], str]
    """The constructor call the Python-source export writes, e.g. `nn.Linear(64, 10)`."""
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number
    key_params: tuple[str, ...] = ()
    """Parameters shown on the node's face on the canvas."""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def has_init(self) -> bool:
        return any(p.name == "init" for p in self.params)


CATALOGUE: dict[str, LayerType] = {}


def register(layer: LayerType) -> LayerType:
    if layer.group not in GROUPS:
        raise ValueError(f"layer {layer.name}: unknown group {layer.group!r}")
    if layer.name in CATALOGUE:
        raise ValueError(f"layer {layer.name} registered twice")
    CATALOGUE[layer.name] = layer
    return layer


INIT_SCHEMES = ("default", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
                "lecun_normal", "normal", "zeros", "orthogonal")

INIT_PARAMS = (
    Param("init", "choice", "default",
          "Weight init: default is PyTorch's; Xavier keeps variance for tanh/sigmoid, Kaiming "
          "(He) for ReLU, LeCun-normal N(0, 1/fan_in) for SELU; Normal(σ) lets you see what too small or too large does",
          choices=INIT_SCHEMES),
    Param("init_std", "float", 0.01, "σ of the Normal(σ) init", minimum=0.0, maximum=10.0,
          log_scale=True),
)


def init_weights(module: nn.Module, scheme: str, std: float, nonlinearity: str = "relu") -> None:
    """Initialise every weight matrix of `module` by `scheme`; biases start at zero."""
    if scheme == "default":
        return
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.dim() < 2:
                if "bias" in name:
                    p.zero_()
                continue
            if scheme == "xavier_uniform":
                nn.init.xavier_uniform_(p)
            elif scheme == "xavier_normal":
                nn.init.xavier_normal_(p)
            elif scheme == "kaiming_uniform":
                nn.init.kaiming_uniform_(p, nonlinearity=nonlinearity)
            elif scheme == "kaiming_normal":
                nn.init.kaiming_normal_(p, nonlinearity=nonlinearity)
            elif scheme == "lecun_normal":  # N(0, 1/fan_in): what SELU's self-normalization assumes
                nn.init.kaiming_normal_(p, nonlinearity="linear")
            elif scheme == "normal":
                nn.init.normal_(p, 0.0, std)
            elif scheme == "zeros":
                p.zero_()
            elif scheme == "orthogonal":
                nn.init.orthogonal_(p)
            else:
                raise ValueError(f"unknown init scheme {scheme!r}")


def same_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    """Shape rule of layers that keep their input's shape (activations, dropout)."""
    return shapes[0]


def fmt_shape(shape: Shape) -> str:
    """(8, 16, 16) as a person reads it."""
    return "(" + ", ".join(str(s) for s in shape) + ")"
