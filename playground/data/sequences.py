"""Sequence sets, batch-first (N, T, F): what a recurrent layer reads one step at a time."""
from __future__ import annotations

import re

import numpy as np

from playground.core.builtin_data import read_resource_text
from playground.data.base import DataSetType, Dataset, common_params, finish, n_samples_param, \
    noise_param, register
from playground.params import Param, with_defaults

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


def make_recall_first(params: dict) -> Dataset:
    """Recall the first element: uniform values in [-1, 1]; the class is the sign of the FIRST one.

    Every later value is a distractor. A forward RNN reads the decisive value first and must
    carry it through all the steps after it, so the gradient that would teach it to do so
    vanishes on the way back; a backward direction reads it last. Guessing scores 50%.
    Noise blurs the first value after its sign set the class.
    """
    rng = np.random.default_rng(params["seed"])
    n, t = params["n_samples"], params["seq_len"]
    x = rng.uniform(-1.0, 1.0, (n, t))
    y = (x[:, 0] > 0).astype(np.int64)
    x[:, 0] += params["noise"] * rng.standard_normal(n)
    return finish("recall_first", "sequence", x[:, :, None], y, params, n_classes=2,
                  class_names=["negative", "positive"],
                  description=f"Recall the first of {t} random values: its sign is the class "
                              f"(guessing scores 50%).")


TEXT_RESOURCE = "alice.txt"
"""The bundled small text (the opening of *Alice's Adventures in Wonderland*, public domain)."""
TEXT_SETS = ("char_text",)
"""The data sets whose inputs are one-hot characters and whose classes are the next character:
a network trained on one can write text (`playground.training.text_samples`)."""


def prepared_text(lowercase: bool, text: str | None = None) -> str:
    """The text a character model reads: every run of white space (line and paragraph breaks
    included) one space, and, when asked, lower case (a smaller alphabet to learn)."""
    text = read_resource_text(TEXT_RESOURCE) if text is None else text
    text = re.sub(r"\s+", " ", text).strip()
    return text.lower() if lowercase else text


def char_windows(text: str, k: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every window of `k` characters and the character after it, as integer codes.

    Returns (windows (n, k) int64, next (n,) int64, alphabet): the alphabet is the text's
    distinct characters in code-point order, a character's code its index there; window s holds
    x^(s+1) .. x^(s+k) and its label is x^(s+k+1), so the network learns P(x^(t+1) | x^(t), …).
    """
    if len(text) <= k:
        raise ValueError(f"a text of {len(text)} characters has no window of {k} characters and a next one")
    alphabet = sorted(set(text))
    index = {c: i for i, c in enumerate(alphabet)}
    codes = np.array([index[c] for c in text], dtype=np.int64)
    starts = np.arange(len(text) - k)
    windows = codes[starts[:, None] + np.arange(k)[None, :]]
    return windows, codes[starts + k], alphabet


def one_hot(codes: np.ndarray, size: int) -> np.ndarray:
    """float32 (..., size): 1 at each code, 0 elsewhere (the notes' dictionary vectors)."""
    return np.eye(size, dtype=np.float32)[codes]


def text_prompt(params: dict) -> str:
    """The first `seq_len` characters of the char_text set's text: the start a trained network
    continues when it writes."""
    full = with_defaults(CHAR_TEXT_PARAMS, params)
    return prepared_text(full["lowercase"])[:full["seq_len"]]


def make_char_text(params: dict) -> Dataset:
    """Windows of the bundled text, one-hot characters, labelled with the next character.

    A many-to-one reading of character-level language modelling: each window is one sample,
    drawn (without replacement, by the seed) from all len(text) − k of them. Windows overlap, so
    the validation and test windows share most of their characters with training ones: their
    loss says how well the network knows this text, not how it would read another.
    """
    rng = np.random.default_rng(params["seed"])
    text = prepared_text(params["lowercase"])
    k = params["seq_len"]
    windows, nxt, alphabet = char_windows(text, k)
    n = min(params["n_samples"], len(windows))
    chosen = np.sort(rng.choice(len(windows), n, replace=False))
    windows, nxt = windows[chosen], nxt[chosen]
    if params["noise"] > 0:   # typos: some input characters replaced by one drawn at random
        typo = rng.random(windows.shape) < params["noise"]
        windows = np.where(typo, rng.integers(0, len(alphabet), windows.shape), windows)
    x = one_hot(windows, len(alphabet))
    return finish("char_text", "sequence", x, nxt, params, n_classes=len(alphabet), class_names=alphabet,
                  description=f"{n} windows of {k} characters of a {len(text)}-character text "
                              f"({len(alphabet)} distinct characters): predict the next character.",
                  inputs="each time step is one character, one-hot over the alphabet (the class names, "
                         "in order)")


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
register(DataSetType(
    "recall_first", "sequence", "Recall the first value (long range)",
    "A sequence of random values; the class is the sign of the first one. A forward RNN must carry "
    "it to the end, a backward one reads it last.",
    common_params(n_samples=n_samples_param(4000, maximum=50000),
                  noise=noise_param(0.0, "Gaussian noise (sigma) added to the first value after its "
                                         "sign set the class."),
                  standardize=False)
    + (_seq_len(50, "Sequence length: how many distractor steps follow the value to recall."),),
    make_recall_first))
CHAR_TEXT_PARAMS = (
    common_params(n_samples=n_samples_param(6000),
                  noise=noise_param(0.0, "Share of input characters replaced by a random one (typos)."),
                  standardize=False)
    + (_seq_len(32, "Characters in each window: how far back the network may read."),
       Param("lowercase", "bool", True, "Lower-case the text first: a smaller alphabet to learn.")))
register(DataSetType(
    "char_text", "sequence", "Next character of a text",
    "Windows of a short bundled text (the opening of Alice's Adventures in Wonderland): read k "
    "characters, one-hot, and predict the next one. A network trained on it writes text.",
    CHAR_TEXT_PARAMS, make_char_text))
