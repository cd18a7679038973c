"""The Dataset record, the data-set registry, and the split/standardize steps every set shares.

Each generator only produces the full arrays (x, y); `finish` turns them into a `Dataset` the
same way for every set, so splitting and standardization behave identically everywhere and the
statistics never see validation or test data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from playground.params import Param, check_params, with_defaults

KINDS = ("points", "regression", "image", "sequence")


@dataclass
class Dataset:
    """A data set split three ways, ready for training: arrays only, no torch.

    x arrays are float32 of shape (N, *input_shape); y is int64 (N,) for classification
    (`n_classes` > 0) or float32 (N, *target_shape) for real-valued targets.
    """

    name: str
    kind: str
    input_shape: tuple[int, ...]
    n_classes: int
    class_names: list[str]
    target_shape: tuple[int, ...]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None
    std: np.ndarray | None
    description: str

    @property
    def is_classification(self) -> bool:
        return self.n_classes > 0

    def unstandardize(self, x: np.ndarray) -> np.ndarray:
        """Map standardized inputs back to the original units (for plots a person reads)."""
        if self.mean is None or self.std is None:
            return x
        shape = [1] * x.ndim
        shape[-(len(self.input_shape)) if self.kind == "image" else -1] = -1
        return x * self.std.reshape(shape) + self.mean.reshape(shape)


@dataclass(frozen=True)
class DataSetType:
    """One entry of the registry: what the GUI lists and how to make the set."""

    name: str
    kind: str
    title: str
    help: str
    params: tuple[Param, ...]
    make: Callable[[dict], Dataset]
    imported: bool = False
    """A person's own file (csv, npz, images): made from its `path`, with no generator
    parameters (n_samples, noise); it cannot be made until a file is chosen."""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"data set {self.name!r} has no parameter {name!r}")


DATASETS: dict[str, DataSetType] = {}


def register(entry: DataSetType) -> DataSetType:
    """Add a data set to the registry; insertion order is the order the GUI shows."""
    if entry.kind not in KINDS:
        raise ValueError(f"data set {entry.name!r}: unknown kind {entry.kind!r}")
    if entry.name in DATASETS:
        raise ValueError(f"data set {entry.name!r} is registered twice")
    names = [p.name for p in entry.params]
    if len(set(names)) != len(names):
        raise ValueError(f"data set {entry.name!r} declares a parameter twice: {names}")
    DATASETS[entry.name] = entry
    return entry


# ---- common parameters -------------------------------------------------------------------
# Fixed ones are defined once here; the ones whose default or meaning differs per set
# (n_samples, noise, standardize) come from small factories so every set words them alike.

SEED = Param("seed", "int", 0, "Random seed: the same seed always gives the same data.",
             minimum=0, maximum=2**31 - 1)
VAL_FRACTION = Param("val_fraction", "float", 0.2,
                     "Share of samples held out to watch for overfitting while training.",
                     minimum=0.0, maximum=0.5)
TEST_FRACTION = Param("test_fraction", "float", 0.2,
                      "Share of samples kept aside for the final, untouched score.",
                      minimum=0.0, maximum=0.5)
AUGMENT_SHIFT = Param("augment_shift", "int", 0,
                      "Images only: shift each training image by up to this many pixels.",
                      minimum=0, maximum=6)
AUGMENT_FLIP = Param("augment_flip", "bool", False,
                     "Images only: mirror half of the training images left-right.")
AUGMENT_NOISE = Param("augment_noise", "float", 0.0,
                      "Images only: Gaussian noise (sigma) added to each training image.",
                      minimum=0.0, maximum=1.0)
CORRUPTION = Param("corruption", "choice", "none",
                   "Denoising autoencoder: how inputs are damaged before the network sees them.",
                   choices=("none", "gaussian", "mask"))
CORRUPTION_AMOUNT = Param("corruption_amount", "float", 0.3,
                          "Noise sigma for 'gaussian', or the share of values zeroed for 'mask'.",
                          minimum=0.0, maximum=1.0)


def n_samples_param(default: int, minimum: int = 20, maximum: int = 20000) -> Param:
    return Param("n_samples", "int", default,
                 "How many samples to make in total (before the train/validation/test split).",
                 minimum=minimum, maximum=maximum)


def noise_param(default: float, help: str, maximum: float = 1.0) -> Param:
    return Param("noise", "float", default, help, minimum=0.0, maximum=maximum)


def standardize_param(default: bool) -> Param:
    return Param("standardize", "bool", default,
                 "Shift and scale inputs to mean 0, std 1 (statistics from the training split).")


def common_params(*, n_samples: Param, noise: Param, standardize: bool) -> tuple[Param, ...]:
    """The parameters every data set has, in the order the inspector shows them."""
    return (SEED, n_samples, noise, VAL_FRACTION, TEST_FRACTION, standardize_param(standardize),
            AUGMENT_SHIFT, AUGMENT_FLIP, AUGMENT_NOISE, CORRUPTION, CORRUPTION_AMOUNT)


# ---- making a data set -------------------------------------------------------------------

def make_dataset(name: str, params: dict | None = None) -> Dataset:
    """Make the registered data set `name`; the same params (and seed) give the same arrays."""
    entry = DATASETS.get(name)
    if entry is None:
        known = ", ".join(DATASETS) or "none registered"
        raise ValueError(f"unknown data set {name!r} (known: {known})")
    given = dict(params or {})
    problems = check_params(entry.params, given, f"data.{name}")
    if problems:
        lines = "; ".join(f"{path}: {msg}" for path, msg in problems)
        raise ValueError(f"bad parameters for data set {name!r}: {lines}")
    full = with_defaults(entry.params, given)
    if full["val_fraction"] + full["test_fraction"] > 0.9:
        raise ValueError(f"data set {name!r}: val_fraction + test_fraction must be <= 0.9 "
                         f"so that some samples are left to train on; got "
                         f"{full['val_fraction']} + {full['test_fraction']}")
    return entry.make(full)


def split_sizes(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int]:
    """(train, val, test) counts. Refused when a split would be empty: no training data, or no
    validation or test data although its fraction asks for some (a 2-row CSV once trained and
    reported `test_loss nan` without a word)."""
    sizes = _rounded_split(n, val_fraction, test_fraction)
    if sizes is None:
        wanted = ["training"] + [name for name, f in (("validation", val_fraction), ("test", test_fraction)) if f > 0]
        parts = " and ".join(wanted) if len(wanted) < 3 else "training, validation and test"
        least = minimum_samples(val_fraction, test_fraction)
        need = (f"at least {least} are needed" if least is not None and n < least else
                "val_fraction + test_fraction leave no sample to train on; lower them")
        raise ValueError(f"{n} sample{'' if n == 1 else 's'} are too few to split into {parts} data "
                         f"(val_fraction {val_fraction:g}, test_fraction {test_fraction:g}): {need}")
    return sizes


def _rounded_split(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int, int] | None:
    """The (train, val, test) counts, or None when one that should hold samples is empty."""
    n_val = int(round(n * val_fraction))
    n_test = int(round(n * test_fraction))
    n_train = n - n_val - n_test
    if n_train < 1 or (val_fraction > 0 and n_val < 1) or (test_fraction > 0 and n_test < 1):
        return None
    return n_train, n_val, n_test


def minimum_samples(val_fraction: float, test_fraction: float) -> int | None:
    """The fewest samples whose split leaves every asked-for part non-empty, or None when
    the fractions leave too little to train on at any size. A fraction f rounds to one
    sample from n > 0.5 / f on, so the search starts there and takes a few steps."""
    start = max([1] + [math.floor(0.5 / f) for f in (val_fraction, test_fraction) if f > 0])
    for n in range(start, start + 1000):
        if _rounded_split(n, val_fraction, test_fraction) is not None:
            return n
    return None


def standardization_axes(kind: str, ndim: int) -> tuple[int, ...]:
    """Axes to average over: per feature for points/regression/sequences, per channel for images."""
    if kind == "image":
        return (0,) + tuple(range(2, ndim))
    return tuple(range(ndim - 1))


def finish(name: str, kind: str, x: np.ndarray, y: np.ndarray, params: dict, *,
           n_classes: int, class_names: list[str], description: str) -> Dataset:
    """Shuffle, split and (optionally) standardize the full arrays into a `Dataset`."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if n_classes > 0:
        y = np.asarray(y, dtype=np.int64)
        target_shape: tuple[int, ...] = ()
    else:
        y = np.asarray(y, dtype=np.float32)
        if y.ndim == 1:
            y = y[:, None]
        target_shape = tuple(y.shape[1:])
    if len(x) != len(y):
        raise ValueError(f"data set {name!r}: {len(x)} inputs but {len(y)} targets")

    n_train, n_val, _ = split_sizes(len(x), params["val_fraction"], params["test_fraction"])
    # A stream separate from generation, so changing a generator never reshuffles the split
    # of an unrelated set and the split is a pure function of (seed, n).
    order = np.random.default_rng([params["seed"], 0x5B11]).permutation(len(x))
    x, y = x[order], y[order]
    parts = np.split(np.arange(len(x)), [n_train, n_train + n_val])
    xs = [x[p] for p in parts]
    ys = [y[p] for p in parts]

    mean = std = None
    if params["standardize"]:
        axes = standardization_axes(kind, x.ndim)
        mean = xs[0].mean(axis=axes, dtype=np.float64).astype(np.float32)
        std = xs[0].std(axis=axes, dtype=np.float64).astype(np.float32)
        std = np.where(std < 1e-6, np.float32(1.0), std).astype(np.float32)  # constant features
        shape = [1] * x.ndim
        shape[1 if kind == "image" else -1] = -1
        m, s = mean.reshape(shape), std.reshape(shape)
        xs = [((part - m) / s).astype(np.float32) for part in xs]

    return Dataset(
        name=name, kind=kind, input_shape=tuple(x.shape[1:]), n_classes=n_classes,
        class_names=list(class_names), target_shape=target_shape,
        x_train=xs[0], y_train=ys[0], x_val=xs[1], y_val=ys[1], x_test=xs[2], y_test=ys[2],
        mean=mean, std=std, description=description,
    )
