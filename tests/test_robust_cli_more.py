"""Tracebacks instead of one line, and wrong words (issue 21, items 8 and 9): a search storage
that cannot be opened, plugins that exit or half-register, model files of another format, a
damaged npz member, and names from the data holding terminal escape codes. Each hostile input
ends in exit status 2 and one line that says what is wrong, and touches nothing it was given."""
from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import textwrap
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import torch

from playground.layers import plugins
from playground.command_line.main import main
from playground.layers import CATALOGUE
from playground.core.terminal_text import printable, printable_json

ROOT = Path(__file__).resolve().parents[1]
SEARCH = ["search", "xor_mlp", "--param", "training.lr=1e-3:1e-1:log", "--trials", "1", "--budget-steps", "1"]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """The exit status of `playground ARGV` (argparse errors included), its stdout and stderr."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_error_line(err: str, prefix: str = "playground: error: ") -> str:
    text = err.strip()
    assert text.startswith(prefix) and "\n" not in text and "Traceback" not in text, err
    return text


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` and its bytes: what a command must leave as it was."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- search --storage: one line for a storage that cannot be opened --------------------------

def _junk_file(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("make_url, words", [
    (lambda tmp: "foo://x", ["foo://x", "no database kind 'foo'", "sqlite:///PATH"]),
    (lambda tmp: "not-a-url", ["not-a-url", "not a database URL"]),
    (lambda tmp: f"sqlite:///{tmp}/no/such/dir/x.db", ["no/such/dir does not exist"]),
    (lambda tmp: f"sqlite:///{_junk_file(tmp / 'x.db')}", ["x.db", "not an SQLite database"]),
    (lambda tmp: f"sqlite:///{_fifo(tmp / 'pipe.db')}", ["pipe.db", "pipe (FIFO)"]),
    (lambda tmp: f"sqlite:///{tmp}", ["is a folder"]),
    (lambda tmp: "postgresql://nobody:s3cret@localhost/nowhere", ["nobody:***@localhost", "driver is not installed"]),
], ids=["unknown-kind", "no-url", "missing-folder", "junk-file", "fifo", "folder", "no-driver"])
def test_search_storage_that_cannot_be_opened_is_one_line(make_url, words, private_home, tmp_path, capsys):
    url = make_url(tmp_path)
    before = tree(tmp_path)
    code, out, err = run(SEARCH + ["--storage", url], capsys)
    assert code == 2 and out == ""
    line = one_error_line(err)
    assert "cannot use the search storage" in line and all(w in line for w in words), line
    assert "s3cret" not in line   # a database password is never printed
    assert tree(tmp_path) == before   # the junk file kept its bytes; no run was recorded


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` made read-only for this process: by its mode, or (root ignores modes) by the
    immutable attribute; skips where neither holds on this file system."""
    folder.chmod(0o555)
    immutable = False
    try:
        if os.access(folder, os.W_OK):
            immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False).returncode == 0
        probe = folder / ".probe"
        try:
            probe.touch()
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("this machine cannot make a folder read-only for this user")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_search_in_a_read_only_runs_folder_is_one_line(private_home, capsys):
    runs = private_home / "runs"
    (runs / "keep.txt").write_text("a file of the user's")
    with read_only(runs):
        code, out, err = run(SEARCH, capsys)
        assert code == 2 and out == ""
        line = one_error_line(err)
        assert str(runs) in line and "read-only" in line and "--runs-dir" in line
    assert tree(runs) == {"keep.txt": b"a file of the user's"}


def test_search_with_a_read_only_storage_folder_is_one_line(private_home, tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    with read_only(shared):
        code, _, err = run(SEARCH + ["--storage", f"sqlite:///{shared}/s.db"], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "s.db" in line and "read-only" in line


# ---- plugins: one that exits or fails is reported in one line and leaves nothing behind ------

PLUGIN_LAYER = """
from playground.layers import Constructor, LayerType, register
from playground.params import Param
from torch import nn

def layer(name):
    return LayerType(name=name, group="Plugins", help="a test plugin's layer", params=(),
                     infer=lambda shapes, p: shapes[0],
                     constructor=lambda shapes, p: Constructor(nn.Identity, (), {}))
"""


@pytest.fixture
def fake_entry_points(tmp_path, monkeypatch):
    """Install plugin modules (name -> source) in a folder on sys.path, each declared as an entry
    point of the `nn_playground.layers` group, as an installed package would declare it. The
    catalogue is put back as it was afterwards."""
    catalogue = dict(CATALOGUE)
    monkeypatch.syspath_prepend(str(tmp_path))
    declared: list[metadata.EntryPoint] = []
    monkeypatch.setattr(plugins.metadata, "entry_points",
                        lambda group=None: [p for p in declared if p.group == group])

    def install(sources: dict[str, str]) -> None:
        for name, source in sources.items():
            (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
            declared.append(metadata.EntryPoint(name, name, plugins.ENTRY_POINT_GROUP))

    yield install
    for name in list(sys.modules):
        if name.startswith("robust_plugin_"):
            del sys.modules[name]
    CATALOGUE.clear()
    CATALOGUE.update(catalogue)


def load(capsys_report: io.StringIO) -> plugins.PluginLoad:
    return plugins.load_plugins({}, report=capsys_report)


@pytest.mark.parametrize("source, words", [
    ("import sys\nsys.exit(0)\n", ["sys.exit(0)"]),
    ("import sys\nsys.exit()\n", ["sys.exit(None)"]),
    ("raise RuntimeError('no GPU here\\nsecond line of the message')\n", ["RuntimeError: no GPU here"]),
], ids=["exit-0", "exit", "raises"])
def test_a_plugin_that_exits_or_raises_is_one_line_and_the_rest_load(source, words, fake_entry_points):
    fake_entry_points({"robust_plugin_bad": source,
                       "robust_plugin_good": PLUGIN_LAYER + "register(layer('RobustGood'))\n"})
    before = set(CATALOGUE)
    report = io.StringIO()
    result = load(report)
    lines = report.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: warning: layer plugin robust_plugin_bad")
    assert all(w in lines[0] for w in words) and "second line" not in lines[0]
    assert result.loaded == {"robust_plugin_good (robust_plugin_good)": ["RobustGood"]}
    assert set(CATALOGUE) == before | {"RobustGood"}


def test_a_plugin_whose_second_type_clashes_leaves_nothing_registered(fake_entry_points):
    fake_entry_points({"robust_plugin_half": PLUGIN_LAYER + "register(layer('RobustFirst'))\n"
                                                           "register(layer('Linear'))\n"})
    before = dict(CATALOGUE)
    report = io.StringIO()
    result = load(report)
    assert "RobustFirst" not in CATALOGUE
    assert list(CATALOGUE) == list(before) and all(CATALOGUE[k] is v for k, v in before.items())
    line, = report.getvalue().splitlines()
    assert "robust_plugin_half" in line and "Linear" in line and "registered twice" in line
    assert not result.loaded and "robust_plugin_half (robust_plugin_half)" in result.failed


def test_a_plugin_that_overwrites_a_built_in_is_refused_and_the_built_in_kept(fake_entry_points):
    fake_entry_points({"robust_plugin_thief": PLUGIN_LAYER + "from playground.layers import CATALOGUE\n"
                                                            "CATALOGUE['ReLU'] = layer('ReLU')\n"})
    relu = CATALOGUE["ReLU"]
    report = io.StringIO()
    load(report)
    assert CATALOGUE["ReLU"] is relu
    assert "replaced or removed the layer type ReLU" in report.getvalue()


def test_an_installed_plugin_calling_sys_exit_does_not_end_the_command(tmp_path):
    """The whole path a person takes: an installed package's entry point, found by importlib.metadata."""
    site = tmp_path / "site"
    info = site / "exiting_layers-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exiting-layers\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[{plugins.ENTRY_POINT_GROUP}]\nexiting = exiting_layers\n")
    (site / "exiting_layers.py").write_text("import sys\nsys.exit(0)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "HOME": str(tmp_path),
           "OMP_NUM_THREADS": "1",
           "PLAYGROUND_RUNS_DIR": str(tmp_path / "runs")}
    env.pop(plugins.ENV_VAR, None)
    proc = subprocess.run([sys.executable, "-m", "playground", "validate", "xor_mlp"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0 and proc.stdout.startswith("xor_mlp: valid"), (proc.stdout, proc.stderr)
    line, = proc.stderr.splitlines()
    assert "layer plugin exiting (exiting_layers) did not load" in line and "sys.exit(0)" in line


# ---- load: other model formats are named, not called damaged ---------------------------------

def _onnx_model(path: Path) -> Path:
    import onnx
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    model = helper.make_model(helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y]))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _torch_export(path: Path) -> Path:
    program = torch.export.export(torch.nn.Linear(2, 3), (torch.randn(1, 2),))
    torch.export.save(program, str(path))
    return path


def _torchscript(path: Path) -> Path:
    with warnings.catch_warnings():   # torch.jit is deprecated; people still have such files
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.script(torch.nn.Linear(2, 3)).save(str(path))
    return path


@pytest.mark.parametrize("make, words", [
    (lambda tmp: _onnx_model(tmp / "model.onnx"), ["model.onnx is an ONNX model", "ONNX Runtime"]),
    (lambda tmp: _onnx_model(tmp / "weights.bin"), ["weights.bin is an ONNX model"]),   # by content, not name
    (lambda tmp: _torch_export(tmp / "model.pt2"), ["model.pt2 is a torch.export program", "torch.export.load"]),
    (lambda tmp: _torchscript(tmp / "scripted.pt"), ["scripted.pt is a TorchScript program", "holds code"]),
], ids=["onnx", "onnx-by-content", "pt2", "torchscript"])
def test_load_names_a_model_file_of_another_format(make, words, tmp_path, capsys):
    path = make(tmp_path)
    kept = path.read_bytes()
    code, out, err = run(["load", str(path)], capsys)
    assert code == 2 and out == ""
    line = one_error_line(err, "playground load: error: ")
    assert all(w in line for w in words) and "truncated or damaged" not in line, line
    assert ".safetensors" in line
    assert path.read_bytes() == kept


def test_load_still_calls_a_cut_off_onnx_file_damaged(tmp_path, capsys):
    whole = _onnx_model(tmp_path / "model.onnx").read_bytes()
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(whole[:len(whole) // 2])
    code, _, err = run(["load", str(cut)], capsys)
    assert code == 2 and "truncated or damaged" in one_error_line(err, "playground load: error: ")


def test_load_still_reads_a_plain_state_dict(tmp_path, capsys):
    torch.save({"weight": torch.zeros(3, 2), "bias": torch.zeros(3)}, tmp_path / "sd.pt")
    code, out, err = run(["load", str(tmp_path / "sd.pt")], capsys)
    assert code == 0 and "2 tensors, 9 values" in out, err


# ---- npz: a cut-off member is damaged, not "Python objects" ----------------------------------

def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_npz_member_cut_short_is_called_damaged(tmp_path, capsys):
    x = _npy(np.zeros((100, 2), np.float32))   # 800 bytes of data after the header
    with zipfile.ZipFile(tmp_path / "short.npz", "w") as z:
        z.writestr("X.npy", x[:-500])
        z.writestr("y.npy", _npy(np.arange(100) % 2))
    code, _, err = run(["data", "inspect", str(tmp_path / "short.npz")], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "X is damaged" in line and "(100, 2)" in line and "Python objects" not in line


def test_npz_member_failing_its_checksum_is_called_damaged(tmp_path, capsys):
    with zipfile.ZipFile(tmp_path / "bad.npz", "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("X.npy", _npy(np.arange(4000, dtype=np.float32).reshape(2000, 2)))   # past the header's read
        z.writestr("y.npy", _npy(np.arange(2000) % 2))
    data = bytearray((tmp_path / "bad.npz").read_bytes())
    at = data.index(np.float32(3999).tobytes())   # X's last value, inside the stored member
    data[at] ^= 0xFF
    (tmp_path / "bad.npz").write_bytes(bytes(data))
    code, _, err = run(["data", "inspect", str(tmp_path / "bad.npz")], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "X is damaged" in line and "CRC-32" in line and "Python objects" not in line


def test_npz_object_array_still_holds_python_objects(tmp_path, capsys):
    np.savez(tmp_path / "o.npz", X=np.array([[1, 2], [3, 4]], dtype=object), y=np.array([0, 1]))
    code, _, err = run(["data", "inspect", str(tmp_path / "o.npz")], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "X holds Python objects" in line and "allow_pickle=False" in line


# ---- data inspect: names from the data never reach the terminal raw --------------------------

RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\x00")
LABELS = ["cat\x1b[2J", "dog\x07", "owl\x9b1m"]


def _hostile_csv(path: Path) -> Path:
    rows = ["f\x1b]0;pwned\x071,f2,label"] + [f"{i % 7},{i % 5},{LABELS[i % 3]}" for i in range(30)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_data_inspect_escapes_labels_and_columns(tmp_path, capsys):
    csv = _hostile_csv(tmp_path / "e.csv")
    code, out, err = run(["data", "inspect", str(csv)], capsys)
    assert code == 0, err
    assert not any(c in out for c in RAW), out
    for escaped in ("cat\\x1b[2J: 10", "dog\\x07: 10", "owl\\x9b1m: 10", "f\\x1b]0;pwned\\x071, f2"):
        assert escaped in out, out


def test_data_inspect_json_escapes_them_and_keeps_the_names(tmp_path, capsys):
    csv = _hostile_csv(tmp_path / "e.csv")
    code, out, err = run(["data", "inspect", str(csv), "--json"], capsys)
    assert code == 0, err
    assert not any(c in out for c in RAW)
    doc = json.loads(out)
    assert sorted(doc["class_names"]) == sorted(LABELS)   # the same names, only written safely
    assert doc["feature_names"] == ["f\x1b]0;pwned\x071", "f2"]


def test_data_inspect_escapes_folder_and_file_names(tmp_path, capsys):
    from PIL import Image
    root = tmp_path / "images"
    for name in ("a\x1b]0;pwned\x07", "b\u202eb"):
        (root / name).mkdir(parents=True)
        for i in range(5):
            Image.new("L", (8, 8), 40 * i).save(root / name / f"{i}.png")
    (root / "a\x1b]0;pwned\x07" / "bad\x1b[2J.png").write_bytes(b"not an image")
    code, out, err = run(["data", "inspect", str(root)], capsys)
    assert code == 0, err
    assert not any(c in out for c in RAW), out
    assert "a\\x1b]0;pwned\\x07: 5" in out and "b\\u202eb: 5" in out and "bad\\x1b[2J.png" in out


def test_data_inspect_error_naming_a_hostile_path_is_one_escaped_line(tmp_path, capsys):
    code, _, err = run(["data", "inspect", str(tmp_path / "no\x1b[2J.csv")], capsys)
    assert code == 2
    line = one_error_line(err)
    assert not any(c in line for c in RAW) and "no such file" in line and "no\\x1b[2J.csv" in line


def test_data_inspect_of_a_fifo_with_a_hostile_name_is_one_escaped_line(tmp_path, capsys):
    fifo = _fifo(tmp_path / "f\x07.csv")
    code, _, err = run(["data", "inspect", str(fifo)], capsys)
    assert code == 2
    line = one_error_line(err)
    assert "f\\x07.csv" in line and "FIFO" in line and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_printable_escapes_only_what_a_terminal_acts_on():
    assert printable("café 猫 naïve, 'quoted' \\ back") == "café 猫 naïve, 'quoted' \\ back"
    assert printable("a\x1b[2Jb\x07c\x9bd\u202ee\udc80f\ng\x7f") == \
        "a\\x1b[2Jb\\x07c\\x9bd\\u202ee\\udc80f\\ng\\x7f"
    text = json.dumps({"k": "x\x9by\u2028z\udc80 é"}, ensure_ascii=False)
    safe = printable_json(text)
    assert safe == '{"k": "x\\u009by\\u2028z\\udc80 é"}' and json.loads(safe) == json.loads(text)
