"""Core layers: Input, Linear, Flatten, Reshape."""
from __future__ import annotations

import math
from typing import Any

from torch import nn

from playground.layers.modules import Reshape
from playground.layers.registry import INIT_PARAMS, Constructor, LayerType, Shape, ShapeError, register
from playground.params import Param


def _input_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    return tuple(int(s) for s in p["shape"])


register(LayerType(
    name="Input", group="Core",
    help="Where the data enter: one sample's shape, e.g. (2) for points, (1, 28, 28) for images, "
         "(T, F) for sequences",
    params=(Param("shape", "ints", (2,), "Per-sample shape (no batch axis)", minimum=1, maximum=100000),),
    infer=_input_shape,
    constructor=lambda shapes, p: Constructor(nn.Identity),
    min_inputs=0, max_inputs=0, key_params=("shape",), probe_role="pass_through",
))


def _linear_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    (s,) = shapes
    if len(s) == 3:
        raise ShapeError(f"input {s} is an image; put a Flatten before Linear")
    return s[:-1] + (p["out_features"],)


def _linear(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
    return Constructor(nn.Linear, (shapes[0][-1], p["out_features"]), {"bias": p["bias"]}, p["init"], p["init_std"])


def _linear_cost(shapes: list[Shape], p: dict[str, Any], out: Shape) -> int:
    s = shapes[0]
    return math.prod(s[:-1]) * s[-1] * p["out_features"]


register(LayerType(
    name="Linear", group="Core",
    help="Fully connected: y = Wx + b, every input feeds every output unit",
    params=(Param("out_features", "int", 16, "Number of output units (neurons)", minimum=1, maximum=100000),
            Param("bias", "bool", True, "Learn a bias b"),
            *INIT_PARAMS),
    infer=_linear_shape, constructor=_linear, mult_adds=_linear_cost,
    key_params=("out_features",),
))


register(LayerType(
    name="Flatten", group="Core",
    help="Unroll each sample into one vector, e.g. (16, 7, 7) → (784), before Linear layers",
    params=(),
    infer=lambda shapes, p: (math.prod(shapes[0]),),
    constructor=lambda shapes, p: Constructor(nn.Flatten), probe_role="pass_through",
))


def _reshape_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    target = tuple(int(s) for s in p["shape"])
    if math.prod(target) != math.prod(shapes[0]):
        raise ShapeError(f"cannot reshape {shapes[0]} ({math.prod(shapes[0])} values) to {target} "
                         f"({math.prod(target)} values)")
    return target


register(LayerType(
    name="Reshape", group="Core",
    help="Give each sample a new shape with the same number of values (Unflatten), e.g. (784) → (1, 28, 28)",
    params=(Param("shape", "ints", (1, 28, 28), "Target per-sample shape", minimum=1, maximum=100000),),
    infer=_reshape_shape,
    constructor=lambda shapes, p: Constructor(Reshape, tuple(int(s) for s in p["shape"])),
    probe_role="pass_through",
    key_params=("shape",),
))
