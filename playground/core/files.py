"""Reading and writing files people keep, so that nothing they open can hang or bloat the
program, and a crash, a full disk or a bad path never leaves half a file behind.

Reading: `read_bounded` refuses anything that is not a regular file before opening it (a FIFO
or a device would block the reader for as long as nothing writes to it) and never reads more
than a limit. Writing: `atomic_write` refuses a target that exists and is not a regular file
(a device, FIFO or socket would be replaced by a plain file), writes a temporary file beside
the target, fsyncs it and renames it over the target; the target keeps its mode, and temporary
files left by a writer that was killed are removed by the next save of the same file.
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Callable

try:
    import fcntl
except ImportError:  # Windows: stale temporary files are recognised by their age alone
    fcntl = None  # type: ignore[assignment]

STALE_AGE_S = 3600.0
"""Where a writer's liveness cannot be asked (no file locks), a temporary file this old is stale."""


def process_alive(pid: object) -> bool:
    """Whether process `pid` on this machine still runs (a zombie does not): whoever wrote an
    autosave or a run record that says "running" may still be writing it."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except (OSError, OverflowError):
        return False
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask: it answered the signal
    return status != "Z"


def process_start(pid: object) -> str | None:
    """When process `pid` started, as "BOOT-ID:TICKS" (this boot's id and the start time in clock
    ticks since boot), or None where the system cannot say (no /proc, no such process). Two
    processes that share a pid never share this, so a record that keeps it can tell its writer
    from a later process that was given the same pid (after a crash, or a reboot)."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        ticks = fields[19]   # field 22 of proc(5), counted after the ")" that ends the command name
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except (OSError, IndexError):
        return None
    return f"{boot}:{ticks}"


def lock_held(path: str | os.PathLike) -> bool | None:
    """Whether a process holds an exclusive lock on the regular file `path` (a writer that is
    still writing it), or None where that cannot be told (no such file, not a regular file, no
    file locks). The lock dies with its holder, even by `kill -9`, so it is a writer's own
    evidence that it still runs: unlike its pid, it cannot be mistaken for another process."""
    if fcntl is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        except OSError:
            return None   # a file system without locks
        return False
    finally:
        os.close(fd)   # (drops our shared lock, if we took it)


class FileProblem(OSError):
    """A file could not be read or written; the message says which and why in plain words."""


def check_write_target(path: str | os.PathLike) -> None:
    """FileProblem unless `path` is absent or a regular file (a link to one counts): writing over
    a device, a FIFO or a socket would replace it with a plain file (as root: /dev/null itself),
    and writing "into" one would block or throw the bytes away."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        return   # absent, or a link to nothing: the write makes a new file
    except OSError as e:
        raise FileProblem(f"cannot write {p}: {e.strerror or e}") from None
    if stat.S_ISREG(st.st_mode):
        return
    if stat.S_ISDIR(st.st_mode):
        raise FileProblem(f"cannot write {p}: it is a folder; give a file name")
    raise FileProblem(f"cannot write {p}: it is {_kind(st.st_mode)}, not a regular file; "
                      "give the name of a file to write")


def _kind(mode: int) -> str:
    for test, words in ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return words
    return "a special file"


# ---------------------------------------------------------------- reading

_PSEUDO_FILE_SYSTEMS = ("/proc", "/sys")
"""Where the kernel shows "regular" files that are not data: /proc/self/pagemap says it holds
0 bytes and then reads for ever (or blocks), so their files are refused like devices."""


def _pseudo_devices() -> set[int]:
    devices = set()
    for root in _PSEUDO_FILE_SYSTEMS:
        try:
            devices.add(os.stat(root).st_dev)
        except OSError:
            pass
    return devices


def _not_data(st: os.stat_result) -> bool:
    return not stat.S_ISREG(st.st_mode) or st.st_dev in _pseudo_devices()


def check_regular(path: str | os.PathLike, what: str = "file") -> os.stat_result:
    """The stat of `path` (links followed: the target is what would be read) if it is a regular
    file holding data, else FileProblem saying why, before anything opens it: a FIFO blocks its
    reader until a writer comes, a device or a /proc file never ends."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise FileProblem(f"no such {what}: {p}") from None
    except OSError as e:
        raise FileProblem(f"cannot read {p}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise FileProblem(f"{p} is a folder, not a {what}")
    if _not_data(st):
        kind = _kind(st.st_mode) if not stat.S_ISREG(st.st_mode) else "a system file (/proc or /sys)"
        raise FileProblem(f"{p} is {kind}, not a regular file: reading it may never end; "
                          f"open a saved {what} instead")
    return st


def open_regular(path: str | os.PathLike, what: str = "file") -> BinaryIO:
    """`open(path, "rb")` for a regular file only (see `check_regular`). The file is opened
    non-blocking and checked again, so one swapped for a FIFO since the check cannot hang us."""
    check_regular(path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise FileProblem(f"cannot read {path}: {e.strerror or e}") from None
    try:
        if _not_data(os.fstat(fd)):
            raise FileProblem(f"{path} is not a regular file; open a saved {what} instead")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or FileProblem saying why not.

    The checks come before any byte is read: a FIFO, socket, device or /proc file is refused
    without being opened (opening a FIFO blocks until a writer comes), a file larger than the
    limit is refused by its size, and a file that grows while it is read is cut off at
    limit + 1 bytes."""
    p = Path(path)
    st = check_regular(p, what)
    if st.st_size > limit:
        raise FileProblem(f"{p.name} is {_size(st.st_size)}: a {what} is at most {_size(limit)}")
    try:
        with open_regular(p, what) as f:
            data = f.read(limit + 1)
    except FileProblem:
        raise
    except OSError as e:
        raise FileProblem(f"cannot read {p}: {e.strerror or e}") from None
    if len(data) > limit:
        raise FileProblem(f"{p.name} is larger than {_size(limit)}, the most a {what} may be")
    return data


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


# ---------------------------------------------------------------- writing

def _temp_pattern(target: Path) -> re.Pattern[str]:
    """The names `tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")` gives: ours, and no one else's."""
    return re.compile(re.escape(f".{target.name}.") + r"[A-Za-z0-9_]{6,12}" + re.escape(".tmp"))


def _writer_is_gone(path: Path) -> bool:
    """True when no living writer holds the temporary file. Writers hold an exclusive lock on
    it while they write (`atomic_write`), which the system drops when a writer dies, even by
    `kill -9`; without file locks, only an old file counts as abandoned."""
    if fcntl is None:
        try:
            return time.time() - path.stat().st_mtime > STALE_AGE_S
        except OSError:
            return False
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False   # a writer still holds it
    else:
        return True
    finally:
        os.close(fd)


def remove_stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Delete the temporary files an interrupted save of `target` left beside it; the removed paths."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    pattern = _temp_pattern(target)
    removed = []
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(f".{target.name}.")]
    except OSError:
        return removed
    for name in names:
        path = folder / name
        if pattern.fullmatch(name) and path.is_file() and not path.is_symlink() and _writer_is_gone(path):
            try:
                path.unlink()
                removed.append(path)
            except OSError:
                pass
    return removed


def _umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """What the written file's permissions should be: the existing file's, else what a plain
    `open(path, "w")` would give (0666 less the umask). mkstemp's 0600 would lock others out."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def temporary_beside(target: str | os.PathLike) -> tuple[int, Path, int]:
    """A new temporary file for writing `target`: (fd, path, mode the target should get).

    Stale temporaries an interrupted save of the same target left are removed first. The fd
    holds an exclusive lock on the file, which says "being written" to other savers: keep it
    open until the file is renamed into place (then close it). Give the file `mode` before
    the rename: mkstemp's 0600 would lock others out of a file that was 0644."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    check_write_target(target)
    remove_stale_temporaries(target)
    mode = _mode_for(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise FileProblem(f"cannot write {target}: {e.strerror or e}") from e
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass   # (a file system without locks: stale files are then told by their age)
    return fd, Path(tmp_name), mode


def atomic_write(path: str | os.PathLike, data: bytes | Callable[[Path], None]) -> Path:
    """Write `data` (bytes, or a function that writes a given temporary path) to `path` atomically:
    a temporary file in the same directory, flushed and fsynced, then renamed over the target."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise FileProblem(f"cannot write {target}: the folder {folder} does not exist")
    fd, tmp, mode = temporary_beside(target)
    try:
        if callable(data):
            data(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        else:
            with os.fdopen(os.dup(fd), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        check_write_target(target)   # (again: a FIFO may have taken its place while we wrote)
        os.replace(tmp, target)
    except FileProblem:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise FileProblem(f"cannot write {target}: {e.strerror or e}") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)   # (drops the lock)
    return target
