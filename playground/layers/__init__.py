"""The layer catalogue: every layer type the playground knows, in one registry."""
from playground.layers.registry import (  # noqa: F401
    CATALOGUE, GROUPS, INIT_PARAMS, INIT_SCHEMES, LayerType, Shape, ShapeError, fmt_shape, init_weights)
from playground.layers import core, conv, recurrent, activations, normalization, merge, autoencoder  # noqa: F401,E402
