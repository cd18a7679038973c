"""An imported data set is kept in a preset by reference: its path and SHA-256.

A preset that reopens later says clearly when the file moved or changed instead of training on
something else without a word.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from playground.data.importers.report import ImportProblem
from playground.core.files import FileProblem, open_regular

BLOCK = 1 << 20


def resolve(path: str) -> Path:
    """The path a preset names, with `~` expanded (relative paths are from the working folder)."""
    if not isinstance(path, str) or not path.strip():
        raise ImportProblem("no data file chosen: set the data set's 'path' parameter")
    return Path(path).expanduser()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open_regular(path, "data file") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def folder_files(folder: Path) -> list[Path]:
    """Every regular file under the folder's class subfolders (not hidden), in a fixed order."""
    out = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        out += sorted(f for f in sub.iterdir() if f.is_file() and not f.name.startswith("."))
    return out


def folder_sha256(folder: Path) -> str:
    """One digest over the relative path and bytes of every file: a renamed, added, removed or
    edited image changes it. A file that is not data (a link to /proc) is counted by its name
    alone, never read: the import skips it and says why."""
    digest = hashlib.sha256()
    for f in folder_files(folder):
        digest.update(f.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        try:
            digest.update(file_sha256(f).encode("ascii"))
        except FileProblem:
            digest.update(b"not data")
    return digest.hexdigest()


_digests: dict[tuple, str] = {}
"""Digests by (path, size, modification time) of every file: an unchanged file is not read again
(the GUI re-makes a data set for its preview; a large CSV would stall it), as git's index does."""


def _stamp(path: Path) -> tuple:
    files = folder_files(path) if path.is_dir() else [path]
    return (str(path.resolve()),) + tuple((str(f), st.st_size, st.st_mtime_ns, st.st_ino)
                                          for f in files for st in (f.stat(),))


def sha256_of(path: Path) -> str:
    stamp = _stamp(path)
    digest = _digests.get(stamp)
    if digest is None:
        digest = folder_sha256(path) if path.is_dir() else file_sha256(path)
        if len(_digests) > 64:
            _digests.clear()
        _digests[stamp] = digest
    return digest


def check_reference(path: Path, expected: str, what: str = "data file") -> str:
    """The current digest; raise ImportProblem when the file is gone or is not the one the
    preset was saved with (`expected` empty: no check, e.g. a hand-written preset)."""
    if not path.exists():
        hint = f" (SHA-256 {expected[:12]}…)" if expected else ""
        raise ImportProblem(
            f"{what} {path} is not there: it was moved, renamed or deleted since the preset was "
            f"saved{hint}; put it back or choose its new place on the Data page")
    digest = sha256_of(path)
    if expected and digest != expected.lower():
        raise ImportProblem(
            f"{what} {path} changed since the preset was saved (SHA-256 was {expected[:12]}…, "
            f"now {digest[:12]}…): import it again on the Data page (or `playground data inspect "
            f"{path}` for its new digest), or restore the original file")
    return digest
