"""The importers a person's own data comes through, each declared once.

An importer is one `register_importer(Importer(...))`: the data set it makes (name, title, help,
parameters), the paths it reads (file suffixes, or a folder), how it reads a file into arrays and
a report, how it peeks at a file before importing (what the data page shows), and the form a
person fills in (which parameters, in which words). The data set registry, `playground data
inspect`, presets and the data page all read `IMPORTERS`: adding an importer adds nothing anywhere
else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from playground.core.words import listed
from playground.data.base import (
    CORRUPTION, CORRUPTION_AMOUNT, DATASETS, FOLD, FOLDS, SEED, TEST_FRACTION, VAL_FRACTION, DataSetType, Dataset,
    register, standardize_param)
from playground.data.importers.report import Cancelled, ImportReport, Progress
from playground.params import Param

PATH = Param("path", "str", "", "The file (or, for a folder importer, the folder) to import.")
SHA256 = Param("sha256", "str", "",
               "Digest of the file when it was imported: a changed or replaced file is reported, "
               "not used silently. Empty: not checked.")
SPLIT = (SEED, VAL_FRACTION, TEST_FRACTION, FOLDS, FOLD)
CORRUPT = (CORRUPTION, CORRUPTION_AMOUNT)

Reader = Callable[[Path, dict, "Progress | None", "Cancelled | None"], tuple[np.ndarray, np.ndarray, ImportReport]]
"""(path, the data set's full parameters, progress, cancelled) -> (x, y, report)."""


@dataclass(frozen=True)
class FormField:
    """One row of the import form: the parameter it sets and how a person sees it.

    A choice parameter is a list of its choices (in `choice_texts`' words where given), an int a
    number field within the parameter's range; `options_from` fills a list from what the peek
    found in the file instead ("columns", "arrays"), and `checklist` lets a person tick several of
    them (all ticked: the parameter stays empty, meaning every one)."""

    param: str
    label: str
    options_from: str = ""
    choice_texts: tuple[tuple[str, str], ...] = ()
    checklist: bool = False
    suffix: str = ""

    def text_of(self, value: str) -> str:
        return dict(self.choice_texts).get(value, value)


@dataclass
class Peek:
    """What a file holds before it is imported: enough to fill the form and show a first look."""

    summary: str
    """One line on the format, e.g. 'CSV, comma-separated, UTF-8; 5 columns'."""
    options: dict[str, list[str]] = field(default_factory=dict)
    """What a form field's `options_from` lists: 'columns' -> the column names, 'arrays' -> ..."""
    defaults: dict[str, str] = field(default_factory=dict)
    """Parameter -> the option chosen until the person picks another."""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    """The first rows of a table as text (empty: nothing to tabulate before importing)."""
    first_row: int = 1
    """The spreadsheet number of the first row shown."""
    caption: str = ""
    """What the preview shows, in words."""
    problem: str = ""
    """Why this cannot be imported as it is ('' when it can)."""


@dataclass(frozen=True)
class Importer:
    """Everything the playground knows about one way of bringing data in."""

    name: str
    kind: str  # the data set kind: "points" | "image" | ...
    title: str
    help: str
    params: tuple[Param, ...]
    """Its own parameters: what reading the file depends on (a change means reading it again)."""
    read: Reader
    peek: Callable[[Path], Peek]
    form: tuple[FormField, ...]
    suffixes: tuple[str, ...] = ()
    """File suffixes it reads, lower case ('.csv'); empty for a folder importer."""
    folder: bool = False
    label_param: str = ""
    """The parameter `data inspect --label` sets ('' when it has none)."""
    what: str = "data file"
    """How a changed or missing file is named in a message."""
    training_params: tuple[Param, ...] = SPLIT + (standardize_param(True),) + CORRUPT
    """Split, standardization, augmentation and corruption: what the data set does after reading."""
    described: str = ""
    """What it reads, as a list of them names it ("an .npz archive"); '' for "a <first suffix> file"."""

    @property
    def reads(self) -> str:
        """What it reads, in a person's words: `described`, else "a .pts file" (or "a <what>")."""
        return self.described or (f"a {self.suffixes[0]} file" if self.suffixes else f"a {self.what}")


IMPORTERS: dict[str, Importer] = {}
"""Every importer by data set name, in the order they were registered."""
FALLBACK = "csv"
"""A file no importer claims by its suffix is read as CSV (tables come as .txt, .dat, ...)."""


def _make(name: str) -> Callable[[dict], Dataset]:
    def make(params: dict) -> Dataset:
        from playground.data.importers import import_dataset
        return import_dataset(name, params)[0]
    return make


def register_importer(importer: Importer) -> Importer:
    """Add an importer, and the data set it makes, to the registries (built-ins at import; a
    plugin or a test whenever it likes)."""
    register(DataSetType(importer.name, importer.kind, importer.title, importer.help,
                         (PATH,) + importer.params + (SHA256,) + importer.training_params, _make(importer.name),
                         imported=True))
    IMPORTERS[importer.name] = importer
    return importer


def importers_listed() -> str:
    """What the importers read, in the order they were registered ("a .csv file, an .npz archive, or
    a folder with one subfolder per class"): the app's and the command line's words for "your own
    data" come from this, so a registered importer is named there too."""
    return listed([i.reads for i in IMPORTERS.values()], "or")


def unregister_importer(name: str) -> None:
    """Take an importer back out (a test's own, or a plugin being unloaded)."""
    IMPORTERS.pop(name, None)
    DATASETS.pop(name, None)


def importer_for(path: Path) -> Importer:
    """Which importer reads `path`: the folder importer for a folder, else the one claiming its
    suffix, else CSV."""
    if path.is_dir():
        return next(i for i in IMPORTERS.values() if i.folder)
    suffix = path.suffix.lower()
    return next((i for i in IMPORTERS.values() if suffix in i.suffixes), IMPORTERS[FALLBACK])


def file_filter() -> str:
    """The file dialog's filter: every suffix an importer reads."""
    suffixes = sorted({s for i in IMPORTERS.values() for s in i.suffixes})
    return f"Data ({' '.join('*' + s for s in suffixes)});;All files (*)"
