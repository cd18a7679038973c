"""NumPy `.npz` archives: `X` and `y` (or arrays the person names), never unpickled.

X of shape (N, F) gives points or a regression; (N, H, W) grayscale and (N, C, H, W) images.
y of integers (or whole numbers, few of them) gives classes; real numbers, or a 2-D y, targets.
"""
from __future__ import annotations

import math
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from playground.data.importers.csv_table import MAX_CLASSES
from playground.data.importers.report import ImportProblem, ImportReport, class_facts
from playground.core.files import open_regular
from playground.core.words import plural

MAX_GUESSED_CLASSES = 20
MAX_POSITIONS = 5
MAX_ARRAY_BYTES = 1 << 30
"""One array's size as its .npy header declares it. A deflated member of zeros is ~1000 times
smaller than the array it holds (2.4 MB on disk for 2.4 GB), and numpy allocates the whole
array before reading a byte of it, so the header is checked first."""


def read_npz(path: Path, x_key: str = "X", y_key: str = "y", task: str = "auto") -> tuple[np.ndarray, np.ndarray, ImportReport]:
    name = path.name
    if path.is_dir():
        raise ImportProblem(f"{path} is a folder; choose a .npz file")
    source = open_regular(path, "data file")   # a FIFO or device is refused, not waited on
    try:
        archive = np.load(source, allow_pickle=False)
    except BaseException as e:
        source.close()
        if isinstance(e, (zipfile.BadZipFile, EOFError)):
            raise ImportProblem(f"{name} is not a readable .npz archive ({e})") from None
        if isinstance(e, ValueError):
            raise ImportProblem(f"{name} cannot be read safely: {e}") from None
        raise
    if isinstance(archive, np.lib.npyio.NpzFile):
        archive.fid = source   # (closed with the archive)
    else:
        source.close()
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ImportProblem(f"{name} holds a single array, not an .npz archive with {x_key!r} and {y_key!r} "
                            f"(save it with np.savez(path, {x_key}=..., {y_key}=...))")
    if x_key == y_key:
        archive.close()
        raise ImportProblem(f"{name}: the inputs and the label are the same array {x_key!r}: a network would learn "
                            f"its label from itself; choose the input array (x_key) and the label array (y_key)")
    with archive:
        names = list(archive.files)
        absent = [k for k in (x_key, y_key) if k not in names]
        if absent:
            raise ImportProblem(f"{name} has no array named {', '.join(map(repr, absent))} (arrays: "
                                f"{', '.join(map(repr, names)) or 'none'}); name the input and label arrays "
                                f"with the x_key and y_key parameters")
        x, y = (_read_member(name, archive, key) for key in (x_key, y_key))
    text_labels = None
    if y.dtype.kind in "US" and y.ndim == 1:   # class names, as a CSV's text label gives them
        if task == "regression":
            raise ImportProblem(f"{name}: {y_key} holds text ({y.dtype}), which is no regression target")
        text = y.astype(str) if y.dtype.kind == "U" else np.char.decode(y, "utf-8", errors="replace")
        text_labels, y = np.unique(np.char.strip(text), return_inverse=True)
        if len(text_labels) > MAX_CLASSES:
            raise ImportProblem(f"{name}: {y_key} has {len(text_labels):,} different text values, more than the "
                                f"limit of {MAX_CLASSES:,} classes")
    for key, a in ((x_key, x), (y_key, y)):
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == np.bool_):
            raise ImportProblem(f"{name}: {key} has dtype {a.dtype}, expected numbers")
        if np.issubdtype(a.dtype, np.complexfloating):   # a cast to float32 would drop the imaginary parts
            raise ImportProblem(f"{name}: {key} holds complex numbers (dtype {a.dtype}); the playground trains on "
                                f"real numbers: save the real and imaginary parts as features of their own, "
                                f"e.g. np.stack([{key}.real, {key}.imag], axis=-1)")
        if a.ndim == 0:
            raise ImportProblem(f"{name}: {key} is a single number, expected one row per sample")
    if len(x) != len(y):
        raise ImportProblem(f"{name}: {x_key} has {plural(len(x), 'sample')}, {y_key} has {len(y):,}: "
                            f"they need one label per sample")
    if len(x) == 0:
        raise ImportProblem(f"{name}: {x_key} and {y_key} hold no samples")
    if x.ndim > 4:
        raise ImportProblem(f"{name}: {x_key} has shape {x.shape}; expected (N, features), (N, H, W) "
                            f"or (N, C, H, W)")
    problems = [p for p in (_non_finite(name, x_key, x), _non_finite(name, y_key, y)) if p]
    if problems:
        raise ImportProblem(problems)
    report = ImportReport(kind="points", source=str(path), format="npz", n_samples=len(x), input_shape=(),
                          task="classification", n_classes=0, class_names=[], class_counts={})
    if x.ndim == 1:
        x = x[:, None]
    elif x.ndim == 3:
        x = x[:, None]
        report.warnings.append(f"{x_key} of shape (N, H, W) is read as grayscale images (N, 1, H, W)")
    x = np.ascontiguousarray(x, dtype=np.float32)
    report.input_shape = tuple(x.shape[1:])
    image = x.ndim == 4
    values = np.unique(y)
    whole = bool(np.all(values == np.round(values)))
    if task == "auto":
        task = "classification" if text_labels is not None or (
            y.ndim == 1 and whole and len(values) <= MAX_GUESSED_CLASSES) else "regression"
    report.task = task
    if task == "classification":
        if y.ndim != 1:
            raise ImportProblem(f"{name}: {y_key} has shape {y.shape}; class labels need shape (N,)")
        if len(values) > MAX_CLASSES:
            raise ImportProblem(f"{name}: {y_key} has {len(values):,} different values, more than the limit of "
                                f"{MAX_CLASSES:,} classes (is it a regression target?)")
        if len(values) < 2:
            only = str(text_labels[0]) if text_labels is not None else values[0]
            raise ImportProblem(f"{name}: {y_key} has a single class ({only!r}): a classifier "
                                f"needs at least two classes")
        y = np.searchsorted(values, y).astype(np.int64)
        report.n_classes = len(values)
        report.class_names = [str(t) for t in text_labels] if text_labels is not None else \
            [str(int(v)) if whole else repr(float(v)) for v in values]
        report.kind = "image" if image else "points"
    else:
        y = np.asarray(y, dtype=np.float32)
        report.kind = "image" if image else "regression"
    class_facts(report, y)
    return x, y, report


def _read_member(name: str, archive: np.lib.npyio.NpzFile, key: str) -> np.ndarray:
    """Array `key`, once its header says it is plain data of a size allowed; a body shorter than
    its header declares (a cut-off copy) or failing its checksum is called damaged, not pickled."""
    shape, dtype = _check_declared_size(name, archive.zip, key)
    if dtype.hasobject:   # object arrays need pickle, which is never allowed
        raise ImportProblem(f"{name}: {key} holds Python objects (dtype {dtype}), which are never loaded "
                            f"(allow_pickle=False): save plain numeric arrays")
    try:
        return archive[key]
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ImportProblem(f"{name}: {key} is damaged: its header declares shape {tuple(shape)} of {dtype}, "
                            f"but the data cannot be read ({e}); an interrupted copy or save? Save it "
                            f"again with np.savez") from None


LABEL_NAMES = ("y", "Y", "labels", "label", "targets", "target", "y_train", "classes")
INPUT_NAMES = ("X", "x", "inputs", "input", "features", "data", "images", "X_train", "x_train")
"""The names the import form recognises first, label and inputs, exactly and then in any case."""


def array_shapes(path: Path) -> dict[str, tuple[int, ...]]:
    """Each array's shape in an .npz archive, from its .npy header alone (a peek reads no data);
    an array whose header cannot be read is left out (the import names its problem)."""
    shapes = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            key = member[:-4] if member.endswith(".npy") else member
            try:
                shapes[key], _ = _declared(path.name, archive, key)
            except ImportProblem:
                continue
    return shapes


def default_keys(shapes: dict[str, tuple[int, ...]]) -> dict[str, str]:
    """The arrays the import form offers first: the label by its name (y, labels, targets, …) or
    else the first one-dimensional array; the inputs by their name (X, inputs, images, …) or else
    the first other array with as many rows as the label. Never one array for both: a network
    given its label as its input learns nothing but the copy."""
    def named(candidates: tuple[str, ...], taken: str | None) -> str | None:
        free = [n for n in shapes if n != taken]
        for c in candidates:
            if c in free:
                return c
        lowered = {n.lower(): n for n in free}
        return next((lowered[c.lower()] for c in candidates if c.lower() in lowered), None)
    y = named(LABEL_NAMES, None) or next((n for n, shape in shapes.items() if len(shape) == 1), None)
    rows = shapes[y][0] if y is not None and shapes[y] else None
    x = named(INPUT_NAMES, y) or next((n for n, shape in shapes.items()
                                       if n != y and shape and (rows is None or shape[0] == rows)), None)
    return {param: key for param, key in (("x_key", x), ("y_key", y)) if key is not None}


def _check_declared_size(name: str, archive: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype member `key`'s .npy header declares; refused when the header is missing
    or declares more than MAX_ARRAY_BYTES. Only the header is read (never the body)."""
    shape, dtype = _declared(name, archive, key)
    declared = math.prod(shape) * dtype.itemsize   # Python ints: no overflow
    if declared > MAX_ARRAY_BYTES:
        raise ImportProblem(f"{name}: {key} declares shape {tuple(shape)} of {dtype} = {_size(declared)}, "
                            f"over the limit of {_size(MAX_ARRAY_BYTES)} for one array; use fewer samples"
                            + (f" or float32 instead of {dtype}" if dtype.kind == "f" and dtype.itemsize > 4 else ""))
    return tuple(shape), dtype


def _declared(name: str, archive: zipfile.ZipFile, key: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype member `key`'s .npy header declares (only the header is read)."""
    member = key if key in archive.namelist() else f"{key}.npy"
    try:
        with archive.open(member) as fp:
            try:
                version = npy_format.read_magic(fp)
                if version not in ((1, 0), (2, 0), (3, 0)):
                    raise ValueError(f"unknown .npy format version {version[0]}.{version[1]}")
                read_header = (npy_format.read_array_header_1_0 if version == (1, 0)
                               else npy_format.read_array_header_2_0)
                shape, _, dtype = read_header(fp)
            except (ValueError, EOFError) as e:
                raise ImportProblem(f"{name}: {member} is not a NumPy array (its .npy header is missing or "
                                    f"damaged: {e}); save the arrays with np.savez") from None
    except (zipfile.BadZipFile, zlib.error) as e:   # the archive's directory and the member disagree
        raise ImportProblem(f"{name} is a damaged .npz archive: member {member!r} cannot be opened "
                            f"({str(e)[:80]}); save the arrays again with np.savez") from None
    return tuple(shape), dtype


def _size(n: int) -> str:
    return f"{n / (1 << 30):.3g} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.3g} MiB"


def _non_finite(name: str, key: str, a: np.ndarray) -> str | None:
    """Where `a` holds NaN, Inf or numbers beyond float32's range (training computes in float32,
    where a float64 1e300 becomes Inf and the loss NaN), by index; None when every value is finite."""
    if not np.issubdtype(a.dtype, np.floating):
        return None
    nan = np.isnan(a)
    with np.errstate(over="ignore"):
        inf = np.isinf(a.astype(np.float32, copy=False)) & ~nan
    if not (nan.any() or inf.any()):
        return None
    huge = inf & np.isfinite(a)
    n_nan, n_inf, n_huge = int(nan.sum()), int((inf & ~huge).sum()), int(huge.sum())
    kinds = " and ".join(f"{n:,} {what}" for n, what in ((n_nan, "NaN"), (n_inf, "Inf")) if n)
    parts = [f"{kinds} value{'' if n_nan + n_inf == 1 else 's'}"] if n_nan or n_inf else []
    if n_huge:
        first = float(a[tuple(np.argwhere(huge)[0])])
        parts.append(f"{plural(n_huge, 'value')} beyond float32's range "
                     f"(±{float(np.finfo(np.float32).max):.3g}, e.g. {first!r}), which training, "
                     f"computing in float32, would see as Inf")
    where = np.argwhere(nan | inf)[:MAX_POSITIONS]
    spots = ", ".join("[" + ", ".join(str(int(i)) for i in w) + "]" for w in where)
    more = ", ..." if n_nan + n_inf + n_huge > MAX_POSITIONS else ""
    return (f"{name}: {key} has {' and '.join(parts)}, at {spots}{more}; "
            f"remove or replace them before importing")
