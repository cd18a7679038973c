"""Normalization and regularization layers: BatchNorm, LayerNorm, Dropout."""
from __future__ import annotations

from typing import Any

from torch import nn

from playground.layers.registry import Constructor, LayerType, Shape, ShapeError, keeps_field, register, same_shape
from playground.params import Param


def _bn_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    s = shapes[0]
    if len(s) == 2:
        raise ShapeError(f"BatchNorm over a sequence {s} is ambiguous; use LayerNorm")
    return s


def _bn(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
    s = shapes[0]
    cls = nn.BatchNorm2d if len(s) == 3 else nn.BatchNorm1d
    return Constructor(cls, (s[0],), {"eps": p["eps"], "momentum": p["momentum"]})


register(LayerType(
    name="BatchNorm", group="Normalization & Regularization",
    help="Normalize each feature (or channel) over the batch, then scale by γ and shift by β; "
         "1-D or 2-D by the input's shape. Uses running statistics at test time",
    params=(Param("momentum", "float", 0.1, "How fast the running mean/variance follow the batches",
                  minimum=0.0, maximum=1.0),
            Param("eps", "float", 1e-5, "ε added to the variance", minimum=1e-10, maximum=1.0, log_scale=True)),
    infer=_bn_shape, constructor=_bn, receptive_field=keeps_field,
))


def _ln_dims(s: Shape, over: str) -> list[int]:
    return list(s) if over == "all" else [s[-1]]


register(LayerType(
    name="LayerNorm", group="Normalization & Regularization",
    help="Normalize each sample over its features (no batch statistics; fine for sequences)",
    params=(Param("over", "choice", "last", "Normalize over the last axis, or over all of the sample",
                  choices=("last", "all")),
            Param("eps", "float", 1e-5, "ε added to the variance", minimum=1e-10, maximum=1.0, log_scale=True)),
    infer=same_shape,
    constructor=lambda shapes, p: Constructor(nn.LayerNorm, (_ln_dims(shapes[0], p["over"]),), {"eps": p["eps"]}),
))

register(LayerType(
    name="Dropout", group="Normalization & Regularization",
    help="While training, zero each unit with probability p and scale the survivors by 1/(1−p) "
         "(inverted dropout), so nothing changes at test time, when dropout is off",
    params=(Param("p", "float", 0.5, "Drop probability p (torch's meaning): p = 0.2 zeroes 20% of the units. "
                  "The notes differ: one keeps a unit with probability p (1 − this) and scales by p at "
                  "test time, or by 1/p while training (inverted dropout); another drops a unit with "
                  "probability p, as here, turns dropout off at test time and multiplies the weights by p "
                  "(keeping the expected output needs 1 − p). p = 0.5 reads the same in all three",
                  minimum=0.0, maximum=0.99),),
    infer=same_shape,
    constructor=lambda shapes, p: Constructor(nn.Dropout, (p["p"],)),
    key_params=("p",), probe_role="pass_through", receptive_field=keeps_field,
))
