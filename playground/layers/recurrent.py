"""Recurrent layers: RNN, LSTM, GRU over (T, F) sequences."""
from __future__ import annotations

from typing import Any

from playground.layers.modules import Recurrent
from playground.layers.registry import INIT_PARAMS, Constructor, LayerType, Shape, ShapeError, register
from playground.params import Param

HELP = {
    "RNN": "Plain recurrent layer h_t = tanh(W x_t + U h_{t-1} + b); its gradients vanish over long ranges",
    "LSTM": "Long short-term memory: input, forget and output gates keep a cell state, so gradients "
            "survive long ranges",
    "GRU": "Gated recurrent unit: LSTM's idea with two gates and no separate cell state",
}


def _seq_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    s = shapes[0]
    if len(s) != 2:
        raise ShapeError(f"needs a sequence (T, F), got {s}")
    width = p["hidden_size"] * (2 if p.get("bidirectional", False) else 1)
    return (width,) if p["output"] == "last" else (s[0], width)


GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
"""Weight matrices per layer of each cell: the multiply-adds of one time step scale with it."""


def _constructor(cell: str):
    def constructor(shapes: list[Shape], p: dict[str, Any]) -> Constructor:
        kwargs: dict[str, Any] = {"num_layers": p["num_layers"]}
        if cell == "RNN":
            kwargs["nonlinearity"] = p.get("nonlinearity", "tanh")
            if p.get("recurrent_init", "default") != "default":
                kwargs["recurrent_init"] = p["recurrent_init"]
        kwargs["last_only"] = p["output"] == "last"
        if p.get("bidirectional", False):
            kwargs["bidirectional"] = True
        # Gates squash with tanh/sigmoid: an init scheme is scaled for tanh, not for ReLU.
        return Constructor(Recurrent, (cell, shapes[0][1], p["hidden_size"]), kwargs, p["init"], p["init_std"],
                           nonlinearity="tanh")
    return constructor


def _cost(cell: str):
    def mult_adds(shapes: list[Shape], p: dict[str, Any], out: Shape) -> int:
        steps, features = shapes[0]
        h, total = p["hidden_size"], 0
        directions = 2 if p.get("bidirectional", False) else 1
        for layer in range(p["num_layers"]):
            width = features if layer == 0 else h * directions
            total += directions * GATES[cell] * h * (width + h)
        return steps * total
    return mult_adds


for _cell in ("RNN", "LSTM", "GRU"):
    _params = [
        Param("hidden_size", "int", 32, "Size of the hidden state h_t", minimum=1, maximum=4096),
        Param("num_layers", "int", 1, "Stacked recurrent layers", minimum=1, maximum=8),
        Param("output", "choice", "last", "last: only h_T (for one prediction per sequence); "
              "sequence: every h_t", choices=("last", "sequence")),
        Param("bidirectional", "bool", False, "A second RNN reads the sequence backwards; the output "
              "joins both directions, so it is 2 × hidden_size wide (last: the forward state at step T "
              "and the backward state at step 1, each after reading the whole sequence)"),
    ]
    if _cell == "RNN":
        _params.append(Param("nonlinearity", "choice", "tanh", "The recurrent activation",
                             choices=("tanh", "relu")))
        _params.append(Param("recurrent_init", "choice", "default",
                             "default: PyTorch's random recurrent matrix U; identity: U = I and its "
                             "bias 0 (IRNN, Le et al. 2015; with relu, h_t starts as h_{t-1} plus the "
                             "input, so the gradient neither vanishes nor explodes at first)",
                             choices=("default", "identity")))
    register(LayerType(
        name=_cell, group="Recurrent", help=HELP[_cell],
        params=(*_params, *INIT_PARAMS),
        infer=_seq_shape, constructor=_constructor(_cell), mult_adds=_cost(_cell),
        key_params=("hidden_size", "output"),
    ))
