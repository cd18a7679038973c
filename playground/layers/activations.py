"""Activation functions, from the perceptron's step to GELU and Maxout."""
from __future__ import annotations

from typing import Any, Callable

from torch import nn

from playground.layers.modules import Maxout, Sign, StableSoftmax, Swish
from playground.layers.registry import Constructor, LayerType, Shape, ShapeError, keeps_field, register, same_shape
from playground.params import Param


def _activation(name: str, help: str, constructor: Callable[[dict[str, Any]], Constructor],
                params: tuple[Param, ...] = (), key: tuple[str, ...] = (), **facts: Any) -> None:
    """An activation: same shape and (unless `facts` say otherwise) same receptive field."""
    facts.setdefault("receptive_field", keeps_field)
    register(LayerType(
        name=name, group="Activation", help=help, params=params, infer=same_shape,
        constructor=lambda shapes, p: constructor(p), key_params=key, **facts,
    ))


_activation("Identity", "f(x) = x: no non-linearity (a stack of these is one linear map)",
            lambda p: Constructor(nn.Identity), probe_role="pass_through")
_activation("Sign", "Step/sign: +1 if x ≥ 0 else −1, the perceptron's output; no useful gradient",
            lambda p: Constructor(Sign), output_kind="sign")
_activation("Sigmoid", "σ(x) = 1/(1+e^−x): squashes to (0, 1); saturates, so gradients vanish in deep stacks",
            lambda p: Constructor(nn.Sigmoid), output_kind="prob")
_activation("Tanh", "tanh(x): squashes to (−1, 1), zero-centred; still saturates",
            lambda p: Constructor(nn.Tanh))
_activation("ReLU", "max(0, x): no saturation for x > 0, cheap; units can die (always 0)",
            lambda p: Constructor(nn.ReLU), probe_role="can_die")

ALPHA = Param("alpha", "float", 0.01, "Slope α for x < 0", minimum=0.0, maximum=10.0)
_activation("LeakyReLU", "x if x > 0 else αx: a small slope keeps units from dying",
            lambda p: Constructor(nn.LeakyReLU, (p["alpha"],)),
            (ALPHA,), ("alpha",))
_activation("PReLU", "Leaky ReLU whose slope α is learned",
            lambda p: Constructor(nn.PReLU, (), {"init": p["alpha"]}),
            (Param("alpha", "float", 0.25, "Initial slope α for x < 0", minimum=0.0, maximum=10.0),))
_activation("ELU", "x if x > 0 else α(eˣ − 1): smooth, mean activations nearer zero",
            lambda p: Constructor(nn.ELU, (p["alpha"],)),
            (Param("alpha", "float", 1.0, "Value ELU approaches for very negative x: −α",
                   minimum=0.0, maximum=10.0),), ("alpha",))
_activation("SELU", "Scaled ELU λ·(x if x > 0 else α(eˣ − 1)): self-normalizing (activations keep mean 0, "
            "std 1 layer after layer) when the Linear layers use LeCun-normal init (init: lecun_normal)",
            lambda p: Constructor(nn.SELU))
_activation("GELU", "x·Φ(x): a smooth ReLU used in Transformers",
            lambda p: Constructor(nn.GELU))
_activation("Swish", "Swish/SiLU x·σ(βx): smooth, non-monotonic; β = 1 is SiLU",
            lambda p: Constructor(Swish, (p["beta"],)),
            (Param("beta", "float", 1.0, "β: sharpness; large β approaches ReLU", minimum=0.0, maximum=100.0),),
            ("beta",))
_activation("Softplus", "log(1 + e^{βx})/β: a smooth ReLU",
            lambda p: Constructor(nn.Softplus, (), {"beta": p["beta"]}),
            (Param("beta", "float", 1.0, "β: sharpness", minimum=0.01, maximum=100.0),))
_activation("Softmax", "eˣⁱ / Σ eˣʲ over the last axis, computed stably (x − max x): class probabilities. "
            "Cross-entropy applies it itself, so a classifier may end on logits",
            lambda p: Constructor(StableSoftmax), output_kind="probs", receptive_field=None)


def _maxout_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    s = shapes[0]
    axis = 0 if len(s) == 3 else len(s) - 1
    k = p["pieces"]
    if s[axis] % k:
        what = "channels" if len(s) == 3 else "features"
        raise ShapeError(f"{s[axis]} {what} do not split into groups of {k}")
    return s[:axis] + (s[axis] // k,) + s[axis + 1:]


register(LayerType(
    name="Maxout", group="Activation",
    help="Maximum over each group of k units: a learned piecewise-linear activation (k pieces)",
    params=(Param("pieces", "int", 2, "k: units per group; the layer's output is k times smaller",
                  minimum=1, maximum=64),),
    infer=_maxout_shape,
    constructor=lambda shapes, p: Constructor(Maxout, (p["pieces"],), {"channel_dim": 1 if len(shapes[0]) == 3 else -1}),
    receptive_field=keeps_field,
    key_params=("pieces",),
))
