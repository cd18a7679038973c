"""Activation functions, from the perceptron's step to GELU and Maxout, each declared once.

`register_activation(...)` is the one place an activation is added: it registers the layer type
(palette, building, export) and the facts other parts read from `ACTIVATIONS`: its formula and
the one-dimensional slice the activations lab draws, the range it saturates against (the
Diagnostician's saturation card) and whether its units can die (the probes count dead units,
the dead-unit card fires). A plugin calls it the same way.

A unit is dead on the probe inputs when its gradient |f'(x)| is below DEAD_SLOPE on every one of
them: no example moves the weights that feed it. For ReLU, f'(x) = 0 for x ≤ 0 and 1 above, so
these are exactly the units whose output is 0 on every input. GELU, Swish, Softplus, ELU and SELU
never have a gradient of exactly 0 below zero, but it fades as x goes far below zero (GELU's
Φ(x) + x·φ(x), Softplus's σ(βx), ELU's α·eˣ), and a unit pushed that far is dead in practice.
Leaky ReLU and PReLU keep a slope α below zero and Maxout passes the gradient to its largest
piece, so their units cannot die; Sigmoid and Tanh stop learning by saturating, which the
saturation card reports.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from playground.layers.modules import Maxout, Sign, StableSoftmax, Swish
from playground.layers.registry import Constructor, LayerType, Shape, ShapeError, keeps_field, register, same_shape
from playground.params import Param


def _column(x: torch.Tensor) -> torch.Tensor:
    """A column of scalars as a batch of one-feature samples."""
    return x[:, None]


DEAD_SLOPE = 1e-3
"""A unit whose |f'(x)| is below this on every probe input is counted dead (ReLU: f'(x) = 0)."""


@dataclass(frozen=True)
class Activation:
    """What the playground knows about an activation beyond its layer type."""

    name: str
    formula: str
    """One line for the activations lab, e.g. 'f(x) = max(0, x)'."""
    saturates_at: tuple[float, float] | None = None
    """The bounds its output saturates against (tanh: (-1, 1)); None: it does not saturate."""
    can_die: bool = False
    """Its gradient vanishes for very negative inputs (ReLU: 0 below zero; GELU, Swish, Softplus,
    ELU: fading to 0), so a unit can stop learning: the probes count the units whose |f'(x)| is
    below DEAD_SLOPE on every probe input, a card reports them. f' is the layer's own derivative
    (autograd), so the activation must act on each value alone."""
    lab_input: Callable[[torch.Tensor], torch.Tensor] = _column
    """How the lab feeds it a column x of scalars (vector-valued ones get a slice); the lab plots
    the first output value."""


ACTIVATIONS: dict[str, Activation] = {}
"""Every activation by layer type name, in the palette's order."""


def register_activation(name: str, help: str, constructor: Callable[[dict[str, Any]], Constructor] | None, *,
                        formula: str, params: tuple[Param, ...] = (), key: tuple[str, ...] = (),
                        saturates_at: tuple[float, float] | None = None, can_die: bool = False,
                        lab_input: Callable[[torch.Tensor], torch.Tensor] = _column,
                        infer: Callable[[list[Shape], dict[str, Any]], Shape] = same_shape,
                        layer_constructor: Callable[[list[Shape], dict[str, Any]], Constructor] | None = None,
                        **facts: Any) -> Activation:
    """Add an activation: its layer type (same shape and receptive field unless `infer` and
    `facts` say otherwise) and its facts. `layer_constructor` replaces `constructor` when the
    module depends on the input shapes."""
    facts.setdefault("receptive_field", keeps_field)
    if can_die:
        facts["probe_role"] = "can_die"
    register(LayerType(
        name=name, group="Activation", help=help, params=params, infer=infer,
        constructor=layer_constructor or (lambda shapes, p: constructor(p)),  # type: ignore[misc]
        key_params=key, **facts,
    ))
    ACTIVATIONS[name] = Activation(name, formula, saturates_at, can_die, lab_input)
    return ACTIVATIONS[name]


def unregister_activation(name: str) -> None:
    """Take an activation back out (a test's own, or a plugin being unloaded)."""
    from playground.layers.registry import CATALOGUE
    ACTIVATIONS.pop(name, None)
    CATALOGUE.pop(name, None)


def _pair(second: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """Feed x and second·x side by side: the lab's slice of a function of two values."""
    return lambda x: torch.stack([x, second * x], dim=1)


register_activation("Identity", "f(x) = x: no non-linearity (a stack of these is one linear map)",
                    lambda p: Constructor(nn.Identity), formula="f(x) = x", probe_role="pass_through")
register_activation("Sign", "Step/sign: +1 if x ≥ 0 else −1, the perceptron's output; no useful gradient",
                    lambda p: Constructor(Sign), formula="f(x) = +1 if x ≥ 0 else −1", output_kind="sign")
register_activation("Sigmoid", "σ(x) = 1/(1+e^−x): squashes to (0, 1); saturates, so gradients vanish in deep stacks",
                    lambda p: Constructor(nn.Sigmoid), formula="σ(x) = 1 / (1 + e^(−x)),  σ'(x) = σ(x)(1 − σ(x))",
                    saturates_at=(0.0, 1.0), output_kind="prob")
register_activation("Tanh", "tanh(x): squashes to (−1, 1), zero-centred; still saturates",
                    lambda p: Constructor(nn.Tanh),
                    formula="tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x)),  tanh'(x) = 1 − tanh²(x)",
                    saturates_at=(-1.0, 1.0))
register_activation("ReLU", "max(0, x): no saturation for x > 0, cheap; units can die (always 0)",
                    lambda p: Constructor(nn.ReLU), formula="f(x) = max(0, x),  f'(x) = 1 if x > 0 else 0",
                    can_die=True)

ALPHA = Param("alpha", "float", 0.01, "Slope α for x < 0", minimum=0.0, maximum=10.0)
register_activation("LeakyReLU", "x if x > 0 else αx: a small slope keeps units from dying",
                    lambda p: Constructor(nn.LeakyReLU, (p["alpha"],)), formula="f(x) = x if x > 0 else αx  (α = 0.01)",
                    params=(ALPHA,), key=("alpha",))
register_activation("PReLU", "Leaky ReLU whose slope α is learned",
                    lambda p: Constructor(nn.PReLU, (), {"init": p["alpha"]}),
                    formula="f(x) = x if x > 0 else αx  (α learned, starts at 0.25)",
                    params=(Param("alpha", "float", 0.25, "Initial slope α for x < 0", minimum=0.0, maximum=10.0),))
register_activation("ELU", "x if x > 0 else α(eˣ − 1): smooth, mean activations nearer zero",
                    lambda p: Constructor(nn.ELU, (p["alpha"],)), formula="f(x) = x if x > 0 else α(e^x − 1)  (α = 1)",
                    params=(Param("alpha", "float", 1.0, "Value ELU approaches for very negative x: −α",
                                  minimum=0.0, maximum=10.0),), key=("alpha",), can_die=True)
register_activation("SELU", "Scaled ELU λ·(x if x > 0 else α(eˣ − 1)): self-normalizing (activations keep mean 0, "
                    "std 1 layer after layer) when the Linear layers use LeCun-normal init (init: lecun_normal)",
                    lambda p: Constructor(nn.SELU),
                    formula="f(x) = λ·(x if x > 0 else α(e^x − 1)),  λ ≈ 1.0507, α ≈ 1.6733", can_die=True)
register_activation("GELU", "x·Φ(x): a smooth ReLU used in Transformers",
                    lambda p: Constructor(nn.GELU), formula="f(x) = x·Φ(x)  (Φ: the standard normal CDF)",
                    can_die=True)
register_activation("Swish", "Swish/SiLU x·σ(βx): smooth, non-monotonic; β = 1 is SiLU",
                    lambda p: Constructor(Swish, (p["beta"],)), formula="f(x) = x·σ(βx)  (β = 1: SiLU)",
                    params=(Param("beta", "float", 1.0, "β: sharpness; large β approaches ReLU", minimum=0.0,
                                  maximum=100.0),), key=("beta",), can_die=True)
register_activation("Softplus", "log(1 + e^{βx})/β: a smooth ReLU",
                    lambda p: Constructor(nn.Softplus, (), {"beta": p["beta"]}),
                    formula="f(x) = log(1 + e^(βx)) / β,  f'(x) = σ(βx)",
                    params=(Param("beta", "float", 1.0, "β: sharpness", minimum=0.01, maximum=100.0),),
                    can_die=True)
register_activation("Softmax", "eˣⁱ / Σ eˣʲ over the last axis, computed stably (x − max x): class probabilities. "
                    "Cross-entropy applies it itself, so a classifier may end on logits",
                    lambda p: Constructor(StableSoftmax),
                    formula="p₁ = e^(x₁) / Σⱼ e^(xⱼ); shown: p₁ of the logits (x, 0), which is σ(x)",
                    lab_input=_pair(0.0), output_kind="probs", receptive_field=None)


def _maxout_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    s = shapes[0]
    axis = 0 if len(s) == 3 else len(s) - 1
    k = p["pieces"]
    if s[axis] % k:
        what = "channels" if len(s) == 3 else "features"
        raise ShapeError(f"{s[axis]} {what} do not split into groups of {k}")
    return s[:axis] + (s[axis] // k,) + s[axis + 1:]


register_activation(
    "Maxout", "Maximum over each group of k units: a learned piecewise-linear activation (k pieces)", None,
    formula="f(x) = maxₖ (wₖ·x + bₖ); shown: max(x, −x/2) (k = 2)",
    params=(Param("pieces", "int", 2, "k: units per group; the layer's output is k times smaller",
                  minimum=1, maximum=64),),
    key=("pieces",), infer=_maxout_shape, lab_input=_pair(-0.5),
    layer_constructor=lambda shapes, p: Constructor(Maxout, (p["pieces"],),
                                                    {"channel_dim": 1 if len(shapes[0]) == 3 else -1}))
