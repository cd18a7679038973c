"""The import report's wording: counts agree with their nouns ('1 row', '2 rows'), and the
terminal keeps the whole SHA-256 (the data page shortens it for its narrow column)."""
from __future__ import annotations

from pathlib import Path

import pytest

from playground.data.importers import inspect_path
from playground.data.importers.report import ImportReport, describe_rows


@pytest.mark.parametrize("n, word, many, said", [
    (0, "row", "", "0 rows"), (1, "row", "", "1 row"), (2, "row", "", "2 rows"), (1234, "row", "", "1,234 rows"),
    (1, "class", "classes", "1 class"), (3, "class", "classes", "3 classes"),
    (1, "missing value", "", "1 missing value")])
def test_plural_agrees_with_the_count(n, word, many, said):
    from playground.core.words import plural
    assert plural(n, word, many) == said


def test_a_list_reads_with_its_conjunction():
    from playground.core.words import listed
    assert listed([]) == "" and listed(["a"]) == "a"
    assert listed(["a", "b", "c"]) == "a, b, and c"
    assert listed(["a", "b"], "or") == "a, or b"


def test_describe_rows_says_one_row():
    assert describe_rows([7], 1) == "(1 row: 7)"
    assert describe_rows([7, 9, 11, 13], 5) == "(5 rows: 7, 9, 11, ...)"


def test_one_dropped_or_filled_row_is_singular_in_the_report(tmp_path: Path):
    path = tmp_path / "gap.csv"
    path.write_text("a,b,y\n1,2,x\n,3,z\n4,5,x\n6,7,z\n8,9,x\n1,2,z\n", encoding="utf-8")
    dropped = inspect_path(str(path))
    assert "dropped 1 row with missing values (per column: 'a': 1)" in dropped.warnings[0]
    assert "rows" not in dropped.warnings[0]
    filled = inspect_path(str(path), missing="fill")
    assert filled.warnings[0].startswith("filled 1 missing value (per column")


def test_the_terminal_report_keeps_the_whole_digest_and_singular_counts():
    report = ImportReport(kind="points", source="one.csv", format="csv", n_samples=1, input_shape=(1,),
                          task="classification", n_classes=2, class_names=["a", "b"],
                          class_counts={"a": 1, "b": 0}, feature_names=["x"], sha256="ab" * 32,
                          columns=[{"name": "note", "role": "dropped", "reason": "text"}])
    text = report.text()
    assert "ab" * 32 in text
    assert "one.csv: csv, 1 sample, input (1,)" in text
    assert "1 input feature: x" in text and "1 column left out: note (text)" in text
    assert "2 classes (a: 1, b: 0)" in text
