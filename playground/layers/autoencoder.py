"""Autoencoder layers: the VAE's Sampling node."""
from __future__ import annotations

from typing import Any

from playground.layers.modules import Sampling
from playground.layers.registry import Constructor, LayerType, Shape, ShapeError, fmt_shape, register


def _sampling_shape(shapes: list[Shape], p: dict[str, Any]) -> Shape:
    mu, logvar = shapes
    if len(mu) != 1:
        raise ShapeError(f"μ must be a vector (D), got {fmt_shape(mu)}")
    if mu != logvar:
        raise ShapeError(f"μ {fmt_shape(mu)} and log σ² {fmt_shape(logvar)} differ")
    return mu


register(LayerType(
    name="Sampling", group="Autoencoder",
    help="VAE reparameterization: inputs μ then log σ²; z = μ + σ·ε, ε ~ N(0, I), and adds "
         "KL(q(z|x) ‖ N(0, I)) to the loss. Returns μ at test time",
    params=(), infer=_sampling_shape,
    constructor=lambda shapes, p: Constructor(Sampling),
    min_inputs=2, max_inputs=2,
))
