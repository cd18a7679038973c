"""A person's own data: CSV files, NumPy archives and image folders, as registered data sets.

A preset keeps an imported set by reference, e.g.
`{"name": "csv", "params": {"path": "iris.csv", "label": "species", "sha256": "…"}}`; making it
reads the file, checks the digest (a moved or changed file is named, never silently used),
splits it by class and standardizes it with training-split statistics. Each importer is one
`register_importer(...)` (see `registry`); the three built-in ones are declared at the end here.

    report = inspect_path("iris.csv", label="species")     # what would be imported, or ImportProblem
    dataset, report = import_dataset("csv", params, progress=..., cancelled=...)
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np

from playground.data.base import (
    AUGMENT_FLIP, AUGMENT_NOISE, AUGMENT_SHIFT, DATASETS, Dataset, standardize_param)
from playground.data.importers.csv_table import MISSING_POLICIES, TASKS, CsvOptions, parse_features, read_csv
from playground.data.importers.image_folder import CHANNELS, read_image_folder
from playground.data.importers.npz_arrays import read_npz
from playground.data.importers.peeks import peek_archive, peek_image_folder, peek_table
from playground.data.importers.reference import check_reference, resolve
from playground.data.importers.registry import (
    CORRUPT, IMPORTERS, SPLIT, FormField, Importer, Peek, importer_for, importers_listed, register_importer,
    unregister_importer)
from playground.data.importers.report import (
    Cancelled, ImportCancelled, ImportProblem, ImportReport, Progress, ReportLine, Skipped)
from playground.data.importers.splits import make_split_dataset, stratified_split
from playground.params import Param, with_defaults

__all__ = ["IMPORTERS", "FormField", "ImportCancelled", "ImportProblem", "ImportReport", "Importer", "Peek",
           "importers_listed",
           "ReportLine", "Skipped", "import_dataset", "importer_for", "inspect_path", "load_arrays",
           "register_importer", "stratified_split", "unregister_importer"]

_cache: dict[str, tuple[np.ndarray, np.ndarray, ImportReport]] = {}
"""The last import, so that training right after importing does not read a large file twice."""


def load_arrays(name: str, params: dict, progress: Progress | None = None,
                cancelled: Cancelled | None = None) -> tuple[np.ndarray, np.ndarray, ImportReport]:
    """Read the referenced file (checked against its SHA-256 when the params hold one) into the
    full arrays x, y and the report. The arrays are read-only: they may be shared with a cache."""
    importer = IMPORTERS[name]
    full = with_defaults(DATASETS[name].params, params)
    path = resolve(full["path"])
    digest = check_reference(path, full["sha256"], importer.what)
    reading = {p.name: full[p.name] for p in importer.params}   # what the arrays depend on
    key = json.dumps([name, str(path.resolve()), digest, reading])
    if key in _cache:
        x, y, report = _cache[key]
        return x, y, copy.deepcopy(report)
    x, y, report = importer.read(path, full, progress, cancelled)
    report.sha256 = digest
    x.flags.writeable = False
    y.flags.writeable = False
    _cache.clear()
    _cache[key] = (x, y, report)
    return x, y, copy.deepcopy(report)


def import_dataset(name: str, params: dict, progress: Progress | None = None,
                   cancelled: Cancelled | None = None) -> tuple[Dataset, ImportReport]:
    """The imported set split and standardized as training will see it, with its report."""
    full = with_defaults(DATASETS[name].params, params)
    x, y, report = load_arrays(name, full, progress, cancelled)
    dataset = make_split_dataset(name, report.kind, x, y, report, full)
    return dataset, report


def inspect_path(path: str, label: str = "", **params) -> ImportReport:
    """What importing `path` would give (every problem raises ImportProblem); `params` are the
    data set's own (features, task, missing, size, ...)."""
    p = resolve(path)
    if not p.exists():
        raise ImportProblem(f"no such file or folder: {p}")
    importer = importer_for(p)
    given = {"path": str(p), **params}
    if label and importer.label_param:
        given[importer.label_param] = label
    known = {q.name for q in DATASETS[importer.name].params}
    unknown = [k for k in given if k not in known]
    if unknown:
        raise ImportProblem(f"{importer.name} data has no setting {', '.join(unknown)}")
    _, report = import_dataset(importer.name, given)
    return report


# ---- the built-in importers ----------------------------------------------------------------

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
AUGMENT = (AUGMENT_SHIFT, AUGMENT_FLIP, AUGMENT_NOISE)
TASK_FIELD = FormField("task", "task", choice_texts=(("auto", "guess from the label"),))


def _read_table(path: Path, p: dict, progress: Progress | None, cancelled: Cancelled | None):
    table = read_csv(path, CsvOptions(p["label"], parse_features(p["features"]), p["task"], p["missing"]),
                     progress, cancelled)
    return table.x, table.y, table.report


def _read_archive(path: Path, p: dict, progress: Progress | None, cancelled: Cancelled | None):
    return read_npz(path, p["x_key"], p["y_key"], p["task"])


def _read_images(path: Path, p: dict, progress: Progress | None, cancelled: Cancelled | None):
    return read_image_folder(path, p["size"], p["channels"], progress, cancelled)


register_importer(Importer(
    "csv", "points", "Your CSV file", "A table with a header row: choose the label column and the input columns.",
    (LABEL, FEATURES, TASK, MISSING), _read_table, peek_table,
    (FormField("label", "label", options_from="columns"),
     FormField("features", "inputs", options_from="columns", checklist=True),
     TASK_FIELD,
     FormField("missing", "missing values",
               choice_texts=(("drop", "drop the row"), ("fill", "fill (mean, or commonest value)")))),
    suffixes=(".csv", ".tsv", ".txt"), label_param="label"))
register_importer(Importer(
    "npz", "points", "Your NumPy arrays (.npz)",
    "An .npz archive with inputs X (N, features) or images (N, C, H, W) and labels y.",
    (X_KEY, Y_KEY, TASK), _read_archive, peek_archive,
    (FormField("y_key", "label", options_from="arrays"), FormField("x_key", "inputs array", options_from="arrays"),
     TASK_FIELD),
    suffixes=(".npz",), label_param="y_key", described="an .npz archive",
    training_params=SPLIT + (standardize_param(True),) + AUGMENT + CORRUPT))
register_importer(Importer(
    "images", "image", "Your image folder", "One subfolder per class with its images inside (the ImageFolder layout).",
    (SIZE, CHANNEL), _read_images, peek_image_folder,
    (FormField("size", "image size", suffix=" px"),
     FormField("channels", "channels", choice_texts=(("rgb", "colour (RGB)"),))),
    folder=True, what="image folder", described="a folder with one subfolder per class",
    training_params=SPLIT + (standardize_param(False),) + AUGMENT + CORRUPT))
