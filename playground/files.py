"""Writing files so that a crash, a full disk or a bad path never leaves half a file behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


class FileProblem(OSError):
    """A file could not be read or written; the message says which and why in plain words."""


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[Path], None]) -> Path:
    """Write `data` (bytes, or a function that writes a given temporary path) to `path` atomically:
    a temporary file in the same directory, flushed and fsynced, then renamed over the target."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileProblem(f"cannot write {target}: the folder {folder} does not exist")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise FileProblem(f"cannot write {target}: {e.strerror or e}") from e
    tmp = Path(tmp_name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {target}: {e.strerror or e}") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
