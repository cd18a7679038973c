"""A person's own data: CSV files, NumPy archives and image folders, as registered data sets.

A preset keeps an imported set by reference, e.g.
`{"name": "csv", "params": {"path": "iris.csv", "label": "species", "sha256": "…"}}`; making it
reads the file, checks the digest (a moved or changed file is named, never silently used),
splits it by class and standardizes it with training-split statistics.

    report = inspect_path("iris.csv", label="species")     # what would be imported, or ImportProblem
    dataset, report = import_dataset("csv", params, progress=..., cancelled=...)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from playground.data.base import (
    AUGMENT_FLIP, AUGMENT_NOISE, AUGMENT_SHIFT, CORRUPTION, CORRUPTION_AMOUNT, DATASETS, FOLD, FOLDS, SEED,
    TEST_FRACTION, VAL_FRACTION, DataSetType, Dataset, register, standardize_param)
from playground.data.importers.csv_table import MISSING_POLICIES, TASKS, CsvOptions, parse_features, read_csv
from playground.data.importers.image_folder import CHANNELS, read_image_folder
from playground.data.importers.npz_arrays import read_npz
from playground.data.importers.reference import check_reference, resolve
from playground.data.importers.report import (
    Cancelled, ImportCancelled, ImportProblem, ImportReport, Progress, Skipped)
from playground.data.importers.splits import make_split_dataset, stratified_split
from playground.params import Param, with_defaults

__all__ = ["IMPORTED", "ImportCancelled", "ImportProblem", "ImportReport", "Skipped", "import_dataset",
           "inspect_path", "load_arrays", "stratified_split", "format_for"]

IMPORTED = ("csv", "npz", "images")

PATH = Param("path", "str", "", "The file (or, for images, the folder) to import.")
SHA256 = Param("sha256", "str", "",
               "Digest of the file when it was imported: a changed or replaced file is reported, "
               "not used silently. Empty: not checked.")
TASK = Param("task", "choice", "auto",
             "Classes or real-valued targets; 'auto' guesses from the label (a few whole numbers or "
             "text: classes).", choices=TASKS)
LABEL = Param("label", "str", "", "The column to predict; empty: the last column.")
FEATURES = Param("features", "str", "",
                 "Input columns, separated by commas; empty: every column but the label. Text "
                 "columns are one-hot encoded.")
MISSING = Param("missing", "choice", "drop",
                "Rows with an empty, NA or ? cell: drop them, or fill numbers with the column mean "
                "and text with its commonest value.", choices=MISSING_POLICIES)
X_KEY = Param("x_key", "str", "X", "Name of the input array in the .npz archive.")
Y_KEY = Param("y_key", "str", "y", "Name of the label (or target) array in the .npz archive.")
SIZE = Param("size", "int", 28, "Every image is resized to size x size pixels.", minimum=4, maximum=128)
CHANNEL = Param("channels", "choice", "grayscale", "Grayscale (1 channel) or colour (3 channels).",
                choices=CHANNELS)
SPLIT = (SEED, VAL_FRACTION, TEST_FRACTION, FOLDS, FOLD)
AUGMENT = (AUGMENT_SHIFT, AUGMENT_FLIP, AUGMENT_NOISE)
CORRUPT = (CORRUPTION, CORRUPTION_AMOUNT)

_cache: dict[str, tuple[np.ndarray, np.ndarray, ImportReport]] = {}
"""The last import, so that training right after importing does not read a large file twice."""


def _loader_params(name: str, params: dict) -> dict:
    keys = {"csv": ("label", "features", "task", "missing"), "npz": ("x_key", "y_key", "task"),
            "images": ("size", "channels")}[name]
    return {k: params[k] for k in keys}


def load_arrays(name: str, params: dict, progress: Progress | None = None,
                cancelled: Cancelled | None = None) -> tuple[np.ndarray, np.ndarray, ImportReport]:
    """Read the referenced file (checked against its SHA-256 when the params hold one) into the
    full arrays x, y and the report. The arrays are read-only: they may be shared with a cache."""
    full = with_defaults(DATASETS[name].params, params)
    path = resolve(full["path"])
    what = "image folder" if name == "images" else "data file"
    digest = check_reference(path, full["sha256"], what)
    key = json.dumps([name, str(path.resolve()), digest, _loader_params(name, full)])
    if key in _cache:
        x, y, report = _cache[key]
        return x, y, _copy_report(report)
    if name == "csv":
        table = read_csv(path, CsvOptions(full["label"], parse_features(full["features"]), full["task"],
                                          full["missing"]), progress, cancelled)
        x, y, report = table.x, table.y, table.report
    elif name == "npz":
        x, y, report = read_npz(path, full["x_key"], full["y_key"], full["task"])
    else:
        x, y, report = read_image_folder(path, full["size"], full["channels"], progress, cancelled)
    report.sha256 = digest
    x.flags.writeable = False
    y.flags.writeable = False
    _cache.clear()
    _cache[key] = (x, y, report)
    return x, y, _copy_report(report)


def _copy_report(report: ImportReport) -> ImportReport:
    import copy
    return copy.deepcopy(report)


def import_dataset(name: str, params: dict, progress: Progress | None = None,
                   cancelled: Cancelled | None = None) -> tuple[Dataset, ImportReport]:
    """The imported set split and standardized as training will see it, with its report."""
    full = with_defaults(DATASETS[name].params, params)
    x, y, report = load_arrays(name, full, progress, cancelled)
    dataset = make_split_dataset(name, report.kind, x, y, report, full)
    return dataset, report


def _make(name: str):
    def make(params: dict) -> Dataset:
        return import_dataset(name, params)[0]
    return make


def format_for(path: Path) -> str:
    """Which importer reads `path`: a folder is images, `.npz` NumPy, anything else CSV."""
    if path.is_dir():
        return "images"
    return "npz" if path.suffix.lower() == ".npz" else "csv"


def inspect_path(path: str, label: str = "", **params) -> ImportReport:
    """What importing `path` would give (every problem raises ImportProblem); `params` are the
    data set's own (features, task, missing, size, ...)."""
    p = resolve(path)
    if not p.exists():
        raise ImportProblem(f"no such file or folder: {p}")
    name = format_for(p)
    given = {"path": str(p), **params}
    if label:
        if name == "npz":
            given["y_key"] = label
        elif name == "csv":
            given["label"] = label
    known = {q.name for q in DATASETS[name].params}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ImportProblem(f"{name} data has no setting {', '.join(unknown)}")
    _, report = import_dataset(name, given)
    return report


register(DataSetType(
    "csv", "points", "Your CSV file",
    "A table with a header row: choose the label column and the input columns.",
    (PATH, LABEL, FEATURES, TASK, MISSING, SHA256) + SPLIT + (standardize_param(True),) + CORRUPT,
    _make("csv"), imported=True))
register(DataSetType(
    "npz", "points", "Your NumPy arrays (.npz)",
    "An .npz archive with inputs X (N, features) or images (N, C, H, W) and labels y.",
    (PATH, X_KEY, Y_KEY, TASK, SHA256) + SPLIT + (standardize_param(True),) + AUGMENT + CORRUPT,
    _make("npz"), imported=True))
register(DataSetType(
    "images", "image", "Your image folder",
    "One subfolder per class with its images inside (the ImageFolder layout).",
    (PATH, SIZE, CHANNEL, SHA256) + SPLIT + (standardize_param(False),) + AUGMENT + CORRUPT,
    _make("images"), imported=True))
