"""The Dataset record, the data-set registry, and the split/standardize steps every set shares.

Each generator only produces the full arrays (x, y); `finish` turns them into a `Dataset` the
same way for every set, so splitting and standardization behave identically everywhere and the
statistics never see validation or test data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

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
    input_names: list[str] = field(default_factory=list)
    """One name per input value of a table (a CSV's columns, `city=Paris` for one-hot); empty for
    images and sequences. Travels into run records and exports with the class names."""
    inputs: str = ""
    """What one raw input value is (units, scale), when the numbers alone do not say: the digits'
    pixels are gray levels / 16. Exports state it so a person feeds the same scale."""
    x_unlabelled: np.ndarray | None = None
    """Semi-supervised (`labels_per_class`): the training inputs whose labels were set aside, in
    the training split's scale; None when every training sample keeps its label."""

    def unstandardize(self, x: np.ndarray) -> np.ndarray:
        """Map standardized inputs back to the original units (for plots a person reads)."""
        if self.mean is None or self.std is None:
            return x
        shape = self._statistics_shape(x.ndim)
        return x * self.std.reshape(shape) + self.mean.reshape(shape)

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """Map inputs in the original units onto the network's scale, with the training split's
        statistics (new points fed to a trained network: curves, bias and variance)."""
        x = np.asarray(x, dtype=np.float32)
        if self.mean is None or self.std is None:
            return x
        shape = self._statistics_shape(x.ndim)
        return ((x - self.mean.reshape(shape)) / self.std.reshape(shape)).astype(np.float32)

    def _statistics_shape(self, ndim: int) -> list[int]:
        return statistics_shape(self.kind, ndim)


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
FOLDS = Param("folds", "int", 0,
              "k-fold cross-validation: 0 keeps one validation split; K (2 to 20) cuts the training and "
              "validation samples into K folds, stratified by class, and trains on all but `fold`. "
              "`playground cv` trains every fold. The test split stays the same.",
              minimum=0, maximum=20)
FOLD = Param("fold", "int", 0, "With folds K: the fold (0 to K-1) held out for validation.",
             minimum=0, maximum=19)
AUGMENT_SHIFT = Param("augment_shift", "int", 0,
                      "Images only: shift each training image by up to this many pixels.",
                      minimum=0, maximum=6)
AUGMENT_FLIP = Param("augment_flip", "bool", False,
                     "Images only: mirror half of the training images left-right.")
AUGMENT_NOISE = Param("augment_noise", "float", 0.0,
                      "Images only: Gaussian noise (sigma) added to each training image.",
                      minimum=0.0, maximum=1.0)
LABELS_PER_CLASS = Param("labels_per_class", "int", 0,
                         "Semi-supervised: keep the labels of only this many training samples per class "
                         "(stratified, picked by the seed); the rest of the training split is kept without "
                         "labels, for self-training and entropy regularization. 0: every label is kept.",
                         minimum=0, maximum=10000)
FEATURE_SCALE = Param("feature_scale", "floats", (),
                      "Multiply each input feature by its own factor (one positive number per feature, "
                      "e.g. 1, 1000), before standardizing: badly scaled inputs. Empty: as generated.",
                      minimum=1e-6, maximum=1e6)
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
    return (SEED, n_samples, noise, VAL_FRACTION, TEST_FRACTION, FOLDS, FOLD, LABELS_PER_CLASS,
            standardize_param(standardize), AUGMENT_SHIFT, AUGMENT_FLIP, AUGMENT_NOISE, CORRUPTION, CORRUPTION_AMOUNT)


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


def standardized_per(kind: str) -> str:
    """What one mean and std belong to: a channel for images, a feature for everything else.
    The one owner of the standardization axis; the data sets, importers and exports ask it."""
    return "channel" if kind == "image" else "feature"


def standardization_axes(kind: str, ndim: int) -> tuple[int, ...]:
    """Axes to average over: every axis but the one the statistics belong to."""
    kept = statistics_shape(kind, ndim).index(-1)
    return tuple(axis for axis in range(ndim) if axis != kept)


def fold_split(pool: np.ndarray, labels: np.ndarray | None, folds: int, fold: int,
               seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices taken from `pool` for fold `fold` of `folds`: scikit-learn's
    StratifiedKFold (KFold for real-valued targets), shuffled by `seed`. The folds are disjoint and
    together cover the pool, so every sample is validated on exactly once across the K runs."""
    if not 0 <= fold < folds:
        raise ValueError(f"fold {fold} is not one of the {folds} folds (0 to {folds - 1})")
    if len(pool) < folds:
        raise ValueError(f"{len(pool)} training and validation samples cannot be cut into {folds} folds")
    from sklearn.model_selection import KFold, StratifiedKFold  # only when cross-validating
    if labels is not None:
        counts = np.bincount(labels)
        smallest = int(counts[counts > 0].min())
        if smallest < folds:
            raise ValueError(f"a class has only {smallest} training and validation samples, fewer than the "
                             f"{folds} folds: use at most {max(2, smallest)} folds")
        splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
        train, val = list(splitter.split(np.zeros(len(pool)), labels))[fold]
    else:
        train, val = list(KFold(folds, shuffle=True, random_state=seed).split(pool))[fold]
    return pool[np.sort(train)], pool[np.sort(val)]


def statistics_shape(kind: str, ndim: int) -> list[int]:
    """How the per-feature (per-channel for images) statistics broadcast over a batch of `ndim`
    dimensions: the one owner of the axis, for the data sets, the importers and the exports."""
    shape = [1] * ndim
    shape[1 if standardized_per(kind) == "channel" else -1] = -1
    return shape


def training_statistics(x_train: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the training split (float32, per feature or channel); a
    constant feature gets std 1, so standardizing leaves it at 0 instead of dividing by 0."""
    axes = standardization_axes(kind, x_train.ndim)
    mean = x_train.mean(axis=axes, dtype=np.float64).astype(np.float32)
    std = x_train.std(axis=axes, dtype=np.float64).astype(np.float32)
    return mean, np.where(std < 1e-6, np.float32(1.0), std).astype(np.float32)


def scaled_features(name: str, x: np.ndarray, scale: Sequence[float]) -> np.ndarray:
    """`x` with feature j (the last axis) multiplied by scale[j] (`feature_scale`); no scale: `x`."""
    if not len(scale):
        return x
    if len(scale) != x.shape[-1]:
        raise ValueError(f"data set {name!r}: feature_scale has {len(scale)} factor"
                         f"{'' if len(scale) == 1 else 's'} but the inputs have {x.shape[-1]} features")
    return (x * np.asarray(scale, dtype=np.float32)).astype(np.float32)


def finish(name: str, kind: str, x: np.ndarray, y: np.ndarray, params: dict, *,
           n_classes: int, class_names: list[str], description: str, inputs: str = "",
           input_names: list[str] | None = None) -> Dataset:
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

    x = scaled_features(name, x, params.get("feature_scale") or ())

    n_train, n_val, _ = split_sizes(len(x), params["val_fraction"], params["test_fraction"])
    # A stream separate from generation, so changing a generator never reshuffles the split
    # of an unrelated set and the split is a pure function of (seed, n).
    order = np.random.default_rng([params["seed"], 0x5B11]).permutation(len(x))
    x, y = x[order], y[order]
    parts = np.split(np.arange(len(x)), [n_train, n_train + n_val])
    if params.get("folds", 0) >= 2:   # the same test split; the rest cut into folds
        pool = np.arange(n_train + n_val)
        parts[:2] = fold_split(pool, y[pool] if n_classes > 0 else None, params["folds"], params["fold"],
                               params["seed"])
    xs = [x[p] for p in parts]
    ys = [y[p] for p in parts]

    mean = std = None
    if params["standardize"]:
        mean, std = training_statistics(xs[0], kind)
        shape = statistics_shape(kind, x.ndim)
        m, s = mean.reshape(shape), std.reshape(shape)
        xs = [((part - m) / s).astype(np.float32) for part in xs]

    x_unlabelled = None
    if params.get("labels_per_class", 0) > 0:   # after standardizing: all training inputs set the scale
        if n_classes == 0:
            raise ValueError(f"data set {name!r}: labels_per_class keeps some class labels, but its targets "
                             "are real values, not classes; set it to 0")
        keep, rest = labelled_subset(ys[0], params["labels_per_class"], n_classes, params["seed"], class_names)
        x_unlabelled = xs[0][rest]
        xs[0], ys[0] = xs[0][keep], ys[0][keep]

    return Dataset(
        name=name, kind=kind, input_shape=tuple(x.shape[1:]), n_classes=n_classes,
        class_names=list(class_names), target_shape=target_shape,
        x_train=xs[0], y_train=ys[0], x_val=xs[1], y_val=ys[1], x_test=xs[2], y_test=ys[2],
        mean=mean, std=std, description=description, input_names=list(input_names or []), inputs=inputs,
        x_unlabelled=x_unlabelled,
    )


def labelled_subset(labels: np.ndarray, per_class: int, n_classes: int, seed: int,
                    class_names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(kept, unlabelled) indices into the training split: `per_class` samples of each class
    keep their labels, drawn by `seed` from a stream of their own (changing k never reshuffles
    the split); the rest lose them. Both in the split's order, disjoint, together all of it."""
    rng = np.random.default_rng([seed, 0x1AB5])
    kept = []
    for c in range(n_classes):
        members = np.flatnonzero(labels == c)
        if len(members) < per_class:
            label = class_names[c] if c < len(class_names) else str(c)
            raise ValueError(f"labels_per_class {per_class}: class {label!r} has only {len(members)} training "
                             f"samples; use at most {len(members)} or more samples")
        kept.append(rng.permutation(members)[:per_class])
    keep = np.sort(np.concatenate(kept)) if kept else np.zeros(0, dtype=np.int64)
    rest = np.setdiff1d(np.arange(len(labels)), keep)
    return keep, rest
