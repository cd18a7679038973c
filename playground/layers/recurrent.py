"""Recurrent layers: RNN, LSTM, GRU over (T, F) sequences."""
from __future__ import annotations

from typing import Any

from torch import nn

from playground.layers.modules import Recurrent
from playground.layers.registry import INIT_PARAMS, LayerType, Shape, ShapeError, init_weights, register
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
    return (p["hidden_size"],) if p["output"] == "last" else (s[0], p["hidden_size"])


def _maker(cell: str):
    def make(shapes: list[Shape], p: dict[str, Any]) -> nn.Module:
        m = Recurrent(cell, shapes[0][1], p["hidden_size"], p["num_layers"],
                      p.get("nonlinearity", "tanh"), p["output"] == "last")
        init_weights(m, p["init"], p["init_std"], nonlinearity="tanh")
        return m
    return make


def _coder(cell: str):
    def code(shapes: list[Shape], p: dict[str, Any]) -> str:
        extra = f", nonlinearity={p.get('nonlinearity', 'tanh')!r}" if cell == "RNN" else ""
        return (f"Recurrent({cell!r}, {shapes[0][1]}, {p['hidden_size']}, num_layers={p['num_layers']}"
                f"{extra}, last_only={p['output'] == 'last'})")
    return code


for _cell in ("RNN", "LSTM", "GRU"):
    _params = [
        Param("hidden_size", "int", 32, "Size of the hidden state h_t", minimum=1, maximum=4096),
        Param("num_layers", "int", 1, "Stacked recurrent layers", minimum=1, maximum=8),
        Param("output", "choice", "last", "last: only h_T (for one prediction per sequence); "
              "sequence: every h_t", choices=("last", "sequence")),
    ]
    if _cell == "RNN":
        _params.append(Param("nonlinearity", "choice", "tanh", "The recurrent activation",
                             choices=("tanh", "relu")))
    register(LayerType(
        name=_cell, group="Recurrent", help=HELP[_cell],
        params=(*_params, *INIT_PARAMS),
        infer=_seq_shape, make=_maker(_cell), code=_coder(_cell),
        key_params=("hidden_size", "output"),
    ))
