"""A first look at a file before it is imported, for each built-in importer.

The data page shows it to fill the import form (the columns of a table, the arrays of an
archive, the class folders of an image folder) and to show the first rows; each importer's
`peek` in the registry is one of these.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from playground.data.importers.registry import Peek
from playground.data.importers.report import ImportProblem
from playground.core.words import plural

DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
MAX_FOLDERS_NAMED = 8


def peek_table(path: Path) -> Peek:
    """The columns and first rows of a CSV file as the import reads them."""
    from playground.data.importers.csv_table import peek_csv
    peek = peek_csv(path)
    bom = " with a BOM" if peek.encoding == "utf-8-sig" else ""
    summary = (f"CSV, {DELIMITER_NAMES.get(peek.delimiter, repr(peek.delimiter))}-separated, UTF-8{bom}; "
               f"{plural(len(peek.columns), 'column')}")
    above = {1: "row 1 is the header", 2: "rows 1-2 hold counts and names"}.get(peek.first_row - 1,
                                                                         "the file has no header")
    shown = f"The first {plural(len(peek.rows), 'row')}" if len(peek.rows) != 1 else "The only row"
    caption = f"{shown} ({above})" + "".join(f"; {note}" for note in peek.notes)
    return Peek(summary, {"columns": list(peek.columns)}, {"label": peek.columns[-1]} if peek.columns else {},
                list(peek.columns), peek.rows, peek.first_row, caption)


def peek_archive(path: Path) -> Peek:
    """The arrays an .npz archive holds (read from its directory, not its data)."""
    from playground.data.importers.npz_arrays import array_shapes, default_keys
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(getattr(archive, "files", []))
        shapes = array_shapes(path) if names else {}
    except Exception as e:  # noqa: BLE001  (any unreadable archive is the person's to fix)
        raise ImportProblem(f"{path.name} is not a readable .npz archive ({e})") from None
    listed = ", ".join(f"{n} {shapes[n]}" if n in shapes else n for n in names) or "none"
    return Peek(f"NumPy archive with arrays: {listed}", {"arrays": names}, default_keys(shapes),
                caption="Import to see the data.")


def peek_image_folder(path: Path) -> Peek:
    """The class subfolders of an image folder."""
    from playground.data.importers.image_folder import expected_tree
    classes = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        return Peek("a folder, but with no class subfolders",
                    problem=f"{path} has no class subfolders; " + expected_tree(path))
    named = ", ".join(classes[:MAX_FOLDERS_NAMED]) + (" …" if len(classes) > MAX_FOLDERS_NAMED else "")
    return Peek(f"image folder with {plural(len(classes), 'class subfolder')}: {named}",
                caption="Import to see sample images of every class.")
