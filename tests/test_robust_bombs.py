"""Bombs (issue 21, item 4): files small on disk that declare something huge are refused from
their headers, before any allocation, with the limit stated: an npz member whose .npy header
declares a 2.4 GB array, a PNG whose header declares 12000x12000 pixels, a 70 KB CSV header, and
a CSV label of more numeric classes than the class limit."""
import io
import struct
import warnings
import zipfile
import zlib

import numpy as np
import pytest
from numpy.lib import format as npy_format
from PIL import Image

from playground.command_line.main import main
from playground.data.importers import ImportProblem, csv_table, inspect_path
from playground.data.importers.image_folder import read_image_folder


def npz_declaring(path, shape, dtype="<f4", key="X"):
    """An npz whose member `key` has a valid .npy header declaring `shape` but a 16-byte body."""
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": dtype, "fortran_order": False, "shape": shape})
    labels = io.BytesIO()
    np.save(labels, np.arange(4) % 2)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{key}.npy", header.getvalue() + bytes(16))
        z.writestr("y.npy", labels.getvalue())
    return path


def test_an_npz_member_declaring_a_huge_array_is_refused_from_its_header(tmp_path):
    path = npz_declaring(tmp_path / "bomb.npz", (60_000_000, 10))
    assert path.stat().st_size < 2000
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    message = str(e.value)
    # 60e6 * 10 * 4 bytes = 2.4e9 bytes = 2.24 GiB; the limit is 1 GiB
    assert "(60000000, 10)" in message and "2.24 GiB" in message and "limit of 1 GiB" in message, message
    assert "\n" not in message


def test_an_npz_bomb_is_one_line_from_the_cli(tmp_path, capsys):
    path = npz_declaring(tmp_path / "bomb.npz", (60_000_000, 10))
    assert main(["data", "inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "limit of 1 GiB" in err and len(err.splitlines()) == 1, err


def test_an_npz_member_without_a_numpy_header_is_named(tmp_path):
    path = tmp_path / "raw.npz"
    labels = io.BytesIO()
    np.save(labels, np.array([0, 1]))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("X.npy", b"not an array at all")
        z.writestr("y.npy", labels.getvalue())
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path))
    assert "X.npy is not a NumPy array" in str(e.value), e.value


def test_an_npz_label_of_more_classes_than_the_limit_is_refused_with_the_count(tmp_path):
    path = tmp_path / "classes.npz"
    np.savez(path, X=np.zeros((1500, 2), np.float32), y=np.arange(1500))
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path), task="classification")
    assert "1,500 different values" in str(e.value) and "limit of 1,000 classes" in str(e.value), e.value


def png_declaring(path, width, height):
    """A 1x1 grayscale PNG whose IHDR is patched to declare width x height (CRC recomputed)."""
    buffer = io.BytesIO()
    Image.new("L", (1, 1)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("side", [12000, 8000], ids=["over-twice-the-limit", "between-limit-and-twice"])
def test_an_image_whose_header_declares_too_many_pixels_is_skipped_with_the_limit(tmp_path, side):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.new("L", (4, 4), 200).save(tmp_path / name / "ok.png")
    png_declaring(tmp_path / "a" / "bomb.png", side, side)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        x, _, report = read_image_folder(tmp_path, size=4)
    assert not [w for w in seen if issubclass(w.category, Image.DecompressionBombWarning)]
    assert report.n_samples == 2 and len(x) == 2
    [skipped] = report.skipped
    assert skipped.path == "a/bomb.png"
    assert f"{side * side:,} pixels" in skipped.reason and "limit of 50,000,000 pixels" in skipped.reason, skipped
    assert Image.MAX_IMAGE_PIXELS == 50_000_000


def test_a_csv_header_over_64_kib_is_refused_before_parsing(tmp_path):
    path = tmp_path / "wide.csv"
    names = [f"feature_{k:05d}" for k in range(5000)]   # 70 KB
    path.write_text(",".join(names) + ",label\n" + ",".join("1" for _ in names) + ",0\n")
    assert path.stat().st_size > 70_000
    for read in (lambda: inspect_path(str(path)), lambda: csv_table.peek_csv(path)):
        with pytest.raises(ImportProblem) as e:
            read()
        assert "header row is longer than 64 KiB" in str(e.value), e.value


def test_a_csv_of_more_numeric_classes_than_the_limit_is_refused_with_the_count(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("f1,label\n" + "".join(f"{k % 7},{k}\n" for k in range(1001)))
    with pytest.raises(ImportProblem) as e:
        inspect_path(str(path), task="classification")
    message = str(e.value)
    assert "1,001 different numbers" in message and "limit of 1,000 classes" in message, message


def test_a_csv_at_the_class_limit_still_imports(tmp_path):
    path = tmp_path / "classes.csv"
    path.write_text("f1,label\n" + "".join(f"{k % 7},{k}\n" for k in range(1000)))
    report = inspect_path(str(path), task="classification")
    assert report.n_classes == 1000
