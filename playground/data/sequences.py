"""Sequence sets, batch-first (N, T, F): what a recurrent layer reads one step at a time."""
from __future__ import annotations

import numpy as np

from playground.data.base import DataSetType, Dataset, common_params, finish, n_samples_param, \
    noise_param, register
from playground.params import Param

SINE_STEP = 0.3  # radians between samples at the base frequency: ~one period in 20 steps


def make_sine_next(params: dict) -> Dataset:
    """Windows of a sine with random phase and frequency; predict the clean next value.

    The frequency varies per window, so the network must read it from the window rather than
    memorise a single curve.
    """
    rng = np.random.default_rng(params["seed"])
    n, t = params["n_samples"], params["seq_len"]
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    freq = rng.uniform(0.6, 1.4, (n, 1))
    angle = phase + freq * SINE_STEP * np.arange(t + 1)[None, :]
    wave = np.sin(angle)
    x = wave[:, :t] + params["noise"] * rng.standard_normal((n, t))
    y = wave[:, t:]  # (n, 1)
    return finish("sine_next", "sequence", x[:, :, None], y, params, n_classes=0, class_names=[],
                  description=f"Noisy sine windows of {t} steps: predict the next value.")


def make_adding(params: dict) -> Dataset:
    """The adding problem (Hochreiter & Schmidhuber 1997): sum the two marked values.

    The first marker sits in the first half and the second in the second half, so the network
    must carry a value across at least a few dozen steps: a plain RNN's gradient vanishes over
    that range, an LSTM's cell state carries it. Predicting the mean (1.0) scores MSE 1/6.
    """
    rng = np.random.default_rng(params["seed"])
    n, t = params["n_samples"], params["seq_len"]
    values = rng.random((n, t))
    half = t // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, t, n)
    markers = np.zeros((n, t))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    y = y + params["noise"] * rng.standard_normal(n)
    x = np.stack([values, markers], axis=2)
    return finish("adding", "sequence", x, y[:, None], params, n_classes=0, class_names=[],
                  description=f"Adding problem, {t} steps: sum the two marked values "
                              f"(guessing 1.0 scores MSE 0.167).")


def _seq_len(default: int, help: str) -> Param:
    return Param("seq_len", "int", default, help, minimum=4, maximum=200)


register(DataSetType(
    "sine_next", "sequence", "Next value of a sine",
    "Read a window of a noisy sine wave and predict the value that comes next.",
    common_params(n_samples=n_samples_param(1000),
                  noise=noise_param(0.05, "Gaussian noise (sigma) added to the input window."),
                  standardize=False)
    + (_seq_len(20, "Length of each input window, in time steps."),),
    make_sine_next))
register(DataSetType(
    "adding", "sequence", "Adding problem (long range)",
    "Two values in a long sequence are marked; output their sum. Shows why LSTMs exist.",
    common_params(n_samples=n_samples_param(10000, maximum=50000),
                  noise=noise_param(0.0, "Gaussian noise (sigma) added to the target sum."),
                  standardize=False)
    + (_seq_len(50, "Sequence length: the longer, the further a value must be remembered."),),
    make_adding))
