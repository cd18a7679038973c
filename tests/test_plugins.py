"""Layer plugins: a type registered outside the package is a layer like any other.

The first tests register a layer type here, in this test module, and follow it through the
palette, building, training, probes and every export; the last ones run the shipped example
(examples/plugin_layer) from the command line, as a person would.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from playground.training.events import EpochEvent, LossEvent, ProbeEvent
from playground.export import export
from playground.layers import CATALOGUE, Constructor, LayerType, ShapeError, register
from playground.params import Param, ProblemList
from playground.layers.plugins import ENV_VAR, load_plugins, plugin_sources
from playground.network.preset import preset_from_dict
from playground.network.spec import DataSpec, ModelSpec, Preset, TrainSpec
from playground.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plugin_layer"


class Gain(nn.Module):
    """y = x · exp(g): a learned gain per feature (g starts at log(initial))."""

    def __init__(self, features: int, initial: float = 1.0) -> None:
        super().__init__()
        self.log_gain = nn.Parameter(torch.full((features,), float(initial)).log())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.exp(self.log_gain)


def _gain_shape(shapes: list[tuple[int, ...]], p: dict[str, Any]) -> tuple[int, ...]:
    if len(shapes[0]) != 1:
        raise ShapeError("needs a vector")
    return shapes[0]


GAIN = LayerType(
    name="TestGain", group="Plugins", help="A learned gain per feature (registered by a test)",
    params=(Param("initial", "float", 1.0, "Starting gain", minimum=1e-3, maximum=100.0),),
    infer=_gain_shape,
    constructor=lambda shapes, p: Constructor(Gain, (shapes[0][0],), {"initial": p["initial"]}),
    probe_role="can_die",
)


@pytest.fixture
def gain_type():
    register(GAIN)
    yield GAIN
    del CATALOGUE[GAIN.name]


def gain_preset(**training: Any) -> Preset:
    model = ModelSpec.chain(("Input", {"shape": [2]}), ("Linear", {"out_features": 8}), ("ReLU", {}),
                            ("TestGain", {"initial": 0.5}), ("Linear", {"out_features": 2}))
    base = dict(epochs=3, batch_size=32, lr=0.03, probe_every=4, device="cpu")
    base.update(training)
    return Preset("gain_net", "", model, DataSpec("xor", {"n_samples": 160}), TrainSpec(**base))


def test_the_palette_lists_a_registered_type(qtbot, gain_type):
    from widgets.palette import Palette
    palette = Palette()
    qtbot.addWidget(palette)
    palette.populate()
    item = palette.items["TestGain"]
    assert item.parent().text(0) == "Plugins" and not item.parent().isHidden()
    palette.filter("gain per feature")
    assert palette.visible_names() == ["TestGain"]


def test_a_registered_type_builds_trains_and_is_probed(gain_type):
    events: list = []
    trainer = Trainer(gain_preset(), on_event=events.append)
    node = next(n.id for n in trainer.preset.model.nodes if n.type == "TestGain")
    gain = getattr(trainer.model, node)
    assert isinstance(gain, Gain) and torch.allclose(gain.log_gain.exp(), torch.full((8,), 0.5))
    trainer.run()
    assert trainer.state == "finished" and len([e for e in events if isinstance(e, EpochEvent)]) == 3
    assert not torch.allclose(gain.log_gain.exp(), torch.full((8,), 0.5))  # it learned
    probes = [e for e in events if isinstance(e, ProbeEvent)]
    layer = next(p for p in probes[-1].layers if p.node_id == node)
    assert layer.dead_fraction is not None and layer.hist_counts.sum() > 0  # its declared probe role: can die
    assert any(isinstance(e, LossEvent) for e in events)


def test_a_registered_type_exports_everywhere(gain_type, tmp_path: Path):
    trainer = Trainer(gain_preset())
    trainer.run()
    state = trainer.state_dict_copy()
    names = {"safetensors": "model.safetensors", "state_dict": "model_state_dict.pt", "onnx": "model.onnx",
             "python": "model.py", "summary": "summary.txt", "script": "train_script"}
    for fmt, name in names.items():
        export(trainer.preset, state, fmt, tmp_path / name)
    model_py = tmp_path / "model.py"
    summary = (tmp_path / "summary.txt").read_text()
    assert "TestGain" in summary
    x = np.random.default_rng(0).normal(size=(5, 2)).astype(np.float32)
    with torch.no_grad():
        trainer.model.eval()
        want = trainer.model(torch.from_numpy(x)).numpy()
    check = (
        "import importlib.util, json, sys, numpy as np, torch, onnxruntime as ort\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(model_py)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        f"net = m.Model(); net.load_state_dict(m.load_weights({str(model_py.with_name(model_py.stem + '_weights.pt'))!r})); net.eval()\n"
        f"x = np.array({x.tolist()!r}, dtype=np.float32)\n"
        "with torch.no_grad(): py = net(torch.from_numpy(x)).numpy()\n"
        "print(json.dumps({'python': py.tolist(), 'playground_imported': 'playground' in sys.modules}))\n")
    proc = subprocess.run([sys.executable, "-I", "-c", check], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["playground_imported"] is False  # model.py carries the plugin's class itself
    assert np.abs(np.array(got["python"]) - want).max() < 1e-5
    script = (tmp_path / "train_script" / "train.py").read_text()
    assert "class Gain(nn.Module)" in script


def test_a_preset_with_an_unregistered_type_says_a_plugin_may_be_missing():
    d = json.loads((EXAMPLE / "rbf_xor.json").read_text())
    d["model"]["nodes"][1]["type"] = "NoSuchLayer"
    with pytest.raises(ProblemList) as e:
        preset_from_dict(d)
    text = str(e.value)
    assert "'NoSuchLayer'" in text and "a plugin may be missing" in text


def test_plugins_load_only_from_the_variable_and_entry_points(tmp_path: Path, capsys):
    assert plugin_sources({ENV_VAR: " a.b , c "})[:2] == [("a.b", "a.b"), ("c", "c")]
    result = load_plugins({ENV_VAR: "no_such_plugin_module_xyz"})
    assert "no_such_plugin_module_xyz" in result.failed and not result.loaded
    assert "did not load" in capsys.readouterr().err


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, ENV_VAR: "rbf_layer", "PYTHONPATH": str(EXAMPLE), "OMP_NUM_THREADS": "1",
           "PLAYGROUND_RUNS_DIR": str(cwd / "runs"), "HOME": str(cwd), "XDG_DATA_HOME": str(cwd / "data")}
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_example_plugin_trains_and_exports_agreeing_files(tmp_path: Path):
    train = _cli("train", str(EXAMPLE / "rbf_xor.json"), "--epochs", "3", "--device", "cpu",
                 "--out", str(tmp_path / "run"), cwd=tmp_path)
    assert train.returncode == 0, train.stderr[-2000:]
    for fmt, name in (("python", "model.py"), ("onnx", "model.onnx")):
        done = _cli("export", str(tmp_path / "run"), "--format", fmt, "--out", str(tmp_path / name), cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
    check = (
        "import importlib.util, json, numpy as np, torch, onnxruntime as ort\n"
        "spec = importlib.util.spec_from_file_location('m', 'model.py')\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "net = m.load_model()\n"
        "x = np.random.default_rng(1).normal(size=(9, 2)).astype(np.float32)\n"
        "with torch.no_grad(): py = net(torch.from_numpy(x)).numpy()\n"
        "s = ort.InferenceSession('model.onnx', providers=['CPUExecutionProvider'])\n"
        "ox = s.run(None, {s.get_inputs()[0].name: x})[0]\n"
        "print(json.dumps({'diff': float(np.abs(py - ox).max()), 'shape': list(py.shape),\n"
        "                  'rbf': 'class RBF(nn.Module)' in open('model.py').read()}))\n")
    proc = subprocess.run([sys.executable, "-I", "-c", check], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout)
    assert got["rbf"] and got["shape"] == [9, 2]
    assert got["diff"] < 1e-4
