"""Importing a person's own data: CSV, .npz and image folders, good and broken, each broken file
with the message a person can act on; splits, standardization and preset references."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from playground.data import make_dataset
from playground.data.importers import ImportCancelled, ImportProblem, import_dataset, inspect_path
from playground.data.importers.csv_table import CsvOptions, read_csv
from playground.data.importers.splits import stratified_split


def write(path: Path, text: str | bytes) -> Path:
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def iris_like(path: Path, n: int = 90, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    rows = ["sepal,petal,colour,species"]
    for i in range(n):
        c = i % 3
        rows.append(f"{rng.normal(2 * c):.3f},{rng.normal(-2 * c):.3f},{'red' if i % 2 else 'blue'},"
                    f"{['setosa', 'versicolor', 'virginica'][c]}")
    return write(path, "\n".join(rows) + "\n")


def problem(path: Path, **kw) -> str:
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path), **kw)
    return str(e.value)


# ---- CSV -------------------------------------------------------------------------------------

def test_csv_classes_one_hot_and_expected_loss(tmp_path):
    report = inspect_path(str(iris_like(tmp_path / "iris.csv")))
    assert report.kind == "points" and report.task == "classification"
    assert report.label == "species"  # the last column by default
    assert report.feature_names == ["sepal", "petal", "colour=blue", "colour=red"] or \
        report.feature_names == ["sepal", "petal", "colour=red", "colour=blue"]
    assert report.input_shape == (4,) and report.n_samples == 90
    assert report.class_counts == {"setosa": 30, "versicolor": 30, "virginica": 30}
    assert report.expected_initial_loss == pytest.approx(1.0986, abs=1e-3)  # ln 3
    assert len(report.sha256) == 64


def test_csv_semicolon_bom_quotes_and_decimal_comma(tmp_path):
    path = write(tmp_path / "eu.csv", "\ufeff\"height\";\"weight\";\"kind\"\n"
                 "\"1,5\";60;a\n1,7;\"70\";b\n1,6;65;a\n1,8;80;b\n1,55;58;a\n1,75;77;b\n")
    report = inspect_path(str(path))
    assert report.feature_names == ["height", "weight"]  # the BOM is not part of the first name
    ds, _ = import_dataset("csv", {"path": str(path), "standardize": False, "val_fraction": 0.0,
                                   "test_fraction": 0.0})
    assert sorted(ds.x_train[:, 0].tolist()) == pytest.approx([1.5, 1.55, 1.6, 1.7, 1.75, 1.8])


def test_csv_tab_delimited_regression_guessed_and_changeable(tmp_path):
    rows = "x1\tx2\tprice\n" + "".join(f"{i}\t{i % 7}\t{i * 1.25 + 0.1}\n" for i in range(40))
    path = write(tmp_path / "houses.tsv", rows)
    report = inspect_path(str(path))
    assert report.task == "regression" and report.kind == "regression" and report.n_classes == 0
    counts = write(tmp_path / "counts.csv", "a,b\n" + "".join(f"{i},{i % 3}\n" for i in range(30)))
    assert inspect_path(str(counts)).task == "classification"
    assert inspect_path(str(counts), task="regression").task == "regression"


def test_csv_bad_cell_names_row_column_value_and_count(tmp_path):
    rows = ["age,income,y"] + [f"{20 + i},{1000 + i},{i % 2}" for i in range(300)]
    for r in (57, 101, 230):  # spreadsheet rows: the header is row 1
        rows[r - 1] = f"abc,{r},1"
    message = problem(write(tmp_path / "people.csv", "\n".join(rows) + "\n"))
    assert "people.csv: row 57, column 'age': 'abc' is not a number (3 rows: 57, 101, 230)" in message


def test_csv_ragged_row(tmp_path):
    message = problem(write(tmp_path / "r.csv", "a,b,y\n1,2,0\n3,4,5,1\n5,6,1\n"))
    assert "r.csv: row 3 has 4 fields but the header has 3" in message


def test_csv_empty_and_header_only(tmp_path):
    assert "empty.csv is empty" in problem(write(tmp_path / "empty.csv", ""))
    assert "head.csv has a header (a, b, y) but no data rows" in problem(write(tmp_path / "head.csv", "a,b,y\n"))


def test_csv_wrong_encoding(tmp_path):
    message = problem(write(tmp_path / "latin.csv", "name,y\ncaf\xe9,1\nthe,0\n".encode("latin-1")))
    assert "latin.csv is not UTF-8 text: byte 0xe9 in row 2" in message and "CSV UTF-8" in message


def test_csv_single_class(tmp_path):
    message = problem(write(tmp_path / "one.csv", "a,y\n1,spam\n2,spam\n3,spam\n"))
    assert "column 'y' has a single class ('spam') in 3 rows" in message


def test_csv_unknown_label_lists_columns(tmp_path):
    message = problem(iris_like(tmp_path / "iris.csv"), label="kind")
    assert "no column 'kind'" in message and "'species'" in message


def test_csv_missing_values_drop_by_default_or_fill(tmp_path):
    path = write(tmp_path / "gaps.csv", "a,b,y\n1,2,0\n,3,1\n4,NA,0\n5,?,1\n6,7,0\n8,9,1\n")
    dropped = inspect_path(str(path))
    assert dropped.n_samples == 3 and dropped.n_skipped == 3
    assert [s.path for s in dropped.skipped] == ["gaps.csv row 3", "gaps.csv row 4", "gaps.csv row 5"]
    assert "dropped 3 rows with missing values (per column: 'a': 1, 'b': 2)" in dropped.warnings[0]
    filled = inspect_path(str(path), missing="fill")
    assert filled.n_samples == 6 and filled.n_skipped == 0
    assert "filled 3 missing values" in filled.warnings[0]
    ds, _ = import_dataset("csv", {"path": str(path), "missing": "fill", "standardize": False,
                                   "val_fraction": 0.0, "test_fraction": 0.0})
    assert np.isfinite(ds.x_train).all()
    assert 4.8 in np.round(ds.x_train[:, 0], 1)  # the mean of a: (1+4+5+6+8)/5


def test_csv_progress_and_cancel(tmp_path):
    path = write(tmp_path / "big.csv", "a,b,y\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(120_000)))
    seen: list[float] = []
    table = read_csv(path, CsvOptions(), progress=seen.append)
    assert len(table.x) == 120_000 and seen[-1] == pytest.approx(1.0) and len(seen) >= 3
    with pytest.raises(ImportCancelled):
        read_csv(path, CsvOptions(), cancelled=lambda: True)


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_a_csv_with_carriage_return_line_ends_reads_every_row(tmp_path, newline):
    """Old Mac files end lines with a bare CR, Windows files with CR LF: each row is read, with
    the values written."""
    path = tmp_path / "mac.csv"
    path.write_bytes(newline.join(["a,b,y", "1,10,0", "2,20,1", "3,30,0", "4,40,1", ""]).encode())
    table = read_csv(path, CsvOptions())
    assert table.x.tolist() == [[1, 10], [2, 20], [3, 30], [4, 40]]
    assert table.y.tolist() == [0, 1, 0, 1]


def test_a_stray_carriage_return_is_refused_in_one_line_not_a_csv_error(tmp_path):
    path = tmp_path / "stray.csv"
    path.write_bytes(b"a\n\r0")   # found by the fuzz test: the csv module raised its own error
    with pytest.raises(ImportProblem):
        read_csv(path, CsvOptions())


# ---- NumPy ------------------------------------------------------------------------------------

def test_npz_good_and_named_arrays(tmp_path):
    rng = np.random.default_rng(1)
    np.savez(tmp_path / "a.npz", inputs=rng.normal(size=(60, 3)), labels=rng.integers(0, 3, 60))
    assert "no array named 'X', 'y' (arrays: 'inputs', 'labels')" in problem(tmp_path / "a.npz")
    ds, report = import_dataset("npz", {"path": str(tmp_path / "a.npz"), "x_key": "inputs", "y_key": "labels"})
    assert report.n_classes == 3 and ds.input_shape == (3,) and ds.kind == "points"


def test_npz_peek_offers_the_label_and_the_inputs_by_name_and_shape_never_one_array_for_both(tmp_path):
    from playground.data.importers.peeks import peek_archive
    np.savez(tmp_path / "named.npz", images=np.zeros((20, 8, 8), np.float32), labels=np.arange(20) % 3)
    np.savez(tmp_path / "shaped.npz", feats=np.zeros((10, 2)), cls=np.arange(10), extra=np.zeros((4, 4)))
    np.savez(tmp_path / "one.npz", arr=np.zeros((10, 2)))
    peek = peek_archive(tmp_path / "named.npz")
    assert peek.defaults == {"x_key": "images", "y_key": "labels"}
    assert "images (20, 8, 8), labels (20,)" in peek.summary          # the shapes, read from the headers
    assert peek_archive(tmp_path / "shaped.npz").defaults == {"x_key": "feats", "y_key": "cls"}   # 1-D: the label
    assert peek_archive(tmp_path / "one.npz").defaults == {"x_key": "arr"}


def test_npz_refuses_one_array_as_inputs_and_label(tmp_path):
    np.savez(tmp_path / "s.npz", labels=np.arange(30) % 2)
    with pytest.raises(ImportProblem, match="the inputs and the label are the same array 'labels'"):
        import_dataset("npz", {"path": str(tmp_path / "s.npz"), "x_key": "labels", "y_key": "labels"})


def test_npz_mismatched_shapes(tmp_path):
    np.savez(tmp_path / "m.npz", X=np.zeros((1000, 2)), y=np.zeros(999, dtype=np.int64))
    assert "m.npz: X has 1,000 samples, y has 999" in problem(tmp_path / "m.npz")


def test_npz_nan_and_inf_refused_with_positions(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 3))
    x[5, 2], x[17, 0] = np.nan, np.inf
    np.savez(tmp_path / "n.npz", X=x, y=np.arange(50) % 2)
    assert "n.npz: X has 1 NaN and 1 Inf values, at [5, 2], [17, 0]" in problem(tmp_path / "n.npz")


def test_npz_one_bad_value_reads_in_the_singular(tmp_path):
    x = np.random.default_rng(0).normal(size=(50, 3))
    x[7, 1] = np.nan
    np.savez(tmp_path / "one.npz", X=x, y=np.arange(50) % 2)
    assert "one.npz: X has 1 NaN value, at [7, 1]" in problem(tmp_path / "one.npz")


@pytest.mark.parametrize("member", ["X", "y"])
def test_npz_complex_numbers_are_refused_not_cut_to_their_real_parts(tmp_path, member):
    """A cast to float32 dropped the imaginary parts without a word (and an Inf in a complex array
    passed the finiteness check, to become NaN in standardization)."""
    arrays = {"X": np.ones((20, 2)), "y": np.arange(20) % 2}
    arrays[member] = arrays[member] + 1j * np.arange(arrays[member].size).reshape(arrays[member].shape)
    np.savez(tmp_path / "c.npz", **arrays)
    message = problem(tmp_path / "c.npz")
    assert f"c.npz: {member} holds complex numbers (dtype complex128)" in message
    assert f"np.stack([{member}.real, {member}.imag], axis=-1)" in message


def test_npz_objects_never_unpickled(tmp_path):
    np.savez(tmp_path / "o.npz", X=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    assert "allow_pickle=False" in problem(tmp_path / "o.npz")


def test_npz_images(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "img.npz", X=rng.random((40, 1, 6, 6)), y=np.arange(40) % 4)
    ds, report = import_dataset("npz", {"path": str(tmp_path / "img.npz")})
    assert ds.kind == "image" and ds.input_shape == (1, 6, 6) and report.n_classes == 4


# ---- image folders ----------------------------------------------------------------------------

def image_folder(root: Path, counts: dict[str, int], mode: str = "RGB") -> Path:
    from PIL import Image
    rng = np.random.default_rng(0)
    for name, n in counts.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            shape = (10 + i % 3, 12, 3) if mode == "RGB" else (10, 12)
            Image.fromarray((rng.random(shape) * 255).astype(np.uint8)).save(root / name / f"{i}.png")
    return root


def test_image_folder_resized_counts_corrupt_skipped_and_imbalance(tmp_path):
    root = image_folder(tmp_path / "pets", {"cat": 12, "dog": 3})
    write(root / "cat" / "broken.png", b"\x89PNG\r\n\x1a\nthis is not a png")
    ds, report = import_dataset("images", {"path": str(root), "size": 8, "channels": "rgb"})
    assert ds.input_shape == (3, 8, 8) and report.class_counts == {"cat": 12, "dog": 3}
    assert [s.path for s in report.skipped] == ["cat/broken.png"]
    assert report.skipped[0].reason == "cannot be read as an image (not a format Pillow reads, or a damaged file)"
    assert not any("enlarged" in w for w in report.warnings)   # 10-12 × 12 images made 8×8: nothing enlarged
    _, small = import_dataset("images", {"path": str(root), "size": 28, "channels": "rgb"})
    assert ("every image is smaller than 28×28 (the largest is 12×12): they are enlarged, which adds no detail; "
            "an import size of 12 keeps their own pixels") in small.warnings
    assert any("imbalanced" in w and "'cat' has 12" in w for w in report.warnings)
    assert 0.0 <= float(ds.x_train.min()) and float(ds.x_train.max()) <= 1.0  # not standardized by default


def test_image_folder_without_class_subfolders_shows_the_tree(tmp_path):
    from PIL import Image
    (tmp_path / "flat").mkdir()
    Image.new("L", (5, 5)).save(tmp_path / "flat" / "a.png")
    message = problem(tmp_path / "flat")
    assert "has no class subfolders" in message and "cat/  001.png" in message and "dog/" in message


def test_one_loose_image_is_named_in_the_singular(tmp_path):
    from PIL import Image
    root = image_folder(tmp_path / "pets", {"cat": 3, "dog": 3}, mode="L")
    Image.new("L", (5, 5)).save(root / "stray.png")
    _, report = import_dataset("images", {"path": str(root), "size": 8})
    assert "1 image lies directly in pets/, outside any class subfolder: it is not used" in report.warnings
    (tmp_path / "flat").mkdir()
    Image.new("L", (5, 5)).save(tmp_path / "flat" / "a.png")
    assert "(it holds 1 image directly)" in problem(tmp_path / "flat")


def test_image_folder_single_class(tmp_path):
    root = image_folder(tmp_path / "one", {"cat": 4}, mode="L")
    assert "only one class ('cat')" in problem(root)


# ---- splits, standardization, references ------------------------------------------------------

def test_split_is_seeded_stratified_and_standardized_on_train_only(tmp_path):
    y = np.array([0] * 80 + [1] * 20)
    a = stratified_split(y, 100, 0.2, 0.2, seed=3)
    b = stratified_split(y, 100, 0.2, 0.2, seed=3)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert [int((y[p] == 1).sum()) for p in a] == [12, 4, 4]  # every split keeps the 80:20 ratio
    assert sorted(np.concatenate(a).tolist()) == list(range(100))
    ds, _ = import_dataset("csv", {"path": str(iris_like(tmp_path / "iris.csv"))})
    assert np.allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    assert not np.allclose(ds.x_test.mean(axis=0), 0, atol=1e-3)  # test data never shaped the statistics


def test_duplicates_across_splits_are_reported(tmp_path):
    path = write(tmp_path / "dup.csv", "a,b,y\n" + "1,1,0\n2,2,1\n" * 30)
    report = inspect_path(str(path))
    assert any("exact copy of their input in the training split" in w for w in report.warnings)


def test_changed_or_moved_file_is_reported(tmp_path):
    path = iris_like(tmp_path / "iris.csv")
    digest = inspect_path(str(path)).sha256
    params = {"path": str(path), "label": "species", "sha256": digest}
    assert make_dataset("csv", params).n_classes == 3
    iris_like(path, seed=1)  # the same name, other numbers
    with pytest.raises(ValueError, match=r"iris.csv changed since the preset was saved \(SHA-256 was "
                                         + digest[:12]):
        make_dataset("csv", params)
    path.unlink()
    with pytest.raises(ValueError, match="is not there: it was moved, renamed or deleted"):
        make_dataset("csv", params)


def test_inspect_cli_json_and_problems(tmp_path, capsys):
    from playground.command_line.main import main
    path = iris_like(tmp_path / "iris.csv")
    assert main(["data", "inspect", str(path), "--label", "species", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for key in ("kind", "n_samples", "input_shape", "n_classes", "class_counts", "skipped", "warnings"):
        assert key in doc
    assert doc["n_samples"] == 90 and doc["input_shape"] == [4] and doc["n_classes"] == 3
    assert math.isclose(doc["expected_initial_loss"], math.log(3))
    write(tmp_path / "bad.csv", "a,y\nx1,0\n2,1\n3,0\n")
    assert main(["data", "inspect", str(tmp_path / "bad.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playground: error: bad.csv: row 2, column 'a': 'x1' is not a number")


def test_csv_read_in_many_chunks_keeps_rows_types_and_classes(tmp_path, monkeypatch):
    from playground.data.importers import csv_table
    monkeypatch.setattr(csv_table, "CHUNK_ROWS", 10)
    rows = ["a,b,y"] + [f"{i},{i % 5},{i % 2}" for i in range(60)]
    rows[57 - 1] = "55,oops,1"  # row 57, in the sixth chunk
    message = problem(write(tmp_path / "late.csv", "\n".join(rows) + "\n"))
    assert "row 57, column 'b': 'oops' is not a number (1 row: 57)" in message
    rows[57 - 1] = "55,1,cat"  # a text label after numeric chunks: classes by their text
    report = inspect_path(str(write(tmp_path / "mixed.csv", "\n".join(rows) + "\n")))
    assert report.task == "classification" and report.class_counts == {"0": 30, "1": 29, "cat": 1}


def test_csv_semicolon_file_the_sniffer_rejects_is_split_on_the_headers_delimiter(tmp_path):
    """An optional last column left off where it is empty: the rows hold 2 or 3 semicolons, so
    Python's csv.Sniffer gives up, and the header's delimiter must decide."""
    import csv
    text = ("height;weight;kind;comment\n1,5;60;a;tall for a\n1,7;70;b\n1,6;65;a\n1,8;80;b;checked twice\n"
            "1,55;58;a\n1,75;77;b\n")
    with pytest.raises(csv.Error):
        csv.Sniffer().sniff(text, delimiters=",;\t")
    path = write(tmp_path / "notes.csv", text)
    ds, _ = import_dataset("csv", {"path": str(path), "label": "kind", "features": "height,weight",
                                   "standardize": False, "val_fraction": 0.0, "test_fraction": 0.0})
    assert ds.x_train.shape == (6, 2)
    assert sorted(ds.x_train[:, 0].tolist()) == pytest.approx([1.5, 1.55, 1.6, 1.7, 1.75, 1.8])
    assert sorted(ds.x_train[:, 1].tolist()) == pytest.approx([58, 60, 65, 70, 77, 80])


def test_a_five_row_file_is_warned_that_its_validation_and_test_figures_rest_on_one_sample(tmp_path):
    """A 5-row CSV trained to "val accuracy 0.0%, test accuracy 100%" on one sample each, without a word."""
    path = write(tmp_path / "five.csv", "a,b,y\n1,5,0\n2,3,1\n3,9,0\n4,1,1\n5,2,0\n")
    ds, report = import_dataset("csv", {"path": str(path)})
    assert (len(ds.x_val), len(ds.x_test)) == (1, 1)
    [warning] = [w for w in report.warnings if "validation split holds 1 sample" in w]
    assert "test split holds 1 sample" in warning and "100%" in warning
    rows = "a,b,y\n" + "".join(f"{k},{k % 7},{k % 2}\n" for k in range(60))   # 12 and 12: no warning
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "sixty.csv", rows))})
    assert not [w for w in report.warnings if "split holds" in w]


def test_a_constant_column_and_a_row_number_are_warned_about(tmp_path):
    """Both were imported as inputs without a word (the fifth walkthrough's awkward CSV)."""
    rows = "id,width,unit,y\n" + "".join(f"{k + 1},{(k * 7) % 11},3,{k % 2}\n" for k in range(40))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "a.csv", rows))})
    constant = [w for w in report.warnings if "one value in every row" in w]
    counting = [w for w in report.warnings if "counts the rows" in w]
    assert len(constant) == 1 and "'unit'" in constant[0] and "'width'" not in constant[0]
    assert len(counting) == 1 and "'id'" in counting[0] and "(1, 2, 3, ...)" in counting[0]
    plain = "a,b,y\n" + "".join(f"{(k * 7) % 11},{k % 5},{k % 2}\n" for k in range(40))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "b.csv", plain))})
    assert not [w for w in report.warnings if "every row" in w or "counts the rows" in w]


@pytest.mark.parametrize("missing", ["drop", "fill"])
def test_a_row_number_is_warned_about_where_rows_with_missing_cells_were_dropped(tmp_path, missing):
    """Only 'fill' warned: dropped rows left gaps in the id column, which then no longer rose by one."""
    rows = "id,width,y\n" + "".join(f"{k},{'' if k % 9 == 4 else (k * 7) % 11},{k % 2}\n" for k in range(60))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "gaps.csv", rows)), "missing": missing})
    assert [w for w in report.warnings if "counts the rows" in w and "'id'" in w]
    scattered = "id,width,y\n" + "".join(f"{(k * 13) % 60},{'' if k % 9 == 4 else k % 11},{k % 2}\n" for k in range(60))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "no_id.csv", scattered)), "missing": missing})
    assert not [w for w in report.warnings if "counts the rows" in w]


def test_numbers_grouped_by_thousands_are_read_as_numbers_and_said(tmp_path):
    """'"40,603.69"' was refused as a text column with too many values; '1.234.567,5' too."""
    us = "income,age,y\n" + "".join(f'"{40 + k},{k * 7 % 1000:03d}.5",{20 + k},{k % 2}\n' for k in range(40))
    ds, report = import_dataset("csv", {"path": str(write(tmp_path / "us.csv", us)), "standardize": False,
                                        "val_fraction": 0.0, "test_fraction": 0.0})
    expected = sorted((40 + k) * 1000 + k * 7 % 1000 + 0.5 for k in range(40))
    assert sorted(ds.x_train[:, 0].tolist()) == pytest.approx(expected)
    assert any("'income' writes its numbers with a thousands separator (e.g. '40,000.5'): read as numbers (40000.5)" in w
               for w in report.warnings)
    eu = "income;age;y\n" + "".join(f"{1 + k}.{k * 7 % 1000:03d}.000,25;{20 + k};{k % 2}\n" for k in range(40))
    ds, report = import_dataset("csv", {"path": str(write(tmp_path / "eu.csv", eu)), "standardize": False,
                                        "val_fraction": 0.0, "test_fraction": 0.0})
    expected = sorted(((1 + k) * 1000 + k * 7 % 1000) * 1000 + 0.25 for k in range(40))
    assert sorted(ds.x_train[:, 0].astype(float).tolist()) == pytest.approx(expected, rel=1e-6)


def test_a_european_thousands_dot_that_might_be_a_decimal_is_read_as_one_and_said(tmp_path):
    """50.000 in a ';' file: 50 or 50 000? It was read as 50 without a word, every price divided by 1000."""
    rows = "price;rooms;y\n" + "".join(f"{50 + 3 * k}.000;{k % 4 + 1};{k % 2}\n" for k in range(40))
    ds, report = import_dataset("csv", {"path": str(write(tmp_path / "euro.csv", rows)), "standardize": False,
                                        "val_fraction": 0.0, "test_fraction": 0.0})
    assert sorted(ds.x_train[:, 0].tolist()) == [50.0 + 3 * k for k in range(40)]
    [said] = [w for w in report.warnings if "'price' has three digits after one dot" in w]
    assert "read as decimals (50)" in said and "50000 was meant" in said
    rising = "price;rooms;y\n" + "".join(f"{50 + k}.000;{k % 4 + 1};{k % 2}\n" for k in range(40))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "rising.csv", rising))})
    assert [w for w in report.warnings if "'price' has three digits after one dot" in w]
    assert not [w for w in report.warnings if "counts the rows" in w]   # 50, 51, ... might be 50 000, 51 000
    decimals = "price;rooms;y\n" + "".join(f"{50 + k}.{k % 10};{k % 4 + 1};{k % 2}\n" for k in range(40))
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "plain.csv", decimals))})
    assert not [w for w in report.warnings if "three digits after one dot" in w]
    below_one = "score;rooms;y\n" + "".join(f"{'-' if k % 3 else ''}0.{k * 37 % 1000:03d};{k % 4 + 1};{k % 2}\n"
                                            for k in range(40))   # 0.781 is no thousands group
    _, report = import_dataset("csv", {"path": str(write(tmp_path / "scores.csv", below_one))})
    assert not [w for w in report.warnings if "three digits after one dot" in w]


def test_every_text_column_with_too_many_values_is_named_at_once_and_dates_are_called_dates(tmp_path):
    rows = "when;code;v;y\n" + "".join(f"{2000 + k}-{k % 12 + 1:02d}-{k % 28 + 1:02d};id{k};{k % 7};{k % 2}\n"
                                      for k in range(300))
    message = problem(write(tmp_path / "many.csv", rows))
    assert "column 'when' holds dates (e.g. '2000-01-01')" in message
    assert "column 'code' has more than 100 different text values" in message and "leave them out" in message


def test_colour_images_read_in_grayscale_are_said_to_lose_their_colour(tmp_path):
    """red/ and blue/ differ only in colour: read in grayscale (the default) without a word."""
    from PIL import Image
    root = tmp_path / "colours"
    for name, rgb in {"red": (200, 30, 30), "blue": (30, 30, 200)}.items():
        (root / name).mkdir(parents=True)
        for i in range(6):
            Image.new("RGB", (12, 12), rgb).save(root / name / f"{i}.png")
    Image.new("RGB", (12, 12), (90, 90, 90)).save(root / "red" / "gray_as_rgb.png")   # colour mode, no colour
    Image.new("L", (12, 12), 90).save(root / "blue" / "gray.png")
    _, report = import_dataset("images", {"path": str(root), "size": 8})
    assert ("12 of 14 images are in colour: they are read in grayscale (channels 'grayscale'), which drops their "
            "colour; choose channels 'colour (RGB)' where colour tells the classes apart") in report.warnings
    _, rgb = import_dataset("images", {"path": str(root), "size": 8, "channels": "rgb"})
    assert not [w for w in rgb.warnings if "in colour" in w]


def test_npz_text_labels_become_classes_as_a_csvs_do(tmp_path):
    x = np.random.default_rng(0).normal(size=(60, 3))
    names = np.array(["cat", "dog", "owl"])[np.arange(60) % 3]
    np.savez(tmp_path / "t.npz", X=x, y=names)
    ds, report = import_dataset("npz", {"path": str(tmp_path / "t.npz")})
    assert report.class_names == ["cat", "dog", "owl"] and report.class_counts == {"cat": 20, "dog": 20, "owl": 20}
    assert ds.n_classes == 3
    np.savez(tmp_path / "b.npz", X=x, y=np.char.encode(names, "utf-8"))   # bytes, as older files hold them
    assert import_dataset("npz", {"path": str(tmp_path / "b.npz")})[1].class_names == ["cat", "dog", "owl"]
    with pytest.raises(ImportProblem, match="holds text .* no regression target"):
        import_dataset("npz", {"path": str(tmp_path / "t.npz"), "task": "regression"})
    np.savez(tmp_path / "one.npz", X=x, y=np.full(60, "cat"))
    assert "single class ('cat')" in problem(tmp_path / "one.npz")
