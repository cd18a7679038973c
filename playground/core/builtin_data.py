"""Where the built-in data lives: presets, their lessons and the bundled resources.

They ship inside the installed packages (`pyproject.toml`/`setup.py` map the repository's
`presets/` to `playground._presets` and `resources/` to `playground._resources`), so a wheel, a
`pip install .`, a pipx install and the editable install of a clone all find them the same way:
through `importlib.resources`, never through a path relative to a source file. Everything that
reads a built-in asks here. Importing this module is cheap (no torch, no numpy).
"""
from __future__ import annotations

from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from importlib.abc import Traversable

PRESETS_PACKAGE = "playground._presets"
RESOURCES_PACKAGE = "playground._resources"
LESSONS_FOLDER = "lessons"


class BuiltinDataMissing(OSError):
    """The installed app lacks its built-in data: a broken or partial install."""


def _package(name: str) -> Traversable:
    try:
        return files(name)
    except ModuleNotFoundError:
        raise BuiltinDataMissing(
            f"the built-in data package {name} is not installed; reinstall NN Playground "
            f"(`pip install nn-playground`, or `pip install -e .` in a clone)") from None


def _directory(name: str) -> Path:
    """The package's folder on disk. pip and pipx always install unpacked, so it is one; a
    zipped install (which cannot hand out the preset files by path) is refused in one line."""
    root = _package(name)
    if not isinstance(root, Path) or not root.is_dir():
        raise BuiltinDataMissing(f"the built-in data package {name} is not a folder on disk ({root}); "
                                 f"install NN Playground unpacked, as pip does")
    return root


def presets_dir() -> Path:
    """The folder of the built-in presets (`NAME.json`)."""
    return _directory(PRESETS_PACKAGE)


def lessons_dir() -> Path:
    """The folder of the built-in presets' guided lessons (`NAME.md`)."""
    return presets_dir() / LESSONS_FOLDER


def resource(name: str) -> Traversable:
    """A bundled resource (the digits, the style sheet, the app icon) by file name."""
    return _package(RESOURCES_PACKAGE) / name


def read_resource_text(name: str) -> str:
    return resource(name).read_text(encoding="utf-8")


@contextmanager
def resource_path(name: str) -> Iterator[Path]:
    """A real file path for a resource a library opens by name (NumPy's npz, a desktop icon)."""
    with as_file(resource(name)) as path:
        yield path
