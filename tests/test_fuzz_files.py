"""Fuzzing what a person opens beyond presets (issue 21): data files (CSV, NumPy archives, image
folders) and run records. Whatever the bytes, the engine either reads the file or refuses it with
one plain message (ImportProblem / FileProblem), never another exception; a damaged record never
hides the intact ones beside it, and `playground runs` still answers."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from playground.command_line.main import main
from playground.data.importers import ImportProblem, inspect_path
from playground.core.files import FileProblem
from playground.run_records.store import list_runs

from test_robust_records import GOOD, write_record

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
CLEAN = (ImportProblem, FileProblem)
"""The refusals a person is shown as one line; any other exception is a bug."""


def assert_read_or_refused(path: Path, **params) -> None:
    """Reading either succeeds with finite inputs, or fails with one line naming no Python internals."""
    try:
        report = inspect_path(str(path), **params)
    except CLEAN as e:
        message = str(e)
        assert message.strip(), "an empty refusal"
        assert "Traceback" not in message and "object at 0x" not in message
        return
    assert report.n_samples >= 1


# ---------------------------------------------------------------- CSV

cells = st.one_of(
    st.integers(-10, 10).map(str),
    st.floats(allow_nan=True, allow_infinity=True, width=64).map(repr),
    st.sampled_from(["", " ", "NA", "?", "inf", "-inf", "nan", "1e39", "1e999", "-0", "0x10", "1,5",
                     '"a,b"', '"', "'", "é", "\x00", "\x1b[2J", "a b", "TRUE", "class_0"]),
    st.text(max_size=6),
)
headers = st.lists(st.sampled_from(["a", "b", "a ", " a", "", "label", "x", "x", "é", "1", "\t"]),
                   min_size=1, max_size=5)


@st.composite
def csv_documents(draw) -> bytes:
    header = draw(headers)
    rows = draw(st.lists(st.lists(cells, min_size=max(1, len(header) - 1), max_size=len(header) + 1),
                         min_size=0, max_size=12))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    text = "\n".join(sep.join(r) for r in [header, *rows])
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else text.encode("latin-1", "replace")


@FUZZ
@given(content=st.one_of(csv_documents(), st.binary(max_size=300)))
def test_any_csv_is_read_or_refused_in_one_line(tmp_path, content):
    path = tmp_path / "fuzzed.csv"
    path.write_bytes(content)
    assert_read_or_refused(path)


# ---------------------------------------------------------------- NumPy archives

dtypes = st.sampled_from(["float32", "float64", "int8", "int64", "uint8", "bool", "complex64", "U3", "S2",
                          "datetime64[s]", "float16"])
shapes = st.lists(st.integers(0, 6), min_size=0, max_size=4).map(tuple)


def _array(dtype: str, shape: tuple[int, ...], fill: float) -> np.ndarray:
    a = np.full(shape, fill if np.dtype(dtype).kind in "fc" else 1)
    with np.errstate(over="ignore"):   # 1e300 in float32 or complex64: Inf, on purpose
        return a.astype(dtype) if np.dtype(dtype).kind not in "USM" else np.zeros(shape, dtype=dtype)


@st.composite
def npz_documents(draw) -> bytes:
    members = {}
    for key in draw(st.lists(st.sampled_from(["X", "y", "x", "Y", "X.npy", "other"]), max_size=3, unique=True)):
        fill = draw(st.sampled_from([0.5, 1e300, float("nan"), -float("inf"), 3.0]))
        members[key] = _array(draw(dtypes), draw(shapes), fill)
    buffer = io.BytesIO()
    with np.errstate(over="ignore", invalid="ignore"):
        np.savez(buffer, **members)
    data = bytearray(buffer.getvalue())
    damage = draw(st.sampled_from(["none", "truncate", "flip"]))
    if damage == "truncate" and data:
        del data[draw(st.integers(0, len(data) - 1)):]
    elif damage == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data[at] ^= 0xFF
    return bytes(data)


@FUZZ
@given(content=st.one_of(npz_documents(), st.binary(max_size=200)))
def test_any_npz_is_read_or_refused_in_one_line(tmp_path, content):
    path = tmp_path / "fuzzed.npz"
    path.write_bytes(content)
    assert_read_or_refused(path)


def test_an_npz_holding_python_objects_is_refused_without_unpickling(tmp_path):
    """An object array can only be read by unpickling, which runs code: it is refused, and the
    pickled payload never executes (its __reduce__ would create a file)."""
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    x = np.empty(3, dtype=object)
    x[:] = [Payload(), Payload(), Payload()]
    np.savez(tmp_path / "evil.npz", X=x, y=np.array([0, 1, 0]))
    with pytest.raises(CLEAN):
        inspect_path(str(tmp_path / "evil.npz"))
    assert not marker.exists()


# ---------------------------------------------------------------- image folders

def _png(side: int, mode: str) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (side, side), color=0).save(buffer, format="PNG")
    return buffer.getvalue()


@st.composite
def image_files(draw) -> bytes:
    good = _png(draw(st.integers(1, 12)), draw(st.sampled_from(["L", "RGB", "RGBA", "P", "1", "I;16"])))
    kind = draw(st.sampled_from(["good", "truncate", "flip", "junk"]))
    if kind == "good":
        return good
    if kind == "junk":
        return draw(st.binary(max_size=64))
    data = bytearray(good)
    if kind == "truncate":
        return bytes(data[:draw(st.integers(0, len(data) - 1))])
    at = draw(st.integers(0, len(data) - 1))
    data[at] ^= 0xFF
    return bytes(data)


@FUZZ
@given(files=st.lists(st.tuples(st.sampled_from(["cat", "dog", "é", ".hidden"]), image_files()),
                      min_size=1, max_size=8))
def test_any_image_folder_is_read_or_refused_in_one_line(tmp_path_factory, files):
    root = tmp_path_factory.mktemp("images")
    for k, (label, content) in enumerate(files):
        (root / label).mkdir(exist_ok=True)
        (root / label / f"{k}.png").write_bytes(content)
    assert_read_or_refused(root)


# ---------------------------------------------------------------- run records

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**20) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
FIELDS = ["format", "version", "id", "name", "preset", "seeds", "started", "ended", "status", "device",
          "parent", "changed", "group", "host", "pid"]


@st.composite
def damaged_records(draw) -> dict[str, bytes]:
    """The files of one record, each either as the recorder writes it, with one field replaced by
    any JSON value, or replaced by any bytes."""
    info = {"format": "nn-playground-run", "version": 1, "id": "20260101-000003-xor_mlp-cccc",
            "preset": "xor_mlp", "status": "finished", "started": "2026-01-01T00:00:03+00:00"}
    info[draw(st.sampled_from(FIELDS))] = draw(json_values)
    files = {"run.json": json.dumps(info, allow_nan=True).encode()}
    which = draw(st.sampled_from(["run.json", "metrics.csv", "summary.json", "findings.json", "preset.json"]))
    content = draw(st.one_of(st.binary(max_size=120), json_values.map(lambda v: json.dumps(v, allow_nan=True).encode()),
                             st.just(b"epoch,train_loss\nabc,1\n1,nan\n")))
    files[which] = content
    return files


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    for run_id in GOOD:
        write_record(root, run_id)
    return root


@FUZZ
@given(files=damaged_records())
def test_a_fuzzed_record_never_hides_the_others_from_runs(records, capsys, files):
    folder = records / "20260101-000003-xor_mlp-cccc"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    listed = {r.id: r for r in list_runs(records)}
    assert all(listed[g].status == "finished" and not listed[g].problem for g in GOOD)
    assert len(listed) == 3
    rc = main(["runs", "--runs-dir", str(records), "--json"])
    out = capsys.readouterr()
    assert rc == 0 and "Traceback" not in out.err
    ids = {r["id"] for r in json.loads(out.out)}
    assert set(GOOD) <= ids
