"""Exports that cannot be made fail cleanly: they name the cause, leave no half-written file,
and the command line says it in one line with exit status 2. Files a person was sent are
read without running code: anything pickled beyond plain tensors is refused."""
from __future__ import annotations

import os
import pickle
import sys
import tempfile
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_export_support import trained_like  # noqa: E402

from playground.command_line import main as cli  # noqa: E402
from playground.export import (  # noqa: E402
    ExportError, MissingPackage, UnsupportedLayer, export, missing_packages)
from playground.export import onnx_format  # noqa: E402
from playground.core.files import FileProblem  # noqa: E402
from playground.layers import modules  # noqa: E402
from playground.network.preset import load_preset, save_preset  # noqa: E402
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec  # noqa: E402
from playground.network.model_file import load_state_dict_file, save_weights  # noqa: E402


def perceptron() -> Preset:
    spec = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 1}), ("Sign", {}))
    return Preset("tiny perceptron", "Linear then Sign.", spec, DataSpec("linear"),
                  TrainSpec(mode="perceptron"))


def mlp() -> Preset:
    spec = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 4}), ("ReLU", {}),
                           ("Linear", {"out_features": 2}))
    return Preset("tiny mlp", "", spec, DataSpec("xor"), TrainSpec())


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


def run_cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------- unwritable places

def test_unwritable_folder_is_named_and_nothing_is_written(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)  # what a read-only folder does, even as root
    for fmt, name in (("onnx", "m.onnx"), ("pt2", "m.pt2"), ("safetensors", "m.safetensors"),
                      ("python", "model.py"), ("summary", "s.txt")):
        with pytest.raises(FileProblem, match=rf"cannot write .*{name.split('.')[0]}.*Permission denied"):
            export(mlp(), None, fmt, tmp_path / name)
    assert files_in(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(FileProblem, match="Permission denied"):
            export(mlp(), None, "state_dict", folder / "w.pt")
    finally:
        folder.chmod(0o700)


def test_missing_folder_and_file_in_the_way(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match=r"the folder .*nowhere does not exist"):
        export(mlp(), None, "onnx", tmp_path / "nowhere" / "m.onnx")
    with pytest.raises(FileProblem, match=r"model\.py: the folder .*newdir does not exist"):
        export(mlp(), None, "python", f"{tmp_path / 'newdir'}/")  # a trailing slash means a folder
    (tmp_path / "afile").write_text("x")
    with pytest.raises(FileProblem, match="is a file, not a folder"):
        export(mlp(), None, "script", tmp_path / "afile")
    assert files_in(tmp_path) == ["afile"]


def test_a_failure_part_way_leaves_no_half_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(obj: object, f: object, *args: object, **kwargs: object) -> None:
        Path(f).write_bytes(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    with pytest.raises(FileProblem, match="No space left on device"):
        export(mlp(), None, "state_dict", tmp_path / "w.pt")
    assert files_in(tmp_path) == []


def test_script_writes_both_files_or_neither(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = tempfile.mkstemp
    calls = []

    def second_fails(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(kwargs.get("suffix"))
        if calls.count(".tmp") == 2:  # the second file, after the first is fully written
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", second_fails)
    with pytest.raises(FileProblem, match=r"train\.py: No space left on device"):
        export(mlp(), None, "script", tmp_path / "job")
    assert calls.count(".tmp") == 2
    assert files_in(tmp_path) == []  # not data.npz alone, and the folder it made is gone


# ---------------------------------------------------------------- layers a format cannot express

def test_unsupported_layer_is_named_with_the_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(onnx_format.UNSUPPORTED, "Sign", "a made-up gap for this test")
    with pytest.raises(UnsupportedLayer, match=r"ONNX cannot express Sign 'sign1': a made-up gap"):
        export(perceptron(), None, "onnx", tmp_path / "m.onnx")
    save_preset(perceptron(), tmp_path / "p.json")
    code, out, err = run_cli(capsys, "export", str(tmp_path / "p.json"), "--format", "onnx",
                             "--out", str(tmp_path / "m.onnx"))
    assert code == 2 and "cannot express Sign 'sign1'" in err and len(err.strip().splitlines()) == 1
    assert files_in(tmp_path) == ["p.json"]


@pytest.mark.parametrize("fmt", ["pt2", "onnx"])
def test_a_layer_the_tracer_chokes_on_is_found_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         fmt: str) -> None:
    def numpy_sign(self: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy((x.detach().numpy() >= 0).astype("float32") * 2 - 1)  # leaves torch

    monkeypatch.setattr(modules.Sign, "forward", numpy_sign)
    with pytest.raises(UnsupportedLayer, match=r"cannot express Sign 'sign1': ") as info:
        export(perceptron(), None, fmt, tmp_path / f"m.{fmt}")
    assert info.value.node_id == "sign1"
    assert files_in(tmp_path) == []


def test_onnx_falls_back_to_the_torchscript_exporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    def broken(*args: object, **kwargs: object) -> bytes:
        raise RuntimeError("the dynamo exporter broke")

    monkeypatch.setattr(onnx_format, "_dynamo", broken)
    preset, state = mlp(), trained_like(mlp())
    export(preset, state, "onnx", tmp_path / "m.onnx")
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert "TorchScript" in session.get_modelmeta().custom_metadata_map["exporter"]
    from playground.network.build import build_model
    from playground.export.common import prepare
    from playground.export.standardize import job_standardization
    model = build_model(preset.model)
    model.load_state_dict(state)
    s = job_standardization(prepare(preset, state))
    assert s is not None  # xor is standardized: the fallback must carry that step too
    raw = torch.randn(5, 2) * 3 + 1  # in the data's own units
    got = session.run(None, {"input1": raw.numpy()})[0]
    standardized = (raw - torch.from_numpy(s.mean)) / torch.from_numpy(s.std)
    assert abs(got - model.eval()(standardized).detach().numpy()).max() <= 1e-5


# ---------------------------------------------------------------- optional packages

def test_missing_optional_package_names_the_install_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # as if it were not installed
    assert missing_packages("onnx") == ["onnxscript"]
    with pytest.raises(MissingPackage, match=r"'onnxscript'.*pip install 'nn-playground\[onnx\]'"):
        export(mlp(), None, "onnx", tmp_path / "m.onnx")
    save_preset(mlp(), tmp_path / "p.json")
    code, _, err = run_cli(capsys, "export", str(tmp_path / "p.json"), "-f", "onnx",
                           "-o", str(tmp_path / "m.onnx"))
    assert code == 2 and "pip install 'nn-playground[onnx]'" in err
    assert files_in(tmp_path) == ["p.json"]


# ---------------------------------------------------------------- files that would run code

class Payload:
    """Unpickling this runs os.mkdir: the kind of thing a malicious model file carries."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_pickle_bearing_files_are_refused_without_running_them(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                              how: str) -> None:
    marker = tmp_path / "code_ran"
    evil = tmp_path / "model.pt"
    if how == "torch.save":
        torch.save({"linear1.weight": torch.zeros(1, 2), "extra": Payload(marker)}, evil)
    else:
        evil.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(FileProblem, match="refused"):
        load_state_dict_file(evil)
    code, out, err = run_cli(capsys, "load", str(evil))
    assert code == 2 and out == ""
    assert "refused" in err and len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "export", str(evil), "--format", "onnx", "--out", str(tmp_path))
    assert code == 2 and "holds no preset" in err
    assert not marker.exists()


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    junk = tmp_path / "model.safetensors"
    junk.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}")
    code, _, err = run_cli(capsys, "load", str(junk))
    assert code == 2 and "playground load: error:" in err
    code, _, err = run_cli(capsys, "load", str(tmp_path / "missing.safetensors"))
    assert code == 2 and "no such model file" in err


# ---------------------------------------------------------------- inputs that make no sense

def test_weights_that_do_not_fit_and_unknown_formats(tmp_path: Path) -> None:
    state = trained_like(mlp())
    del state["linear2.bias"]
    state["linear1.weight"] = torch.zeros(5, 2)
    with pytest.raises(ExportError, match=r"missing linear2\.bias; linear1\.weight is \(5, 2\)"):
        export(mlp(), state, "safetensors", tmp_path / "m.safetensors")
    with pytest.raises(ExportError, match="unknown export format 'tflite'"):
        export(mlp(), None, "tflite", tmp_path / "m.tflite")
    assert files_in(tmp_path) == []


def test_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code, _, err = run_cli(capsys, "export", str(tmp_path), "--format", "summary")
    assert code == 2 and "without model.safetensors" in err


# ---------------------------------------------------------------- the commands doing their job

def test_export_from_a_run_folder_and_load_what_it_wrote(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture) -> None:
    run = tmp_path / "run"
    run.mkdir()
    preset, state = mlp(), trained_like(mlp())
    save_weights(run / "model.safetensors", state, preset, trained=True)
    out = tmp_path / "exported.safetensors"
    code, stdout, err = run_cli(capsys, "export", str(run), "--out", str(out))  # safetensors by default
    assert code == 0 and err == "" and "(trained)" in stdout

    code, stdout, err = run_cli(capsys, "load", str(out), "--save-preset", str(tmp_path / "back.json"))
    assert code == 0 and err == ""
    assert "tiny mlp" in stdout and "trained weights" in stdout and "linear2" in stdout
    assert "total: 22 parameters" in stdout  # 2*4+4 + 4*2+2
    assert load_preset(tmp_path / "back.json").model.to_dict() == preset.model.to_dict()

    code, stdout, _ = run_cli(capsys, "export", str(out), "-f", "state_dict", "-o", str(tmp_path / "w.pt"))
    assert code == 0
    code, stdout, _ = run_cli(capsys, "load", str(tmp_path / "w.pt"))
    assert code == 0 and "plain state_dict (no preset inside), 4 tensors" in stdout


def test_a_preset_alone_exports_untrained_weights_with_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture
                                                                 ) -> None:
    save_preset(mlp(), tmp_path / "p.json")
    code, stdout, err = run_cli(capsys, "export", str(tmp_path / "p.json"), "-f", "safetensors",
                                "-o", str(tmp_path))
    assert code == 0 and "warning: exporting untrained weights" in err
    assert (tmp_path / "model.safetensors").is_file()  # a folder gets the format's default name
    code, stdout, _ = run_cli(capsys, "load", str(tmp_path / "model.safetensors"))
    assert code == 0 and "untrained weights" in stdout


# ---------------------------------------------------------------- what an export replaces

def test_written_paths_name_every_file_an_export_writes(tmp_path: Path) -> None:
    """A front end asks before replacing files: it must know all of them, the weights beside
    model.py and the files inside the script's folder too, before anything is written."""
    from playground.export import FORMATS, written_paths
    assert written_paths("python", tmp_path / "net.py") == [tmp_path / "net.py", tmp_path / "net_weights.pt"]
    assert written_paths("script", tmp_path / "job") == [tmp_path / "job" / "data.npz", tmp_path / "job" / "train.py"]
    assert written_paths("onnx", tmp_path) == [tmp_path / "model.onnx"]   # a folder: the default name in it
    for fmt in FORMATS:
        folder = tmp_path / fmt
        folder.mkdir()
        target = folder / ("out" if FORMATS[fmt].is_folder else f"out{FORMATS[fmt].extension}")
        planned = written_paths(fmt, target)
        assert not any(p.exists() for p in planned)
        export(mlp(), None, fmt, target)
        written = sorted(p for p in folder.rglob("*") if p.is_file())
        assert written == sorted(planned), fmt


@pytest.mark.parametrize("preset_name", ["xor_mlp", "class"])   # "class" does not import: model.py
def test_the_formats_exported_into_one_folder_write_no_file_twice(tmp_path, preset_name):
    """Python source wrote its weights as xor_mlp_state_dict.pt, the state_dict export's name: after
    one, the other asked "Replace it?" and No stopped the export."""
    from playground.export import FORMATS, written_paths
    from widgets.export_dialog import export_file_name
    written: dict[Path, str] = {}
    for name, f in FORMATS.items():
        for path in written_paths(name, tmp_path / export_file_name(preset_name, f)):
            assert path not in written, f"{name} and {written[path]} both write {path.name}"
            written[path] = name
    assert len(written) >= len(FORMATS) + 1
