"""The layer catalogue: every layer type the playground knows, in one registry, with the plugins
that add more (`plugins`). Its names, with `playground.params`, are the plugin API.

May import: `core`, `params`.
"""
from playground.layers.registry import (  # noqa: F401
    CATALOGUE, GROUPS, INIT_PARAMS, INIT_SCHEMES, LayerType, Shape, ShapeError, fmt_shape, init_weights)
from playground.layers.registry import Constructor, keeps_field, register  # noqa: F401,E402
from playground.layers import core, conv, recurrent, activations, normalization, merge, autoencoder  # noqa: F401,E402
from playground.layers.plugins import load_plugins  # noqa: E402

load_plugins()  # after the built-ins: PLAYGROUND_PLUGINS and the nn_playground.layers entry points
