"""Regression sets: real-valued targets, so a student sees MSE and a fitted curve or surface."""
from __future__ import annotations

import numpy as np

from playground.data.base import DataSetType, Dataset, common_params, finish, n_samples_param, \
    noise_param, register
from playground.params import Param

TARGET_NOISE_HELP = "Gaussian noise (sigma) added to the targets: the part no model can predict."


def make_sine(params: dict) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    n = params["n_samples"]
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    y = np.sin(x) + params["noise"] * rng.standard_normal((n, 1))
    return finish("sine", "regression", x, y, params, n_classes=0, class_names=[],
                  description="y = sin(x) + noise for x in [-pi, pi]: fit a curve.")


SURFACE = Param("surface", "choice", "bowl",
                "Shape to fit: a tilted plane (linear model suffices) or a bowl (needs a hidden layer).",
                choices=("plane", "bowl"))


def make_bowl(params: dict) -> Dataset:
    rng = np.random.default_rng(params["seed"])
    n = params["n_samples"]
    x = rng.uniform(-1.0, 1.0, (n, 2))
    if params["surface"] == "plane":
        clean = 0.8 * x[:, 0] - 0.5 * x[:, 1] + 0.2
        what = "y = 0.8*x1 - 0.5*x2 + 0.2 + noise: a plane"
    else:
        clean = x[:, 0] ** 2 + x[:, 1] ** 2
        what = "y = x1^2 + x2^2 + noise: a bowl"
    y = clean[:, None] + params["noise"] * rng.standard_normal((n, 1))
    return finish("bowl", "regression", x, y, params, n_classes=0, class_names=[],
                  description=f"{what} over [-1, 1]^2.")


register(DataSetType(
    "sine", "regression", "Sine curve", "One input, one output: y = sin(x) with noise.",
    common_params(n_samples=n_samples_param(200), noise=noise_param(0.1, TARGET_NOISE_HELP),
                  standardize=True),
    make_sine))
register(DataSetType(
    "bowl", "regression", "Surface", "Two inputs, one output: a plane or a bowl with noise.",
    common_params(n_samples=n_samples_param(400), noise=noise_param(0.05, TARGET_NOISE_HELP),
                  standardize=True) + (SURFACE,),
    make_bowl))
