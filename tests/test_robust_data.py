"""Non-finite data (issue 21, item 6): training computes in float32, so a cell that is Inf there
(`inf`, `1e999`, `1e39`, a float64 1e300) is refused at import, named by row and column (CSV) or
array and index (npz), instead of surfacing later as a NaN loss blamed on the learning rate."""
import numpy as np
import pytest

from playground.command_line.main import main
from playground.data.importers import ImportProblem, csv_table, inspect_path

FLOAT32_MAX = float(np.finfo(np.float32).max)   # 3.4028235e38


def write_csv(tmp_path, cell: str, other: str = "12", label_cells=("0", "1", "0", "1", "0", "1"),
              header: str = "f1,f2,label"):
    """Six data rows; `cell` is column f2 of the file's line 4, `other` column f2 of line 7."""
    f2 = ["2", "4", cell, "8", "10", other]
    lines = [header] + [f"{2 * k + 1},{f2[k]},{label_cells[k]}" for k in range(6)]
    path = tmp_path / "table.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("other", ["12", "x"], ids=["numbers-column", "column-with-text"])
@pytest.mark.parametrize("cell", ["inf", "-inf", "Infinity", "1e999", "1e39", "-1e39", "3.5e38"])
def test_a_csv_cell_not_finite_in_float32_is_named_by_line_and_column(tmp_path, cell, other):
    # "x" in the same column sends the column through the text path; without it pandas reads numbers
    path = write_csv(tmp_path, cell, other)
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    message = str(e.value)
    assert "row 4, column 'f2'" in message and "not a finite number in float32" in message, message
    if other == "x":   # the other problem is still named too
        assert "row 7, column 'f2': 'x' is not a number" in message


def test_the_largest_float32_numbers_still_import(tmp_path):
    path = write_csv(tmp_path, "3.4e38")
    assert 3.4e38 < FLOAT32_MAX
    report = inspect_path(str(path))
    assert report.n_samples == 6 and report.input_shape == (2,)


def test_an_overflowing_regression_target_is_named(tmp_path):
    path = write_csv(tmp_path, "6", label_cells=("0.5", "1.5", "2.5", "1e39", "0.25", "1.25"))
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path), task="regression")
    assert "row 5, column 'label'" in str(e.value) and "float32" in str(e.value)


def test_an_infinite_numeric_class_is_refused_but_a_text_class_named_inf_is_a_class(tmp_path):
    path = write_csv(tmp_path, "6", label_cells=("0", "1", "inf", "1", "0", "1"))
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path), task="classification")
    assert "row 4, column 'label'" in str(e.value)
    path = write_csv(tmp_path, "6", label_cells=("cat", "dog", "inf", "cat", "dog", "inf"))
    report = inspect_path(str(path))
    assert report.task == "classification" and sorted(report.class_names) == ["cat", "dog", "inf"]


def test_overflow_is_found_in_every_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_table, "CHUNK_ROWS", 2)   # line 4 lies in the second chunk
    path = write_csv(tmp_path, "1e39")
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    assert "row 4, column 'f2'" in str(e.value)


@pytest.mark.parametrize("key", ["X", "y"])
def test_npz_values_beyond_float32_are_named_by_array_and_index(tmp_path, key):
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.linspace(0.0, 1.0, 10)   # real numbers: a regression target
    (x if key == "X" else y)[(3, 1) if key == "X" else 3] = 1e300
    np.savez(tmp_path / "arrays.npz", X=x, y=y)
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(tmp_path / "arrays.npz"))
    where = "at [3, 1]" if key == "X" else "at [3]"
    message = str(e.value)
    assert f"{key} has 1 value beyond float32's range" in message and "1e+300" in message, message
    assert where in message


def test_npz_float64_within_float32_range_still_imports(tmp_path):
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    x[0, 0] = 3.4e38
    np.savez(tmp_path / "arrays.npz", X=x, y=np.array([0, 1] * 5))
    assert inspect_path(str(tmp_path / "arrays.npz")).n_samples == 10


@pytest.mark.parametrize("name", ["table.csv", "arrays.npz"])
def test_data_inspect_says_it_in_one_line_not_a_traceback(tmp_path, capsys, name):
    if name.endswith(".csv"):
        write_csv(tmp_path, "1e999")
    else:
        np.savez(tmp_path / name, X=np.array([[1.0], [1e300], [2.0], [3.0]]), y=np.array([0, 1, 0, 1]))
    rc = main(["data", "inspect", str(tmp_path / name)])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1 and "float32" in err, err
