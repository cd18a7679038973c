"""CSV files (pandas): a sniffed delimiter, UTF-8 with or without a BOM, quoted fields, a header row.

The file is read in chunks straight into one preallocated float32 array (its row count bounded
by a quick count of line breaks), so a large file never needs much more memory than the array it
yields. Numbers stay numbers, text columns are one-hot encoded, and every cell that does not fit
is reported with its row, column, value and what was expected. Rows are numbered as a
spreadsheet shows them: the header is row 1, the first data row is row 2.
"""
from __future__ import annotations

import io
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from playground.data.importers.csv_layout import (
    CsvLayout, count_fields, count_text_fields, detect_layout, field_count_findings, read_head)
from playground.core.words import plural
from playground.data.importers.report import (
    Cancelled, ImportCancelled, ImportProblem, ImportReport, Progress, class_facts, describe_rows)
from playground.core.files import open_regular

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
"""Cells read as missing (compared stripped and lower-cased)."""
NA_TOKENS = sorted(MISSING | {m.upper() for m in MISSING} | {m.capitalize() for m in MISSING} | {"NaN", "N/a"})
CHUNK_ROWS = 50_000
MAX_CATEGORIES = 100
NOT_FINITE = f"is not a finite number in float32 (Inf, or beyond ±{float(np.finfo(np.float32).max):.3g})"
"""Training computes in float32: such a cell would become Inf and end in a NaN loss."""
"""A text feature with more different values than this is refused (one input per value)."""
MAX_CLASSES = 1000
MAX_GUESSED_CLASSES = 20
"""A numeric label with at most this many whole-number values is guessed to be classes."""
TASKS = ("auto", "classification", "regression")
MISSING_POLICIES = ("drop", "fill")


@dataclass
class CsvOptions:
    label: str = ""  # "" = the last column
    features: list[str] = field(default_factory=list)  # [] = every column but the label
    task: str = "auto"
    missing: str = "drop"


@dataclass
class Table:
    """The imported arrays and what was found: x float32 (N, F), y int64 codes or float32 targets."""

    x: np.ndarray
    y: np.ndarray
    report: ImportReport


def parse_features(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()] if text else []


# ---- reading ---------------------------------------------------------------------------------

@dataclass
class _Column:
    name: str
    numeric: bool
    levels: dict[str, int] = field(default_factory=dict)
    bad_rows: list[int] = field(default_factory=list)
    bad_count: int = 0
    first_bad: str = ""
    grouped: str = ""
    """A cell written with a thousands separator (40,603.69), read as a number: said in the report."""


def _missing(values) -> np.ndarray:
    return values.str.lower().isin(MISSING).to_numpy(dtype=bool)


def _text(series):
    """A column as stripped text; a cell pandas read as missing becomes ''."""
    if pd_is_numeric(series):
        series = series.astype(object)
    return series.fillna("").astype(str).str.strip()


def pd_is_numeric(series) -> bool:
    import pandas as pd
    return pd.api.types.is_numeric_dtype(series.dtype)


def _number_codes(numbers: np.ndarray, codes: np.ndarray, levels: dict[str, int]) -> None:
    """Rows read as numbers (in chunks without text labels) get the code of their text form."""
    rows = np.isnan(codes) & np.isfinite(numbers)
    if not rows.any():
        return
    values, inverse = np.unique(numbers[rows], return_inverse=True)
    mapped = np.array([levels.setdefault(_number_text(float(v)), len(levels)) for v in values], dtype=np.float32)
    codes[rows] = mapped[inverse]


def _number_text(v: float) -> str:
    return str(int(v)) if v.is_integer() else repr(v)


GROUPED = {",": re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"), ".": re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")}
"""Numbers with a thousands separator: 40,603.69 (a ',' between thousands, '.' before decimals) and
40.603,69 (the other way round); a dot-grouped one needs two groups or a decimal comma to be told
from a decimal (1.234.567, 1.234,5: yes; 50.000: `AMBIGUOUS_DOT`, read as a decimal and said)."""
AMBIGUOUS_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}\.\d{3}$")
"""50.000 or 1.250: a thousands group or three decimals (0.781 is a decimal: no group starts with 0)."""


def _numbers(values, delimiter: str, col: _Column | None = None):
    """The numbers in text cells, NaN where a cell holds none: plain numbers, a decimal comma
    ("3,5") where commas do not separate cells, and numbers grouped by thousands (`GROUPED`),
    whose first example `col` keeps for the report."""
    import pandas as pd
    num = pd.to_numeric(values, errors="coerce")
    if delimiter != "," and num.isna().any():  # a decimal comma ("3,5") where commas are free
        num = num.fillna(pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce"))
    if num.isna().any():
        for sep, pattern in GROUPED.items():
            grouped = num.isna() & values.str.match(pattern)
            if sep == "." and grouped.any():   # one dot group alone (50.000) stays ambiguous
                grouped &= values.str.count(r"\.").gt(1) | values.str.contains(",", regex=False)
            if grouped.any():
                plain = values[grouped].str.replace(sep, "", regex=False).str.replace(",", ".", regex=False)
                num[grouped] = pd.to_numeric(plain, errors="coerce")
                if col is not None and not col.grouped:
                    col.grouped = str(values[grouped].iloc[0])
    return num.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)


def _codes(values, missing: np.ndarray, levels: dict[str, int], limit: int) -> np.ndarray | None:
    """Integer codes for text values, growing `levels`; None once more than `limit` values."""
    for v in values[~missing].unique():
        if v not in levels:
            if len(levels) >= limit:
                return None
            levels[v] = len(levels)
    codes = values.map(levels).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    codes[missing] = np.nan
    return codes


def read_csv(path: Path, options: CsvOptions, progress: Progress | None = None,
             cancelled: Cancelled | None = None) -> Table:
    """Import a CSV file, or raise ImportProblem naming every cell that does not fit."""
    import pandas as pd

    name = path.name
    if path.is_dir():
        raise ImportProblem(f"{path} is a folder; choose a .csv file (or use the 'images' data set)")
    size = path.stat().st_size
    _, encoding, sample = read_head(path)
    layout = detect_layout(name, encoding, sample)
    delimiter = layout.delimiter
    columns = layout.names
    if options.task not in TASKS:
        raise ImportProblem(f"task must be one of {', '.join(TASKS)}; got {options.task!r}")
    if options.missing not in MISSING_POLICIES:
        raise ImportProblem(f"missing must be one of {', '.join(MISSING_POLICIES)}; got {options.missing!r}")
    label = options.label or columns[-1]
    known = ", ".join(repr(c) for c in columns)
    if label not in columns:
        raise ImportProblem(f"{name} has no column {label!r} to use as the label (columns: {known})")
    features = options.features or [c for c in columns if c != label]
    unknown = [c for c in features if c not in columns]
    if unknown:
        raise ImportProblem(f"{name} has no column {', '.join(map(repr, unknown))} (columns: {known})")
    if label in features:
        raise ImportProblem(f"column {label!r} cannot be both the label and an input feature")
    if not features:
        raise ImportProblem(f"{name} has only the label column {label!r}: there is nothing to learn from")
    counts = count_fields(path, layout)
    layout_warnings = layout.notes + field_count_findings(name, counts, layout)
    first = _sample_frame(name, sample, layout)

    capacity = counts.lines + 1
    # One row per feature (text columns hold codes), so that one-hot columns can later be added
    # in place by growing the block (realloc), never by copying the whole table.
    store = np.empty((len(features), capacity), dtype=np.float32)
    label_num = np.empty(capacity, dtype=np.float32)
    label_code = np.empty(capacity, dtype=np.float32)
    label_levels: dict[str, int] = {}
    label_values: set[float] = set()  # distinct numeric labels, up to MAX_CLASSES + 1
    label_codes_ok = True
    label_bad: _Column = _Column(label, True)
    beyond: dict[str, _Column] = {}  # numbers that are not finite in float32 (inf, 1e999, 1e39), by column
    # Types are decided on the first rows: numbers are parsed by pandas' C parser (fast); text
    # columns are read as text. A cell that breaks its column's type is found and named below.
    cols = [_Column(c, _mostly_numbers(first[c].str.strip(), delimiter)) for c in features]
    dot_notes = {c.name: w for c in cols if c.numeric and (w := _dot_thousands_warning(c.name, first[c.name].str.strip(),
                                                                                         delimiter))}
    layout_warnings += list(dot_notes.values())
    decimal = "," if delimiter != "," and re.search(r"\d,\d", sample) else "."
    n = 0
    raw = open_regular(path, "data file")
    try:
        reader = pd.read_csv(raw, sep=delimiter, keep_default_na=False, na_values=NA_TOKENS,
                             dtype={c.name: str for c in cols if not c.numeric}, chunksize=CHUNK_ROWS,
                             encoding=encoding, skipinitialspace=True, decimal=decimal, **_columns(layout))
        while True:
            try:
                chunk = next(reader)
            except StopIteration:
                break
            except pd.errors.ParserError as e:
                raise ImportProblem(f"{name}: {_ragged(str(e), len(columns))}") from None
            except UnicodeDecodeError as e:
                raise ImportProblem(f"{name} is not UTF-8 text: byte 0x{e.object[e.start]:02x} after row "
                                    f"{n + 1} cannot be read; save it as UTF-8 (in Excel: 'CSV UTF-8')") from None
            if cancelled is not None and cancelled():
                raise ImportCancelled()
            rows = np.arange(n, n + len(chunk)) + layout.first_row
            overflowing: dict[str, object] = {}   # text columns past MAX_CATEGORIES values: their cells
            for j, col in enumerate(cols):
                series = chunk[col.name]
                if col.numeric and pd.api.types.is_numeric_dtype(series.dtype):
                    num = series.to_numpy(dtype=np.float64, na_value=np.nan)
                    _note_beyond_float32(beyond, col.name, rows, num, series)
                    store[j, n:n + len(chunk)] = _float32(num)
                    continue
                values = _text(series)
                missing = _missing(values)
                if col.numeric:
                    num = _numbers(values, delimiter, col)
                    bad = ~missing & np.isnan(num)
                    if bad.any():
                        _note_bad(col, rows[bad], values[bad])
                    num[missing] = np.nan
                    _note_beyond_float32(beyond, col.name, rows, num, values)
                    store[j, n:n + len(chunk)] = _float32(num)
                else:
                    codes = _codes(values, missing, col.levels, MAX_CATEGORIES)
                    if codes is None:   # every such column of this chunk is named at once, below
                        overflowing[col.name] = values[~missing]
                        continue
                    store[j, n:n + len(chunk)] = codes
            if overflowing:
                raise ImportProblem(f"{name}: " + "; ".join(_too_many_text_values(c, v) for c, v in overflowing.items())
                                    + "; leave " + ("it" if len(overflowing) == 1 else "them")
                                    + " out of the features")
            series = chunk[label]
            if pd.api.types.is_numeric_dtype(series.dtype):  # numbers: codes only if text appears
                num = series.to_numpy(dtype=np.float64, na_value=np.nan)
                _note_beyond_float32(beyond, label, rows, num, series)
                label_num[n:n + len(chunk)] = _float32(num)
                label_code[n:n + len(chunk)] = np.nan
                if len(label_values) <= MAX_CLASSES:
                    label_values.update(np.unique(num[np.isfinite(num)]).tolist())
            else:
                values = _text(series)
                missing = _missing(values)
                num = _numbers(values, delimiter)
                num[missing] = np.nan
                _note_beyond_float32(beyond, label, rows, num, values)
                label_num[n:n + len(chunk)] = _float32(num)
                if len(label_values) <= MAX_CLASSES:
                    label_values.update(np.unique(num[np.isfinite(num)]).tolist())
                bad = ~missing & np.isnan(num)
                if bad.any():
                    _note_bad(label_bad, rows[bad], values[bad])
                codes = _codes(values, missing, label_levels, MAX_CLASSES) if label_codes_ok else None
                if codes is None:
                    label_codes_ok = False
                else:
                    label_code[n:n + len(chunk)] = codes
            n += len(chunk)
            if progress is not None and size:
                progress(min(1.0, raw.tell() / size))
    finally:
        raw.close()

    if n == 0:
        raise ImportProblem(f"{name} has a header ({', '.join(columns)}) but no data rows")
    problems = [_bad_message(name, c, "is not a number") for c in cols if c.bad_count]
    problems += [_bad_message(name, beyond[c.name], NOT_FINITE) for c in cols if c.name in beyond]
    report = ImportReport(kind="points", source=str(path), format="csv", n_samples=0, input_shape=(),
                          task="classification", n_classes=0, class_names=[], class_counts={},
                          label=label, warnings=list(layout_warnings))
    task = _task(options.task, label_bad, label_codes_ok, label_values, label_num[:n])
    if task == "regression" and label_bad.bad_count:
        problems.append(_bad_message(name, label_bad, "is not a number (regression needs numbers)"))
    if label in beyond and (task == "regression" or not label_bad.bad_count):  # (a text class may read "inf")
        problems.append(_bad_message(name, beyond[label], NOT_FINITE))
    if problems:
        raise ImportProblem(problems)

    x = store[:, :n].T
    # Each branch keeps only the label array it needs: the other is freed before any work.
    if task == "classification" and not label_bad.bad_count:  # numeric classes, in numeric order
        label_code = None
        y, class_names = _numeric_classes(label_num[:n])
        label_num = None
        if layout.class_names and label == columns[-1]:
            class_names = _named_classes(class_names, layout.class_names, report)
    elif task == "classification":
        _number_codes(label_num[:n], label_code[:n], label_levels)
        label_num = None
        y = label_code[:n]
        order = sorted(label_levels, key=str)
        remap = np.empty(len(label_levels), dtype=np.float32)
        for new, level in enumerate(order):
            remap[label_levels[level]] = new
        class_names = order
        valid = np.isfinite(y)
        y[valid] = remap[y[valid].astype(np.int64)]  # in place: codes in alphabetical order
    else:
        label_code = None
        y = label_num[:n]
        class_names = []
    keep = _handle_missing(x, y, cols, options.missing, report, name, layout.first_row)
    kept = _compact(x, y, keep)
    y = y[:kept]
    del x  # a view of `store`, which _one_hot may move
    if kept == 0:
        raise ImportProblem(f"{name}: every row has a missing value; choose 'fill' for missing values "
                            f"or leave out the emptiest columns")
    x, feature_names = _one_hot(store, kept, cols)
    report.feature_names = feature_names
    report.warnings += [f"column {c.name!r} writes its numbers with a thousands separator (e.g. {c.grouped!r}): "
                        f"read as numbers ({_numbers(pd.Series([c.grouped]), delimiter)[0]:.12g})" for c in cols if c.grouped]
    report.warnings += uninformative_inputs(x, feature_names, np.flatnonzero(keep),
                                            not_counting=dot_notes)   # 50, 51, 52 might be 50 000, 51 000
    report.columns = column_account(layout, label, cols)
    report.n_samples = len(x)
    report.input_shape = (x.shape[1],)
    report.task = task
    if task == "classification":
        y = y.astype(np.int64)
        present = np.flatnonzero(np.bincount(y, minlength=len(class_names)))
        if len(present) < 2:
            only = class_names[int(present[0])] if len(present) else "none"
            raise ImportProblem(f"{name}: column {label!r} has a single class ({only!r}) in {plural(len(y), 'row')}: "
                                f"a classifier needs at least two classes")
        report.n_classes = len(class_names)
        report.class_names = [str(c) for c in class_names]
    else:
        y = y.astype(np.float32, copy=False)
        report.kind = "regression"
    class_facts(report, y)
    return Table(x, y, report)


def _columns(layout: CsvLayout) -> dict:
    """pandas' arguments for the layout: every field named (so none becomes an index and a row
    with fewer fields is padded, never shifted), the header lines skipped, only data columns kept."""
    return {"header": None, "skiprows": layout.header_lines, "names": layout.all_names,
            "usecols": layout.names, "index_col": False}


def _sample_frame(name: str, sample: str, layout: CsvLayout):
    """The sample's rows as text, to decide each column's type."""
    import pandas as pd
    try:
        return pd.read_csv(io.StringIO(sample), sep=layout.delimiter, dtype=str, keep_default_na=False,
                           na_filter=False, skipinitialspace=True, **_columns(layout))
    except pd.errors.ParserError as e:
        raise ImportProblem(f"{name}: {_ragged(str(e), layout.width)}") from None


def _named_classes(numbers: list[str], given: list[str], report: ImportReport) -> list[str]:
    """The class names a counts-and-names first line gives, for labels 0 .. K-1; the label's own
    values (and a warning) when they are not such codes."""
    if all(n.isdigit() and int(n) < len(given) for n in numbers):
        return [given[int(n)] for n in numbers]
    report.warnings.append(f"the first line names the classes {', '.join(given)}, but the label holds "
                           f"{', '.join(numbers[:6])}{' ...' if len(numbers) > 6 else ''} rather than "
                           f"0 .. {len(given) - 1}: the label's own values name the classes")
    return numbers


def column_account(layout: CsvLayout, label: str, cols: list["_Column"]) -> list[dict]:
    """Every column of the file and what became of it: input, one-hot, label, or dropped and why."""
    chosen = {c.name: c for c in cols}
    out: list[dict] = [{"name": n, "role": "dropped", "reason": why} for n, why in layout.dropped.items()]
    for n in layout.names:
        if n == label:
            out.append({"name": n, "role": "label"})
        elif n not in chosen:
            out.append({"name": n, "role": "dropped", "reason": "not chosen as an input"})
        elif chosen[n].numeric:
            out.append({"name": n, "role": "input"})
        else:
            out.append({"name": n, "role": "one-hot", "inputs": [f"{n}={v}" for v in chosen[n].levels]})
    return out


def _too_many_text_values(column: str, values) -> str:
    """Why a text column cannot be an input, in the words that fit what it holds: one input per
    value after one-hot encoding, and more values than MAX_CATEGORIES; dates said as dates."""
    import pandas as pd
    import warnings
    what = f"column {column!r} has more than {MAX_CATEGORIES} different text values (one input each after one-hot encoding)"
    sample = values.iloc[:50]
    with warnings.catch_warnings():   # (pandas warns when it guesses a date format)
        warnings.simplefilter("ignore")
        dates = pd.to_datetime(sample, errors="coerce")
    if len(sample) and dates.notna().all():
        return (f"column {column!r} holds dates (e.g. {sample.iloc[0]!r}), which are no inputs the playground "
                f"reads (turned into numbers first, a day of the year or a weekday, they can be)")
    return what


def _dot_thousands_warning(column: str, values, delimiter: str) -> str:
    """Where every number of a column's first rows is written 50.000 (three digits after one dot) in a
    file whose cells are not split by commas, the European way to group thousands: read as the
    decimal 50.0, as the dot means in most files, and said, since 50 000 might be meant."""
    shown = values[~_missing(values)]
    if delimiter == "," or len(shown) < 2 or not shown.str.match(AMBIGUOUS_DOT).all():
        return ""
    first = str(shown.iloc[0])
    return (f"column {column!r} has three digits after one dot in every number of its first rows (e.g. "
            f"{first!r}): read as decimals ({float(first):g}); if the dot separates thousands "
            f"({float(first) * 1000:g} was meant), save the file without thousands separators")


def _mostly_numbers(values, delimiter: str) -> bool:
    missing = _missing(values)
    if missing.all():
        return True
    num = _numbers(values[~missing], delimiter)
    return int(np.isfinite(num).sum()) * 2 > len(num)


def _note_beyond_float32(beyond: dict[str, _Column], column: str, rows: np.ndarray, num: np.ndarray,
                         values) -> None:
    """Note the cells that are numbers but not finite in float32, the precision training uses:
    `inf`, `1e999` and `1e39` would all become Inf there and end in a NaN loss with no word of why."""
    with np.errstate(over="ignore"):
        over = ~np.isnan(num) & np.isinf(num.astype(np.float32))
    if over.any():
        _note_bad(beyond.setdefault(column, _Column(column, True)), rows[over], values[over])


def _float32(num: np.ndarray) -> np.ndarray:
    """float64 cells as float32; an overflow becomes Inf quietly (it is reported as a problem)."""
    with np.errstate(over="ignore"):
        return num.astype(np.float32)


def _note_bad(col: _Column, rows: np.ndarray, values) -> None:
    if not col.bad_count:
        col.first_bad = str(values.iloc[0])
    col.bad_count += len(rows)
    col.bad_rows += [int(r) for r in rows[:3 - len(col.bad_rows)]] if len(col.bad_rows) < 3 else []


def _bad_message(name: str, col: _Column, what: str) -> str:
    return (f"{name}: row {col.bad_rows[0]}, column {col.name!r}: {col.first_bad!r} {what} "
            f"{describe_rows(col.bad_rows, col.bad_count)}")


def _ragged(message: str, n_columns: int) -> str:
    """pandas says 'Expected 3 fields in line 5, saw 4'; say it with the header's count."""
    import re
    m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if m:
        return (f"row {m.group(2)} has {m.group(3)} fields but the header has {m.group(1)} "
                f"(a stray delimiter, or a text field that needs quotes)")
    return message.strip().replace("\n", " ")


def _task(wanted: str, label_bad: _Column, codes_ok: bool, levels: set, numbers: np.ndarray) -> str:
    if wanted != "auto":
        if wanted == "classification" and not codes_ok:
            raise ImportProblem(f"the label column {label_bad.name!r} has more than {MAX_CLASSES} "
                                f"different values: too many classes (is it a regression target?)")
        if wanted == "classification" and not label_bad.bad_count and len(levels) > MAX_CLASSES:
            count = len(np.unique(numbers[np.isfinite(numbers)]))   # `levels` stops growing past the limit
            raise ImportProblem(f"the label column {label_bad.name!r} has {count:,} different numbers, more "
                                f"than the limit of {MAX_CLASSES:,} classes (is it a regression target?)")
        return wanted
    if label_bad.bad_count:  # text labels
        if not codes_ok:
            raise ImportProblem(f"the label column {label_bad.name!r} has more than {MAX_CLASSES} "
                                f"different text values: too many classes")
        return "classification"
    whole = all(bool(np.all(np.mod(block[np.isfinite(block)], 1) == 0))  # in blocks: bounded memory
                for block in (numbers[k:k + CHUNK_ROWS] for k in range(0, len(numbers), CHUNK_ROWS)))
    if whole and len(levels) <= MAX_GUESSED_CLASSES:
        return "classification"
    return "regression"


def _numeric_classes(numbers: np.ndarray) -> tuple[np.ndarray, list[str]]:
    values = np.unique(numbers[np.isfinite(numbers)][:0])  # dtype only; filled below, block by block
    for k in range(0, len(numbers), CHUNK_ROWS):
        block = numbers[k:k + CHUNK_ROWS]
        values = np.union1d(values, block[np.isfinite(block)])
    y = np.full(len(numbers), np.nan, dtype=np.float32)
    for k in range(0, len(numbers), CHUNK_ROWS):
        block = numbers[k:k + CHUNK_ROWS]
        finite = np.isfinite(block)
        y[k:k + CHUNK_ROWS][finite] = np.searchsorted(values, block[finite])
    names = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values]
    return y, names


def _handle_missing(x: np.ndarray, y: np.ndarray, cols: list[_Column], policy: str,
                    report: ImportReport, name: str, first_row: int) -> np.ndarray:
    """Rows to keep; with 'fill', numeric gaps get the column mean, text gaps its commonest value."""
    keep = np.isfinite(y)
    counts: dict[str, int] = {}
    if not keep.all():
        counts[report.label + " (label)"] = int((~keep).sum())
    for j, col in enumerate(cols):
        gaps = np.isnan(x[:, j])
        if not gaps.any():
            continue
        counts[col.name] = int(gaps.sum())
        if policy == "fill":
            present = x[~gaps, j]
            if col.numeric:
                value = float(present.mean()) if len(present) else 0.0
            else:
                value = float(np.bincount(present.astype(np.int64)).argmax()) if len(present) else 0.0
            x[gaps, j] = value
        else:
            keep &= ~gaps
    if not counts:
        return keep
    listing = ", ".join(f"{c!r}: {k}" for c, k in counts.items())
    dropped = int((~keep).sum())
    if policy == "fill":
        filled = {c: k for c, k in counts.items() if not c.endswith(" (label)")}
        report.warnings.append(f"filled {plural(sum(filled.values()), 'missing value')} (per column: "
                               + ", ".join(f"{c!r}: {k}" for c, k in filled.items())
                               + "; numbers with the column mean, text with its commonest value)")
        if dropped:
            report.warnings.append(f"dropped {plural(dropped, 'row')} whose label is missing (a label cannot be filled)")
    else:
        report.warnings.append(f"dropped {plural(dropped, 'row')} with missing values (per column: {listing})")
    for r in np.flatnonzero(~keep)[:100]:
        gaps = [c.name for j, c in enumerate(cols) if np.isnan(x[r, j])]
        if not np.isfinite(y[r]):
            gaps.insert(0, report.label)
        report.skip(f"{name} row {r + first_row}", "missing value in " + ", ".join(repr(g) for g in gaps))
    report.n_skipped = dropped
    return keep


def _compact(x: np.ndarray, y: np.ndarray, keep: np.ndarray) -> int:
    """Move the kept rows to the front in place, block by block (no second full-size array)."""
    if keep.all():
        return len(keep)
    write = 0
    for start in range(0, len(keep), CHUNK_ROWS):
        idx = np.flatnonzero(keep[start:start + CHUNK_ROWS]) + start
        x[write:write + len(idx)] = x[idx]
        y[write:write + len(idx)] = y[idx]
        write += len(idx)
    return write


def uninformative_inputs(x: np.ndarray, names: list[str], rows: np.ndarray | None = None,
                         not_counting: Collection[str] = ()) -> list[str]:
    """Warnings for input columns that tell the network nothing about a row, or only where it sits
    in the file: one value in every row, or a row number (whole numbers rising by one from row to
    row). Both were imported as inputs without a word; a row number can even look predictive when
    the file is sorted by its label. `rows`: where each row of `x` sat in the file (rows with a
    missing value dropped leave gaps, which a row number skips too); `not_counting`: columns not
    to call row numbers (their values might be read in other units)."""
    steps = np.ones(max(0, len(x) - 1)) if rows is None else np.diff(rows)
    out = []
    constant = [name for j, name in enumerate(names) if len(x) > 1 and np.all(x[:, j] == x[0, j])]
    if constant:
        out.append(f"{plural(len(constant), 'input column')} {'has' if len(constant) == 1 else 'have'} one value "
                   f"in every row, which tells the network nothing: {', '.join(repr(c) for c in constant[:5])}"
                   + (" ..." if len(constant) > 5 else "") + " (leave it out of the inputs)")
    for j, name in enumerate(names):
        column = x[:, j].astype(np.float64)
        if "=" in name or name in not_counting or len(column) < 3 or not np.all(np.isfinite(column)):
            continue
        if np.all(column == np.round(column)) and np.all(np.diff(column) == steps):
            out.append(f"input column {name!r} counts the rows ({column[0]:g}, {column[1]:g}, {column[2]:g}, ...): "
                       f"if it is a row number, it tells the network where a row sits in the file, not what it "
                       f"is (leave it out of the inputs)")
    return out


def _one_hot(store: np.ndarray, n: int, cols: list[_Column]) -> tuple[np.ndarray, list[str]]:
    """The (n, features) table: numbers as they are, then one 0/1 input per value of each text
    column (`city=Paris`). `store` (a row per column) grows in place, so no second table is made."""
    numeric = [j for j, c in enumerate(cols) if c.numeric]
    text = [j for j, c in enumerate(cols) if not c.numeric]
    names = [cols[j].name for j in numeric]
    if not text:
        return store[:, :n].T, names
    codes = {j: store[j, :n].astype(np.uint8) for j in text}  # at most MAX_CATEGORIES values
    for k, j in enumerate(numeric):  # numbers first, each row moved up (no overlap within a row)
        if k != j:
            store[k, :n] = store[j, :n]
    width = len(numeric) + sum(len(cols[j].levels) for j in text)
    if width > store.shape[0]:
        store.resize((width, store.shape[1]), refcheck=False)  # realloc: existing rows stay in place
    row = len(numeric)
    for j in text:
        levels = len(cols[j].levels)
        block = store[row:row + levels, :n]
        block[...] = 0.0
        block[codes[j], np.arange(n)] = 1.0
        names += [f"{cols[j].name}={level}" for level in cols[j].levels]
        row += levels
    return store[:width, :n].T, names


@dataclass
class CsvPeek:
    """The first rows of a CSV as text, for a table a person checks before importing."""

    columns: list[str]
    rows: list[list[str]]
    delimiter: str
    encoding: str
    first_row: int = 2
    """The spreadsheet row number of the first row shown (1 when the file has no header)."""
    notes: list[str] = field(default_factory=list)
    """What the layout check found (counts on the first line, no header, an index column...)."""


def peek_csv(path: Path, n_rows: int = 50) -> CsvPeek:
    """The columns and first rows as the import reads them (the same layout, the same delimiter),
    from at most 64 KiB, or ImportProblem saying why not."""
    import pandas as pd
    if not path.is_file():
        raise ImportProblem(f"{path} is not a file")
    _, encoding, sample = read_head(path)
    layout = detect_layout(path.name, encoding, sample)
    notes = layout.notes + field_count_findings(path.name, count_text_fields(io.StringIO(sample, newline=""), layout),
                                                _sampled(layout))
    try:
        frame = pd.read_csv(io.StringIO(sample), sep=layout.delimiter, dtype=str, keep_default_na=False,
                            na_filter=False, nrows=n_rows, skipinitialspace=True, **_columns(layout))
    except pd.errors.ParserError as e:
        raise ImportProblem(f"{path.name}: {_ragged(str(e), layout.width)}") from None
    return CsvPeek(list(layout.names), frame.astype(str).values.tolist(), layout.delimiter, encoding,
                   layout.first_row, notes)


def _sampled(layout: CsvLayout) -> CsvLayout:
    """The layout without its declared row count: a sample holds only some of the rows."""
    import dataclasses
    return dataclasses.replace(layout, declared_rows=None)
