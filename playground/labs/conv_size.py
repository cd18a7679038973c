"""Conv output size: out = floor((n + 2p − k)/s) + 1 for an n-pixel input, a k-pixel kernel,
stride s and padding p, worked out, set beside what torch's nn.Conv2d really returns and what the
builder's canvas shows (the layer catalogue's shape inference), and read layer by layer off a
built-in CNN preset.

The formula counts kernel positions: the padded input is n + 2p pixels wide, the kernel's first
position covers pixels 0..k−1 and each step moves it s pixels, so it fits at starts 0, s, 2s, …
up to n + 2p − k: that is floor((n + 2p − k)/s) + 1 positions. When s does not divide n + 2p − k,
the last (n + 2p − k) mod s pixels lie past the last window: no output sees them. A stride larger
than the kernel also leaves s − k pixels between two windows that no output sees.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from playground.layers import CATALOGUE, ShapeError
from playground.params import with_defaults
from playground.network.preset import resolve_preset
from playground.network.shapes import analyze

N, K, S, P = 8, 3, 2, 1
LIMIT = 64
SIZED = ("Conv2d", "MaxPool2d", "AvgPool2d")
"""The layers whose output size follows the formula."""


def formula(n: int, k: int, s: int, p: int) -> int:
    """floor((n + 2p − k)/s) + 1; ValueError when the kernel is wider than the padded input."""
    _check(n, k, s, p)
    return (n + 2 * p - k) // s + 1


def _check(n: int, k: int, s: int, p: int) -> None:
    for name, value, low in (("n", n, 1), ("k", k, 1), ("s", s, 1), ("p", p, 0)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be a whole number ≥ {low}, got {value}")
    if k > n + 2 * p:
        raise ValueError(f"kernel {k} is wider than the padded input {n} + 2·{p} = {n + 2 * p}")


def worked(n: int, k: int, s: int, p: int) -> str:
    """The formula with the numbers put in, step by step."""
    out = formula(n, k, s, p)
    inner = n + 2 * p - k
    frac = f"floor({inner}/{s}) + 1 = {inner // s} + 1" if s > 1 else f"{inner} + 1"
    return f"floor(({n} + 2·{p} − {k})/{s}) + 1 = {frac} = {out}"


def starts(n: int, k: int, s: int, p: int) -> list[int]:
    """Where each kernel position starts, in padded-input pixels (0 is the first padding pixel)."""
    formula(n, k, s, p)
    return list(range(0, n + 2 * p - k + 1, s))


def dropped(n: int, k: int, s: int, p: int) -> int:
    """Padded-input pixels past the last window: (n + 2p − k) mod s."""
    formula(n, k, s, p)
    return (n + 2 * p - k) % s


def torch_size(n: int, k: int, s: int, p: int) -> int:
    """The width of what torch.nn.Conv2d(1, 1, k, stride=s, padding=p) returns for a 1×n×n image."""
    conv = torch.nn.Conv2d(1, 1, k, stride=s, padding=p, bias=False)
    with torch.no_grad():
        return int(conv(torch.zeros(1, 1, n, n)).shape[-1])


def canvas_size(n: int, k: int, s: int, p: int, layer: str = "Conv2d") -> int:
    """The width the builder's canvas shows for this layer on a 1×n×n input (the catalogue's shape
    inference, the code every node's "→ shape" comes from)."""
    entry = CATALOGUE[layer]
    params = with_defaults(entry.params, {"kernel_size": k, "stride": s, "padding": p})
    try:
        return int(entry.infer([(1, n, n)], params)[-1])
    except ShapeError as e:
        raise ValueError(str(e)) from None


@dataclass
class ConvSize:
    n: int
    k: int
    s: int
    p: int
    out: int
    worked: str
    starts: list[int]
    dropped: int
    torch_out: int
    canvas_out: int

    @property
    def agree(self) -> bool:
        return self.out == self.torch_out == self.canvas_out

    @property
    def dropped_inputs(self) -> int:
        """Of the `dropped` pixels past the last window, those of the input itself: what the floor
        really loses (the others are padding zeros, and dropping them loses nothing)."""
        return max(0, self.p + self.n - (self.starts[-1] + self.k))

    @property
    def unseen_inputs(self) -> list[int]:
        """The input pixels (0 … n − 1) under no window, so that no output sees them: those
        between two windows when the stride is larger than the kernel, and those past the last
        window (`dropped_inputs`)."""
        under = set()
        for start in self.starts:
            under.update(range(start, start + self.k))
        return [x for x in range(self.n) if x + self.p not in under]

    def as_json(self) -> dict:
        return {**self.__dict__, "agree": self.agree, "dropped_inputs": self.dropped_inputs,
                "unseen_inputs": self.unseen_inputs}


def compute(n: int = N, k: int = K, s: int = S, p: int = P) -> ConvSize:
    for name, value in (("n", n), ("k", k), ("s", s), ("p", p)):
        if value > LIMIT:
            raise ValueError(f"{name} must be at most {LIMIT}, got {value}")
    return ConvSize(n, k, s, p, formula(n, k, s, p), worked(n, k, s, p), starts(n, k, s, p),
                    dropped(n, k, s, p), torch_size(n, k, s, p), canvas_size(n, k, s, p))


@dataclass
class LayerSize:
    """A convolution or pooling layer of a preset, as its canvas node shows it."""

    node_id: str
    layer: str
    input_shape: tuple
    k: int
    s: int
    p: int
    formula_out: int
    worked: str
    canvas_shape: tuple


def preset_layers(name: str) -> list[LayerSize]:
    """Each Conv2d and pooling layer of built-in preset `name`, its formula worked out on its
    input's height, beside the output shape the canvas shows."""
    spec = resolve_preset(name).model
    report = analyze(spec)
    if not report.ok:
        raise ValueError(f"{name}: {report.errors()[0]}")
    out = []
    for node in spec.nodes:
        if node.type not in SIZED:
            continue
        prm = report.params[node.id]
        shape_in = report.shapes[node.inputs[0]]
        k, p = prm["kernel_size"], prm["padding"]
        s = prm["stride"] or k    # a pool's stride 0 means "the window"
        n = shape_in[1]
        out.append(LayerSize(node.id, node.type, tuple(shape_in), k, s, p, formula(n, k, s, p), worked(n, k, s, p),
                             tuple(report.shapes[node.id])))
    return out


CNN_PRESETS = ("digits_cnn_strided", "digits_cnn", "digits_cnn_avgpool", "shapes_cnn", "resnet_shapes",
               "plain_cnn_deep")
