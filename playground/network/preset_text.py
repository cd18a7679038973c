"""Does a preset's text still describe the data it uses?

A built-in example's description and lesson were written for its own data set ("handwritten
digits, ten classes"). Once a person imports their own file into it, those words describe data
that is no longer there; every place that shows them (the about box, the lesson dock, the
exported files' docstrings) asks here and says so, instead of describing the old data as if it
were the new. Light: reads only the built-in preset's JSON, never torch.
"""
from __future__ import annotations

import functools
import json

from playground.network.preset import MAX_FILE_BYTES, PRESETS_DIR
from playground.network.spec import DataSpec


@functools.lru_cache(maxsize=64)
def _builtin_data(name: str) -> str | None:
    """The data set name the built-in preset `name` uses, or None (no such built-in)."""
    from playground.core.files import FileProblem, read_bounded
    path = PRESETS_DIR / f"{name}.json"
    if not name or "/" in name or "\\" in name or not path.is_file():
        return None
    try:
        doc = json.loads(read_bounded(path, MAX_FILE_BYTES, "preset file").decode("utf-8"))
    except (FileProblem, OSError, ValueError):
        return None
    data = doc.get("data") if isinstance(doc, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def written_for(preset_name: str, data: DataSpec) -> str | None:
    """The data set the preset's description and lesson were written for, when it is not the one
    in use (a built-in example given other data); None when they describe the data in use."""
    original = _builtin_data(preset_name)
    if original is None or original == data.name:
        return None
    return original


def data_set_title(name: str) -> str:
    from playground.data import DATASETS
    entry = DATASETS.get(name)
    return entry.title if entry is not None else name


def data_note(preset_name: str, data: DataSpec, what: str = "description") -> str:
    """One sentence for anything that shows the preset's `what` (description, lesson): empty when
    it fits the data in use, else which data it was written for and which is in use."""
    original = written_for(preset_name, data)
    if original is None:
        return ""
    in_use = data_set_title(data.name)
    path = data.params.get("path")
    if isinstance(path, str) and path.strip():
        from pathlib import PurePath
        in_use += f" ({PurePath(path).name})"
    return (f"This {what} was written for the example's own data, {data_set_title(original)}; "
            f"the data in use is {in_use}.")
