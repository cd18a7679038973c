"""How a CSV file is laid out, decided once for both the import and the preview.

Real files do not all start with a row of column names. This module reads the first 64 KiB and
decides: the encoding, the delimiter (guessed on whole rows), how many lines come before the data
(a header row, none, or a first line of counts and class names such as scikit-learn's
`178,13,class_0,class_1,class_2` above rows of 14 values), the names of the columns, an unnamed
index column (dropped), and a delimiter ending every row (ignored). Then `count_fields` checks
every row of the whole file against the header: a row with more fields is refused, one with
fewer is reported, so no field is ever silently dropped or shifted into another column.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from playground.data.importers.report import ImportProblem, describe_rows
from playground.core.files import open_regular
from playground.core.words import plural

SNIFF_BYTES = 64 * 1024
SAMPLE_ROWS = 200
"""Rows of the sample whose field counts decide what the rows hold."""
SCAN_BLOCK = 1 << 20
INDEX_NAME = "\0index"
"""The placeholder name of an index column, which is read and then left out (never shown)."""
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^\d+$")


@dataclass
class CsvLayout:
    """What the file holds before and around its data rows."""

    encoding: str
    delimiter: str
    header_lines: int
    """Lines before the first data row: 0 (no header), 1 (a header row) or 2 (counts, then names)."""
    names: list[str]
    """The columns read as data, trimmed and unique, in file order."""
    index_column: bool = False
    """The first field of every row is an unnamed row number (pandas' `to_csv` writes one): dropped."""
    trailing_field: bool = False
    """The header ends with a delimiter, so every row may hold one empty field past the last column."""
    class_names: list[str] = field(default_factory=list)
    """Class names the first line gives (the counts-and-names layout), for labels 0, 1, 2, ..."""
    declared_rows: int | None = None
    """The row count the first line gives (the counts-and-names layout)."""
    notes: list[str] = field(default_factory=list)
    """What was recognised, in words, for the import report."""
    dropped: dict[str, str] = field(default_factory=dict)
    """Columns left out by the layout, with why."""

    @property
    def width(self) -> int:
        """Fields a full row holds (index and data columns)."""
        return len(self.names) + int(self.index_column)

    @property
    def all_names(self) -> list[str]:
        """The names pandas is given: a placeholder for the index column (which it then leaves out).
        pandas ignores fields past the last name; `count_fields` has made sure they are empty."""
        return ([INDEX_NAME] if self.index_column else []) + self.names

    @property
    def first_row(self) -> int:
        """The spreadsheet row number of the first data row."""
        return self.header_lines + 1


def read_head(path: Path) -> tuple[bytes, str, str]:
    """(the first 64 KiB, their encoding, their text cut to whole rows), or ImportProblem."""
    with open_regular(path, "data file") as f:
        head = f.read(SNIFF_BYTES)
    encoding = check_encoding(path.name, head)
    check_header_length(path.name, head)
    sample = head.decode(encoding, errors="ignore")
    if len(head) == SNIFF_BYTES and "\n" in sample:
        sample = sample[:sample.rindex("\n") + 1]  # whole rows only
    return head, encoding, sample


def check_encoding(name: str, head: bytes) -> str:
    if not head.strip():
        raise ImportProblem(f"{name} is empty: a CSV file needs a header row and at least one data row")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportProblem(f"{name} is UTF-16 text; save it as UTF-8 (in Excel: 'CSV UTF-8')")
    if b"\0" in head:
        raise ImportProblem(f"{name} is not a text file (it holds NUL bytes): is it really a CSV?")
    encoding = "utf-8-sig" if head.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        head.decode(encoding)
    except UnicodeDecodeError as e:
        if len(head) < SNIFF_BYTES or e.start < len(head) - 3:  # not a character cut by the sample's end
            raise ImportProblem(not_utf8(name, head, e.start)) from None
    return encoding


def not_utf8(name: str, data: bytes, offset: int) -> str:
    line = data[:offset].count(b"\n") + 1
    return (f"{name} is not UTF-8 text: byte 0x{data[offset]:02x} in row {line} cannot be read "
            f"(the file is probably Latin-1 or Windows-1252); save it as UTF-8 (in Excel: 'CSV UTF-8')")


def check_header_length(name: str, head: bytes) -> None:
    """The header row must end within the first SNIFF_BYTES: the columns are read from there, and a
    longer one (tens of thousands of columns) would stall the parser for half a minute."""
    if len(head) == SNIFF_BYTES and b"\n" not in head and b"\r" not in head:
        raise ImportProblem(f"{name}: the header row is longer than {SNIFF_BYTES // 1024} KiB (no line break "
                            f"in its first {SNIFF_BYTES:,} bytes), over the limit for a header; is it "
                            f"really a CSV with one row per line?")


def sniff_delimiter(sample: str) -> str:
    """Comma, semicolon or tab: the csv module's guess, else the one the header has most of.
    Always given whole rows, so the import and the preview guess alike."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        counts = {d: first.count(d) for d in ",;\t"}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def is_number(text: str) -> bool:
    return bool(_NUMBER.match(text.strip()))


def detect_layout(name: str, encoding: str, sample: str) -> CsvLayout:
    """Decide the layout from the first rows, or raise ImportProblem saying what the first line
    and the rows hold when they do not fit together."""
    delimiter = sniff_delimiter(sample)
    lines = [row for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if row]
    if not lines:   # only a byte-order mark, or blank lines
        raise ImportProblem(f"{name} is empty: a CSV file needs a header row and at least one data row")
    first = [f.strip() for f in lines[0]]
    rows = lines[1:SAMPLE_ROWS + 1]
    width = Counter(len(r) for r in rows).most_common(1)[0][0] if rows else len(first)
    layout = CsvLayout(encoding, delimiter, 1, list(first))
    counts = _counts_layout(name, first, lines, width, delimiter, encoding)
    if counts is not None:
        return counts
    if len(first) > 1 and first[-1] == "" and all(r and r[-1].strip() == "" for r in rows):
        layout.names = layout.names[:-1]   # `a,b,y,` above `1,2,0,`: a delimiter ends every line
        layout.trailing_field = True
        layout.notes.append("every line ends with a delimiter: the empty field after the last column "
                            "is not a column")
    if width > len(layout.names) and not _trailing_rows(rows, len(layout.names)):
        shown = ", ".join(first[:6]) + (", ..." if len(first) > 6 else "")
        row = ", ".join(f.strip() for f in rows[0][:6]) + (", ..." if len(rows[0]) > 6 else "")
        raise ImportProblem(
            f"{name}: the first line has {plural(len(first), 'field')} ({shown}) but the rows have {width} "
            f"(row 2: {row}): the first line is not a header naming every column (a title, or counts?); "
            f"make it one name per column, or remove it")
    if all(is_number(f) for f in first) and len(first) == width:
        layout.header_lines = 0
        layout.names = [f"column_{k + 1}" for k in range(len(first))]
        layout.notes.append(f"the first line holds only numbers, so it is read as data (the file has no "
                            f"header); the columns are named column_1 ... column_{len(first)}")
        return layout
    if len(layout.names) > 1 and layout.names[0] == "" and rows and all(
            _INTEGER.match(r[0].strip()) for r in rows if r):
        layout.index_column = True
        layout.names = layout.names[1:]
        layout.dropped["(unnamed first column)"] = "an index: it numbers the rows and holds no data"
        layout.notes.append("the unnamed first column numbers the rows (an index, as pandas writes one): "
                            "it is left out")
    for k, n in enumerate(layout.names):
        if n == "":
            layout.names[k] = f"column_{k + 1 + int(layout.index_column)}"
            layout.notes.append(f"column {k + 1 + int(layout.index_column)} has no name: it is called "
                                f"{layout.names[k]!r}")
    _check_unique(name, layout.names, layout.index_column)
    return layout


def _trailing_rows(rows: list[list[str]], width: int) -> bool:
    """Rows one field longer than the header whose extra field is empty: a delimiter ends them."""
    return all(len(r) <= width or (len(r) == width + 1 and r[-1].strip() == "") for r in rows)


def _counts_layout(name: str, first: list[str], lines: list[list[str]], width: int, delimiter: str,
                   encoding: str) -> CsvLayout | None:
    """scikit-learn's layout: `N_ROWS,N_FEATURES[,class names...]`, then (for some files) a row of
    names, then rows of N_FEATURES inputs and the label. None when the first line is not that."""
    if len(first) < 2 or not (_INTEGER.match(first[0]) and _INTEGER.match(first[1])):
        return None
    declared, n_features = int(first[0]), int(first[1])
    names = [f for f in first[2:] if f]
    if any(is_number(n) for n in names):
        return None
    if n_features + 1 != width or (len(first) == width and not names):
        if len(first) != width:
            raise ImportProblem(
                f"{name}: the first line ({delimiter.join(first)}) looks like counts (rows, inputs) but "
                f"the rows have {plural(width, 'field')}, not {plural(n_features, 'input')} and a label; fix the first line "
                f"or remove it")
        return None
    header_lines = 1
    columns = [f"feature_{k + 1}" for k in range(n_features)] + ["target"]
    second = [f.strip() for f in lines[1]] if len(lines) > 1 else []
    if not names and len(second) == width and not any(is_number(f) for f in second):
        header_lines, columns = 2, second   # `506,13` above a row of names (the Boston layout)
        _check_unique(name, columns, False)
    what = f"{plural(declared, 'row')} of {plural(n_features, 'input')} and a label"
    if names:
        what += f", classes {', '.join(names)}"
    layout = CsvLayout(encoding, delimiter, header_lines, columns, class_names=names, declared_rows=declared)
    layout.notes.append(f"the first line ({delimiter.join(first)}) gives counts, not column names: read "
                        f"as {what}" + ("; the columns are named feature_1 ... "
                                        f"feature_{n_features} and target" if header_lines == 1 else ""))
    return layout


def _check_unique(name: str, names: list[str], index: bool) -> None:
    seen: dict[str, int] = {}
    for k, n in enumerate(names):
        if n in seen:
            a, b = seen[n] + 1 + int(index), k + 1 + int(index)
            raise ImportProblem(f"{name}: columns {a} and {b} are both named {n!r} (after trimming "
                                f"spaces): give every column its own name")
        seen[n] = k


# ---- every row's field count -----------------------------------------------------------------

@dataclass
class FieldCounts:
    """Rows (spreadsheet numbers, header lines included) whose field count is not the header's."""

    lines: int = 0
    """Lines in the file (blank ones included): an upper bound on the data rows."""
    data_rows: int = 0
    long_rows: list[tuple[int, int]] = field(default_factory=list)
    long_count: int = 0
    short_rows: list[tuple[int, int]] = field(default_factory=list)
    short_count: int = 0
    trailing_count: int = 0
    """Rows one field longer than the header whose extra field is empty (a delimiter ends them)."""

    def note(self, row: int, fields: int, width: int, ends_empty: bool) -> None:
        self.data_rows += 1
        if fields == width:
            return
        if fields == width + 1 and ends_empty:
            self.trailing_count += 1
        elif fields > width:
            self.long_count += 1
            if len(self.long_rows) < 3:
                self.long_rows.append((row, fields))
        else:
            self.short_count += 1
            if len(self.short_rows) < 3:
                self.short_rows.append((row, fields))


def count_fields(path: Path, layout: CsvLayout) -> FieldCounts:
    """Every row's field count, from the bytes (numpy) while no field is quoted, else the csv module."""
    counts = _count_plain(path, layout)
    return _count_quoted(path, layout) if counts is None else counts


def _count_plain(path: Path, layout: CsvLayout) -> FieldCounts | None:
    """Counts from the bytes alone (fast), or None at the first quote (a quoted field may hold a
    delimiter or a line break, which only a CSV parser understands) or the first line that ends
    in a bare carriage return (an old Mac file: the bytes count only line feeds)."""
    out = FieldCounts()
    d = ord(layout.delimiter)
    width = layout.width
    line = 0   # lines before this block
    carry = b""
    with open_regular(path, "data file") as f:
        while True:
            block = f.read(SCAN_BLOCK)
            if b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
                return None
            data = carry + block if carry else block
            if not block:
                if not data:
                    break
                data += b"\n"
            end = data.rfind(b"\n") + 1
            carry, data = data[end:], data[:end]
            if not data:
                continue
            a = np.frombuffer(data, dtype=np.uint8)
            nl = np.flatnonzero(a == 10)
            starts = np.concatenate(([0], nl[:-1] + 1))
            cr = (nl > starts) & (a[np.maximum(nl - 1, 0)] == 13)
            ends = nl - cr                       # one past each line's last character
            at = np.flatnonzero(a == d)          # where the delimiters are
            fields = np.searchsorted(at, ends) - np.searchsorted(at, starts) + 1
            blank = ends == starts
            ends_empty = (ends > starts) & (a[np.maximum(ends - 1, 0)] == d)
            numbers = np.arange(line + 1, line + 1 + len(nl))
            data_lines = (numbers > layout.header_lines) & ~blank
            out.data_rows += int(data_lines.sum())
            trailing = data_lines & (fields == width + 1) & ends_empty
            out.trailing_count += int(trailing.sum())
            for kind, rows in (("long", data_lines & (fields > width) & ~trailing),
                               ("short", data_lines & (fields < width))):
                found = np.flatnonzero(rows)
                listed = getattr(out, f"{kind}_rows")
                listed += [(int(numbers[k]), int(fields[k])) for k in found[:3 - len(listed)]]
                setattr(out, f"{kind}_count", getattr(out, f"{kind}_count") + len(found))
            line += len(nl)
            if not block:
                break
    out.lines = line
    return out


def _count_quoted(path: Path, layout: CsvLayout) -> FieldCounts:
    raw = open_regular(path, "data file")
    try:
        return count_text_fields(io.TextIOWrapper(raw, encoding=layout.encoding, newline=""), layout)
    except UnicodeDecodeError as e:
        raise ImportProblem(f"{path.name} is not UTF-8 text: byte 0x{e.object[e.start]:02x} cannot be read; "
                            f"save it as UTF-8 (in Excel: 'CSV UTF-8')") from None
    finally:
        raw.close()


def count_text_fields(text: io.TextIOBase, layout: CsvLayout) -> FieldCounts:
    """Field counts of the rows of a text stream (quotes understood), e.g. the preview's sample."""
    out = FieldCounts()
    reader = csv.reader(text, delimiter=layout.delimiter)
    for row in reader:
        if reader.line_num <= layout.header_lines or not row:
            continue
        out.note(reader.line_num, len(row), layout.width, row[-1].strip() == "")
    out.lines = reader.line_num
    return out


def field_count_findings(name: str, counts: FieldCounts, layout: CsvLayout) -> list[str]:
    """Warnings for rows with fewer fields or a trailing delimiter; ImportProblem for longer rows
    (which column a field belongs to is then unknown, so nothing is guessed)."""
    width = layout.width
    if counts.long_count:
        row, fields = counts.long_rows[0]
        rows = [r for r, _ in counts.long_rows]
        more = (f"; {counts.long_count} rows have more fields than the header {describe_rows(rows, counts.long_count)}"
                if counts.long_count > 1 else "")
        raise ImportProblem(f"{name}: row {row} has {plural(fields, 'field')} but the header has {width}{more} "
                            f"(a stray delimiter, or a text field that needs quotes)")
    warnings = []
    if counts.short_count:
        k = counts.short_count
        which = ", ".join(f"row {r}: {f} field{'s' if f != 1 else ''}" for r, f in counts.short_rows)
        warnings.append(f"{k} row{' has' if k == 1 else 's have'} fewer fields than the header's {width} "
                        f"({which}{', ...' if k > len(counts.short_rows) else ''}): "
                        f"{'its' if k == 1 else 'their'} last columns are read as missing values")
    if counts.trailing_count and not layout.trailing_field:
        k = counts.trailing_count
        warnings.append(f"{k} row{' ends' if k == 1 else 's end'} with a delimiter (one empty field past the "
                        f"last column): the empty field is not read")
    if layout.declared_rows is not None and layout.declared_rows != counts.data_rows:
        warnings.append(f"the first line says {plural(layout.declared_rows, 'row')} but the file holds "
                        f"{counts.data_rows:,}")
    return warnings
