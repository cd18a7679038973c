"""A person's own data loses nothing and carries its names through (issue 22).

Every CSV layout people really meet is read with every field accounted for (checked against the
numbers the test wrote, not against the importer); rows that do not fit the header are refused or
reported with their row numbers; class and input names reach the exports; a relative data path
in a preset is the preset's neighbour; and the digits' "raw" scale is stated where people read it.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from playground.command_line.main import main
from playground.data import make_dataset
from playground.data.importers import ImportProblem, import_dataset, inspect_path
from playground.data.importers.csv_table import peek_csv
from playground.data.importers.splits import stratified_split

WINE_CLASSES = ["class_0", "class_1", "class_2"]


def counts_and_names_csv(path: Path, n_per_class=(5, 7, 4), n_features: int = 13, seed: int = 0):
    """scikit-learn's wine.csv layout: `ROWS,FEATURES,class names`, then rows of features + label."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    x = np.round(rng.normal(size=(len(y), n_features)) + y[:, None], 3)
    lines = [f"{len(y)},{n_features}," + ",".join(WINE_CLASSES[:len(n_per_class)])]
    lines += [",".join(f"{v:.3f}" for v in row) + f",{label}" for row, label in zip(x, y)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return x, y


def all_rows(path: Path, **params) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every sample of an imported CSV, unshuffled order aside: (x, y, class names)."""
    ds, _ = import_dataset("csv", {"path": str(path), "standardize": False, "val_fraction": 0.0,
                                   "test_fraction": 0.0, **params})
    return ds.x_train, ds.y_train, ds.class_names


def same_rows(got: np.ndarray, expected: np.ndarray) -> bool:
    """The same multiset of rows (the import shuffles into splits)."""
    order = lambda a: a[np.lexsort(a.T[::-1])]  # noqa: E731
    return got.shape == expected.shape and np.allclose(order(got), order(expected), atol=1e-6)


# ---- the layouts people meet -------------------------------------------------------------------

@pytest.mark.parametrize("n_features", [13, 4])   # wine.csv; iris.csv, whose first line is as wide as a row
def test_counts_and_names_first_line_is_read_as_inputs_and_named_classes(tmp_path, n_features):
    path = tmp_path / "wine.csv"
    x, y = counts_and_names_csv(path, n_features=n_features)
    report = inspect_path(str(path))
    assert report.input_shape == (n_features,) and report.n_samples == 16
    assert report.class_names == WINE_CLASSES
    assert report.class_counts == {"class_0": 5, "class_1": 7, "class_2": 4}
    assert any("gives counts, not column names" in w for w in report.warnings)
    got_x, got_y, names = all_rows(path)
    assert names == WINE_CLASSES
    expected = np.column_stack([x, y])
    assert same_rows(np.column_stack([got_x, got_y]), expected)  # every field where it belongs


def test_counts_line_above_a_row_of_names_is_read_with_those_names(tmp_path):
    """The Boston layout: `506,13`, then a row naming the 13 inputs and the target."""
    rng = np.random.default_rng(1)
    x = np.round(rng.uniform(0, 10, size=(30, 3)), 2)
    target = np.round(x @ [1.0, 2.0, -1.0] + 0.5, 2)
    rows = ["30,3", "CRIM,ZN,AGE,MEDV"] + [f"{a},{b},{c},{t}" for (a, b, c), t in zip(x, target)]
    path = tmp_path / "boston.csv"
    path.write_text("\n".join(rows) + "\n")
    report = inspect_path(str(path))
    assert report.feature_names == ["CRIM", "ZN", "AGE"] and report.label == "MEDV"
    assert report.task == "regression" and report.n_samples == 30


@pytest.mark.parametrize("layout", ["header", "no header", "trailing delimiter", "index column",
                                    "quoted delimiters", "semicolon decimal comma", "tab", "bom"])
def test_every_layout_keeps_every_field(tmp_path, layout):
    rng = np.random.default_rng(2)
    x = np.round(rng.uniform(-5, 5, size=(24, 2)), 2)
    y = np.arange(24) % 2
    sep, head, tail, lead = ",", "a,b,y", "", lambda k: ""
    fmt = lambda v: f"{v:.2f}"  # noqa: E731
    if layout == "no header":
        head = None
    elif layout == "trailing delimiter":
        head, tail = "a,b,y,", ","
    elif layout == "index column":
        head, lead = ",a,b,y", lambda k: f"{k},"
    elif layout == "semicolon decimal comma":
        sep, head, fmt = ";", "a;b;y", (lambda v: f"{v:.2f}".replace(".", ","))
    elif layout == "tab":
        sep, head = "\t", "a\tb\ty"
    text_label = layout == "quoted delimiters"
    lines = [] if head is None else [head]
    for k, (row, label) in enumerate(zip(x, y)):
        last = f'"class {label}, the {"odd" if label else "even"} one"' if text_label else str(label)
        lines.append(lead(k) + sep.join([fmt(row[0]), fmt(row[1]), last]) + tail)
    text = "\n".join(lines) + "\n"
    path = tmp_path / "table.csv"
    path.write_bytes(("\ufeff" if layout == "bom" else "").encode() + text.encode("utf-8"))

    report = inspect_path(str(path))
    assert report.n_samples == 24 and report.input_shape == (2,), report.text()
    expected_names = ["column_1", "column_2"] if layout == "no header" else ["a", "b"]
    assert report.feature_names == expected_names
    if text_label:
        assert report.class_names == ["class 0, the even one", "class 1, the odd one"]
    got_x, got_y, _ = all_rows(path)
    assert same_rows(np.column_stack([got_x, got_y]), np.column_stack([x, y]))
    roles = {c["name"]: c["role"] for c in report.columns}
    assert [r for r in roles.values() if r == "input"] == ["input", "input"]
    if layout == "index column":
        [dropped] = [c for c in report.columns if c["role"] == "dropped"]
        assert "index" in dropped["reason"]


def test_inspect_json_accounts_for_every_column(tmp_path, capsys):
    path = tmp_path / "people.csv"
    path.write_text(",age,city,note,kind\n0,31,Paris,x,a\n1,42,Rome,y,b\n2,25,Paris,z,a\n3,38,Rome,w,b\n"
                    "4,51,Oslo,v,a\n5,29,Oslo,u,b\n")
    assert main(["data", "inspect", str(path), "--features", "age,city", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    account = {c["name"]: c for c in doc["columns"]}
    assert account["age"]["role"] == "input" and account["kind"]["role"] == "label"
    assert account["city"]["role"] == "one-hot" and sorted(account["city"]["inputs"]) == \
        ["city=Oslo", "city=Paris", "city=Rome"]
    assert account["note"] == {"name": "note", "role": "dropped", "reason": "not chosen as an input"}
    assert [c["role"] for c in doc["columns"]].count("dropped") == 2   # note, and the index
    assert len(doc["columns"]) == 5   # every field of the header, each once


# ---- rows that do not fit the header ----------------------------------------------------------

def test_a_short_first_line_that_is_not_counts_is_refused_saying_what_both_hold(tmp_path):
    path = tmp_path / "titled.csv"
    path.write_text("wine,data,from,a,book\n" + "".join(",".join(["1.5"] * 13) + f",{k % 2}\n"
                                                        for k in range(20)))
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    message = str(e.value)
    assert "the first line has 5 fields (wine, data, from, a, book) but the rows have 14" in message
    with pytest.raises(ImportProblem):
        peek_csv(path)


def test_rows_longer_than_the_header_are_refused_with_their_count_and_row_numbers(tmp_path):
    rows = ["a,b,y"] + [f"{k},{k + 1},{k % 2}" for k in range(40)]
    for r in (5, 17, 30, 33):  # spreadsheet rows: the header is row 1
        rows[r - 1] += ",9"
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    assert "row 5 has 4 fields but the header has 3" in str(e.value)
    assert "4 rows have more fields than the header (4 rows: 5, 17, 30, ...)" in str(e.value)


def test_rows_shorter_than_the_header_are_reported_not_shifted(tmp_path):
    rows = ["a,b,y"] + [f"{k},{k + 1},{k % 2}" for k in range(20)]
    rows[6 - 1] = "5,1"   # row 6 lacks its label
    path = tmp_path / "short.csv"
    path.write_text("\n".join(rows) + "\n")
    report = inspect_path(str(path))
    assert any("1 row has fewer fields than the header's 3 (row 6: 2 fields)" in w for w in report.warnings)
    assert report.n_samples == 19 and [s.path for s in report.skipped] == ["short.csv row 6"]


def test_duplicate_column_names_after_trimming_give_one_clear_line(tmp_path, capsys):
    path = tmp_path / "dup.csv"
    path.write_text("f1,a ,a\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n")
    with pytest.raises(ImportProblem, match=r"columns 2 and 3 are both named 'a' \(after trimming"):
        inspect_path(str(path))
    assert main(["data", "inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("playground: error: dup.csv: columns 2 and 3") and err.count("\n") == 1


def test_the_preview_shows_the_columns_the_import_reads(tmp_path):
    path = tmp_path / "wine.csv"
    x, _ = counts_and_names_csv(path)
    peek = peek_csv(path)
    assert peek.columns == inspect_path(str(path)).feature_names + ["target"]
    assert peek.first_row == 2 and len(peek.rows) == 16
    assert float(peek.rows[0][0]) == pytest.approx(x[0, 0])
    assert any("counts" in n for n in peek.notes)


# ---- splits ------------------------------------------------------------------------------------

def test_many_tiny_classes_still_leave_validation_and_test_data():
    y = np.repeat(np.arange(10), 2)   # each class rounds its 20% share to 0 samples
    train, val, test = stratified_split(y, len(y), 0.2, 0.2, seed=0)
    assert len(val) >= 1 and len(test) >= 1 and len(train) + len(val) + len(test) == 20
    assert set(np.unique(y[train])) == set(range(10))   # every class still trains



def test_classes_too_small_to_split_are_named_when_they_get_no_training_sample(tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("a,kind\n" + "".join(f"{k},{name}\n" for k, name in enumerate("pqrstu")))
    report = inspect_path(str(path), task="classification")   # six classes of one sample each
    [warning] = [w for w in report.warnings if "no training sample" in w]
    assert warning.startswith("2 classes have no training sample (")
    ds, _ = import_dataset("csv", {"path": str(path), "task": "classification"})
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (4, 1, 1)   # no split left empty
    unseen = set(ds.y_val.tolist() + ds.y_test.tolist()) - set(ds.y_train.tolist())
    assert len(unseen) == 2 and all(repr(ds.class_names[c]) in warning for c in unseen)


# ---- portable presets --------------------------------------------------------------------------

def iris_preset(path_in_preset: str, name: str = "my_iris") -> dict:
    return {
        "format": "nn-playground-preset", "version": 1, "name": name, "description": "My own CSV.",
        "model": {"nodes": [
            {"id": "x", "type": "Input", "params": {"shape": [2]}, "inputs": [], "pos": [0, 0]},
            {"id": "out", "type": "Linear", "params": {"out_features": 3}, "inputs": ["x"], "pos": [0, 100]},
        ], "output": ""},
        "data": {"name": "csv", "params": {"path": path_in_preset, "label": "species"}},
        "training": {"loss": "cross_entropy", "optimizer": "adam", "lr": 0.05, "epochs": 2, "batch_size": 16},
    }


def write_iris(path: Path) -> Path:
    rng = np.random.default_rng(0)
    rows = ["sepal,petal,species"] + [f"{rng.normal(3 * (k % 3)):.3f},{rng.normal(-3 * (k % 3)):.3f},"
                                      f"{['setosa', 'versicolor', 'virginica'][k % 3]}" for k in range(60)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_preset_and_its_data_moved_together_train_from_another_folder(tmp_path, private_home, monkeypatch):
    from playground.network.preset import load_preset, save_preset
    pack = tmp_path / "pack"
    (pack / "data").mkdir(parents=True)
    write_iris(pack / "data" / "iris.csv")
    (pack / "iris.json").write_text(json.dumps(iris_preset("data/iris.csv")))
    moved = tmp_path / "somewhere" / "else"
    moved.parent.mkdir()
    shutil.move(str(pack), str(moved))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["train", str(moved / "iris.json"), "--out", str(tmp_path / "run")]) == 0
    # Saved beside its data, a preset names the data relative to itself.
    preset = load_preset(moved / "iris.json")
    assert Path(preset.data.params["path"]) == moved / "data" / "iris.csv"
    save_preset(preset, moved / "again.json")
    assert json.loads((moved / "again.json").read_text())["data"]["params"]["path"] == "data/iris.csv"
    (tmp_path / "other").mkdir()
    save_preset(preset, tmp_path / "other" / "p.json")   # data not below the preset: the absolute path stays
    assert json.loads((tmp_path / "other" / "p.json").read_text())["data"]["params"]["path"] == \
        str(moved / "data" / "iris.csv")


# ---- names travel into exports -----------------------------------------------------------------

def wine_preset(csv: Path, name: str) -> "object":
    from playground.network.preset import preset_from_dict
    doc = iris_preset(str(csv), name)
    doc["model"]["nodes"][0]["params"]["shape"] = [13]
    doc["data"]["params"] = {"path": str(csv)}
    return preset_from_dict(doc)


def test_class_and_input_names_reach_model_py_summary_and_safetensors(tmp_path):
    from playground.export import export
    from playground.network.model_file import read_metadata
    csv = tmp_path / "wine.csv"
    counts_and_names_csv(csv)
    preset = wine_preset(csv, "my_wine")
    export(preset, None, "python", tmp_path / "model.py")
    namespace: dict = {"__file__": str(tmp_path / "model.py"), "__name__": "exported_model"}
    exec(compile((tmp_path / "model.py").read_text(), "model.py", "exec"), namespace)
    assert namespace["CLASSES"] == WINE_CLASSES
    assert namespace["INPUT_NAMES"] == [f"feature_{k}" for k in range(1, 14)]
    export(preset, None, "summary", tmp_path / "summary.txt")
    assert "classes (output index order): class_0, class_1, class_2" in (tmp_path / "summary.txt").read_text()
    export(preset, None, "safetensors", tmp_path / "model.safetensors")
    meta = read_metadata(tmp_path / "model.safetensors")
    assert json.loads(meta["classes"]) == WINE_CLASSES and meta["data_set"] == "csv"


def test_an_example_given_other_data_says_its_text_was_written_for_its_own(tmp_path):
    from playground.network.preset_text import data_note
    from playground.export import export
    from playground.network.preset import resolve_preset
    csv = tmp_path / "wine.csv"
    counts_and_names_csv(csv)
    original = resolve_preset("digits_mlp")
    assert data_note(original.name, original.data) == ""   # its own data: nothing to say
    preset = wine_preset(csv, "digits_mlp")   # the digits example, with a CSV imported into it
    note = data_note(preset.name, preset.data, "lesson")
    assert note == ("This lesson was written for the example's own data, Handwritten digits (8x8); "
                    "the data in use is Your CSV file (wine.csv).")
    export(preset, None, "python", tmp_path / "model.py")
    text = (tmp_path / "model.py").read_text()
    docstring = text.split('"""')[1]
    assert "This description was written for the example's own data, Handwritten digits" in docstring
    assert "178" not in docstring and "wine.csv: 16 samples of 13 inputs" in " ".join(docstring.split())


def test_digits_exports_say_raw_pixels_are_gray_levels_over_16(tmp_path):
    from playground.export import export
    from playground.network.preset import resolve_preset
    preset = resolve_preset("digits_mlp")
    export(preset, None, "python", tmp_path / "model.py")
    export(preset, None, "summary", tmp_path / "summary.txt")
    for file in ("model.py", "summary.txt"):
        text = " ".join((tmp_path / file).read_text().split())
        assert "gray level divided by 16, in [0, 1]" in text and "divide such values by 16" in text, file
    ds = make_dataset("digits", {"n_samples": 100, "val_fraction": 0.1, "test_fraction": 0.1})
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0   # what the sentence claims
