"""Merge layers: Add (the residual skip) and Concat."""
from __future__ import annotations

from typing import Any

from playground.layers.modules import Add, Concat
from playground.layers.registry import Constructor, LayerType, Shape, ShapeError, fmt_shape, keeps_field, register


def _add_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    first = shapes[0]
    for other in shapes[1:]:
        if other != first:
            raise ShapeError(f"shapes {fmt_shape(first)} and {fmt_shape(other)} differ")
    return first


register(LayerType(
    name="Add", group="Merge",
    help="Sum inputs of the same shape: x + F(x) is a ResNet block's skip connection. With a ReLU after "
         "the Add the block is ReLU(x + F(x)), the original ResNet's form (resnet_shapes); one of the "
         "notes writes a block's output as ReLU(x) + x, the skip added after the activation",
    params=(), infer=_add_shape,
    constructor=lambda shapes, p: Constructor(Add), receptive_field=keeps_field,
    min_inputs=2, max_inputs=None,
))


def _concat_axis(s: Shape) -> int:
    """Per-sample axis to join along: channels of an image, features of a vector or sequence."""
    return 0 if len(s) == 3 else len(s) - 1


def _concat_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    first = shapes[0]
    axis = _concat_axis(first)
    total = 0
    for s in shapes:
        if len(s) != len(first) or s[:axis] + s[axis + 1:] != first[:axis] + first[axis + 1:]:
            raise ShapeError(f"shapes {fmt_shape(first)} and {fmt_shape(s)} only may differ along "
                             f"{'channels' if len(first) == 3 else 'features'}")
        total += s[axis]
    return first[:axis] + (total,) + first[axis + 1:]


register(LayerType(
    name="Concat", group="Merge",
    help="Join inputs along channels (images) or features (vectors, sequences)",
    params=(), infer=_concat_shape,
    constructor=lambda shapes, p: Constructor(Concat, (_concat_axis(shapes[0]) + 1,)), receptive_field=keeps_field,
    min_inputs=2, max_inputs=None,
))
