"""Image sets, channel-first (N, 1, H, W) with pixels in [0, 1]: small enough to train a CNN live."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from playground.core.builtin_data import resource_path
from playground.data.base import DataSetType, Dataset, common_params, finish, n_samples_param, \
    noise_param, register

DIGITS_RESOURCE = "digits.npz"
"""The bundled digits: a resource of the installed package (playground/core/builtin_data.py)."""
DIGITS_COUNT = 1797
PIXEL_NOISE_HELP = "Gaussian noise (sigma) added to every pixel, then clipped to [0, 1]."
DIGITS_INPUTS = ("each pixel is its gray level divided by 16, in [0, 1] (the UCI file and scikit-learn's "
                 "load_digits hold 0-16: divide such values by 16 first)")
"""What a raw digits input is: the most common copies of this data set count 0-16, not 0-1."""
SHAPES_INPUTS = "each pixel is its brightness in [0, 1] (0 black background, up to 1 for the brightest shape)"


@lru_cache(maxsize=1)
def load_digits_arrays(path: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The bundled 8x8 digits (or those of the npz at `path`) as (images uint8 (N, 8, 8) in 0..16,
    labels uint8 (N,)).

    Read with allow_pickle=False: a bundled file must never be able to run code.
    """
    if path is None:
        with resource_path(DIGITS_RESOURCE) as bundled:  # a real file even from a zipped install
            return _read_digits(bundled)
    return _read_digits(path)


def _read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(
            f"the digits data file is missing: {path}. It ships with the playground in "
            f"resources/; reinstall or restore it from the repository.")
    with np.load(path, allow_pickle=False) as archive:
        images, labels = archive["images"], archive["labels"]
    if images.shape[1:] != (8, 8) or len(images) != len(labels):
        raise ValueError(f"{path} does not hold 8x8 digit images with one label each")
    images.setflags(write=False)  # cached and shared: nobody may change it in place
    labels.setflags(write=False)
    return images, labels


def _pixel_noise(rng: np.random.Generator, x: np.ndarray, noise: float) -> np.ndarray:
    if noise <= 0:
        return x
    return np.clip(x + noise * rng.standard_normal(x.shape, dtype=np.float32), 0.0, 1.0)


def make_digits(params: dict) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    images, labels = load_digits_arrays()
    n = min(params["n_samples"], len(images))
    pick = np.sort(rng.permutation(len(images))[:n])
    x = images[pick].astype(np.float32)[:, None] / 16.0
    x = _pixel_noise(rng, x, params["noise"])
    return finish("digits", "image", x, labels[pick].astype(np.int64), params, n_classes=10,
                  class_names=[str(d) for d in range(10)],
                  description="8x8 handwritten digits 0-9 (UCI, 1,797 images).", inputs=DIGITS_INPUTS)


# ---- shapes ------------------------------------------------------------------------------

SHAPE_NAMES = ["circle", "square", "triangle", "cross"]
SIZE = 28
EXTENT = 1.15  # farthest point of any shape, in units of its radius (the square's corner)


def _signed_distance(kind: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Approximate signed distance to the shape's edge in shape units (negative inside)."""
    if kind == 0:  # circle of radius 1
        return np.sqrt(u * u + v * v) - 1.0
    if kind == 1:  # square, half side 0.8 (so its area is close to the circle's)
        return np.maximum(np.abs(u), np.abs(v)) - 0.8
    if kind == 2:  # equilateral triangle, circumradius 1 (inradius 0.5)
        sides = [u * np.cos(a) + v * np.sin(a) for a in (-np.pi / 2, np.pi / 6, 5 * np.pi / 6)]
        return np.maximum(np.maximum(sides[0], sides[1]), sides[2]) - 0.5
    # cross: union of two bars
    bar1 = np.maximum(np.abs(u) - 0.3, np.abs(v) - 1.0)
    bar2 = np.maximum(np.abs(v) - 0.3, np.abs(u) - 1.0)
    return np.minimum(bar1, bar2)


def draw_shapes(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one anti-aliased shape per label at a random place, size, rotation and brightness.

    Vectorised over samples: every pixel is mapped into its shape's own frame and the signed
    distance to the edge gives a soft (one pixel wide) boundary.
    """
    n = len(labels)
    radius = rng.uniform(5.0, 10.0, n).astype(np.float32)
    room = EXTENT * radius + 0.5
    cx = rng.uniform(room, SIZE - 1 - room).astype(np.float32)
    cy = rng.uniform(room, SIZE - 1 - room).astype(np.float32)
    turn = rng.uniform(0.0, 2 * np.pi, n).astype(np.float32)
    brightness = rng.uniform(0.6, 1.0, n).astype(np.float32)

    grid = np.arange(SIZE, dtype=np.float32)
    out = np.zeros((n, SIZE, SIZE), dtype=np.float32)
    for kind in range(len(SHAPE_NAMES)):
        idx = np.flatnonzero(labels == kind)
        if len(idx) == 0:
            continue
        dx = grid[None, None, :] - cx[idx, None, None]  # (k, 1, W): columns
        dy = grid[None, :, None] - cy[idx, None, None]  # (k, H, 1): rows
        c, s = np.cos(turn[idx])[:, None, None], np.sin(turn[idx])[:, None, None]
        r = radius[idx, None, None]
        u = (c * dx + s * dy) / r  # rotate the pixel into the shape's frame
        v = (c * dy - s * dx) / r
        edge_px = _signed_distance(kind, u, v) * r
        out[idx] = np.clip(0.5 - edge_px, 0.0, 1.0) * brightness[idx, None, None]
    return out


def make_shapes(params: dict) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    n = params["n_samples"]
    labels = rng.permutation(np.arange(n) % len(SHAPE_NAMES))  # balanced classes
    x = draw_shapes(labels, rng)[:, None]
    x = _pixel_noise(rng, x, params["noise"])
    return finish("shapes", "image", x, labels, params, n_classes=len(SHAPE_NAMES),
                  class_names=list(SHAPE_NAMES),
                  description="28x28 drawn shapes (circle, square, triangle, cross) at random "
                              "place, size and rotation.", inputs=SHAPES_INPUTS)


register(DataSetType(
    "digits", "image", "Handwritten digits (8x8)",
    "1,797 small scanned digits, ten classes: the classic first CNN.",
    common_params(n_samples=n_samples_param(DIGITS_COUNT, minimum=20, maximum=DIGITS_COUNT),
                  noise=noise_param(0.0, PIXEL_NOISE_HELP), standardize=False),
    make_digits))
register(DataSetType(
    "shapes", "image", "Shapes (28x28)",
    "Generated circles, squares, triangles and crosses, placed and turned at random.",
    common_params(n_samples=n_samples_param(2000), noise=noise_param(0.1, PIXEL_NOISE_HELP),
                  standardize=False),
    make_shapes))
