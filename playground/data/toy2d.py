"""2-D classification sets: small enough to draw the decision boundary over the whole plane.

Points live roughly in [-1, 1]^2. Labels are decided from the clean point, then `noise` jitters
the point, so noise makes classes overlap without ever relabelling anything.
"""
from __future__ import annotations

import numpy as np

from playground.data.base import FEATURE_SCALE, DataSetType, Dataset, common_params, finish, \
    n_samples_param, noise_param, register
from playground.params import Param

JITTER_HELP = "Gaussian jitter (sigma) added to every point; more noise makes the classes overlap."


def _params(noise: float, *extra: Param) -> tuple[Param, ...]:
    return common_params(n_samples=n_samples_param(400), noise=noise_param(noise, JITTER_HELP),
                         standardize=True) + extra + (FEATURE_SCALE,)


def _rng(params: dict) -> np.random.Generator:
    return np.random.default_rng(params["seed"])


def _jitter(rng: np.random.Generator, x: np.ndarray, noise: float) -> np.ndarray:
    return x + noise * rng.standard_normal(x.shape) if noise > 0 else x


def _class_sizes(n: int, k: int) -> np.ndarray:
    """Split n as evenly as possible over k classes, so sets stay balanced."""
    return np.full(k, n // k) + (np.arange(k) < n % k)


def _points(name: str, params: dict, x: np.ndarray, y: np.ndarray, names: list[str],
            description: str) -> Dataset:
    return finish(name, "points", x, y, params, n_classes=len(names), class_names=names,
                  description=description)


# ---- circle ------------------------------------------------------------------------------

def make_circle(params: dict) -> Dataset:
    rng = _rng(params)
    n_in, n_out = _class_sizes(params["n_samples"], 2)
    # Inner disc r < 0.5, ring 0.7 < r < 1.0; the gap keeps the clean classes apart.
    r = np.concatenate([0.5 * np.sqrt(rng.random(n_in)), rng.uniform(0.7, 1.0, n_out)])
    angle = rng.uniform(0, 2 * np.pi, n_in + n_out)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    y = np.repeat([0, 1], [n_in, n_out])
    return _points("circle", params, _jitter(rng, x, params["noise"]), y, ["disc", "ring"],
                   "A disc inside a ring: no straight line separates them.")


# ---- xor ---------------------------------------------------------------------------------

def make_xor(params: dict) -> Dataset:
    rng = _rng(params)
    n = params["n_samples"]
    # Uniform in each quadrant, kept a little away from the axes so the clean labels are crisp.
    x = rng.uniform(0.05, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return _points("xor", params, _jitter(rng, x, params["noise"]), y,
                   ["opposite signs", "same sign"],
                   "Four quadrant clusters labelled by sign(x1*x2): one hidden layer needed.")


# ---- blobs -------------------------------------------------------------------------------

BLOB_CLASSES = Param("n_classes", "int", 3, "How many blobs (classes) there are.",
                     minimum=2, maximum=6)


def make_blobs(params: dict) -> Dataset:
    rng = _rng(params)
    k = params["n_classes"]
    sizes = _class_sizes(params["n_samples"], k)
    turn = rng.uniform(0, 2 * np.pi)
    angles = turn + 2 * np.pi * np.arange(k) / k
    centres = 0.7 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    y = np.repeat(np.arange(k), sizes)
    x = centres[y] + 0.15 * rng.standard_normal((len(y), 2))
    return _points("blobs", params, _jitter(rng, x, params["noise"]), y,
                   [f"blob {i}" for i in range(k)],
                   f"{k} Gaussian blobs on a circle: softmax over {k} classes.")


# ---- spiral ------------------------------------------------------------------------------

TURNS = Param("turns", "float", 1.5, "How many times each arm winds round; more is harder.",
              minimum=0.25, maximum=3.0)


def make_spiral(params: dict) -> Dataset:
    rng = _rng(params)
    sizes = _class_sizes(params["n_samples"], 2)
    y = np.repeat([0, 1], sizes)
    t = rng.uniform(0.0, 1.0, len(y))
    r = 0.05 + 0.95 * t
    angle = 2 * np.pi * params["turns"] * t + np.pi * y  # the second arm is the first, turned 180°
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return _points("spiral", params, _jitter(rng, x, params["noise"]), y, ["arm A", "arm B"],
                   "Two interleaved spiral arms: needs a deeper or wider network.")


# ---- moons -------------------------------------------------------------------------------

def make_moons(params: dict) -> Dataset:
    rng = _rng(params)
    n_a, n_b = _class_sizes(params["n_samples"], 2)
    ta, tb = rng.uniform(0, np.pi, n_a), rng.uniform(0, np.pi, n_b)
    upper = np.stack([np.cos(ta), np.sin(ta)], axis=1)
    lower = np.stack([1 - np.cos(tb), 0.5 - np.sin(tb)], axis=1)
    x = (np.concatenate([upper, lower]) - [0.5, 0.25]) / 1.5  # centred, about [-1, 1]
    y = np.repeat([0, 1], [n_a, n_b])
    return _points("moons", params, _jitter(rng, x, params["noise"]), y,
                   ["upper moon", "lower moon"], "Two interleaving half circles.")


# ---- linear ------------------------------------------------------------------------------

MARGIN = Param("margin", "float", 0.1,
               "Empty band on each side of the separating line; 0 lets points touch it.",
               minimum=0.0, maximum=0.5)


def make_linear(params: dict) -> Dataset:
    """Separable by a random line through the origin, with no point within `margin` of it.

    Points are drawn inside the unit disc, so every feature's standard deviation is at most 1:
    standardizing can then only widen the gap, and the margin holds in both coordinates.
    """
    rng = _rng(params)
    n, margin = params["n_samples"], params["margin"]
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    kept: list[np.ndarray] = []
    have = 0
    while have < n:  # rejection sampling; at margin 0.5 about 39% of the disc is kept
        r = np.sqrt(rng.random(2 * n + 16))
        a = rng.uniform(0, 2 * np.pi, 2 * n + 16)
        p = np.stack([r * np.cos(a), r * np.sin(a)], axis=1)
        p = p[np.abs(p @ w) >= margin]
        kept.append(p)
        have += len(p)
    x = np.concatenate(kept)[:n]
    y = (x @ w >= 0).astype(np.int64)
    return _points("linear", params, _jitter(rng, x, params["noise"]), y,
                   ["negative side", "positive side"],
                   "Two classes split by a straight line with a gap: a perceptron can learn it.")


register(DataSetType("circle", "points", "Circle", "Inner disc versus outer ring.",
                     _params(0.05), make_circle))
register(DataSetType("xor", "points", "XOR", "Four clusters; diagonal ones share a class.",
                     _params(0.05), make_xor))
register(DataSetType("blobs", "points", "Gaussian blobs", "Several round clusters, one per class.",
                     _params(0.05, BLOB_CLASSES), make_blobs))
register(DataSetType("spiral", "points", "Spiral", "Two spiral arms wound into each other.",
                     _params(0.03, TURNS), make_spiral))
register(DataSetType("moons", "points", "Moons", "Two interlocking crescents.",
                     _params(0.08), make_moons))
register(DataSetType("linear", "points", "Linearly separable",
                     "Two classes a straight line can split, with a guaranteed gap.",
                     _params(0.0, MARGIN), make_linear))
