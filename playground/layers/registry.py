"""The layer catalogue's machinery: what a layer type declares, and the one registry.

Each layer type owns all of its facts: its parameters, its shape rule, one constructor
description (`Constructor`: which module class with which arguments and initialization) from
which both building and the Python-source export work, its cost and receptive field, its role
for the probes and the kind of values it outputs. The palette, the inspector, validation,
building, the probes and every export read `CATALOGUE`; adding a layer type is one
`register(...)` call, from this package or from a plugin (see `playground.layers.plugins`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from playground.params import Param

Shape = tuple[int, ...]
"""A per-sample shape (no batch axis): (F,), (C, H, W) or (T, F)."""


class ShapeError(ValueError):
    """A layer cannot take the shapes it is given; the message says why in plain words."""


GROUPS = ("Core", "Convolution", "Recurrent", "Activation", "Normalization & Regularization",
          "Merge", "Autoencoder", "Plugins")
"""Palette groups, in order; a plugin's type joins one of them ("Plugins" unless it fits another)."""


@dataclass(frozen=True)
class Constructor:
    """How to make one layer's module: `module(*args, **kwargs)`, then `init_weights` with
    (init, init_std, nonlinearity) unless init is "default". Building calls `make()`; the
    Python-source export writes `code()`, so the two cannot disagree."""

    module: type[nn.Module]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    init: str = "default"
    init_std: float = 0.01
    nonlinearity: str = "relu"

    def make(self) -> nn.Module:
        m = self.module(*self.args, **self.kwargs)
        if self.init != "default":
            init_weights(m, self.init, self.init_std, self.nonlinearity)
        return m

    @property
    def class_name(self) -> str:
        """`nn.Linear` for torch's own layers, the bare class name for ours and plugins'."""
        name = self.module.__name__
        return f"nn.{name}" if getattr(nn, name, None) is self.module else name

    def code(self) -> str:
        """The constructor call as source, e.g. `nn.Linear(64, 10, bias=True)`."""
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"{self.class_name}({', '.join(parts)})"

    def init_code(self, target: str) -> str:
        """The init_weights call the export writes after constructing `target` ("" if none)."""
        if self.init == "default":
            return ""
        extra = f", nonlinearity={self.nonlinearity!r}" if self.nonlinearity != "relu" else ""
        return f"init_weights({target}, {self.init!r}, {self.init_std!r}{extra})"


Field = tuple[float, float]
"""(receptive field, jump): the side of the square of input pixels one output value depends on,
and the input-pixel distance between neighbouring output pixels."""


def keeps_field(p: dict[str, Any], field_in: Field) -> Field:
    """Receptive-field rule of layers whose output at a pixel depends only on that pixel."""
    return field_in


PROBE_ROLES = ("activation", "pass_through", "can_die")
"""activation: the probes histogram its outputs; pass_through: its outputs are its input's values
again (no histogram of its own); can_die: like activation, plus the fraction of dead units (those
whose gradient |f'(x)| is below activations.DEAD_SLOPE on every probe input)."""
OUTPUT_KINDS = ("raw", "probs", "prob", "sign")
"""What an output node's values are: raw scores, class probabilities (Softmax), one
probability (Sigmoid) or ±1 (Sign). Losses and accuracy read it."""


@dataclass(frozen=True)
class LayerType:
    """One entry of the catalogue: everything the playground knows about a layer type."""

    name: str
    group: str
    help: str
    params: tuple[Param, ...]
    infer: Callable[[list[Shape], dict[str, Any]], Shape]
    constructor: Callable[[list[Shape], dict[str, Any]], Constructor]
    """The module to build for given input shapes and full parameters."""
    min_inputs: int = 1
    max_inputs: int | None = 1  # None: any number
    key_params: tuple[str, ...] = ()
    """Parameters shown on the node's face on the canvas."""
    mult_adds: Callable[[list[Shape], dict[str, Any], Shape], int] | None = None
    """Multiply-adds per sample of the layer's weights (None: element-wise, counted as 0)."""
    receptive_field: Callable[[dict[str, Any], Field], Field] | None = None
    """Image layers: (field, jump) after the layer from the widest input's; None: the values mix
    the whole image (Flatten, Linear...), so a receptive field no longer applies."""
    probe_role: str = "activation"
    output_kind: str = "raw"

    def __post_init__(self) -> None:
        if self.probe_role not in PROBE_ROLES:
            raise ValueError(f"layer {self.name}: probe_role must be one of {', '.join(PROBE_ROLES)}")
        if self.output_kind not in OUTPUT_KINDS:
            raise ValueError(f"layer {self.name}: output_kind must be one of {', '.join(OUTPUT_KINDS)}")

    def make(self, shapes: list[Shape], p: dict[str, Any]) -> nn.Module:
        """The torch module, initialised."""
        return self.constructor(shapes, p).make()

    def code(self, shapes: list[Shape], p: dict[str, Any]) -> str:
        """The constructor call the Python-source export writes, e.g. `nn.Linear(64, 10)`."""
        return self.constructor(shapes, p).code()

    def cost(self, shapes: list[Shape], p: dict[str, Any], out_shape: Shape) -> int:
        return self.mult_adds(shapes, p, out_shape) if self.mult_adds else 0

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


CATALOGUE: dict[str, LayerType] = {}


def register(layer: LayerType) -> LayerType:
    """Add a layer type to the catalogue (built-ins at import, plugins when they are loaded)."""
    if layer.group not in GROUPS:
        raise ValueError(f"layer {layer.name}: unknown group {layer.group!r}")
    if layer.name in CATALOGUE:
        raise ValueError(f"layer {layer.name} registered twice")
    CATALOGUE[layer.name] = layer
    return layer


INIT_SCHEMES = ("default", "xavier_uniform", "xavier_normal", "xavier_notes", "kaiming_uniform",
                "kaiming_normal", "lecun_normal", "normal", "zeros", "orthogonal")
"""xavier_uniform and xavier_normal are Glorot's (what presets saying "xavier" have always trained);
xavier_notes is the course notes' Xavier, N(0, 1/fan_in)."""

INIT_PARAMS = (
    Param("init", "choice", "default",
          "Weight init: default is PyTorch's. Two Xaviers keep the variance for tanh/sigmoid: "
          "xavier_notes is the notes' Xavier, randn/√D_in, Var(w) = 1/fan_in; xavier_uniform and "
          "xavier_normal are Glorot's (PyTorch's), Var(w) = 2/(fan_in + fan_out), which equals the "
          "notes' only when fan_in = fan_out. Kaiming (He) for ReLU, Var(w) = 2/fan_in; LeCun-normal "
          "N(0, 1/fan_in) for SELU (the same draw as xavier_notes); Normal(σ) lets you see what too "
          "small or too large does",
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
            elif scheme in ("xavier_notes", "lecun_normal"):  # N(0, 1/fan_in): randn/√D_in
                nn.init.kaiming_normal_(p, nonlinearity="linear")
            elif scheme == "normal":
                nn.init.normal_(p, 0.0, std)
            elif scheme == "zeros":
                p.zero_()
            elif scheme == "orthogonal":
                nn.init.orthogonal_(p)
            else:
                raise ValueError(f"unknown init scheme {scheme!r}")
    for m in module.modules():  # an IRNN's identity recurrent matrix outlives the scheme
        if hasattr(m, "set_recurrent_identity"):
            m.set_recurrent_identity()


def same_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    """Shape rule of layers that keep their input's shape (activations, dropout)."""
    return shapes[0]


def fmt_shape(shape: Shape) -> str:
    """(8, 16, 16) as a person reads it."""
    return "(" + ", ".join(str(s) for s in shape) + ")"
