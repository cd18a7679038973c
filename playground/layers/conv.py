"""Convolution layers: Conv2d, ConvTranspose2d, pooling and Upsample, on (C, H, W) samples."""
from __future__ import annotations

import math
from typing import Any

from torch import nn

from playground.layers.registry import INIT_PARAMS, Constructor, Field, LayerType, Shape, ShapeError, register
from playground.params import Param


def _image(shapes: list[Shape]) -> Shape:
    s = shapes[0]
    if len(s) != 3:
        raise ShapeError(f"needs an image (C, H, W), got {s}; add a Reshape before it")
    return s


def _conv_out(size: int, k: int, stride: int, pad: int, dil: int = 1) -> int:
    return (size + 2 * pad - dil * (k - 1) - 1) // stride + 1


def _check_window(c_h_w: Shape, k: int, pad: int, dil: int = 1, what: str = "kernel") -> None:
    _, h, w = c_h_w
    span = dil * (k - 1) + 1
    if span > h + 2 * pad or span > w + 2 * pad:
        padded = f" (padded {h + 2 * pad}x{w + 2 * pad})" if pad else ""
        raise ShapeError(f"{what} {span} larger than input {h}x{w}{padded}")


KERNEL = Param("kernel_size", "int", 3, "Side of the square kernel (receptive field of one step)",
               minimum=1, maximum=64)
STRIDE = Param("stride", "int", 1, "Step between kernel positions; 2 halves the size", minimum=1, maximum=64)
PADDING = Param("padding", "int", 1, "Zeros added around the border; k//2 keeps the size at stride 1",
                minimum=0, maximum=64)


def _conv_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    c, h, w = _image(shapes)
    _check_window((c, h, w), p["kernel_size"], p["padding"], p["dilation"])
    return (p["out_channels"],
            _conv_out(h, p["kernel_size"], p["stride"], p["padding"], p["dilation"]),
            _conv_out(w, p["kernel_size"], p["stride"], p["padding"], p["dilation"]))


def _conv(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
    return Constructor(nn.Conv2d, (shapes[0][0], p["out_channels"]),
                       {"kernel_size": p["kernel_size"], "stride": p["stride"], "padding": p["padding"],
                        "dilation": p["dilation"], "bias": p["bias"]}, p["init"], p["init_std"])


def _conv_field(p: dict[str, Any], f: Field) -> Field:
    rf, jump = f
    span = p["dilation"] * (p["kernel_size"] - 1) + 1
    return rf + (span - 1) * jump, jump * p["stride"]


register(LayerType(
    name="Conv2d", group="Convolution",
    help="2-D convolution: each filter slides over the image and detects one local pattern",
    params=(Param("out_channels", "int", 8, "Number of filters (output feature maps)", minimum=1, maximum=4096),
            KERNEL, STRIDE, PADDING,
            Param("dilation", "int", 1, "Spacing between kernel taps (dilated convolution)", minimum=1, maximum=16),
            Param("bias", "bool", True, "Learn a bias per filter"),
            *INIT_PARAMS),
    infer=_conv_shape, constructor=_conv, receptive_field=_conv_field,
    mult_adds=lambda shapes, p, out: math.prod(out) * shapes[0][0] * p["kernel_size"] ** 2,
    key_params=("out_channels", "kernel_size", "stride"),
))


def _deconv_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    c, h, w = _image(shapes)
    if p["output_padding"] >= p["stride"]:
        raise ShapeError(f"output_padding {p['output_padding']} must be smaller than stride {p['stride']}")

    def out(size: int) -> int:
        return (size - 1) * p["stride"] - 2 * p["padding"] + p["kernel_size"] + p["output_padding"]

    oh, ow = out(h), out(w)
    if oh < 1 or ow < 1:
        raise ShapeError(f"padding {p['padding']} leaves no output from input {h}x{w}")
    return (p["out_channels"], oh, ow)


def _deconv(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
    return Constructor(nn.ConvTranspose2d, (shapes[0][0], p["out_channels"]),
                       {"kernel_size": p["kernel_size"], "stride": p["stride"], "padding": p["padding"],
                        "output_padding": p["output_padding"], "bias": p["bias"]}, p["init"], p["init_std"])


def _deconv_field(p: dict[str, Any], f: Field) -> Field:
    rf, jump = f
    s = p["stride"]
    return rf + (math.ceil(p["kernel_size"] / s) - 1) * jump, jump / s


register(LayerType(
    name="ConvTranspose2d", group="Convolution",
    help="Transposed convolution: learns to upsample, as in a convolutional decoder",
    params=(Param("out_channels", "int", 8, "Number of output feature maps", minimum=1, maximum=4096),
            Param("kernel_size", "int", 2, KERNEL.help, minimum=1, maximum=64),
            Param("stride", "int", 2, "Upsampling factor; 2 doubles the size", minimum=1, maximum=64),
            Param("padding", "int", 0, "Trims the border of the output", minimum=0, maximum=64),
            Param("output_padding", "int", 0, "Adds one side's rows/columns to reach an odd size",
                  minimum=0, maximum=63),
            Param("bias", "bool", True, "Learn a bias per filter"),
            *INIT_PARAMS),
    infer=_deconv_shape, constructor=_deconv, receptive_field=_deconv_field,
    mult_adds=lambda shapes, p, out: math.prod(shapes[0]) * p["out_channels"] * p["kernel_size"] ** 2,
    key_params=("out_channels", "kernel_size", "stride"),
))


def _pool_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    c, h, w = _image(shapes)
    k, s, pad = p["kernel_size"], p["stride"] or p["kernel_size"], p["padding"]
    if pad * 2 > k:
        raise ShapeError(f"padding {pad} must be at most half the window {k}")
    _check_window((c, h, w), k, pad, what="window")
    return (c, _conv_out(h, k, s, pad), _conv_out(w, k, s, pad))


def _pool(cls: type[nn.Module]):
    def constructor(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
        return Constructor(cls, (p["kernel_size"],), {"stride": p["stride"] or p["kernel_size"], "padding": p["padding"]})
    return constructor


def _pool_field(p: dict[str, Any], f: Field) -> Field:
    rf, jump = f
    k = p["kernel_size"]
    return rf + (k - 1) * jump, jump * (p["stride"] or k)


POOL_PARAMS = (
    Param("kernel_size", "int", 2, "Side of the pooling window", minimum=1, maximum=64),
    Param("stride", "int", 0, "Step between windows (0: same as the window)", minimum=0, maximum=64),
    Param("padding", "int", 0, "Border added before pooling", minimum=0, maximum=32),
)

register(LayerType(
    name="MaxPool2d", group="Convolution",
    help="Keep the largest value of each window: smaller maps, some shift invariance",
    params=POOL_PARAMS, infer=_pool_shape,
    constructor=_pool(nn.MaxPool2d), receptive_field=_pool_field,
    key_params=("kernel_size",),
))

register(LayerType(
    name="AvgPool2d", group="Convolution",
    help="Average each window: smaller, smoother maps",
    params=POOL_PARAMS, infer=_pool_shape,
    constructor=_pool(nn.AvgPool2d), receptive_field=_pool_field,
    key_params=("kernel_size",),
))


def _upsample_field(p: dict[str, Any], f: Field) -> Field:
    rf, jump = f
    s = p["scale_factor"]
    return (rf + jump if p["mode"] == "bilinear" and s > 1 else rf), jump / s


def _upsample_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    c, h, w = _image(shapes)
    return (c, h * p["scale_factor"], w * p["scale_factor"])


register(LayerType(
    name="Upsample", group="Convolution",
    help="Enlarge feature maps by a whole factor (no weights), e.g. in a decoder",
    params=(Param("scale_factor", "int", 2, "Size multiplier", minimum=1, maximum=16),
            Param("mode", "choice", "nearest", "How new pixels are filled", choices=("nearest", "bilinear"))),
    infer=_upsample_shape,
    constructor=lambda shapes, p: Constructor(nn.Upsample, (), {"scale_factor": p["scale_factor"], "mode": p["mode"]}),
    receptive_field=_upsample_field,
    key_params=("scale_factor",),
))
